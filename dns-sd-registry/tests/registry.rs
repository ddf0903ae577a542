//! Registry behaviour that does not depend on the provider: request counts,
//! the zone cache, the one retry layer, bad input, re-registration.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use dns_core::{
    ApplyReport, Capabilities, Change, DnsProvider, Error, InMemoryProvider, Name, RecordSet,
    RecordType, ServiceInstance, Target, TxtProperties, Zone,
};
use dns_sd_registry::{ServiceRegistry, TxtPolicy};

fn n(s: &str) -> Name {
    Name::parse(s).expect("name")
}

fn web(host: &str, ip: &str) -> ServiceInstance {
    ServiceInstance::new("web", "_http._tcp".parse().expect("type"), n("example.com"))
        .expect("instance")
        .with_target(Target::new(n(host), 80).with_address(ip.parse().expect("ip")))
        .with_txt(TxtProperties::new().with("v", "1").expect("txt"))
}

fn memory() -> (InMemoryProvider, Zone) {
    let memory = InMemoryProvider::new();
    let zone = memory.create_zone(n("example.com")).expect("zone");
    (memory, zone)
}

/// Counts zone lookups, and fails every other call with a retryable error
/// when told to.
#[derive(Debug)]
struct Counting {
    inner: InMemoryProvider,
    lookups: AtomicUsize,
    calls: AtomicUsize,
    writes: AtomicUsize,
    listings: AtomicUsize,
    failing: bool,
    failing_writes: bool,
    /// Every write fails its precondition, as if another writer always
    /// got there first.
    stale_writes: bool,
}

impl Counting {
    fn new(inner: InMemoryProvider, failing: bool) -> Self {
        Self {
            inner,
            lookups: AtomicUsize::new(0),
            calls: AtomicUsize::new(0),
            writes: AtomicUsize::new(0),
            listings: AtomicUsize::new(0),
            failing,
            failing_writes: false,
            stale_writes: false,
        }
    }

    fn call(&self) -> dns_core::Result<()> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.fail(self.failing)
    }

    fn fail(&self, failing: bool) -> dns_core::Result<()> {
        if failing {
            return Err(Error::Transport {
                provider: "counting".into(),
                message: "connection reset (injected)".into(),
                source: None,
            });
        }
        Ok(())
    }
}

#[async_trait]
impl DnsProvider for Counting {
    fn provider_name(&self) -> &str {
        "counting"
    }
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    async fn list_zones(&self) -> dns_core::Result<Vec<Zone>> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        self.call()?;
        self.inner.list_zones().await
    }
    async fn find_zone(&self, name: &Name) -> dns_core::Result<Zone> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        self.call()?;
        self.inner.find_zone(name).await
    }
    async fn list_record_sets(&self, zone: &Zone) -> dns_core::Result<Vec<RecordSet>> {
        self.call()?;
        self.listings.fetch_add(1, Ordering::SeqCst);
        self.inner.list_record_sets(zone).await
    }
    async fn get_record_set(
        &self,
        zone: &Zone,
        name: &Name,
        rtype: RecordType,
    ) -> dns_core::Result<Option<RecordSet>> {
        self.call()?;
        self.inner.get_record_set(zone, name, rtype).await
    }
    async fn apply_validated(
        &self,
        zone: &Zone,
        changes: &[Change],
    ) -> dns_core::Result<ApplyReport> {
        self.call()?;
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.fail(self.failing_writes)?;
        if self.stale_writes {
            return Err(Error::PreconditionFailed {
                message: "changed meanwhile (injected)".into(),
            });
        }
        self.inner.apply_validated(zone, changes).await
    }
}

#[tokio::test]
async fn a_registration_is_a_lookup_a_read_and_one_atomic_batch() {
    let (memory, zone) = memory();
    let registry = ServiceRegistry::new(Arc::new(memory.clone()));
    let first = registry
        .register(&web("h1.example.com", "192.0.2.1"))
        .await
        .expect("register");
    assert_eq!((first.requests, first.atomic), (3, true));
    assert_eq!(
        memory.list_record_sets(&zone).await.expect("list").len(),
        2 + 5
    );
    // The zone is cached now: the next registration in it looks nothing up.
    let second = registry
        .register(&web("h2.example.com", "192.0.2.2"))
        .await
        .expect("register");
    assert_eq!(second.requests, 2, "no second zone lookup");
}

#[tokio::test]
async fn a_known_zone_is_never_looked_up_and_the_cache_is_per_zone() {
    let (memory, zone) = memory();
    let counting = Arc::new(Counting::new(memory, false));
    let pinned = ServiceRegistry::new(counting.clone()).with_zone(zone.clone());
    pinned
        .register(&web("h1.example.com", "192.0.2.1"))
        .await
        .expect("register");
    pinned
        .join_round_robin(
            &n("www.example.com"),
            &["192.0.2.9".parse().expect("ip")],
            60,
        )
        .await
        .expect("round robin");
    pinned
        .deregister(&web("h1.example.com", "192.0.2.1"))
        .await
        .expect("deregister");
    assert_eq!(counting.lookups.load(Ordering::SeqCst), 0);

    let cached = ServiceRegistry::new(counting.clone());
    cached
        .register(&web("h1.example.com", "192.0.2.1"))
        .await
        .expect("register");
    // Other names in the same zone: the instance, the host, a round-robin name.
    cached
        .join_round_robin(
            &n("www.example.com"),
            &["192.0.2.9".parse().expect("ip")],
            60,
        )
        .await
        .expect("round robin");
    cached
        .deregister(&web("h1.example.com", "192.0.2.1"))
        .await
        .expect("deregister");
    assert_eq!(
        counting.lookups.load(Ordering::SeqCst),
        1,
        "one lookup per zone"
    );
}

#[tokio::test]
async fn the_registry_never_retries_a_failed_provider_call() {
    let (memory, zone) = memory();
    let failing = Arc::new(Counting::new(memory, true));
    let registry = ServiceRegistry::new(failing.clone()).with_zone(zone);
    let err = registry
        .register(&web("h1.example.com", "192.0.2.1"))
        .await
        .expect_err("the provider fails");
    assert!(
        err.is_retryable(),
        "the error stays retryable for the caller: {err}"
    );
    assert_eq!(
        failing.calls.load(Ordering::SeqCst),
        1,
        "one call, no retry layer"
    );
    let err = registry
        .deregister(&web("h1.example.com", "192.0.2.1"))
        .await
        .expect_err("the provider fails");
    assert!(matches!(err, Error::Transport { .. }));
    assert_eq!(failing.calls.load(Ordering::SeqCst), 2);

    // Reads work, writes fail: still exactly one write per call.
    let store = InMemoryProvider::new();
    let zone = store.create_zone(n("example.com")).expect("zone");
    let mut writes_fail = Counting::new(store, false);
    writes_fail.failing_writes = true;
    let writes_fail = Arc::new(writes_fail);
    let registry = ServiceRegistry::new(writes_fail.clone()).with_zone(zone);
    let err = registry
        .register(&web("h1.example.com", "192.0.2.1"))
        .await
        .expect_err("the write fails");
    assert!(err.is_retryable(), "{err}");
    assert_eq!(
        writes_fail.writes.load(Ordering::SeqCst),
        1,
        "one write, no retry"
    );
    registry
        .deregister(&web("h1.example.com", "192.0.2.1"))
        .await
        .expect_err("the write fails");
    assert_eq!(
        writes_fail.writes.load(Ordering::SeqCst),
        2,
        "one write, no retry"
    );
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let (memory, _) = memory();
    let strict = InMemoryProvider::with_capabilities(
        Capabilities::default()
            .with_ttl_range(60..=86_400)
            .with_raw_labels(false),
    );
    strict.create_zone(n("example.com")).expect("zone");
    for provider in [memory, strict.clone()] {
        let registry = ServiceRegistry::new(Arc::new(provider.clone()));
        let before = provider.requests();
        let bare = ServiceInstance::new("x", "_http._tcp".parse().expect("type"), n("example.com"))
            .expect("instance");
        assert!(matches!(
            registry.register(&bare).await,
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            registry
                .join_round_robin(&n("www.example.com"), &[], 60)
                .await,
            Err(Error::InvalidInput(_))
        ));
        assert_eq!(provider.requests(), before, "{}", provider.provider_name());
    }
    let registry = ServiceRegistry::new(Arc::new(strict.clone()));
    let spaced = ServiceInstance::new(
        "my web",
        "_http._tcp".parse().expect("type"),
        n("example.com"),
    )
    .expect("instance")
    .with_target(Target::new(n("h1.example.com"), 80));
    assert!(matches!(
        registry.register(&spaced).await,
        Err(Error::Unsupported { .. })
    ));
    let short_ttl = web("h1.example.com", "192.0.2.1").with_ttl(5);
    assert!(matches!(
        registry.register(&short_ttl).await,
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        registry
            .join_round_robin(
                &n("www.example.com"),
                &["192.0.2.1".parse().expect("ip")],
                5
            )
            .await,
        Err(Error::InvalidInput(_))
    ));
    assert_eq!(strict.requests(), 0, "nothing may be sent for bad input");
}

#[tokio::test]
async fn re_registering_with_a_new_weight_replaces_the_old_value() {
    let (memory, zone) = memory();
    let registry = ServiceRegistry::new(Arc::new(memory.clone()));
    let weighted = |w| {
        let base = web("h1.example.com", "192.0.2.1");
        let target = base.targets()[0].clone().with_weight(w);
        ServiceInstance::new("web", "_http._tcp".parse().expect("type"), n("example.com"))
            .expect("instance")
            .with_target(target)
    };
    registry.register(&weighted(10)).await.expect("register");
    registry.register(&weighted(20)).await.expect("register");
    let srv = memory
        .lookup(&zone.name, weighted(20).name(), RecordType::SRV)
        .expect("srv");
    assert_eq!(srv.len(), 1, "old weight left behind: {srv}");
    // Leaving with a stale configuration still removes this (host, port).
    let left = registry
        .deregister(&weighted(10))
        .await
        .expect("deregister");
    assert!(left.instance_removed);
    assert_eq!(left.targets.len(), 1);
    assert_eq!(left.targets[0].weight, 20, "reported as published");
    assert_eq!(memory.list_record_sets(&zone).await.expect("list").len(), 2);
    // Idempotent: leaving again changes nothing and withdraws nothing.
    let again = registry
        .deregister(&weighted(10))
        .await
        .expect("deregister");
    assert!(again.targets.is_empty());
    assert_eq!(memory.list_record_sets(&zone).await.expect("list").len(), 2);
}

#[tokio::test]
async fn txt_policy_state_writes_even_an_empty_txt() {
    let (memory, zone) = memory();
    let registry = ServiceRegistry::new(Arc::new(memory.clone()));
    registry
        .register(&web("h1.example.com", "192.0.2.1"))
        .await
        .expect("register");
    let bare = ServiceInstance::new("web", "_http._tcp".parse().expect("type"), n("example.com"))
        .expect("instance")
        .with_target(Target::new(n("h2.example.com"), 80));
    let kept = registry.register(&bare).await.expect("register");
    assert!(kept.txt_kept);
    let stated = registry
        .register_with(&bare, TxtPolicy::State)
        .await
        .expect("register");
    assert!(!stated.txt_kept);
    let txt = memory
        .lookup(&zone.name, bare.name(), RecordType::TXT)
        .expect("txt");
    assert_eq!(
        txt.to_string().trim_end(),
        format!("{} 120 IN TXT \"\"", bare.name())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_calls_on_one_registry_look_the_zone_up_once() {
    let (memory, _) = memory();
    let counting = Arc::new(Counting::new(
        memory.with_latency(std::time::Duration::from_millis(5)),
        false,
    ));
    let registry = Arc::new(ServiceRegistry::new(counting.clone()));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 1..=8u8 {
        let registry = registry.clone();
        tasks.spawn(async move {
            let host = format!("h{i}.example.com");
            let ip = format!("192.0.2.{i}");
            registry.register(&web(&host, &ip)).await.expect("register");
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("task");
    }
    assert_eq!(
        counting.lookups.load(Ordering::SeqCst),
        1,
        "one lookup for eight calls"
    );
}

#[tokio::test]
async fn a_ttl_above_rfc_2181_is_refused_not_capped() {
    let (memory, zone) = memory();
    let registry = ServiceRegistry::new(Arc::new(memory.clone())).with_zone(zone.clone());
    let too_long = web("h1.example.com", "192.0.2.1").with_ttl(dns_core::MAX_TTL + 1);
    assert_eq!(too_long.ttl(), dns_core::MAX_TTL + 1, "kept as given");
    for e in [
        registry.check(&too_long).expect_err("check"),
        registry.register(&too_long).await.expect_err("register"),
        registry
            .join_round_robin(
                &n("www.example.com"),
                &["192.0.2.1".parse().expect("ip")],
                u32::MAX,
            )
            .await
            .expect_err("round robin"),
    ] {
        assert!(e.to_string().contains("2147483647"), "{e}");
    }
    let sets = memory.list_record_sets(&zone).await.expect("list");
    assert_eq!(sets.len(), 2, "nothing but SOA and NS: {sets:?}");
    registry
        .register(&web("h1.example.com", "192.0.2.1").with_ttl(dns_core::MAX_TTL))
        .await
        .expect("the largest TTL is fine");
}

#[tokio::test]
async fn addresses_no_client_can_reach_are_refused_unless_allowed() {
    let (memory, zone) = memory();
    let registry = ServiceRegistry::new(Arc::new(memory.clone())).with_zone(zone.clone());
    for ip in [
        "0.0.0.0",
        "::",
        "255.255.255.255",
        "224.0.0.251",
        "ff02::fb",
        "::ffff:0.0.0.0",
    ] {
        let e = registry
            .register(&web("h1.example.com", ip))
            .await
            .expect_err(ip);
        assert!(matches!(e, Error::InvalidInput(_)), "{ip}: {e}");
        assert!(e.to_string().contains("no client can connect"), "{ip}: {e}");
        let e = registry
            .join_round_robin(&n("www.example.com"), &[ip.parse().expect("ip")], 60)
            .await
            .expect_err(ip);
        assert!(matches!(e, Error::InvalidInput(_)), "{ip}: {e}");
    }
    assert_eq!(memory.list_record_sets(&zone).await.expect("list").len(), 2);
    let any = ServiceRegistry::new(Arc::new(memory.clone()))
        .with_zone(zone.clone())
        .with_any_address(true);
    any.register(&web("h1.example.com", "0.0.0.0"))
        .await
        .expect("allowed explicitly");
    registry
        .register(&web("h2.example.com", "127.0.0.1"))
        .await
        .expect("loopback is a real address");
}

#[tokio::test]
async fn an_ip_address_is_never_a_target_name() {
    let (memory, zone) = memory();
    let registry = ServiceRegistry::new(Arc::new(memory.clone())).with_zone(zone.clone());
    let e = registry
        .register(&web("192.0.2.1", "192.0.2.1"))
        .await
        .expect_err("IP as host");
    assert!(e.to_string().contains("IP address"), "{e}");
    let cname = RecordSet::new(
        n("www.example.com"),
        60,
        [dns_core::RData::CNAME(n("10.0.0.1"))],
    )
    .expect("set");
    let e = memory
        .apply(&zone, &[Change::Upsert(cname)])
        .await
        .expect_err("IP as CNAME target");
    assert!(matches!(e, Error::InvalidInput(_)), "{e}");
}

/// The report's request count is what the provider saw: every read,
/// listing and write (the in-memory provider counts each call).
#[tokio::test]
async fn the_reported_requests_are_the_calls_made() {
    let (memory, zone) = memory();
    let registry = ServiceRegistry::new(Arc::new(memory.clone())).with_zone(zone);
    for instance in [
        web("h1.example.com", "192.0.2.1"),
        web("h2.example.com", "192.0.2.2"),
    ] {
        let before = memory.requests();
        let joined = registry.register(&instance).await.expect("register");
        assert_eq!(
            joined.requests,
            memory.requests() - before,
            "join: {joined:?}"
        );
    }
    for (instance, last) in [
        (web("h1.example.com", "192.0.2.1"), false),
        (web("h2.example.com", "192.0.2.2"), true),
    ] {
        let before = memory.requests();
        let left = registry.deregister(&instance).await.expect("deregister");
        assert_eq!(left.instance_removed, last);
        assert!(
            left.requests >= 2,
            "a listing and a write at least: {left:?}"
        );
        assert_eq!(left.requests, memory.requests() - before, "leave: {left:?}");
    }
}

/// A writer that always loses the race gives up after exactly
/// `max_conflicts` re-plans, with a retryable `Conflict`.
#[tokio::test]
async fn a_conflict_that_never_ends_gives_up_after_the_limit() {
    let (memory, zone) = memory();
    let mut counting = Counting::new(memory, false);
    counting.stale_writes = true;
    let counting = Arc::new(counting);
    let registry = ServiceRegistry::new(counting.clone())
        .with_zone(zone)
        .with_max_conflicts(3);
    let err = registry
        .register(&web("h1.example.com", "192.0.2.1"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err}");
    assert!(err.is_retryable(), "{err}");
    assert!(
        err.to_string().contains("after 4 concurrent changes"),
        "{err}"
    );
    assert_eq!(
        counting.writes.load(Ordering::SeqCst),
        4,
        "the first try and 3 re-plans"
    );
}

/// Host records in another zone go to that zone in one batch; a provider
/// that is not atomic makes the report say so.
#[tokio::test]
async fn foreign_hosts_share_one_batch_and_atomicity_is_reported() {
    let memory =
        InMemoryProvider::with_capabilities(Capabilities::default().with_atomic_batches(false));
    let zone = memory.create_zone(n("example.com")).expect("zone");
    memory.create_zone(n("hosts.test")).expect("zone");
    let counting = Arc::new(Counting::new(memory.clone(), false));
    let registry = ServiceRegistry::new(counting.clone()).with_zone(zone);
    let instance = web("a.hosts.test", "192.0.2.1").with_target(
        Target::new(n("b.hosts.test"), 80).with_address("192.0.2.2".parse().expect("ip")),
    );
    let joined = registry.register(&instance).await.expect("register");
    assert_eq!(
        counting.writes.load(Ordering::SeqCst),
        2,
        "one batch for hosts.test, one for example.com"
    );
    assert!(!joined.atomic, "the provider is not atomic: {joined:?}");
    for host in ["a.hosts.test", "b.hosts.test"] {
        assert!(
            memory
                .lookup(&n("hosts.test"), &n(host), RecordType::A)
                .is_some(),
            "{host}"
        );
    }
}

/// Runs `after` once, right after the first write went through (a leaver
/// that listed the zone before our SRV value landed, removing a host's
/// addresses between our two requests).
#[derive(Debug)]
struct AfterFirstWrite {
    inner: InMemoryProvider,
    after: std::sync::Mutex<Option<(Zone, Change)>>,
}

#[async_trait]
impl DnsProvider for AfterFirstWrite {
    fn provider_name(&self) -> &str {
        "after-first-write"
    }
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    async fn list_zones(&self) -> dns_core::Result<Vec<Zone>> {
        self.inner.list_zones().await
    }
    async fn list_record_sets(&self, zone: &Zone) -> dns_core::Result<Vec<RecordSet>> {
        self.inner.list_record_sets(zone).await
    }
    async fn apply_validated(
        &self,
        zone: &Zone,
        changes: &[Change],
    ) -> dns_core::Result<ApplyReport> {
        let report = self.inner.apply_validated(zone, changes).await?;
        let after = self.after.lock().expect("lock").take();
        if let Some((z, change)) = after {
            self.inner.apply(&z, &[change]).await?;
        }
        Ok(report)
    }
}

/// A host in another zone is written in a request of its own before the
/// SRV value; a leaver removing its addresses in between (it saw no SRV
/// pointing at the host yet) must not leave the new target without them.
#[tokio::test]
async fn addresses_removed_between_the_two_requests_are_put_back() {
    let memory = InMemoryProvider::new();
    let zone = memory.create_zone(n("example.com")).expect("zone");
    let hosts = memory.create_zone(n("hosts.test")).expect("zone");
    let racing = AfterFirstWrite {
        inner: memory.clone(),
        after: std::sync::Mutex::new(Some((
            hosts,
            Change::Delete {
                name: n("a.hosts.test"),
                rtype: RecordType::A,
            },
        ))),
    };
    let registry = ServiceRegistry::new(Arc::new(racing)).with_zone(zone);
    registry
        .register(&web("a.hosts.test", "192.0.2.1"))
        .await
        .expect("register");
    assert!(
        memory
            .lookup(&n("hosts.test"), &n("a.hosts.test"), RecordType::A)
            .is_some(),
        "the host's addresses were not put back"
    );
}

/// Without preconditions, a new instance without TXT adds the empty TXT in
/// its one batch and, finding it alone, writes nothing more.
#[tokio::test]
async fn a_lone_keeper_writes_once() {
    let memory =
        InMemoryProvider::with_capabilities(Capabilities::default().with_preconditions(false));
    let zone = memory.create_zone(n("example.com")).expect("zone");
    let counting = Arc::new(Counting::new(memory, false));
    let registry = ServiceRegistry::new(counting.clone()).with_zone(zone);
    let bare = ServiceInstance::new("web", "_http._tcp".parse().expect("type"), n("example.com"))
        .expect("instance")
        .with_target(
            Target::new(n("h1.example.com"), 80).with_address("192.0.2.1".parse().expect("ip")),
        );
    let joined = registry.register(&bare).await.expect("register");
    assert_eq!(counting.writes.load(Ordering::SeqCst), 1, "{joined:?}");
    assert!(!joined.txt_kept);
}

/// A host in another zone that a service of that zone also points at
/// keeps its addresses when this instance leaves.
#[tokio::test]
async fn a_host_still_used_in_its_own_zone_keeps_its_addresses() {
    let memory = InMemoryProvider::new();
    memory.create_zone(n("example.com")).expect("zone");
    memory.create_zone(n("hosts.test")).expect("zone");
    let registry = ServiceRegistry::new(Arc::new(memory.clone()));
    let here = web("h.hosts.test", "192.0.2.1");
    let there = ServiceInstance::new("db", "_pg._tcp".parse().expect("type"), n("hosts.test"))
        .expect("instance")
        .with_target(
            Target::new(n("h.hosts.test"), 5432).with_address("192.0.2.1".parse().expect("ip")),
        );
    registry.register(&here).await.expect("register here");
    registry.register(&there).await.expect("register there");
    let left = registry.deregister(&here).await.expect("deregister");
    assert!(left.instance_removed);
    assert!(
        memory
            .lookup(&n("hosts.test"), &n("h.hosts.test"), RecordType::A)
            .is_some(),
        "the host's address went while _pg._tcp.hosts.test points at it"
    );
    assert_eq!(left.kept_addresses.len(), 1, "{left:?}");
}

/// Targets published without addresses (hosts outside every zone) leave
/// completely: SRV value, PTR, TXT.
#[tokio::test]
async fn targets_without_addresses_leave_completely() {
    let (memory, zone) = memory();
    let registry = ServiceRegistry::new(Arc::new(memory.clone())).with_zone(zone.clone());
    let remote = ServiceInstance::new("web", "_http._tcp".parse().expect("type"), n("example.com"))
        .expect("instance")
        .with_target(Target::new(n("far.example.org"), 443))
        .with_txt(TxtProperties::new().with("v", "1").expect("txt"));
    registry.register(&remote).await.expect("register");
    assert!(
        memory
            .lookup(&zone.name, remote.name(), RecordType::SRV)
            .is_some()
    );
    let left = registry.deregister(&remote).await.expect("deregister");
    assert!(left.instance_removed, "{left:?}");
    assert_eq!(left.targets.len(), 1, "{left:?}");
    for rtype in [RecordType::SRV, RecordType::TXT] {
        assert!(
            memory.lookup(&zone.name, remote.name(), rtype).is_none(),
            "{rtype}"
        );
    }
    assert!(
        memory
            .lookup(&zone.name, remote.service_name(), RecordType::PTR)
            .is_none()
    );
}

/// What each kind of leave costs, in provider calls, with and without
/// preconditions: a change that adds or drops a read, a listing or a write
/// on one of these paths shows up here.
#[tokio::test]
async fn each_kind_of_leave_costs_what_it_should() {
    let shared = |port| {
        ServiceInstance::new("ssh", "_ssh._tcp".parse().expect("type"), n("example.com"))
            .expect("instance")
            .with_target(
                Target::new(n("h1.example.com"), port)
                    .with_address("192.0.2.1".parse().expect("ip")),
            )
    };
    let bare = ServiceInstance::new("far", "_http._tcp".parse().expect("type"), n("example.com"))
        .expect("instance")
        .with_target(Target::new(n("far.example.org"), 443));
    let mut seen = Vec::new();
    for guarded in [true, false] {
        for case in [
            "last target",
            "shared host kept",
            "no addresses",
            "one of two",
        ] {
            let memory = InMemoryProvider::with_capabilities(
                Capabilities::default().with_preconditions(guarded),
            );
            let zone = memory.create_zone(n("example.com")).expect("zone");
            let counting = Arc::new(Counting::new(memory.clone(), false));
            let registry = ServiceRegistry::new(counting.clone()).with_zone(zone);
            let leaving = match case {
                "no addresses" => bare.clone(),
                _ => web("h1.example.com", "192.0.2.1"),
            };
            registry.register(&leaving).await.expect("register");
            match case {
                "shared host kept" => {
                    registry.register(&shared(22)).await.expect("register");
                }
                "one of two" => {
                    registry
                        .register(&web("h2.example.com", "192.0.2.2"))
                        .await
                        .expect("register");
                }
                _ => {}
            }
            let before = memory.requests();
            let listings = counting.listings.load(Ordering::SeqCst);
            registry.deregister(&leaving).await.expect("deregister");
            seen.push((
                guarded,
                case,
                memory.requests() - before,
                counting.listings.load(Ordering::SeqCst) - listings,
            ));
        }
    }
    // (guarded, case, calls, of which zone listings.) Without
    // preconditions a last leave reads again after its write (to repair
    // what a racing join needs), and one without addresses reads the TXT it
    // may have to put back: one or two calls more. A listing is the
    // expensive call (pages of a whole zone): a leave lists only to see
    // who else uses a host whose addresses it removes or keeps, and for an
    // unguarded last leave's repair.
    assert_eq!(
        seen,
        [
            (true, "last target", 5, 2),
            (true, "shared host kept", 5, 1),
            (true, "no addresses", 5, 0),
            (true, "one of two", 3, 2),
            (false, "last target", 6, 2),
            (false, "shared host kept", 6, 2),
            (false, "no addresses", 7, 1),
            (false, "one of two", 3, 2),
        ]
    );
}

/// A conditional leave (the reaper's) removes a target only as it was
/// seen: a host whose address changed, or lost its address records,
/// since then is kept, with and without preconditions.
#[tokio::test]
async fn a_conditional_leave_keeps_a_host_that_changed() {
    for guarded in [true, false] {
        let memory = InMemoryProvider::with_capabilities(
            Capabilities::default().with_preconditions(guarded),
        );
        let zone = memory.create_zone(n("example.com")).expect("zone");
        let registry = ServiceRegistry::new(Arc::new(memory.clone())).with_zone(zone.clone());
        let seen = web("h1.example.com", "192.0.2.1");
        let ttl = seen.records().srv.as_ref().expect("srv").ttl();
        let a = |ip: &str| {
            RecordSet::new(
                n("h1.example.com"),
                ttl,
                [dns_core::RData::A(ip.parse().expect("ip"))],
            )
            .expect("set")
        };

        registry.register(&seen).await.expect("register");
        memory
            .apply(&zone, &[Change::Upsert(a("192.0.2.9"))])
            .await
            .expect("the host moves");
        let left = registry
            .deregister_if_unchanged(&seen, ttl)
            .await
            .expect("leave");
        assert!(
            left.is_none(),
            "guarded {guarded}: a moved host was removed"
        );
        assert!(
            memory
                .lookup(&zone.name, seen.name(), RecordType::SRV)
                .is_some()
        );

        memory
            .apply(
                &zone,
                &[Change::Delete {
                    name: n("h1.example.com"),
                    rtype: RecordType::A,
                }],
            )
            .await
            .expect("the host loses its address");
        let left = registry
            .deregister_if_unchanged(&seen, ttl)
            .await
            .expect("leave");
        assert!(
            left.is_none(),
            "guarded {guarded}: a host without its address was removed"
        );

        memory
            .apply(&zone, &[Change::Upsert(a("192.0.2.1"))])
            .await
            .expect("back as seen");
        let left = registry
            .deregister_if_unchanged(&seen, ttl)
            .await
            .expect("leave");
        assert!(left.is_some(), "guarded {guarded}: as seen, it goes");
        assert!(
            memory
                .lookup(&zone.name, seen.name(), RecordType::SRV)
                .is_none()
        );
    }
}

/// Under a small request limit the subtype and address removals of a last
/// leave go in a second write; they still happen, on both paths.
#[tokio::test]
async fn removals_past_the_request_limit_are_sent_after() {
    for preconditions in [true, false] {
        let memory = InMemoryProvider::with_capabilities(
            Capabilities::default()
                .with_preconditions(preconditions)
                .with_max_records_per_request(Some(4)),
        );
        let zone = memory.create_zone(n("example.com")).expect("zone");
        let counting = Arc::new(Counting::new(memory.clone(), false));
        let registry = ServiceRegistry::new(counting.clone()).with_zone(zone.clone());
        let printer = web("p.example.com", "192.0.2.1")
            .with_subtype(dns_core::Label::new("_printer").expect("label"));
        registry.register(&printer).await.expect("register");
        let before = counting.writes.load(Ordering::SeqCst);
        let left = registry.deregister(&printer).await.expect("deregister");
        assert!(left.instance_removed, "{left:?}");
        assert_eq!(
            counting.writes.load(Ordering::SeqCst) - before,
            3,
            "preconditions {preconditions}: the leave, what did not fit, the type's enumeration"
        );
        let sets = memory.list_record_sets(&zone).await.expect("listing");
        assert_eq!(sets.len(), 2, "only SOA and NS remain: {sets:?}");
    }
}
