//! The tower adapter against dns-testkit's server: which endpoints a
//! balancer is given as instances join, change and leave, as priority
//! groups empty and come back, and while DNS fails.
#![cfg(feature = "tower")]
#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly too"
)]

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use dns_core::{
    InMemoryProvider, Name, RData, RecordSet, ServiceInstance, ServiceType, Srv, Target, Zone,
};
use dns_sd_client::{
    DnsSdClient, Endpoint, EndpointKey, EndpointOptions, EndpointStream, WatchOptions,
};
use dns_sd_registry::ServiceRegistry;
use dns_testkit::TestServer;
use futures::{FutureExt, StreamExt, TryStreamExt};
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng};
use tower::discover::Change;
use tower::{Service, ServiceExt};

use support::Logs;

fn name(s: &str) -> Name {
    Name::parse(s).unwrap()
}

fn grpc() -> ServiceType {
    "_grpc._tcp".parse().unwrap()
}

/// Short TTLs and a short minimum interval, so each change in the zone
/// reaches the stream within a second or so.
const TTL: u32 = 1;

struct Fixture {
    memory: InMemoryProvider,
    zone: Zone,
    domain: Name,
    server: Option<TestServer>,
    registry: ServiceRegistry,
}

impl Fixture {
    async fn new() -> Self {
        let memory = InMemoryProvider::new();
        let domain = name("example.com");
        let zone = memory.create_zone(domain.clone()).unwrap();
        let server = TestServer::start(memory.clone()).await.unwrap();
        let registry = ServiceRegistry::new(Arc::new(memory.clone()));
        Self {
            memory,
            zone,
            domain,
            server: Some(server),
            registry,
        }
    }

    fn endpoints(&self, max_copies: u16) -> EndpointStream {
        let server = self.server.as_ref().unwrap();
        let client = DnsSdClient::builder()
            .with_name_server(server.addr())
            .with_timeout(Duration::from_millis(300))
            .with_attempts(1)
            .build()
            .unwrap();
        let watch = WatchOptions::default().with_min_interval(Duration::from_millis(100));
        let options = EndpointOptions::default()
            .with_watch(watch)
            .with_weight_copies(max_copies);
        client
            .discover_endpoints(&grpc(), &self.domain, options)
            .unwrap()
    }

    fn instance(&self, label: &str, target: Target) -> ServiceInstance {
        ServiceInstance::new(label, grpc(), self.domain.clone())
            .unwrap()
            .with_target(target)
            .with_ttl(TTL)
    }

    /// Replaces a record set behind the registry's back: how a target's
    /// port or a host's addresses change in one step.
    fn set(&self, owner: &str, rdata: Vec<RData>) {
        let set = RecordSet::new(name(owner), TTL, rdata).unwrap();
        self.memory.insert_unchecked(&self.zone, set).unwrap();
    }
}

fn target(host: &str, port: u16, ip: &str) -> Target {
    Target::new(name(host), port).with_address(ip.parse().unwrap())
}

/// What a change says, in a form easy to compare.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Insert(String, u16, Vec<String>),
    Remove(String, u16),
}

fn seen(change: &Change<EndpointKey, Endpoint>) -> Seen {
    match change {
        Change::Insert(key, endpoint) => Seen::Insert(
            key.host().to_string(),
            key.port(),
            endpoint
                .socket_addrs()
                .map(|a| a.ip().to_string())
                .collect(),
        ),
        Change::Remove(key) => Seen::Remove(key.host().to_string(), key.port()),
    }
}

fn insert(host: &str, port: u16, ips: &[&str]) -> Seen {
    Seen::Insert(
        format!("{host}."),
        port,
        ips.iter().map(ToString::to_string).collect(),
    )
}

fn remove(host: &str, port: u16) -> Seen {
    Seen::Remove(format!("{host}."), port)
}

/// The changes of the next poll that changes anything: the first waited
/// for (the timeout only guards against a hang), the rest of the batch
/// taken while they are ready.
async fn batch(endpoints: &mut EndpointStream) -> Vec<Seen> {
    let first = tokio::time::timeout(Duration::from_secs(20), endpoints.next())
        .await
        .expect("a change within 20 s")
        .expect("the stream goes on")
        .unwrap();
    let mut changes = vec![seen(&first)];
    while let Some(Some(Ok(change))) = endpoints.next().now_or_never() {
        changes.push(seen(&change));
    }
    changes
}

#[tokio::test]
async fn only_the_best_live_priority_group_is_inserted_and_falls_back() {
    let f = Fixture::new().await;
    // Priority 0 but no address: nothing a client could connect to.
    let dead = f.instance("dead", Target::new(name("dead.example.com"), 1));
    let primary = f.instance(
        "primary",
        target("p.example.com", 10, "192.0.2.1").with_priority(1),
    );
    let backup = f.instance(
        "backup",
        target("b.example.com", 20, "192.0.2.2").with_priority(2),
    );
    for i in [&dead, &primary, &backup] {
        f.registry.register(i).await.unwrap();
    }
    let mut endpoints = f.endpoints(1);
    // One batch for the first poll: the backup is never inserted.
    assert_eq!(
        batch(&mut endpoints).await,
        [insert("p.example.com", 10, &["192.0.2.1"])]
    );

    f.registry.deregister(&primary).await.unwrap();
    // The backup comes in before the primary goes.
    assert_eq!(
        batch(&mut endpoints).await,
        [
            insert("b.example.com", 20, &["192.0.2.2"]),
            remove("p.example.com", 10)
        ]
    );

    f.registry.register(&primary).await.unwrap();
    assert_eq!(
        batch(&mut endpoints).await,
        [
            insert("p.example.com", 10, &["192.0.2.1"]),
            remove("b.example.com", 20)
        ]
    );
}

#[tokio::test]
async fn joins_changes_and_leaves_become_inserts_and_removes() {
    let f = Fixture::new().await;
    let a = f.instance("a", target("a.example.com", 10, "192.0.2.1"));
    f.registry.register(&a).await.unwrap();
    let mut endpoints = f.endpoints(1);
    assert_eq!(
        batch(&mut endpoints).await,
        [insert("a.example.com", 10, &["192.0.2.1"])]
    );

    let b = f.instance("b", target("b.example.com", 20, "192.0.2.2"));
    f.registry.register(&b).await.unwrap();
    assert_eq!(
        batch(&mut endpoints).await,
        [insert("b.example.com", 20, &["192.0.2.2"])]
    );

    // Same key, new addresses: removed and inserted again (tower forbids
    // inserting a key it holds).
    f.set(
        "a.example.com",
        vec![
            RData::A("192.0.2.1".parse().unwrap()),
            RData::A("192.0.2.11".parse().unwrap()),
        ],
    );
    assert_eq!(
        batch(&mut endpoints).await,
        [
            remove("a.example.com", 10),
            insert("a.example.com", 10, &["192.0.2.1", "192.0.2.11"])
        ]
    );

    // A new port is a new key: the new one comes in, the old one goes.
    f.set(
        "b._grpc._tcp.example.com",
        vec![RData::SRV(Srv::new(0, 0, 21, name("b.example.com")))],
    );
    assert_eq!(
        batch(&mut endpoints).await,
        [
            insert("b.example.com", 21, &["192.0.2.2"]),
            remove("b.example.com", 20)
        ]
    );

    f.registry.deregister(&a).await.unwrap();
    assert_eq!(batch(&mut endpoints).await, [remove("a.example.com", 10)]);
}

#[tokio::test]
async fn a_genuinely_empty_service_removes_every_endpoint() {
    let f = Fixture::new().await;
    let a = f.instance("a", target("a.example.com", 10, "192.0.2.1"));
    let b = f.instance("b", target("b.example.com", 20, "192.0.2.2"));
    f.registry.register(&a).await.unwrap();
    f.registry.register(&b).await.unwrap();
    let mut endpoints = f.endpoints(1);
    assert_eq!(batch(&mut endpoints).await.len(), 2);
    f.registry.deregister(&a).await.unwrap();
    f.registry.deregister(&b).await.unwrap();
    // Both may go in one poll or in two.
    let mut removed = batch(&mut endpoints).await;
    if removed.len() < 2 {
        removed.extend(batch(&mut endpoints).await);
    }
    removed.sort_by_key(|s| format!("{s:?}"));
    assert_eq!(
        removed,
        [remove("a.example.com", 10), remove("b.example.com", 20)]
    );
}

#[tokio::test(flavor = "current_thread")]
async fn dns_failures_never_remove_endpoints_nor_reach_the_balancer() {
    let logs = Logs::default();
    let _guard = logs.capture();
    let mut f = Fixture::new().await;
    let a = f.instance("a", target("a.example.com", 10, "192.0.2.1"));
    let b = f.instance("b", target("b.example.com", 20, "192.0.2.2"));
    f.registry.register(&a).await.unwrap();
    f.registry.register(&b).await.unwrap();
    let mut endpoints = f.endpoints(1);
    assert_eq!(batch(&mut endpoints).await.len(), 2);

    // Nobody answers any more: every poll from now on fails.
    f.server.take().unwrap().stop().await;
    let failures = || logs.text().matches("keeping the current endpoints").count();
    // Drive the stream until it has swallowed three failed polls; it must
    // yield nothing meanwhile (no Remove, and no error for Balance to die of).
    let watch = async {
        loop {
            tokio::select! {
                change = endpoints.next() => panic!("nothing may change while DNS fails: {change:?}"),
                () = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
            if failures() >= 3 {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), watch)
        .await
        .expect("three failed polls within 30 s");
}

type LabelService = tower::util::BoxService<(), String, tower::BoxError>;

/// A service that answers with its instance's label and reports no load,
/// as tonic's connections do: p2c then chooses uniformly among endpoints.
fn label_service(endpoint: &Endpoint) -> tower::load::Constant<LabelService, usize> {
    let label = endpoint.instance.labels()[0].to_string();
    let svc = tower::service_fn(move |()| {
        let label = label.clone();
        async move { Ok::<_, tower::BoxError>(label) }
    });
    tower::load::Constant::new(tower::util::BoxService::new(svc), 0)
}

/// tower's rng, seeded: the shares below are the same on every run.
struct Seeded(StdRng);

impl tower::util::rng::Rng for Seeded {
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
}

/// Calls a p2c balancer over the service's endpoints `calls` times and
/// returns the share each instance got, and how many endpoints it held.
async fn p2c_shares(f: &Fixture, max_copies: u16, calls: u32) -> (HashMap<String, f64>, usize) {
    let discover = f.endpoints(max_copies).map_ok(|change| match change {
        Change::Insert(key, endpoint) => Change::Insert(key, label_service(&endpoint)),
        Change::Remove(key) => Change::Remove(key),
    });
    let rng = Seeded(StdRng::seed_from_u64(2782));
    let mut balance = tower::balance::p2c::Balance::from_rng(discover, rng);
    let mut counts: HashMap<String, u32> = HashMap::new();
    let mut held = 0;
    for _ in 0..calls {
        let ready = tokio::time::timeout(Duration::from_secs(20), balance.ready())
            .await
            .expect("endpoints within 20 s")
            .unwrap();
        held = ready.len();
        let label = ready.call(()).await.unwrap();
        *counts.entry(label).or_default() += 1;
    }
    let shares = counts
        .into_iter()
        .map(|(k, n)| (k, f64::from(n) / f64::from(calls)))
        .collect();
    (shares, held)
}

/// Five standard deviations of a share estimated from `calls` draws: a
/// correct balancer misses one such bound about once in 1.7 million draws
/// of the seed, so a test checking six shares about once in 290,000; the
/// seed is fixed anyway.
fn tolerance(expected: f64, calls: u32) -> f64 {
    5.0 * (expected * (1.0 - expected) / f64::from(calls)).sqrt()
}

#[tokio::test]
async fn weight_copies_make_p2c_follow_srv_weights() {
    let f = Fixture::new().await;
    for (label, weight, ip) in [
        ("w10", 10, "192.0.2.1"),
        ("w20", 20, "192.0.2.2"),
        ("w40", 40, "192.0.2.3"),
    ] {
        let host = format!("{label}.example.com");
        let t = target(&host, 50051, ip).with_weight(weight);
        f.registry.register(&f.instance(label, t)).await.unwrap();
    }
    const CALLS: u32 = 20_000;

    // Without copies the weights are lost: a third each.
    let (shares, held) = p2c_shares(&f, 1, CALLS).await;
    assert_eq!(held, 3);
    for label in ["w10", "w20", "w40"] {
        let (got, want) = (shares[label], 1.0 / 3.0);
        assert!(
            (got - want).abs() <= tolerance(want, CALLS),
            "{label}: {got} vs {want}"
        );
    }

    // With up to 16 copies: 4, 8 and 16 copies, shares 1:2:4 like the weights.
    let (shares, held) = p2c_shares(&f, 16, CALLS).await;
    assert_eq!(held, 28);
    for (label, weight) in [("w10", 10.0), ("w20", 20.0), ("w40", 40.0)] {
        let (got, want) = (shares[label], weight / 70.0);
        assert!(
            (got - want).abs() <= tolerance(want, CALLS),
            "{label}: {got} vs {want}"
        );
    }
}

#[cfg(feature = "tonic")]
#[tokio::test]
async fn feed_channel_leaves_out_refused_endpoints_and_stops_with_the_channel() {
    use tonic::transport::channel::Change as ChannelChange;

    let f = Fixture::new().await;
    let a = f.instance("a", target("a.example.com", 10, "192.0.2.1"));
    let b = f.instance("b", target("b.example.com", 20, "192.0.2.2"));
    f.registry.register(&a).await.unwrap();
    f.registry.register(&b).await.unwrap();
    let (sender, mut receiver) = tokio::sync::mpsc::channel(16);
    // Refuses b: neither its Insert nor its Remove may reach the channel.
    let feeder = tokio::spawn(dns_sd_client::feed_channel(
        f.endpoints(1),
        sender,
        |endpoint: &Endpoint| {
            if endpoint.target.port() == 20 {
                Err("refused")
            } else {
                Ok(dns_sd_client::http_endpoint(endpoint).unwrap())
            }
        },
    ));
    let next = async |receiver: &mut tokio::sync::mpsc::Receiver<_>| {
        tokio::time::timeout(Duration::from_secs(20), receiver.recv())
            .await
            .expect("a change within 20 s")
            .expect("the feeder goes on")
    };
    match next(&mut receiver).await {
        ChannelChange::Insert(key, endpoint) => {
            assert_eq!(key.port(), 10);
            assert_eq!(endpoint.uri().to_string(), "http://192.0.2.1:10/");
        }
        ChannelChange::Remove(key) => panic!("{key:?}"),
    }
    f.registry.deregister(&b).await.unwrap();
    f.registry.deregister(&a).await.unwrap();
    match next(&mut receiver).await {
        ChannelChange::Remove(key) => assert_eq!(key.port(), 10),
        ChannelChange::Insert(key, _) => panic!("{key:?}"),
    }
    drop(receiver);
    tokio::time::timeout(Duration::from_secs(20), feeder)
        .await
        .expect("the feeder ends once the channel is gone")
        .unwrap();
}
