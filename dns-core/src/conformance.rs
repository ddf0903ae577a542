//! The conformance suite: what every [`DnsProvider`] must do, as public
//! async functions that panic with a clear message when it does not.
//!
//! Each backend's tests call [`run_all`] (or the functions one by one) with a
//! provider and a zone dedicated to tests. Every function works under a fresh
//! random label below the zone apex and removes what it created, so the
//! functions may run one after another on the same zone. Behaviour that
//! depends on the provider is chosen from its [`Capabilities`](crate::Capabilities), never from
//! its name.
//!
//! ```
//! use std::sync::Arc;
//! use dns_core::{conformance, DnsProvider, InMemoryProvider, Name};
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! let memory = InMemoryProvider::new();
//! let zone = memory.create_zone(Name::parse("conformance.test").unwrap()).unwrap();
//! let provider: Arc<dyn DnsProvider> = Arc::new(memory);
//! conformance::add_remove_semantics(&*provider, &zone).await;
//! conformance::txt_round_trip(&*provider, &zone).await;
//! # });
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::Ipv4Addr;
use std::sync::Arc;

use rand::RngExt;

use crate::{
    Caa, Change, DnsProvider, Error, Label, Mx, Name, Precondition, RData, RecordSet, RecordType,
    ServiceInstance, Srv, Target, Txt, TxtProperties, Zone,
};

/// Counts the requests a provider has sent so far (a fake's request log,
/// a provider's own counter), for checks that demand none were sent.
pub type RequestCounter = Arc<dyn Fn() -> usize + Send + Sync>;

/// A fault the test double behind a provider injects into its answers.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Fault {
    /// No faults.
    Off,
    /// This share (0.0–1.0) of requests is answered "slow down" (429, or
    /// Route 53's `Throttling`), without effect.
    Throttle(f64),
    /// This share (0.0–1.0) of requests is answered with a 5xx, without
    /// effect.
    ServerError(f64),
    /// The next this many writes take effect, but their answers are lost
    /// (a 5xx or a timeout instead of the success).
    LoseAnswers(usize),
}

/// A test double (a fake provider API) whose answers can be made to fail,
/// for [`retries_keep_values`]. `dns-testkit`'s `FakeRoute53` and
/// `FakeCloudflare` implement it.
///
/// ```
/// use std::sync::Mutex;
/// use dns_core::conformance::{Fault, FaultInjector};
/// #[derive(Debug, Default)]
/// struct Recorder(Mutex<Vec<Fault>>);
/// impl FaultInjector for Recorder {
///     fn set(&self, fault: Fault) { self.0.lock().unwrap().push(fault); }
/// }
/// let r = Recorder::default();
/// r.set(Fault::Throttle(0.3));
/// r.set(Fault::Off);
/// assert_eq!(r.0.lock().unwrap().len(), 2);
/// ```
pub trait FaultInjector: Send + Sync + fmt::Debug {
    /// Replaces the faults in force with `fault` ([`Fault::Off`] clears them).
    fn set(&self, fault: Fault);
}

/// Settings for [`run_all`].
#[derive(Clone)]
#[non_exhaustive]
pub struct Config {
    /// A set of a type the model does not know, already present in the zone
    /// (seeded by the test). `None`: use the first opaque set the zone lists
    /// (the apex SOA on most providers); the suite fails if there is none.
    pub unknown: Option<RecordSet>,
    /// Sets created for [`large_zone_listing`] (default 1,250).
    pub large_zone_sets: usize,
    /// Counts the requests the provider sent, so that
    /// [`validate_agrees_with_apply`] can check a refused batch sent none.
    pub requests: Option<RequestCounter>,
    /// Credentials the provider was configured with: none may appear in
    /// its `Debug`, in [`Config::shown`] or in any error it returns
    /// ([`no_credentials_shown`]).
    pub secrets: Vec<String>,
    /// Further text that must not show a secret: the `Debug` of the
    /// builder that made the provider, say.
    pub shown: Vec<String>,
    /// Makes the provider's test double fail, for [`retries_keep_values`].
    pub faults: Option<Arc<dyn FaultInjector>>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("unknown", &self.unknown)
            .field("large_zone_sets", &self.large_zone_sets)
            .field("requests", &self.requests.as_ref().map(|_| "counter"))
            .field("secrets", &self.secrets.len())
            .field("faults", &self.faults)
            .finish_non_exhaustive()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            unknown: None,
            large_zone_sets: 1_250,
            requests: None,
            secrets: Vec::new(),
            shown: Vec::new(),
            faults: None,
        }
    }
}

impl Config {
    /// Sets [`Config::unknown`].
    pub fn with_unknown(mut self, set: RecordSet) -> Self {
        self.unknown = Some(set);
        self
    }

    /// Sets [`Config::large_zone_sets`].
    pub fn with_large_zone_sets(mut self, n: usize) -> Self {
        self.large_zone_sets = n;
        self
    }

    /// Sets [`Config::requests`].
    pub fn with_request_counter(
        mut self,
        counter: impl Fn() -> usize + Send + Sync + 'static,
    ) -> Self {
        self.requests = Some(Arc::new(counter));
        self
    }

    /// Adds to [`Config::secrets`].
    pub fn with_secret(mut self, secret: impl Into<String>) -> Self {
        self.secrets.push(secret.into());
        self
    }

    /// Adds to [`Config::shown`].
    pub fn with_shown(mut self, text: impl Into<String>) -> Self {
        self.shown.push(text.into());
        self
    }

    /// Sets [`Config::faults`].
    pub fn with_faults(mut self, faults: Arc<dyn FaultInjector>) -> Self {
        self.faults = Some(faults);
        self
    }
}

/// Runs every check in order, through the first of `providers` (separate
/// instances of the provider under test, or clones of one). The checks of
/// many concurrent writers through separate instances live with the
/// registry (`dns_sd_registry::suite`), which drives them; backends run
/// both.
pub async fn run_all(providers: &[Arc<dyn DnsProvider>], zone: &Zone, config: &Config) {
    let p: &dyn DnsProvider = &*providers[0];
    zones(p, zone).await;
    every_type_crud(p, zone).await;
    add_remove_semantics(p, zone).await;
    remove_last_value_deletes_set(p, zone).await;
    let unknown = match &config.unknown {
        Some(set) => set.clone(),
        None => list(p, zone)
            .await
            .into_iter()
            .find(|s| matches!(s.values()[0], RData::Opaque(_)))
            .expect(
                "the zone holds no set of an unmodelled type; seed one with Config::with_unknown",
            ),
    };
    unknown_types_survive(p, zone, &unknown).await;
    txt_round_trip(p, zone).await;
    instance_names(p, zone).await;
    invalid_input_is_refused(p, zone).await;
    listing_is_sorted(p, zone).await;
    validate_agrees_with_apply(p, zone, config.requests.as_ref()).await;
    no_credentials_shown(p, zone, &config.secrets, &config.shown).await;
    if let Some(faults) = &config.faults {
        retries_keep_values(p, zone, &**faults).await;
    }
    atomic_batches(p, zone).await;
    preconditions(p, zone).await;
    large_zone_listing(p, zone, config.large_zone_sets).await;
}

/// A fresh label below the apex for one check: `conf-<check>-<random>`.
/// Public, with [`get`], [`snapshot`] and [`clean`], for suites built on
/// this one (the registry suite in `dns-sd-registry` uses them).
pub fn scratch(zone: &Zone, check: &str) -> Name {
    let tag: u32 = rand::rng().random();
    let label = Label::new(format!("conf-{check}-{tag:08x}")).expect("short ASCII label");
    zone.name.prepend(label).expect("scratch name fits")
}

fn name(under: &Name, relative: &str) -> Name {
    Name::parse_relative(relative, under).expect("valid test name")
}

fn a(last: u8) -> RData {
    RData::A(Ipv4Addr::new(192, 0, 2, last))
}

fn set(owner: &Name, ttl: u32, values: impl IntoIterator<Item = RData>) -> RecordSet {
    RecordSet::new(owner.clone(), ttl, values).expect("valid test set")
}

async fn list(p: &dyn DnsProvider, zone: &Zone) -> Vec<RecordSet> {
    p.list_record_sets(zone)
        .await
        .unwrap_or_else(|e| panic!("listing {zone} failed: {e}"))
}

/// The set at (`owner`, `rtype`), panicking with a clear message when the
/// read fails.
pub async fn get(
    p: &dyn DnsProvider,
    zone: &Zone,
    owner: &Name,
    rtype: RecordType,
) -> Option<RecordSet> {
    p.get_record_set(zone, owner, rtype)
        .await
        .unwrap_or_else(|e| panic!("reading {owner} {rtype} failed: {e}"))
}

async fn apply(p: &dyn DnsProvider, zone: &Zone, changes: &[Change]) {
    if let Err(e) = p.apply(zone, changes).await {
        let shown: Vec<String> = changes.iter().take(5).map(ToString::to_string).collect();
        panic!("applying [{}] failed: {e}", shown.join("; "));
    }
}

/// Every set at or below `under`, keyed and with values as sorted text.
pub async fn snapshot(
    p: &dyn DnsProvider,
    zone: &Zone,
    under: &Name,
) -> BTreeMap<(Name, RecordType), BTreeSet<String>> {
    list(p, zone)
        .await
        .into_iter()
        .filter(|s| s.name().is_subdomain_of(under))
        .map(|s| {
            let key = (s.name().clone(), s.record_type());
            (key, s.values().iter().map(ToString::to_string).collect())
        })
        .collect()
}

/// Deletes every set at or below `under` (what a check created).
pub async fn clean(p: &dyn DnsProvider, zone: &Zone, under: &Name) {
    let changes: Vec<Change> = snapshot(p, zone, under)
        .await
        .into_keys()
        .map(|(name, rtype)| Change::Delete { name, rtype })
        .collect();
    apply(p, zone, &changes).await;
}

/// The zone is listed, found by any name inside it, and names outside every
/// zone give [`Error::ZoneNotFound`].
pub async fn zones(p: &dyn DnsProvider, zone: &Zone) {
    let all = p
        .list_zones()
        .await
        .unwrap_or_else(|e| panic!("list_zones failed: {e}"));
    assert!(
        all.iter().any(|z| z.id == zone.id && z.name == zone.name),
        "{zone} missing from list_zones: {all:?}"
    );
    let deep = scratch(zone, "zones")
        .prepend(Label::new("x").expect("label"))
        .expect("name");
    let found = p
        .find_zone(&deep)
        .await
        .unwrap_or_else(|e| panic!("find_zone({deep}) failed: {e}"));
    assert_eq!(found.name, zone.name, "find_zone({deep})");
    let apex = p
        .find_zone(&zone.name)
        .await
        .unwrap_or_else(|e| panic!("find_zone(apex) failed: {e}"));
    assert_eq!(apex.id, zone.id);
    let outside = Name::parse("conformance-outside.invalid").expect("name");
    match p.find_zone(&outside).await {
        Err(Error::ZoneNotFound { .. }) => {}
        other => panic!("find_zone({outside}) should be ZoneNotFound, got {other:?}"),
    }
}

/// Sample values for every modelled type (two where the type allows).
fn samples(under: &Name) -> Vec<(RecordType, Vec<RData>, Vec<RData>)> {
    let target = |s: &str| name(under, s);
    vec![
        (RecordType::A, vec![a(1), a(2)], vec![a(3)]),
        (
            RecordType::AAAA,
            vec![
                RData::AAAA("2001:db8::1".parse().expect("ip")),
                RData::AAAA("2001:db8::2".parse().expect("ip")),
            ],
            vec![RData::AAAA("2001:db8::3".parse().expect("ip"))],
        ),
        (
            RecordType::CNAME,
            vec![RData::CNAME(target("c1"))],
            vec![RData::CNAME(target("c2"))],
        ),
        (
            RecordType::TXT,
            vec![
                RData::TXT(Txt::from_text("v=1")),
                RData::TXT(Txt::from_text("two words")),
            ],
            vec![RData::TXT(Txt::from_text("replaced"))],
        ),
        (
            RecordType::SRV,
            vec![
                RData::SRV(Srv::new(10, 60, 8080, target("h1"))),
                RData::SRV(Srv::new(20, 0, 8081, target("h2"))),
            ],
            vec![RData::SRV(Srv::new(0, 0, 1, target("h3")))],
        ),
        (
            RecordType::PTR,
            vec![RData::PTR(target("p1")), RData::PTR(target("p2"))],
            vec![RData::PTR(target("p3"))],
        ),
        (
            RecordType::MX,
            vec![
                RData::MX(Mx::new(10, target("mx1"))),
                RData::MX(Mx::new(20, target("mx2"))),
            ],
            vec![RData::MX(Mx::new(5, target("mx3")))],
        ),
        (
            RecordType::NS,
            vec![RData::NS(target("ns1")), RData::NS(target("ns2"))],
            vec![RData::NS(target("ns3"))],
        ),
        (
            RecordType::CAA,
            vec![
                RData::CAA(Caa::new(0, "issue", "ca.example.net").expect("caa")),
                RData::CAA(Caa::new(0, "iodef", "mailto:security@example.net").expect("caa")),
            ],
            vec![RData::CAA(Caa::new(128, "issue", ";").expect("caa"))],
        ),
    ]
}

fn assert_set(found: Option<RecordSet>, values: &[RData], ttl: u32, what: &str) {
    let found = found.unwrap_or_else(|| panic!("{what}: set missing"));
    assert!(
        found.same_values(values),
        "{what}: expected values {values:?}, found {:?}",
        found.values()
    );
    assert_eq!(found.ttl(), ttl, "{what}: TTL");
}

/// Upsert, read, replace and delete a set of every type the provider
/// writes; deleting an absent set is not an error.
pub async fn every_type_crud(p: &dyn DnsProvider, zone: &Zone) {
    let caps = p.capabilities();
    let under = scratch(zone, "crud");
    let ttl = caps
        .ttl_range
        .start()
        .max(&300)
        .min(caps.ttl_range.end())
        .to_owned();
    let mut tested = 0;
    for (rtype, first, second) in samples(&under) {
        if !caps.supports(rtype) {
            continue;
        }
        tested += 1;
        // SRV lives at _service._proto names (RFC 2782), which some
        // providers insist on.
        let label = format!("t-{}", rtype.to_string().to_ascii_lowercase());
        let relative = if rtype == RecordType::SRV {
            format!("_{label}._tcp")
        } else {
            label
        };
        let owner = name(&under, &relative);
        let what = format!("{rtype} at {owner}");
        apply(p, zone, &[Change::Upsert(set(&owner, ttl, first.clone()))]).await;
        assert_set(get(p, zone, &owner, rtype).await, &first, ttl, &what);
        let listed = list(p, zone)
            .await
            .into_iter()
            .find(|s| s.key() == (&owner, rtype));
        assert_set(listed, &first, ttl, &format!("{what} (listed)"));
        apply(p, zone, &[Change::Upsert(set(&owner, ttl, second.clone()))]).await;
        assert_set(
            get(p, zone, &owner, rtype).await,
            &second,
            ttl,
            &format!("{what} after replace"),
        );
        apply(
            p,
            zone,
            &[Change::Delete {
                name: owner.clone(),
                rtype,
            }],
        )
        .await;
        assert!(
            get(p, zone, &owner, rtype).await.is_none(),
            "{what}: still there after delete"
        );
        apply(
            p,
            zone,
            &[Change::Delete {
                name: owner.clone(),
                rtype,
            }],
        )
        .await;
    }
    assert!(
        tested > 0,
        "the provider declares no writable modelled type"
    );
    for rtype in RecordType::MODELLED.iter().filter(|t| !caps.supports(**t)) {
        let (_, values, _) = samples(&under)
            .into_iter()
            .find(|(t, ..)| t == rtype)
            .expect("sample");
        let owner = name(&under, "unsupported");
        match p
            .apply(zone, &[Change::Upsert(set(&owner, ttl, values))])
            .await
        {
            Err(Error::Unsupported { .. }) => {}
            other => panic!("writing undeclared type {rtype} should be Unsupported, got {other:?}"),
        }
    }
    clean(p, zone, &under).await;
}

/// `Add` and `Remove` keep other values, are idempotent, and `Add` sets the TTL.
pub async fn add_remove_semantics(p: &dyn DnsProvider, zone: &Zone) {
    let under = scratch(zone, "addrm");
    let owner = name(&under, "www");
    let ttl = p.capabilities().ttl_range.start().max(&60).to_owned();
    let add = |values: Vec<RData>, ttl: u32| Change::Add(set(&owner, ttl, values));
    let remove = |values: Vec<RData>| Change::Remove(set(&owner, ttl, values));

    apply(p, zone, &[add(vec![a(1)], ttl)]).await;
    apply(p, zone, &[add(vec![a(1)], ttl)]).await;
    assert_set(
        get(p, zone, &owner, RecordType::A).await,
        &[a(1)],
        ttl,
        "add twice",
    );
    let longer = (ttl + 60).min(*p.capabilities().ttl_range.end());
    apply(p, zone, &[add(vec![a(2), a(1)], longer)]).await;
    assert_set(
        get(p, zone, &owner, RecordType::A).await,
        &[a(1), a(2)],
        longer,
        "add keeps others, sets TTL",
    );
    apply(p, zone, &[remove(vec![a(1)])]).await;
    apply(p, zone, &[remove(vec![a(1)])]).await;
    assert_set(
        get(p, zone, &owner, RecordType::A).await,
        &[a(2)],
        longer,
        "remove keeps others",
    );
    apply(p, zone, &[remove(vec![a(9)])]).await;
    assert_set(
        get(p, zone, &owner, RecordType::A).await,
        &[a(2)],
        longer,
        "remove of an absent value",
    );
    // Several changes to one set in one batch take effect in order.
    apply(
        p,
        zone,
        &[
            add(vec![a(3)], ttl),
            remove(vec![a(2)]),
            add(vec![a(4)], ttl),
        ],
    )
    .await;
    assert_set(
        get(p, zone, &owner, RecordType::A).await,
        &[a(3), a(4)],
        ttl,
        "ordered batch",
    );
    clean(p, zone, &under).await;
}

/// Removing the last value deletes the set; removing from an absent set is a no-op.
pub async fn remove_last_value_deletes_set(p: &dyn DnsProvider, zone: &Zone) {
    let under = scratch(zone, "rmlast");
    let owner = name(&under, "_svc._tcp");
    let ttl = p.capabilities().ttl_range.start().max(&60).to_owned();
    let srv = RData::SRV(Srv::new(0, 0, 80, name(&under, "h1")));
    apply(p, zone, &[Change::Add(set(&owner, ttl, [srv.clone()]))]).await;
    apply(p, zone, &[Change::Remove(set(&owner, ttl, [srv.clone()]))]).await;
    assert!(
        get(p, zone, &owner, RecordType::SRV).await.is_none(),
        "SRV set left after its last value went"
    );
    assert!(
        snapshot(p, zone, &under).await.is_empty(),
        "records left under {under}"
    );
    apply(p, zone, &[Change::Remove(set(&owner, ttl, [srv]))]).await;
}

/// A set of a type the model does not know (`existing`, already in the zone)
/// is listed verbatim and left untouched by changes to other sets at its name.
pub async fn unknown_types_survive(p: &dyn DnsProvider, zone: &Zone, existing: &RecordSet) {
    let find = |sets: Vec<RecordSet>| sets.into_iter().find(|s| s.key() == existing.key());
    let listed = find(list(p, zone).await)
        .unwrap_or_else(|| panic!("{} {} not listed", existing.name(), existing.record_type()));
    assert_eq!(
        listed.values(),
        existing.values(),
        "unknown type not kept verbatim"
    );
    let caps = p.capabilities();
    let owner = existing.name().clone();
    let ttl = caps.ttl_range.start().max(&60).to_owned();
    let txt = RData::TXT(Txt::from_text("conformance neighbour"));
    // A TXT neighbour at the same name, added and removed, must not disturb it.
    let neighbour = set(&owner, ttl, [txt]);
    let had_txt = get(p, zone, &owner, RecordType::TXT).await;
    apply(p, zone, &[Change::Add(neighbour.clone())]).await;
    apply(p, zone, &[Change::Remove(neighbour)]).await;
    assert_eq!(
        get(p, zone, &owner, RecordType::TXT).await,
        had_txt,
        "TXT at {owner} not restored"
    );
    let after = find(list(p, zone).await)
        .unwrap_or_else(|| panic!("{owner} {} lost", existing.record_type()));
    assert_eq!(after.values(), existing.values(), "unknown type altered");
    assert_eq!(after.ttl(), listed.ttl(), "unknown type TTL altered");
}

/// TXT data round-trips exactly: strings past 255 octets (split at 255),
/// quotes, backslashes, non-ASCII and binary octets, explicit boundaries, the
/// empty TXT, and several values in one set.
pub async fn txt_round_trip(p: &dyn DnsProvider, zone: &Zone) {
    let under = scratch(zone, "txt");
    let ttl = p.capabilities().ttl_range.start().max(&60).to_owned();
    let cases: Vec<(&str, Txt)> = vec![
        ("long", Txt::from_text("0123456789".repeat(40))),
        ("exact255", Txt::from_text("y".repeat(255))),
        (
            "quotes",
            Txt::from_text(r#"say "hi" \ back\slash; semi=colon"#),
        ),
        ("unicode", Txt::from_text("ünïcødé ✓")),
        (
            "binary",
            Txt::new([&b"\x00\x01\x7f\xff\"\\"[..]]).expect("txt"),
        ),
        ("bounds", Txt::new(["a", "b c", ""]).expect("txt")),
        ("empty", Txt::empty()),
        (
            "props",
            TxtProperties::new()
                .with("path", "/a=b")
                .and_then(|t| t.with_flag("tls"))
                .and_then(|t| t.with("empty", ""))
                .expect("props")
                .to_txt(),
        ),
    ];
    let mut changes = Vec::new();
    for (label, txt) in &cases {
        changes.push(Change::Upsert(set(
            &name(&under, label),
            ttl,
            [RData::TXT(txt.clone())],
        )));
    }
    let multi: Vec<RData> = cases
        .iter()
        .take(4)
        .map(|(_, t)| RData::TXT(t.clone()))
        .collect();
    changes.push(Change::Upsert(set(
        &name(&under, "multi"),
        ttl,
        multi.clone(),
    )));
    apply(p, zone, &changes).await;
    for (label, txt) in &cases {
        let owner = name(&under, label);
        let found = get(p, zone, &owner, RecordType::TXT).await;
        let found = found.unwrap_or_else(|| panic!("TXT {label} missing"));
        assert_eq!(
            found.values(),
            [RData::TXT(txt.clone())],
            "TXT {label} did not round-trip"
        );
    }
    let found = get(p, zone, &name(&under, "multi"), RecordType::TXT).await;
    assert_set(found, &multi, ttl, "multi-value TXT");
    clean(p, zone, &under).await;
}

/// RFC 6763 instance names with spaces, dots and UTF-8 round-trip (as owner
/// names and as PTR targets), or are refused with [`Error::Unsupported`]
/// before anything is written when [`Capabilities::raw_labels`](crate::Capabilities::raw_labels) is off.
pub async fn instance_names(p: &dyn DnsProvider, zone: &Zone) {
    let caps = p.capabilities();
    let under = scratch(zone, "names");
    let ttl = caps.ttl_range.start().max(&60).to_owned();
    let instance = ServiceInstance::new(
        "Büro Printer.2 (3rd floor)",
        "_ipp._tcp".parse().expect("type"),
        under.clone(),
    )
    .expect("instance")
    .with_target(Target::new(name(&under, "host"), 631))
    .with_txt(TxtProperties::new().with("rp", "ipp/print").expect("txt"))
    .with_ttl(ttl)
    .with_type_announcement(false);
    let changes: Vec<Change> = instance
        .records()
        .all()
        .into_iter()
        .map(Change::Upsert)
        .collect();
    if !caps.raw_labels {
        match p.apply(zone, &changes).await {
            Err(Error::Unsupported { .. }) => {}
            other => panic!("a raw instance label should be Unsupported here, got {other:?}"),
        }
        assert!(
            snapshot(p, zone, &under).await.is_empty(),
            "a refused batch wrote records"
        );
        return;
    }
    apply(p, zone, &changes).await;
    let sets = list(p, zone).await;
    let srv = sets
        .iter()
        .find(|s| s.record_type() == RecordType::SRV && s.name() == instance.name())
        .unwrap_or_else(|| panic!("SRV at {:#} not listed", instance.name()));
    let label = &srv.name().labels()[0];
    assert!(
        label
            .as_bytes()
            .eq_ignore_ascii_case("Büro Printer.2 (3rd floor)".as_bytes()),
        "instance label came back as {label:#}"
    );
    let ptr = get(p, zone, instance.service_name(), RecordType::PTR)
        .await
        .expect("PTR set");
    assert_eq!(
        ptr.values(),
        [RData::PTR(instance.name().clone())],
        "PTR target"
    );
    assert!(
        get(p, zone, instance.name(), RecordType::TXT)
            .await
            .is_some(),
        "TXT at the instance"
    );
    clean(p, zone, &under).await;
}

/// Bad input is refused with a typed error and changes nothing.
pub async fn invalid_input_is_refused(p: &dyn DnsProvider, zone: &Zone) {
    let under = scratch(zone, "invalid");
    let inside = set(&name(&under, "ok"), 300, [a(1)]);
    let outside = set(
        &Name::parse("conformance.elsewhere.invalid").expect("name"),
        300,
        [a(1)],
    );
    match p
        .apply(zone, &[Change::Add(inside), Change::Add(outside)])
        .await
    {
        Err(Error::InvalidInput(_)) => {}
        other => panic!("a name outside the zone should be InvalidInput, got {other:?}"),
    }
    let caps = p.capabilities();
    if *caps.ttl_range.end() < crate::MAX_TTL {
        let too_long = set(&name(&under, "ttl"), caps.ttl_range.end() + 1, [a(1)]);
        match p.apply(zone, &[Change::Add(too_long)]).await {
            Err(Error::InvalidInput(_)) => {}
            other => panic!("a TTL above the range should be InvalidInput, got {other:?}"),
        }
    }
    assert!(
        snapshot(p, zone, &under).await.is_empty(),
        "a refused batch wrote records"
    );
}

/// Listings are sorted as the trait says: names in canonical order (label
/// by label from the right, case-insensitively), then by type code.
pub async fn listing_is_sorted(p: &dyn DnsProvider, zone: &Zone) {
    let under = scratch(zone, "sorted");
    let ttl = p.capabilities().ttl_range.start().max(&60).to_owned();
    let txt = RData::TXT(Txt::from_text("sorted"));
    let mut changes = Vec::new();
    for relative in ["b", "a.b", "z.a", "a", "A-1", "0"] {
        let owner = name(&under, relative);
        changes.push(Change::Upsert(set(&owner, ttl, [txt.clone()])));
        changes.push(Change::Upsert(set(&owner, ttl, [a(7)])));
    }
    apply(p, zone, &changes).await;
    let sets = list(p, zone).await;
    let keys: Vec<(Name, u16)> = sets
        .iter()
        .map(|s| (s.name().clone(), s.record_type().code()))
        .collect();
    for pair in keys.windows(2) {
        assert!(
            pair[0] < pair[1],
            "listing not sorted (canonical name, then type): {:?} before {:?}",
            pair[0],
            pair[1]
        );
    }
    clean(p, zone, &under).await;
}

/// Bad batches: each one `validate` must refuse (`true`) or may refuse
/// (`false`, provider-specific limits), with a description.
fn bad_batches(
    p: &dyn DnsProvider,
    zone: &Zone,
    under: &Name,
) -> Vec<(&'static str, bool, Vec<Change>)> {
    let caps = p.capabilities();
    let ttl = caps.ttl_range.start().max(&60).to_owned();
    let owner = name(under, "bad");
    let mut out: Vec<(&'static str, bool, Vec<Change>)> = vec![
        (
            "a name outside the zone",
            true,
            vec![Change::Add(set(
                &Name::parse("conformance.elsewhere.invalid").expect("name"),
                ttl,
                [a(1)],
            ))],
        ),
        (
            "deleting the apex SOA",
            true,
            vec![Change::Delete {
                name: zone.name.clone(),
                rtype: RecordType::SOA,
            }],
        ),
        (
            "deleting the apex NS",
            true,
            vec![Change::Delete {
                name: zone.name.clone(),
                rtype: RecordType::NS,
            }],
        ),
        (
            "removing from the apex NS",
            true,
            vec![Change::Remove(set(
                &zone.name,
                ttl,
                [RData::NS(name(under, "ns"))],
            ))],
        ),
        (
            "replacing the apex NS",
            true,
            vec![Change::Upsert(set(
                &zone.name,
                ttl,
                [RData::NS(name(under, "ns"))],
            ))],
        ),
        (
            "a 5,000-character TXT value",
            false,
            vec![Change::Add(set(
                &owner,
                ttl,
                [RData::TXT(Txt::from_text("x".repeat(5_000)))],
            ))],
        ),
        (
            "an IP address as SRV target",
            true,
            vec![Change::Add(set(
                &name(under, "_ip._tcp"),
                ttl,
                [RData::SRV(Srv::new(
                    0,
                    0,
                    80,
                    Name::parse("192.0.2.1").expect("name"),
                ))],
            ))],
        ),
        (
            "a set of 401 values",
            false,
            vec![Change::Add(set(
                &owner,
                ttl,
                (0..401u32).map(|i| RData::A(Ipv4Addr::from(0x0a02_0000 + i))),
            ))],
        ),
    ];
    if *caps.ttl_range.end() < crate::MAX_TTL {
        out.push((
            "a TTL above the range",
            true,
            vec![Change::Add(set(&owner, caps.ttl_range.end() + 1, [a(1)]))],
        ));
    }
    if *caps.ttl_range.start() > 0 {
        out.push((
            "a TTL below the range",
            true,
            vec![Change::Add(set(&owner, caps.ttl_range.start() - 1, [a(1)]))],
        ));
    }
    if let Some(max) = caps.max_records_per_request {
        let mut batch = vec![Change::Require(Precondition::absent(owner, RecordType::A))];
        batch.extend((0..max).map(|i| {
            let ip = Ipv4Addr::from(0x0a03_0000 + u32::try_from(i).expect("fits"));
            Change::Add(set(&name(under, &format!("r{i}")), ttl, [RData::A(ip)]))
        }));
        out.push(("a Require in a batch larger than one request", true, batch));
    }
    if let Some((_, values, _)) = samples(under)
        .into_iter()
        .find(|(t, ..)| !caps.supports(*t))
    {
        out.push((
            "a type the provider does not write",
            true,
            vec![Change::Upsert(set(
                &name(under, "unsupported"),
                ttl,
                values,
            ))],
        ));
    }
    out
}

/// `validate` agrees with `apply`: every batch it refuses, `apply`
/// refuses with the same kind of error and without sending a request (when
/// `requests` counts them); every batch it accepts, `apply` applies. The
/// corpus: names outside the zone, TTLs out of range, oversize values, an
/// IP address as SRV target (always refused), 401 values in one set,
/// deleting or replacing the apex SOA and NS (always refused), a `Require` in a batch too large
/// for one request (always refused), an unsupported type.
pub async fn validate_agrees_with_apply(
    p: &dyn DnsProvider,
    zone: &Zone,
    requests: Option<&RequestCounter>,
) {
    let under = scratch(zone, "agree");
    let count = || requests.map(|c| c());
    for (what, must_refuse, batch) in bad_batches(p, zone, &under) {
        let verdict = p.validate(zone, &batch);
        assert!(
            !(must_refuse && verdict.is_ok()),
            "validate accepted {what}"
        );
        let before = count();
        let applied = p.apply(zone, &batch).await;
        match (&verdict, &applied) {
            (Err(v), Err(a)) => {
                assert_eq!(
                    std::mem::discriminant(v.root()),
                    std::mem::discriminant(a.root()),
                    "{what}: validate said {v}, apply said {a}"
                );
                assert_eq!(
                    count(),
                    before,
                    "{what}: apply sent requests for a batch validate refuses"
                );
            }
            (Ok(()), Ok(_)) => clean(p, zone, &under).await,
            (Err(v), Ok(_)) => panic!("{what}: validate refused ({v}) but apply applied it"),
            (Ok(()), Err(a)) => panic!("{what}: validate accepted it but apply refused: {a}"),
        }
        if verdict.is_err() {
            let shown = snapshot(p, zone, &under).await;
            assert!(shown.is_empty(), "{what}: a refused batch wrote {shown:?}");
        }
    }
}

/// No secret in `secrets` shows in the provider's `Debug`, in `shown`
/// (a builder's `Debug`, say), or in the `Display` and `Debug` of errors
/// the provider returns: a refused batch, a zone that does not exist, a
/// name in no zone.
pub async fn no_credentials_shown(
    p: &dyn DnsProvider,
    zone: &Zone,
    secrets: &[String],
    shown: &[String],
) {
    let mut texts = vec![format!("{p:?}")];
    texts.extend(shown.iter().cloned());
    let ghost_apex = Name::parse("conformance-no-such-zone.invalid").expect("name");
    let ghost = Zone::new("conformance-no-such-zone", ghost_apex.clone());
    let outside = Name::parse("conformance.elsewhere.invalid").expect("name");
    let ttl = p.capabilities().ttl_range.start().max(&60).to_owned();
    let errors = [
        p.apply(zone, &[Change::Add(set(&outside, ttl, [a(1)]))])
            .await
            .err(),
        p.list_record_sets(&ghost).await.err(),
        p.apply(
            &ghost,
            &[Change::Add(set(&name(&ghost_apex, "x"), ttl, [a(1)]))],
        )
        .await
        .err(),
        p.find_zone(&outside).await.err(),
    ];
    for e in errors.into_iter().flatten() {
        texts.push(format!("{e} {e:?}"));
    }
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        for text in &texts {
            assert!(
                !text.contains(secret.as_str()),
                "a credential shows in: {text}"
            );
        }
    }
}

/// Through `faults`, retries never duplicate or lose a value: with a
/// third of the requests throttled, then a third answered with a 5xx, then
/// the answers of writes lost after they took effect, a series of `Add`s
/// and `Remove`s (each applied once, as callers must: the backend is the
/// retry layer) ends with exactly the values it should. The provider's
/// retry policy must allow enough attempts for a third of them to fail.
pub async fn retries_keep_values(p: &dyn DnsProvider, zone: &Zone, faults: &dyn FaultInjector) {
    let under = scratch(zone, "faults");
    let ttl = p.capabilities().ttl_range.start().max(&60).to_owned();
    for (step, fault) in [
        Fault::Throttle(0.3),
        Fault::ServerError(0.3),
        Fault::LoseAnswers(2),
    ]
    .into_iter()
    .enumerate()
    {
        let owner = name(&under, &format!("f{step}"));
        let one = |v: Vec<RData>| set(&owner, ttl, v);
        faults.set(fault);
        let mut outcome = Vec::new();
        for changes in [
            vec![Change::Add(one(vec![a(1)]))],
            vec![Change::Add(one(vec![a(2), a(3)]))],
            vec![Change::Remove(one(vec![a(1)]))],
            vec![
                Change::Add(one(vec![a(4)])),
                Change::Remove(one(vec![a(3)])),
            ],
        ] {
            outcome.push(p.apply(zone, &changes).await.map(drop));
        }
        faults.set(Fault::Off);
        for (i, o) in outcome.iter().enumerate() {
            assert!(
                o.is_ok(),
                "{fault:?}: apply #{i} failed: {:?}",
                o.as_ref().err()
            );
        }
        let found = get(p, zone, &owner, RecordType::A).await;
        let found = found.unwrap_or_else(|| panic!("{fault:?}: the set at {owner} is gone"));
        let mut values: Vec<String> = found.values().iter().map(ToString::to_string).collect();
        values.sort();
        assert_eq!(
            values,
            ["192.0.2.2", "192.0.2.4"],
            "{fault:?}: retries duplicated or lost a value"
        );
    }
    clean(p, zone, &under).await;
}

/// A batch that fits in one request is all-or-nothing when the provider
/// says so: a CNAME clashing with another record fails the whole batch.
pub async fn atomic_batches(p: &dyn DnsProvider, zone: &Zone) {
    let caps = p.capabilities();
    if !caps.atomic_batches || !caps.supports(RecordType::CNAME) {
        return;
    }
    let under = scratch(zone, "atomic");
    let ttl = caps.ttl_range.start().max(&60).to_owned();
    let first = set(&name(&under, "first"), ttl, [a(1)]);
    let clash = name(&under, "clash");
    let changes = [
        Change::Add(first),
        Change::Add(set(&clash, ttl, [a(2)])),
        Change::Upsert(set(&clash, ttl, [RData::CNAME(name(&under, "elsewhere"))])),
    ];
    let result = p.apply(zone, &changes).await;
    assert!(
        result.is_err(),
        "a CNAME beside an A record should fail the batch"
    );
    assert!(
        snapshot(p, zone, &under).await.is_empty(),
        "a failed atomic batch left records behind"
    );
}

/// [`Change::Require`] guards a batch: it applies when every precondition
/// holds (values compared in any order) and changes nothing otherwise.
pub async fn preconditions(p: &dyn DnsProvider, zone: &Zone) {
    let caps = p.capabilities();
    let under = scratch(zone, "require");
    let owner = name(&under, "guarded");
    let other = name(&under, "other");
    let ttl = caps.ttl_range.start().max(&60).to_owned();
    let absent = Change::Require(Precondition::absent(owner.clone(), RecordType::A));
    if !caps.preconditions {
        match p.apply(zone, &[absent]).await {
            Err(Error::Unsupported { .. }) => return,
            other => panic!("Require without the capability should be Unsupported, got {other:?}"),
        }
    }
    apply(
        p,
        zone,
        &[absent.clone(), Change::Add(set(&owner, ttl, [a(1), a(2)]))],
    )
    .await;
    let failing = p
        .apply(zone, &[absent, Change::Add(set(&other, ttl, [a(3)]))])
        .await;
    match failing {
        Err(e @ Error::PreconditionFailed { .. }) => assert!(!e.is_retryable()),
        other => panic!("a failed Require should be PreconditionFailed, got {other:?}"),
    }
    assert!(
        get(p, zone, &other, RecordType::A).await.is_none(),
        "a failed precondition applied changes"
    );
    let reordered = set(&owner, ttl, [a(2), a(1)]);
    apply(
        p,
        zone,
        &[
            Change::Require(Precondition::exactly(&reordered)),
            Change::Add(set(&other, ttl, [a(3)])),
        ],
    )
    .await;
    assert!(
        get(p, zone, &other, RecordType::A).await.is_some(),
        "a holding Require blocked its batch"
    );
    let stale = set(&owner, ttl, [a(1)]);
    assert!(
        matches!(
            p.apply(
                zone,
                &[
                    Change::Require(Precondition::exactly(&stale)),
                    Change::Delete {
                        name: owner.clone(),
                        rtype: RecordType::A
                    }
                ]
            )
            .await,
            Err(Error::PreconditionFailed { .. })
        ),
        "a stale Exactly should fail"
    );
    assert!(
        get(p, zone, &owner, RecordType::A).await.is_some(),
        "the guarded delete ran"
    );
    clean(p, zone, &under).await;
}

/// A zone of more than `count` sets lists completely (every page).
pub async fn large_zone_listing(p: &dyn DnsProvider, zone: &Zone, count: usize) {
    let under = scratch(zone, "large");
    let ttl = p.capabilities().ttl_range.start().max(&300).to_owned();
    let changes: Vec<Change> = (0..count)
        .map(|i| {
            let ip = Ipv4Addr::from(0x0a00_0000 + u32::try_from(i).expect("count fits u32"));
            Change::Upsert(set(&name(&under, &format!("h{i:05}")), ttl, [RData::A(ip)]))
        })
        .collect();
    apply(p, zone, &changes).await;
    let found = snapshot(p, zone, &under).await;
    assert_eq!(
        found.len(),
        count,
        "listing returned {} of {count} sets",
        found.len()
    );
    for (i, change) in changes.iter().enumerate() {
        let key = (change.name().clone(), RecordType::A);
        let values = found
            .get(&key)
            .unwrap_or_else(|| panic!("set #{i} ({}) missing from the listing", change.name()));
        assert_eq!(values.len(), 1);
    }
    clean(p, zone, &under).await;
    assert!(snapshot(p, zone, &under).await.is_empty());
}
