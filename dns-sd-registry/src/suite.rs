//! The registry suite: every join/leave rule of
//! [`ServiceRegistry`], as public async functions that run over any
//! provider and panic with a clear message when a rule breaks.
//!
//! The project's end-to-end tests run [`run_all`] over the in-memory
//! provider (with and without preconditions), the Route 53 and Cloudflare
//! fakes and moto. Each function works under a fresh random label below
//! the zone apex and leaves nothing behind.
//!
//! ```
//! use std::sync::Arc;
//! use dns_core::{DnsProvider, InMemoryProvider, Name};
//! use dns_sd_registry::suite;
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! let memory = InMemoryProvider::new();
//! let zone = memory.create_zone(Name::parse("suite.test").unwrap()).unwrap();
//! let provider: Arc<dyn DnsProvider> = Arc::new(memory);
//! suite::shared_host_keeps_its_address(&provider, &zone).await;
//! # });
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use dns_core::conformance::{clean, get, scratch, snapshot};
use dns_core::{
    ApplyReport, Capabilities, Change, DnsProvider, Name, RData, RecordSet, RecordType,
    ServiceInstance, ServiceType, Target, Txt, TxtProperties, Zone,
};

use crate::ServiceRegistry;

/// Settings for [`run_all`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Concurrent registrations in [`concurrent_registrations`] (default 50).
    pub concurrency: usize,
    /// Trials of [`txt_race`] (default 10).
    pub txt_trials: usize,
    /// Concurrent writers in [`round_robin_writers`] (default 20).
    pub round_robin_writers: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            concurrency: 50,
            txt_trials: 10,
            round_robin_writers: 20,
        }
    }
}

impl Config {
    /// Sets [`Config::concurrency`].
    pub fn with_concurrency(mut self, n: usize) -> Self {
        self.concurrency = n;
        self
    }

    /// Sets [`Config::txt_trials`].
    pub fn with_txt_trials(mut self, n: usize) -> Self {
        self.txt_trials = n;
        self
    }

    /// Sets [`Config::round_robin_writers`].
    pub fn with_round_robin_writers(mut self, n: usize) -> Self {
        self.round_robin_writers = n;
        self
    }
}

/// Runs every check. `providers` are separate instances of the provider
/// under test (or clones of one); concurrent checks spread their writers
/// over them.
pub async fn run_all(providers: &[Arc<dyn DnsProvider>], zone: &Zone, config: &Config) {
    assert!(!providers.is_empty(), "no provider given");
    let p = &providers[0];
    join_without_txt_keeps_published_txt(p, zone).await;
    shared_host_keeps_its_address(p, zone).await;
    leave_without_port(p, zone).await;
    one_of_two_targets_leaves(p, zone).await;
    join_racing_the_last_leave(p, zone).await;
    last_leave_racing_a_join_without_txt(p, zone).await;
    two_services_leaving_one_host(p, zone).await;
    the_type_stays_announced_when_a_join_races_its_last_leave(p, zone).await;
    txt_race(providers, zone, config.txt_trials).await;
    round_robin_writers(providers, zone, config.round_robin_writers).await;
    concurrent_registrations(providers, zone, config.concurrency).await;
}

fn name(under: &Name, relative: &str) -> Name {
    Name::parse_relative(relative, under).expect("valid test name")
}

fn ttl(p: &dyn DnsProvider) -> u32 {
    let caps: Capabilities = p.capabilities();
    (*caps.ttl_range.start()).max(60)
}

fn instance(p: &dyn DnsProvider, under: &Name, service: &str, label: &str) -> ServiceInstance {
    let service: ServiceType = service.parse().expect("service type");
    ServiceInstance::new(label, service, under.clone())
        .expect("instance")
        .with_ttl(ttl(p))
}

fn target(under: &Name, host: &str, port: u16, ip: [u8; 4]) -> Target {
    Target::new(name(under, host), port).with_address(IpAddr::V4(Ipv4Addr::from(ip)))
}

fn registry(p: &Arc<dyn DnsProvider>) -> ServiceRegistry {
    ServiceRegistry::new(p.clone())
}

fn txt_values(set: Option<&RecordSet>) -> Vec<String> {
    let mut values: Vec<String> = set
        .iter()
        .flat_map(|s| s.values())
        .map(ToString::to_string)
        .collect();
    values.sort();
    values
}

/// A host joining without TXT keeps the TXT another host published, one
/// record or several; a join with TXT states it.
pub async fn join_without_txt_keeps_published_txt(p: &Arc<dyn DnsProvider>, zone: &Zone) {
    let under = scratch(zone, "txt-keep");
    let reg = registry(p);
    let base = instance(&**p, &under, "_http._tcp", "web");
    let stated = TxtProperties::new().with("v", "1").expect("txt");
    reg.register(&base.clone().with_txt(stated.clone()).with_target(target(
        &under,
        "h1",
        80,
        [192, 0, 2, 1],
    )))
    .await
    .expect("register with TXT");
    let report = reg
        .register(
            &base
                .clone()
                .with_target(target(&under, "h2", 80, [192, 0, 2, 2])),
        )
        .await
        .expect("register without TXT");
    assert!(
        report.txt_kept,
        "a join without TXT must say it kept the TXT"
    );
    let txt = get(&**p, zone, base.name(), RecordType::TXT).await;
    assert_eq!(
        txt_values(txt.as_ref()),
        [r#""v=1""#],
        "a join without TXT blanked the published TXT"
    );

    // Several TXT records at the instance survive a join without TXT.
    let two = RecordSet::new(
        base.name().clone(),
        ttl(&**p),
        [
            RData::TXT(Txt::new(["a=1"]).expect("txt")),
            RData::TXT(Txt::new(["b=2"]).expect("txt")),
        ],
    )
    .expect("set");
    p.apply(zone, &[Change::Upsert(two.clone())])
        .await
        .expect("seeding two TXT records");
    reg.register(
        &base
            .clone()
            .with_target(target(&under, "h3", 80, [192, 0, 2, 3])),
    )
    .await
    .expect("register without TXT");
    let txt = get(&**p, zone, base.name(), RecordType::TXT).await;
    assert_eq!(
        txt_values(txt.as_ref()),
        txt_values(Some(&two)),
        "a join without TXT changed an instance's several TXT records"
    );

    // A join with TXT states it.
    let v2 = TxtProperties::new().with("v", "2").expect("txt");
    reg.register(
        &base
            .clone()
            .with_txt(v2)
            .with_target(target(&under, "h3", 80, [192, 0, 2, 3])),
    )
    .await
    .expect("register with TXT");
    let txt = get(&**p, zone, base.name(), RecordType::TXT).await;
    assert_eq!(
        txt_values(txt.as_ref()),
        [r#""v=2""#],
        "a join with TXT must state it"
    );

    // The first registration of an instance without TXT publishes the
    // empty TXT RFC 6763 asks for.
    let bare = instance(&**p, &under, "_http._tcp", "bare").with_target(target(
        &under,
        "h4",
        80,
        [192, 0, 2, 4],
    ));
    reg.register(&bare).await.expect("register without TXT");
    let txt = get(&**p, zone, bare.name(), RecordType::TXT).await;
    assert_eq!(txt_values(txt.as_ref()), [r#""""#]);
    clean(&**p, zone, &under).await;
}

/// Two hosts join one instance at once, one stating TXT `v=1` and one
/// without TXT: the TXT ends as `v=1`. First deterministically (the stater
/// lands while the keeper reads the TXT, the interleaving that blanked it),
/// then `trials` times concurrently through different providers.
pub async fn txt_race(providers: &[Arc<dyn DnsProvider>], zone: &Zone, trials: usize) {
    let under = scratch(zone, "txt-race");
    let p = &providers[0];
    // The stater lands while the keeper reads, then just before the
    // keeper's first write (a new instance: the keeper adds its empty TXT
    // and must yield).
    for (label, before_write) in [("during-read", false), ("before-write", true)] {
        let base = instance(&**p, &under, "_http._tcp", label);
        let stater = base
            .clone()
            .with_txt(TxtProperties::new().with("v", "1").expect("txt"))
            .with_target(target(&under, "a", 80, [192, 0, 2, 1]));
        let keeper = base
            .clone()
            .with_target(target(&under, "b", 80, [192, 0, 2, 2]));
        let racing: Arc<dyn DnsProvider> = Arc::new(JoinDuringRead {
            inner: p.clone(),
            during: RecordType::TXT,
            joiner: Mutex::new(Some(stater)),
            leaves: false,
            before_write,
        });
        registry(&racing)
            .register(&keeper)
            .await
            .expect("register without TXT while a TXT is stated");
        let txt = get(&**p, zone, base.name(), RecordType::TXT).await;
        assert_eq!(
            txt_values(txt.as_ref()),
            [r#""v=1""#],
            "a TXT stated while a join without TXT ran ({label}) was lost"
        );
    }
    for trial in 0..trials {
        let base = instance(&**p, &under, "_http._tcp", &format!("race{trial}"));
        let stater = base
            .clone()
            .with_txt(TxtProperties::new().with("v", "1").expect("txt"))
            .with_target(target(&under, "a", 80, [192, 0, 2, 1]));
        let keeper = base
            .clone()
            .with_target(target(&under, "b", 80, [192, 0, 2, 2]));
        let first = registry(&providers[trial % providers.len()]);
        let second = registry(&providers[(trial + 1) % providers.len()]);
        let (a, b) = if trial % 2 == 0 {
            tokio::join!(first.register(&stater), second.register(&keeper))
        } else {
            let (b, a) = tokio::join!(second.register(&keeper), first.register(&stater));
            (a, b)
        };
        a.expect("register with TXT");
        b.expect("register without TXT");
        let txt = get(&**p, zone, base.name(), RecordType::TXT).await;
        assert_eq!(
            txt_values(txt.as_ref()),
            [r#""v=1""#],
            "trial {trial}: a join without TXT racing one with TXT lost the stated TXT"
        );
    }
    clean(&**p, zone, &under).await;
}

/// A host used by two services keeps its addresses until its last SRV
/// value goes.
pub async fn shared_host_keeps_its_address(p: &Arc<dyn DnsProvider>, zone: &Zone) {
    let under = scratch(zone, "shared");
    let reg = registry(p);
    let host = target(&under, "h1", 80, [192, 0, 2, 1]);
    let web = instance(&**p, &under, "_http._tcp", "web").with_target(host.clone());
    let mut ssh_target = host.clone();
    ssh_target.port = 22;
    let ssh = instance(&**p, &under, "_ssh._tcp", "ssh").with_target(ssh_target);
    reg.register(&web).await.expect("register web");
    reg.register(&ssh).await.expect("register ssh");

    let left = reg.deregister(&web).await.expect("deregister web");
    assert!(left.instance_removed);
    assert!(
        get(&**p, zone, &host.host, RecordType::A).await.is_some(),
        "the host's address went while the ssh service still points at it"
    );
    assert_eq!(
        left.kept_addresses,
        [(host.host.clone(), ssh.name().clone())],
        "the report must name who still points at the host"
    );
    let left = reg.deregister(&ssh).await.expect("deregister ssh");
    assert!(left.kept_addresses.is_empty());
    assert!(
        get(&**p, zone, &host.host, RecordType::A).await.is_none(),
        "the host's address stayed after its last SRV value went"
    );
    let rest = snapshot(&**p, zone, &under).await;
    assert!(rest.is_empty(), "left behind: {rest:?}");
}

/// Leaving without a port withdraws every SRV value of the host in the
/// instance, as published, and reports them; a second leave reports none.
pub async fn leave_without_port(p: &Arc<dyn DnsProvider>, zone: &Zone) {
    let under = scratch(zone, "noport");
    let reg = registry(p);
    let web = instance(&**p, &under, "_http._tcp", "web");
    let h1 = |port, priority| target(&under, "h1", port, [192, 0, 2, 1]).with_priority(priority);
    reg.register(
        &web.clone()
            .with_target(h1(80, 1))
            .with_target(h1(8080, 2))
            .with_target(target(&under, "h2", 80, [192, 0, 2, 2])),
    )
    .await
    .expect("register");
    let ip: IpAddr = "192.0.2.1".parse().expect("ip");
    let left = reg
        .deregister_host(&web, &name(&under, "h1"), &[ip])
        .await
        .expect("deregister host");
    let mut ports: Vec<(u16, u16)> = left.targets.iter().map(|s| (s.port, s.priority)).collect();
    ports.sort_unstable();
    assert_eq!(
        ports,
        [(80, 1), (8080, 2)],
        "withdrawn targets as published"
    );
    assert!(!left.instance_removed, "h2 still serves the instance");
    let srv = get(&**p, zone, web.name(), RecordType::SRV)
        .await
        .expect("h2's SRV value");
    assert_eq!(srv.len(), 1, "only h2 remains: {srv}");
    assert!(
        get(&**p, zone, &name(&under, "h1"), RecordType::A)
            .await
            .is_none()
    );
    assert!(
        get(&**p, zone, &name(&under, "h2"), RecordType::A)
            .await
            .is_some()
    );

    let again = reg
        .deregister_host(&web, &name(&under, "h1"), &[ip])
        .await
        .expect("repeated leave");
    assert!(
        again.targets.is_empty(),
        "a repeated leave withdrew {:?}",
        again.targets
    );
    assert!(!again.instance_removed);
    clean(&**p, zone, &under).await;
}

/// One of an instance's two targets leaves and the other stays: only the
/// leaver's SRV value and address go; the instance keeps its PTR, its TXT
/// and the other host. Then again with the staying host refreshing its
/// registration while the leaver reads (on a provider without
/// preconditions the leaver acts on what it read, so this is the case where
/// a wrong "was that the last target?" answer would take the instance down).
pub async fn one_of_two_targets_leaves(p: &Arc<dyn DnsProvider>, zone: &Zone) {
    let under = scratch(zone, "one-leaves");
    let web = instance(&**p, &under, "_http._tcp", "web")
        .with_txt(TxtProperties::new().with("v", "1").expect("txt"));
    let leaver = web
        .clone()
        .with_target(target(&under, "h1", 80, [192, 0, 2, 1]));
    let stayer = web
        .clone()
        .with_target(target(&under, "h2", 8080, [192, 0, 2, 2]));
    for refreshing in [false, true] {
        let what = if refreshing {
            "while the other refreshes"
        } else {
            "alone"
        };
        let reg = registry(p);
        reg.register(&leaver).await.expect("register the leaver");
        reg.register(&stayer).await.expect("register the stayer");
        let leaving: Arc<dyn DnsProvider> = if refreshing {
            Arc::new(JoinDuringRead {
                inner: p.clone(),
                during: RecordType::SRV,
                joiner: Mutex::new(Some(stayer.clone())),
                leaves: false,
                before_write: false,
            })
        } else {
            p.clone()
        };
        let left = ServiceRegistry::new(leaving)
            .deregister(&leaver)
            .await
            .expect("deregister one target");
        assert!(
            !left.instance_removed,
            "{what}: the report says the instance went while h2 serves it"
        );
        assert_eq!(
            left.targets,
            [leaver.targets()[0].srv()],
            "{what}: the withdrawn target as published"
        );
        let srv = get(&**p, zone, web.name(), RecordType::SRV)
            .await
            .unwrap_or_else(|| panic!("{what}: the staying target's SRV value went"));
        assert_eq!(
            srv.values(),
            [RData::SRV(stayer.targets()[0].srv())],
            "{what}: only the staying target's SRV value may remain"
        );
        assert!(
            get(&**p, zone, web.service_name(), RecordType::PTR)
                .await
                .is_some_and(|ptr| ptr.contains(&RData::PTR(web.name().clone()))),
            "{what}: the instance must stay browsable"
        );
        assert_eq!(
            txt_values(get(&**p, zone, web.name(), RecordType::TXT).await.as_ref()),
            [r#""v=1""#],
            "{what}: the instance's TXT must stay"
        );
        assert!(
            get(&**p, zone, &name(&under, "h1"), RecordType::A)
                .await
                .is_none(),
            "{what}: the leaver's address stayed"
        );
        assert!(
            get(&**p, zone, &name(&under, "h2"), RecordType::A)
                .await
                .is_some(),
            "{what}: the staying host's address went"
        );
        registry(p).deregister(&stayer).await.expect("deregister");
        let rest = snapshot(&**p, zone, &under).await;
        assert!(rest.is_empty(), "{what}: left behind: {rest:?}");
    }
}

/// The last instance of a service type leaves while the first instance of
/// a new one joins (landing as the leaver reads the type's PTR set): the
/// type stays announced under `_services._dns-sd._udp`, because it has an
/// instance again.
pub async fn the_type_stays_announced_when_a_join_races_its_last_leave(
    p: &Arc<dyn DnsProvider>,
    zone: &Zone,
) {
    let under = scratch(zone, "type-race");
    let leaver = instance(&**p, &under, "_http._tcp", "old").with_target(target(
        &under,
        "h1",
        80,
        [192, 0, 2, 1],
    ));
    let joiner = instance(&**p, &under, "_http._tcp", "new").with_target(target(
        &under,
        "h2",
        80,
        [192, 0, 2, 2],
    ));
    let enumeration = leaver
        .records()
        .enumeration
        .expect("the type is announced by default");
    registry(p).register(&leaver).await.expect("register");
    let racing: Arc<dyn DnsProvider> = Arc::new(JoinDuringRead {
        inner: p.clone(),
        during: RecordType::PTR,
        joiner: Mutex::new(Some(joiner.clone())),
        leaves: false,
        before_write: false,
    });
    let left = ServiceRegistry::new(racing)
        .deregister(&leaver)
        .await
        .expect("deregister the last instance");
    assert!(left.instance_removed);
    let announced = get(&**p, zone, enumeration.name(), RecordType::PTR).await;
    assert!(
        announced.is_some_and(|set| enumeration.values().iter().all(|v| set.contains(v))),
        "a type with an instance is no longer announced"
    );
    registry(p).deregister(&joiner).await.expect("deregister");
    let rest = snapshot(&**p, zone, &under).await;
    assert!(rest.is_empty(), "left behind: {rest:?}");
}

/// Runs another host's registration (or deregistration) in the middle of
/// a read, so the caller acts on stale data exactly as it would when remote
/// calls interleave.
#[derive(Debug)]
struct JoinDuringRead {
    inner: Arc<dyn DnsProvider>,
    /// The read that lets the joiner in: of this type, or a listing when SRV.
    during: RecordType,
    joiner: Mutex<Option<ServiceInstance>>,
    /// Whether the interloper leaves instead of joining.
    leaves: bool,
    /// Whether it lands just before the first write instead (then `during`
    /// is ignored).
    before_write: bool,
}

impl JoinDuringRead {
    async fn join_now(&self) -> dns_core::Result<()> {
        let joiner = self.joiner.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(joiner) = joiner {
            let registry = ServiceRegistry::new(self.inner.clone());
            if self.leaves {
                registry.deregister(&joiner).await?;
            } else {
                registry.register(&joiner).await?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl DnsProvider for JoinDuringRead {
    fn provider_name(&self) -> &str {
        self.inner.provider_name()
    }
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    async fn list_zones(&self) -> dns_core::Result<Vec<Zone>> {
        self.inner.list_zones().await
    }
    async fn find_zone(&self, name: &Name) -> dns_core::Result<Zone> {
        self.inner.find_zone(name).await
    }
    async fn list_record_sets(&self, zone: &Zone) -> dns_core::Result<Vec<RecordSet>> {
        let seen = self.inner.list_record_sets(zone).await?;
        if self.during == RecordType::SRV && !self.before_write {
            self.join_now().await?;
        }
        Ok(seen)
    }
    async fn get_record_set(
        &self,
        zone: &Zone,
        name: &Name,
        rtype: RecordType,
    ) -> dns_core::Result<Option<RecordSet>> {
        let seen = self.inner.get_record_set(zone, name, rtype).await?;
        if rtype == self.during && !self.before_write {
            self.join_now().await?;
        }
        Ok(seen)
    }
    async fn apply_validated(
        &self,
        zone: &Zone,
        changes: &[Change],
    ) -> dns_core::Result<ApplyReport> {
        if self.before_write {
            self.join_now().await?;
        }
        self.inner.apply_validated(zone, changes).await
    }
    fn validate(&self, zone: &Zone, changes: &[Change]) -> dns_core::Result<()> {
        self.inner.validate(zone, changes)
    }
}

/// The last target of an instance leaves while another target of the same
/// instance joins (landing between the leaver's read and its write): the
/// joiner's records all survive, and the leaver's value is gone. Then the
/// same with a host of another service joining on the leaver's host: the
/// address stays. Then with targets that have no address records (hosts
/// outside every zone), whose leave reads the SRV set instead of listing.
pub async fn join_racing_the_last_leave(p: &Arc<dyn DnsProvider>, zone: &Zone) {
    let under = scratch(zone, "race");
    let web = instance(&**p, &under, "_http._tcp", "web")
        .with_txt(TxtProperties::new().with("v", "1").expect("txt"));
    let leaver = web
        .clone()
        .with_target(target(&under, "h1", 80, [192, 0, 2, 1]));
    let joiner = web
        .clone()
        .with_target(target(&under, "h2", 80, [192, 0, 2, 2]));
    let shared = instance(&**p, &under, "_ssh._tcp", "ssh").with_target(target(
        &under,
        "h1",
        22,
        [192, 0, 2, 1],
    ));
    // Targets outside every zone have no address records: the leave takes
    // its other path (a read of the SRV set, not a listing).
    let far = |host: &str| Target::new(Name::parse(host).expect("host"), 443);
    let far_web = instance(&**p, &under, "_https._tcp", "far")
        .with_txt(TxtProperties::new().with("v", "1").expect("txt"));
    let far_leaver = far_web.clone().with_target(far("far1.example.org"));
    let far_joiner = far_web.clone().with_target(far("far2.example.org"));
    for (leaver, joiner, what) in [
        (&leaver, joiner, "a target of the same instance"),
        (&leaver, shared, "a service on the leaver's host"),
        (&far_leaver, far_joiner, "a target without addresses"),
    ] {
        registry(p)
            .register(leaver)
            .await
            .expect("register the leaver");
        let racing: Arc<dyn DnsProvider> = Arc::new(JoinDuringRead {
            inner: p.clone(),
            during: RecordType::SRV,
            joiner: Mutex::new(Some(joiner.clone())),
            leaves: false,
            before_write: false,
        });
        let left = ServiceRegistry::new(racing)
            .deregister(leaver)
            .await
            .expect("deregister the leaver");
        assert_eq!(
            left.instance_removed,
            joiner.name() != leaver.name(),
            "{what}: the report must say whether the instance is gone"
        );
        for set in joiner.records().all() {
            let found = get(&**p, zone, set.name(), set.record_type())
                .await
                .unwrap_or_else(|| {
                    panic!(
                        "{what} joining during the last leave lost {} {}",
                        set.name(),
                        set.record_type()
                    )
                });
            for v in set.values() {
                assert!(
                    found.contains(v),
                    "{what} joining during the last leave lost {v} at {}",
                    set.name()
                );
            }
        }
        if let Some(srv) = get(&**p, zone, leaver.name(), RecordType::SRV).await {
            assert!(
                !srv.values().iter().any(|v| leaver
                    .records()
                    .srv
                    .as_ref()
                    .is_some_and(|s| s.contains(v))),
                "the leaver's own value stayed: {srv}"
            );
        }
        clean(&**p, zone, &under).await;
    }
}

/// `writers` hosts join one round-robin name at once, then half of them
/// leave at once: no value is lost or left behind.
pub async fn round_robin_writers(providers: &[Arc<dyn DnsProvider>], zone: &Zone, writers: usize) {
    let under = scratch(zone, "rr");
    let www = name(&under, "www");
    let p = &providers[0];
    let ip = |i: usize| {
        IpAddr::V4(Ipv4Addr::from(
            0x0a02_0000 + u32::try_from(i).expect("fits"),
        ))
    };
    let ttl = ttl(&**p);
    let run = |join: bool, members: Vec<usize>| {
        let mut tasks = tokio::task::JoinSet::new();
        for i in members {
            let reg = registry(&providers[i % providers.len()]);
            let www = www.clone();
            tasks.spawn(async move {
                let addr = [ip(i)];
                let done = if join {
                    reg.join_round_robin(&www, &addr, ttl).await
                } else {
                    reg.leave_round_robin(&www, &addr).await
                };
                done.unwrap_or_else(|e| {
                    panic!(
                        "round robin {} of {}: {e}",
                        if join { "join" } else { "leave" },
                        ip(i)
                    )
                });
            });
        }
        async move {
            while let Some(done) = tasks.join_next().await {
                if let Err(e) = done {
                    std::panic::resume_unwind(e.into_panic());
                }
            }
        }
    };
    let expect = |members: &[usize]| -> BTreeSet<String> {
        members.iter().map(|&i| ip(i).to_string()).collect()
    };
    let all: Vec<usize> = (0..writers).collect();
    run(true, all.clone()).await;
    let found: BTreeSet<String> = get(&**p, zone, &www, RecordType::A)
        .await
        .iter()
        .flat_map(|s| s.values())
        .map(ToString::to_string)
        .collect();
    assert_eq!(found, expect(&all), "after {writers} concurrent joins");
    let (leaving, staying) = all.split_at(writers / 2);
    run(false, leaving.to_vec()).await;
    let found: BTreeSet<String> = get(&**p, zone, &www, RecordType::A)
        .await
        .iter()
        .flat_map(|s| s.values())
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        found,
        expect(staying),
        "after {} concurrent leaves",
        leaving.len()
    );
    clean(&**p, zone, &under).await;
}

/// `count` registrations of distinct targets into one service (spread over
/// five instances) run at once through `providers` (round robin), then
/// `count` deregistrations at once, then half leave while another half
/// joins. After each phase the zone holds exactly the records of the
/// instances that are in: nothing lost, nothing orphaned.
pub async fn concurrent_registrations(
    providers: &[Arc<dyn DnsProvider>],
    zone: &Zone,
    count: usize,
) {
    assert!(!providers.is_empty(), "no provider given");
    let under = scratch(zone, "concurrent");
    let ttl = ttl(&*providers[0]);
    let service: ServiceType = "_conf._tcp".parse().expect("service type");
    let instance = |i: usize| {
        let host = name(&under, &format!("t{i:03}"));
        let ip = IpAddr::V4(Ipv4Addr::from(
            0x0a01_0000 + u32::try_from(i).expect("fits"),
        ));
        let port = 1000 + u16::try_from(i).expect("fits");
        ServiceInstance::new(&format!("inst-{}", i % 5), service.clone(), under.clone())
            .expect("instance")
            .with_target(
                Target::new(host, port)
                    .with_priority(u16::try_from(i % 3).expect("fits"))
                    .with_weight(10)
                    .with_address(ip),
            )
            .with_txt(
                TxtProperties::new()
                    .with("group", format!("{}", i % 5))
                    .expect("txt"),
            )
            .with_subtype("_sub1".parse().expect("label"))
            .with_ttl(ttl)
    };
    let expected = |members: &[usize]| {
        let mut state: BTreeMap<(Name, RecordType), BTreeSet<String>> = BTreeMap::new();
        for &i in members {
            for s in instance(i).records().all() {
                let values = state
                    .entry((s.name().clone(), s.record_type()))
                    .or_default();
                if s.record_type() == RecordType::TXT {
                    values.clear();
                }
                values.extend(s.values().iter().map(ToString::to_string));
            }
        }
        state
    };
    let run = |joining: Vec<usize>, leaving: Vec<usize>| {
        let mut tasks = tokio::task::JoinSet::new();
        let work = joining
            .into_iter()
            .map(|i| (i, true))
            .chain(leaving.into_iter().map(|i| (i, false)));
        for (n, (i, join)) in work.enumerate() {
            let registry = ServiceRegistry::new(providers[n % providers.len()].clone());
            let inst = instance(i);
            let zone = zone.clone();
            tasks.spawn(async move {
                let result = if join {
                    registry.register(&inst).await
                } else {
                    registry.deregister(&inst).await
                };
                result.unwrap_or_else(|e| {
                    panic!(
                        "{} {} in {zone}: {e}",
                        if join { "register" } else { "deregister" },
                        inst.name()
                    )
                })
            });
        }
        async move {
            while let Some(done) = tasks.join_next().await {
                if let Err(e) = done {
                    std::panic::resume_unwind(e.into_panic());
                }
            }
        }
    };
    let p: &dyn DnsProvider = &*providers[0];
    let all: Vec<usize> = (0..count).collect();

    run(all.clone(), vec![]).await;
    assert_eq!(
        snapshot(p, zone, &under).await,
        expected(&all),
        "after {count} concurrent registrations"
    );

    run(vec![], all.clone()).await;
    let left = snapshot(p, zone, &under).await;
    assert!(
        left.is_empty(),
        "after {count} concurrent deregistrations these remain: {left:?}"
    );

    let (first, second) = all.split_at(count / 2);
    run(first.to_vec(), vec![]).await;
    run(second.to_vec(), first.to_vec()).await;
    assert_eq!(
        snapshot(p, zone, &under).await,
        expected(second),
        "after half left while half joined"
    );
    run(vec![], second.to_vec()).await;
    assert!(
        snapshot(p, zone, &under).await.is_empty(),
        "records left after the last deregistration"
    );
}

/// The last target of an instance leaves while another host joins it
/// without TXT, landing between that host's read of the TXT (present) and
/// its write: the instance must end with its SRV value, its PTR and a TXT.
pub async fn last_leave_racing_a_join_without_txt(p: &Arc<dyn DnsProvider>, zone: &Zone) {
    let under = scratch(zone, "keeper-race");
    let web = instance(&**p, &under, "_http._tcp", "web");
    let leaver = web
        .clone()
        .with_txt(TxtProperties::new().with("v", "1").expect("txt"))
        .with_target(target(&under, "h1", 80, [192, 0, 2, 1]));
    let keeper = web
        .clone()
        .with_target(target(&under, "h2", 80, [192, 0, 2, 2]));
    // The leaver lands while the joiner reads the SRV set (before its
    // write), then while it reads the TXT.
    for during in [RecordType::SRV, RecordType::TXT] {
        registry(p)
            .register(&leaver)
            .await
            .expect("register the leaver");
        let racing: Arc<dyn DnsProvider> = Arc::new(JoinDuringRead {
            inner: p.clone(),
            during,
            joiner: Mutex::new(Some(leaver.clone())),
            leaves: true,
            before_write: false,
        });
        ServiceRegistry::new(racing)
            .register(&keeper)
            .await
            .expect("join without TXT");
        let srv = get(&**p, zone, web.name(), RecordType::SRV).await;
        assert_eq!(
            srv.map(|s| s.len()),
            Some(1),
            "only the joiner's SRV value must remain ({during} read)"
        );
        assert!(
            get(&**p, zone, web.name(), RecordType::TXT).await.is_some(),
            "a join without TXT racing the last leave ({during} read) left the instance without a TXT"
        );
        assert!(
            get(&**p, zone, web.service_name(), RecordType::PTR)
                .await
                .is_some_and(|ptr| ptr.contains(&RData::PTR(web.name().clone()))),
            "the instance must stay browsable ({during} read)"
        );
        registry(p).deregister(&keeper).await.expect("deregister");
    }
    let rest = snapshot(&**p, zone, &under).await;
    assert!(rest.is_empty(), "left behind: {rest:?}");
}

/// Two services on one host leave at the same moment (the second lands
/// while the first lists the zone): each saw the other still pointing at
/// the host, yet the host's addresses must not be left behind.
pub async fn two_services_leaving_one_host(p: &Arc<dyn DnsProvider>, zone: &Zone) {
    let under = scratch(zone, "both-leave");
    let web = instance(&**p, &under, "_http._tcp", "web").with_target(target(
        &under,
        "h1",
        80,
        [192, 0, 2, 1],
    ));
    let ssh = instance(&**p, &under, "_ssh._tcp", "ssh").with_target(target(
        &under,
        "h1",
        22,
        [192, 0, 2, 1],
    ));
    let reg = registry(p);
    reg.register(&web).await.expect("register web");
    reg.register(&ssh).await.expect("register ssh");
    let racing: Arc<dyn DnsProvider> = Arc::new(JoinDuringRead {
        inner: p.clone(),
        during: RecordType::SRV,
        joiner: Mutex::new(Some(ssh)),
        leaves: true,
        before_write: false,
    });
    ServiceRegistry::new(racing)
        .deregister(&web)
        .await
        .expect("deregister web while ssh leaves");
    let rest = snapshot(&**p, zone, &under).await;
    assert!(
        rest.is_empty(),
        "two services leaving one host at once left behind: {rest:?}"
    );
}
