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
use std::net::Ipv4Addr;
use std::sync::Arc;

use rand::RngExt;

use crate::{
    Caa, Change, DnsProvider, Error, Label, Mx, Name, Precondition, RData, RecordSet, RecordType,
    ServiceInstance, Srv, Target, Txt, TxtProperties, Zone,
};

/// Settings for [`run_all`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// A set of a type the model does not know, already present in the zone
    /// (seeded by the test). `None`: use the first opaque set the zone lists
    /// (the apex SOA on most providers); the suite fails if there is none.
    pub unknown: Option<RecordSet>,
    /// Sets created for [`large_zone_listing`] (default 1,250).
    pub large_zone_sets: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            unknown: None,
            large_zone_sets: 1_250,
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
}

/// Runs every check in order. `providers` are separate instances of the
/// provider under test (or clones of one) for the concurrency check; the
/// first one runs the others.
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
    atomic_batches(p, zone).await;
    preconditions(p, zone).await;
    large_zone_listing(p, zone, config.large_zone_sets).await;
}

/// A fresh label below the apex for one check: `conf-<check>-<random>`.
fn scratch(zone: &Zone, check: &str) -> Name {
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

async fn get(
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
async fn snapshot(
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

async fn clean(p: &dyn DnsProvider, zone: &Zone, under: &Name) {
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
