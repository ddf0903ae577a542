//! The reaper and refresh suite: every rule of [`Reaper`] and
//! [`ServiceRegistry::refresh`], as public async functions that run over
//! any provider and panic with a clear message when a rule breaks.
//!
//! Targets are TCP listeners on 127.0.0.1 that each check opens and closes
//! (a closed listener is a crashed instance), so the probes are real and
//! fast; intervals are tens of milliseconds. Each function works under a
//! fresh random label below the zone apex and leaves nothing behind.
//!
//! ```
//! use std::sync::Arc;
//! use dns_core::{DnsProvider, InMemoryProvider, Name};
//! use dns_sd_registry::reaper_suite;
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! let memory = InMemoryProvider::new();
//! let zone = memory.create_zone(Name::parse("suite.test").unwrap()).unwrap();
//! let provider: Arc<dyn DnsProvider> = Arc::new(memory);
//! reaper_suite::dry_run_changes_nothing(&provider, &zone).await;
//! # });
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use dns_core::conformance::{clean, scratch, snapshot};
use dns_core::{
    ApplyReport, Capabilities, Change, DnsProvider, DnsProviderExt, Name, RecordSet, RecordType,
    Result, ServiceInstance, Target, TxtProperties, Zone,
};
use tokio::net::TcpListener;

use crate::{Check, Endpoint, HealthCheck, Reaper, Refusal, ServiceRegistry};

type Snapshot = BTreeMap<(Name, RecordType), BTreeSet<String>>;

/// Runs every check over `provider` in `zone`.
pub async fn run_all(provider: &Arc<dyn DnsProvider>, zone: &Zone) {
    exactly_the_dead_targets_go(provider, zone).await;
    a_healthy_pass_sends_no_write(provider, zone).await;
    all_dead_is_refused_and_changes_nothing(provider, zone).await;
    the_last_target_goes_only_when_allowed(provider, zone).await;
    a_target_that_comes_back_or_changed_is_kept(provider, zone).await;
    a_registration_racing_the_pass_is_never_lost(provider, zone).await;
    dry_run_changes_nothing(provider, zone).await;
    refresh_restores_what_went_and_writes_nothing_while_intact(provider, zone).await;
}

/// A provider that counts what goes through it.
#[derive(Debug)]
struct Counting {
    inner: Arc<dyn DnsProvider>,
    reads: AtomicUsize,
    writes: AtomicUsize,
}

impl Counting {
    fn wrap(inner: &Arc<dyn DnsProvider>) -> Arc<Self> {
        Arc::new(Self {
            inner: inner.clone(),
            reads: AtomicUsize::new(0),
            writes: AtomicUsize::new(0),
        })
    }

    fn counts(&self) -> (usize, usize) {
        (
            self.reads.load(Ordering::SeqCst),
            self.writes.load(Ordering::SeqCst),
        )
    }
}

#[async_trait]
impl DnsProvider for Counting {
    fn provider_name(&self) -> &str {
        self.inner.provider_name()
    }
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    async fn list_zones(&self) -> Result<Vec<Zone>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.list_zones().await
    }
    async fn find_zone(&self, name: &Name) -> Result<Zone> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.find_zone(name).await
    }
    async fn list_record_sets(&self, zone: &Zone) -> Result<Vec<RecordSet>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.list_record_sets(zone).await
    }
    async fn get_record_set(
        &self,
        zone: &Zone,
        name: &Name,
        rtype: RecordType,
    ) -> Result<Option<RecordSet>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.get_record_set(zone, name, rtype).await
    }
    async fn apply_validated(&self, zone: &Zone, changes: &[Change]) -> Result<ApplyReport> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.apply_validated(zone, changes).await
    }
    fn validate(&self, zone: &Zone, changes: &[Change]) -> Result<()> {
        self.inner.validate(zone, changes)
    }
}

/// A TCP service on 127.0.0.1: alive while held, crashed once dropped.
struct Listener(TcpListener);

impl Listener {
    async fn open() -> Self {
        Self(
            TcpListener::bind("127.0.0.1:0")
                .await
                .expect("binding 127.0.0.1:0"),
        )
    }

    fn port(&self) -> u16 {
        self.0.local_addr().expect("local address").port()
    }
}

fn ttl(p: &dyn DnsProvider) -> u32 {
    (*p.capabilities().ttl_range.start()).max(60)
}

fn name(under: &Name, relative: &str) -> Name {
    Name::parse_relative(relative, under).expect("valid test name")
}

fn loopback() -> IpAddr {
    IpAddr::V4(Ipv4Addr::LOCALHOST)
}

/// `label` of `_svc._tcp` under `under`, with one target `host:port` at
/// 127.0.0.1.
fn web(p: &dyn DnsProvider, under: &Name, label: &str, host: &str, port: u16) -> ServiceInstance {
    ServiceInstance::new(label, "_svc._tcp".parse().expect("type"), under.clone())
        .expect("instance")
        .with_ttl(ttl(p))
        .with_txt(TxtProperties::new().with("v", "1").expect("txt"))
        .with_target(Target::new(name(under, host), port).with_address(loopback()))
}

fn service(under: &Name) -> Name {
    name(under, "_svc._tcp")
}

/// A reaper on `p` for `_svc._tcp` under `under`: two probes 30 ms apart,
/// each at most 1 s.
fn reaper(p: &Arc<dyn DnsProvider>, zone: &Zone, under: &Name) -> Reaper {
    Reaper::new(ServiceRegistry::new(p.clone()).with_zone(zone.clone()))
        .with_service(service(under))
        .with_failures(2)
        .with_interval(Duration::from_millis(30))
        .with_timeout(Duration::from_secs(1))
}

async fn register(p: &Arc<dyn DnsProvider>, instance: &ServiceInstance) {
    ServiceRegistry::new(p.clone())
        .register(instance)
        .await
        .unwrap_or_else(|e| panic!("registering {}: {e}", instance.name()));
}

/// 50 targets (25 instances of two hosts each, plus a dead target of a
/// service not named) with 10 killed: exactly those 10 go, with the
/// instances and host addresses that were only theirs; every other set is
/// as it was, value for value.
pub async fn exactly_the_dead_targets_go(p: &Arc<dyn DnsProvider>, zone: &Zone) {
    let under = scratch(zone, "reap50");
    let mut listeners = Vec::new();
    let mut instances = Vec::new();
    for i in 0..50 {
        let listener = Listener::open().await;
        let label = format!("i{}", i / 2);
        let instance = web(&**p, &under, &label, &format!("h{i}"), listener.port());
        register(p, &instance).await;
        listeners.push(Some(listener));
        instances.push(instance);
    }
    // Another service, dead, sharing host h1: neither it nor h1's address
    // may go.
    let other = ServiceInstance::new("x", "_other._tcp".parse().expect("type"), under.clone())
        .expect("instance")
        .with_ttl(ttl(&**p))
        .with_target(Target::new(name(&under, "h1"), 9).with_address(loopback()));
    register(p, &other).await;
    let before = snapshot(&**p, zone, &under).await;
    // Both targets of i0 and i1 (h0..h3), and one of each of i5..i10.
    let killed: Vec<usize> = vec![0, 1, 2, 3, 10, 12, 14, 16, 18, 20];
    for i in &killed {
        listeners[*i] = None;
    }
    let report = reaper(p, zone, &under).pass().await.expect("a pass");
    let service_report = &report.services[0];
    assert_eq!(service_report.checked, 50);
    assert_eq!(service_report.refused, None, "10 of 50 is within 50%");
    let mut removed: Vec<String> = service_report
        .removed
        .iter()
        .map(|r| r.srv.target.to_string())
        .collect();
    removed.sort();
    let mut expected_removed: Vec<String> = killed
        .iter()
        .map(|i| name(&under, &format!("h{i}")).to_string())
        .collect();
    expected_removed.sort();
    assert_eq!(removed, expected_removed, "exactly the killed targets go");

    // The zone expected: each killed target's SRV value gone; its host's
    // A set gone unless another SRV points at it (h1: _other._tcp); i0
    // and i1 (both targets killed) gone entirely.
    let mut expected = before.clone();
    for i in &killed {
        let instance = &instances[*i];
        let srv_key = (instance.name().clone(), RecordType::SRV);
        let value = instance.records().srv.expect("srv").values()[0].to_string();
        if let Some(values) = expected.get_mut(&srv_key) {
            values.remove(&value);
            if values.is_empty() {
                expected.remove(&srv_key);
                expected.remove(&(instance.name().clone(), RecordType::TXT));
                let ptr = (instance.service_name().clone(), RecordType::PTR);
                if let Some(ptrs) = expected.get_mut(&ptr) {
                    ptrs.remove(&instance.name().to_string());
                }
            }
        }
        if *i != 1 {
            expected.remove(&(name(&under, &format!("h{i}")), RecordType::A));
        }
    }
    let after = snapshot(&**p, zone, &under).await;
    assert_eq!(after, expected, "{}: only the dead went", p.provider_name());
    drop(listeners);
    clean(&**p, zone, &under).await;
}

/// A pass over healthy services reads each zone once and writes nothing.
pub async fn a_healthy_pass_sends_no_write(p: &Arc<dyn DnsProvider>, zone: &Zone) {
    let under = scratch(zone, "healthy");
    let mut listeners = Vec::new();
    for i in 0..5 {
        let listener = Listener::open().await;
        register(
            p,
            &web(&**p, &under, "web", &format!("h{i}"), listener.port()),
        )
        .await;
        listeners.push(listener);
    }
    let counting = Counting::wrap(p);
    let as_dyn: Arc<dyn DnsProvider> = counting.clone();
    let report = reaper(&as_dyn, zone, &under).pass().await.expect("a pass");
    assert_eq!(report.services[0].checked, 5);
    assert_eq!(report.removed(), 0);
    assert_eq!(
        counting.counts(),
        (1, 0),
        "{}: a healthy pass is one listing and no write",
        p.provider_name()
    );
    assert_eq!(report.requests, 1);
    drop(listeners);
    clean(&**p, zone, &under).await;
}

/// When every probe fails (the reaper's network is down), the pass
/// removes nothing and says why.
pub async fn all_dead_is_refused_and_changes_nothing(p: &Arc<dyn DnsProvider>, zone: &Zone) {
    let under = scratch(zone, "netdown");
    for i in 0..4 {
        let port = Listener::open().await.port();
        register(p, &web(&**p, &under, "web", &format!("h{i}"), port)).await;
    }
    let before = snapshot(&**p, zone, &under).await;
    let counting = Counting::wrap(p);
    let as_dyn: Arc<dyn DnsProvider> = counting.clone();
    let report = reaper(&as_dyn, zone, &under).pass().await.expect("a pass");
    let refused = report.services[0].refused.clone();
    assert_eq!(
        refused,
        Some(Refusal::TooMany {
            dead: 4,
            checked: 4,
            limit: 2
        })
    );
    assert_eq!(report.removed(), 0);
    assert_eq!(counting.counts().1, 0, "a refused pass writes nothing");
    assert_eq!(snapshot(&**p, zone, &under).await, before);
    clean(&**p, zone, &under).await;
}

/// A service's last target stays unless allowed; when allowed it goes
/// with its instance's TXT and PTR, its host's address and the type's
/// enumeration PTR.
pub async fn the_last_target_goes_only_when_allowed(p: &Arc<dyn DnsProvider>, zone: &Zone) {
    let under = scratch(zone, "last");
    let port = Listener::open().await.port();
    register(p, &web(&**p, &under, "web", "h0", port)).await;
    let before = snapshot(&**p, zone, &under).await;
    let report = reaper(p, zone, &under).pass().await.expect("a pass");
    assert_eq!(
        report.services[0].refused,
        Some(Refusal::LastTarget {
            dead: 1,
            checked: 1
        })
    );
    assert_eq!(snapshot(&**p, zone, &under).await, before);
    let report = reaper(p, zone, &under)
        .with_allow_empty(true)
        .pass()
        .await
        .expect("a pass");
    assert_eq!(report.services[0].removed.len(), 1);
    assert!(report.services[0].removed[0].instance_removed);
    let left = snapshot(&**p, zone, &under).await;
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// Fails the first probe of every endpoint, then passes: an instance that
/// comes back between two probes.
#[derive(Debug, Default)]
struct Flaky(std::sync::Mutex<BTreeSet<String>>);

#[async_trait]
impl HealthCheck for Flaky {
    async fn check(&self, endpoint: &Endpoint) -> std::result::Result<(), String> {
        let first = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(endpoint.to_string());
        if first { Err("down".into()) } else { Ok(()) }
    }
}

/// Starts the racing write.
type Starter = Box<dyn FnOnce() -> tokio::task::JoinHandle<()> + Send>;

/// Fails every probe of `host` (other hosts get the TCP probe); on the
/// first one it starts a write racing the pass, and with `wait` lets it
/// finish before the probe returns.
struct Hook {
    host: Name,
    wait: bool,
    running: tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    start: std::sync::Mutex<Option<Starter>>,
}

impl std::fmt::Debug for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hook")
    }
}

impl Hook {
    fn new(
        host: Name,
        wait: bool,
        start: impl FnOnce() -> tokio::task::JoinHandle<()> + Send + 'static,
    ) -> Self {
        Self {
            host,
            wait,
            running: tokio::sync::Mutex::new(None),
            start: std::sync::Mutex::new(Some(Box::new(start))),
        }
    }

    async fn finish(&self) {
        if let Some(handle) = self.running.lock().await.take() {
            handle.await.expect("the racing write");
        }
    }
}

#[async_trait]
impl HealthCheck for Hook {
    async fn check(&self, endpoint: &Endpoint) -> std::result::Result<(), String> {
        if endpoint.host != self.host {
            return Check::Tcp.probe(endpoint, Duration::from_secs(1)).await;
        }
        let start = self.start.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(start) = start {
            *self.running.lock().await = Some(start());
            if self.wait {
                self.finish().await;
            }
        }
        Err("down".into())
    }
}

/// A target that answers again on a later probe stays; a dead target
/// whose SRV value changed during the pass (re-registered with another
/// weight) stays too.
pub async fn a_target_that_comes_back_or_changed_is_kept(p: &Arc<dyn DnsProvider>, zone: &Zone) {
    let under = scratch(zone, "comeback");
    let live = Listener::open().await;
    register(p, &web(&**p, &under, "web", "h0", live.port())).await;
    let dead = web(&**p, &under, "web", "h1", Listener::open().await.port());
    register(p, &dead).await;
    let report = reaper(p, zone, &under)
        .with_check(Check::custom(Flaky::default()))
        .pass()
        .await
        .expect("a pass");
    assert_eq!(report.services[0].dead, 0, "one success keeps a target");

    // h1 re-registers with weight 7 while the reaper probes it.
    let mut moved_target = dead.targets()[0].clone();
    moved_target.weight = 7;
    let moved = web(&**p, &under, "web", "h1", moved_target.port).with_target(moved_target);
    let (provider, again) = (p.clone(), moved.clone());
    let hook = Arc::new(Hook::new(name(&under, "h1"), true, move || {
        tokio::spawn(async move { register(&provider, &again).await })
    }));
    let report = reaper(p, zone, &under)
        .with_check(Check::Custom(hook.clone()))
        .pass()
        .await
        .expect("a pass");
    let service_report = &report.services[0];
    assert_eq!(service_report.dead, 1, "{service_report:?}");
    assert!(service_report.removed.is_empty(), "{service_report:?}");
    assert_eq!(service_report.changed.len(), 1, "{service_report:?}");
    let srv = p
        .get_record_set(zone, dead.name(), RecordType::SRV)
        .await
        .expect("read");
    let moved_value = moved.records().srv.expect("srv").values()[0].clone();
    assert!(
        srv.as_ref().is_some_and(|s| s.contains(&moved_value)),
        "{}: the re-registered target went: {srv:?}",
        p.provider_name()
    );
    drop(live);
    clean(&**p, zone, &under).await;
}

/// A new target registered into a dead target's instance while the
/// reaper removes it survives whole: its SRV value, the instance's TXT and
/// PTR, and its address.
pub async fn a_registration_racing_the_pass_is_never_lost(p: &Arc<dyn DnsProvider>, zone: &Zone) {
    let under = scratch(zone, "race");
    let live = Listener::open().await;
    let keep = Listener::open().await;
    register(p, &web(&**p, &under, "other", "h9", keep.port())).await;
    let dead = web(&**p, &under, "web", "h0", Listener::open().await.port());
    register(p, &dead).await;
    let joiner = web(&**p, &under, "web", "h1", live.port());
    let (provider, joining) = (p.clone(), joiner.clone());
    // The joiner starts on the dead target's last failing probe, racing
    // the removal that follows.
    let hook = Arc::new(Hook::new(name(&under, "h0"), false, move || {
        tokio::spawn(async move { register(&provider, &joining).await })
    }));
    let report = reaper(p, zone, &under)
        .with_check(Check::Custom(hook.clone()))
        .with_failures(1)
        .with_max_remove_percent(100)
        .pass()
        .await
        .expect("a pass");
    hook.finish().await;
    assert!(report.services[0].refused.is_none(), "{report:?}");
    let now = snapshot(&**p, zone, &under).await;
    let records = joiner.records();
    for set in records.all() {
        let values = now
            .get(&(set.name().clone(), set.record_type()))
            .unwrap_or_else(|| {
                panic!(
                    "{}: {} {} lost",
                    p.provider_name(),
                    set.name(),
                    set.record_type()
                )
            });
        for v in set.values() {
            assert!(
                values.contains(&v.to_string()),
                "{}: {v} lost from {}",
                p.provider_name(),
                set.name()
            );
        }
    }
    drop((live, keep));
    clean(&**p, zone, &under).await;
}

/// A dry run reports what it would remove and writes nothing.
pub async fn dry_run_changes_nothing(p: &Arc<dyn DnsProvider>, zone: &Zone) {
    let under = scratch(zone, "dry");
    let live = Listener::open().await;
    register(p, &web(&**p, &under, "web", "h0", live.port())).await;
    let dead = web(&**p, &under, "web", "h1", Listener::open().await.port());
    register(p, &dead).await;
    let before = snapshot(&**p, zone, &under).await;
    let counting = Counting::wrap(p);
    let as_dyn: Arc<dyn DnsProvider> = counting.clone();
    let report = reaper(&as_dyn, zone, &under)
        .with_dry_run(true)
        .pass()
        .await
        .expect("a pass");
    let service_report = &report.services[0];
    assert!(service_report.dry_run);
    assert_eq!(service_report.removed.len(), 1);
    assert_eq!(service_report.removed[0].srv.target, name(&under, "h1"));
    assert_eq!(counting.counts().1, 0, "a dry run writes nothing");
    assert_eq!(snapshot(&**p, zone, &under).await, before);
    drop(live);
    clean(&**p, zone, &under).await;
}

/// A refresh of an intact registration reads and writes nothing; after
/// its SRV set and address were deleted by hand, a refresh puts the
/// registration back exactly as it was.
pub async fn refresh_restores_what_went_and_writes_nothing_while_intact(
    p: &Arc<dyn DnsProvider>,
    zone: &Zone,
) {
    let under = scratch(zone, "refresh");
    let instance = web(&**p, &under, "web", "h0", 8080);
    register(p, &instance).await;
    let before = snapshot(&**p, zone, &under).await;
    let counting = Counting::wrap(p);
    let as_dyn: Arc<dyn DnsProvider> = counting.clone();
    let registry = ServiceRegistry::new(as_dyn).with_zone(zone.clone());
    let report = registry.refresh(&instance).await.expect("refresh");
    assert!(report.restored.is_empty());
    assert_eq!(counting.counts().1, 0, "an intact refresh writes nothing");

    let host = instance.targets()[0].host.clone();
    p.delete(zone, instance.name().clone(), RecordType::SRV)
        .await
        .expect("deleting the SRV set by hand");
    p.delete(zone, host.clone(), RecordType::A)
        .await
        .expect("deleting the address by hand");
    let report = registry.refresh(&instance).await.expect("refresh");
    let restored: BTreeSet<(Name, RecordType)> = report.restored.into_iter().collect();
    assert_eq!(
        restored,
        BTreeSet::from([
            (instance.name().clone(), RecordType::SRV),
            (host, RecordType::A)
        ])
    );
    let after: Snapshot = snapshot(&**p, zone, &under).await;
    assert_eq!(
        after,
        before,
        "{}: the registration is back as it was",
        p.provider_name()
    );
    let writes = counting.counts().1;
    registry.refresh(&instance).await.expect("refresh");
    assert_eq!(counting.counts().1, writes, "intact again: no write");
    clean(&**p, zone, &under).await;
}
