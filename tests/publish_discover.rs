//! Publish through each provider, serve the zone over real DNS, discover
//! and pick: the path a fleet takes, across every crate. Each scenario
//! registers through `dns_sd_registry`, copies the provider's zone into the
//! local authoritative server (`dns_testkit::TestServer`) and discovers it
//! with `dns_sd_client` over UDP, as a client in the fleet would.

use std::collections::BTreeMap;

use dns_core::{Name, ServiceInstance, ServiceType, Target, TxtProperties};
use dns_e2e::Peer;
use dns_sd_client::{Discovery, DnsSdClient, Order, Selection, order, pick};
use dns_sd_registry::ServiceRegistry;
use dns_testkit::TestServer;
use rand::SeedableRng;
use rand::rngs::StdRng;

fn name(s: &str) -> Name {
    Name::parse(s).expect("valid name")
}

async fn discover(peer: &Peer, service: &ServiceType) -> Discovery {
    let served = peer.mirror().await;
    let server = TestServer::start(served).await.expect("test server");
    let client = DnsSdClient::with_name_servers([server.addr()]).expect("client");
    let found = client
        .discover(service, &peer.zone.name)
        .await
        .expect("discovery");
    server.stop().await;
    assert!(
        found.is_complete(),
        "{}: failed lookups: {:?}",
        peer.name,
        found.failures
    );
    found
}

/// (label, priority, weight, port, version) per discovered target.
fn table(found: &Discovery) -> BTreeMap<String, Vec<(u16, u16, u16, String)>> {
    found
        .instances
        .iter()
        .map(|i| {
            let label = i
                .instance_label()
                .map(|l| format!("{l:#}"))
                .unwrap_or_default();
            let version = i.txt.get_str("version").unwrap_or("-").to_owned();
            let mut targets: Vec<(u16, u16, u16, String)> = i
                .targets
                .iter()
                .map(|t| (t.priority(), t.weight(), t.port(), version.clone()))
                .collect();
            targets.sort();
            (label, targets)
        })
        .collect()
}

async fn scenario(peer: Peer) {
    let domain = peer.zone.name.clone();
    let http: ServiceType = "_http._tcp".parse().expect("service type");
    let registry = ServiceRegistry::new(peer.provider().clone()).with_zone(peer.zone.clone());
    let at = |label: &str| {
        ServiceInstance::new(label, http.clone(), domain.clone())
            .expect("instance")
            .with_ttl(60)
    };
    let host = |h: &str, port, priority, weight, ip: &str| {
        Target::new(name(&format!("{h}.{domain}")), port)
            .with_priority(priority)
            .with_weight(weight)
            .with_address(ip.parse().expect("ip"))
    };
    let v = |version: &str| TxtProperties::new().with("version", version).expect("txt");

    // Two primaries sharing load 3:1 and a backup, as three boot scripts would.
    registry
        .register(&at("api-1").with_txt(v("1.4.2")).with_target(host(
            "eu-1",
            8443,
            0,
            60,
            "192.0.2.11",
        )))
        .await
        .expect("register api-1");
    registry
        .register(&at("api-2").with_txt(v("1.4.2")).with_target(host(
            "eu-2",
            8443,
            0,
            20,
            "192.0.2.12",
        )))
        .await
        .expect("register api-2");
    registry
        .register(&at("backup").with_txt(v("1.3.9")).with_target(host(
            "bk",
            8443,
            10,
            0,
            "198.51.100.7",
        )))
        .await
        .expect("register backup");
    // A second host joins api-1 without metadata: the instance keeps its TXT.
    registry
        .register(&at("api-1").with_target(host("eu-3", 8443, 0, 60, "192.0.2.13")))
        .await
        .expect("second host of api-1");

    let found = discover(&peer, &http).await;
    let expected: BTreeMap<String, Vec<(u16, u16, u16, String)>> = [
        (
            "api-1",
            vec![(0, 60, 8443, "1.4.2"), (0, 60, 8443, "1.4.2")],
        ),
        ("api-2", vec![(0, 20, 8443, "1.4.2")]),
        ("backup", vec![(10, 0, 8443, "1.3.9")]),
    ]
    .into_iter()
    .map(|(l, t)| {
        (
            l.to_owned(),
            t.into_iter()
                .map(|(p, w, port, v)| (p, w, port, v.to_owned()))
                .collect(),
        )
    })
    .collect();
    assert_eq!(table(&found), expected, "{}: discovered", peer.name);
    let addresses: Vec<String> = found
        .instance("backup")
        .expect("backup")
        .targets
        .iter()
        .flat_map(|t| t.addresses.iter().map(ToString::to_string))
        .collect();
    assert_eq!(
        addresses,
        ["198.51.100.7"],
        "{}: backup's address",
        peer.name
    );

    // RFC 2782: the backup is tried last and never picked while primaries live.
    let mut rng = StdRng::seed_from_u64(2782);
    let candidates = found.candidates();
    let Order::Targets(tried) = order(&candidates, &mut rng) else {
        panic!("{}: no fail-over order", peer.name)
    };
    assert_eq!(tried.last().map(|c| c.target.priority()), Some(10));
    for _ in 0..200 {
        let Selection::Target(chosen) = pick(&candidates, &mut rng) else {
            panic!("{}: nothing picked", peer.name)
        };
        assert_eq!(
            chosen.target.priority(),
            0,
            "{}: picked the backup",
            peer.name
        );
    }

    // The backup leaves; api-1 loses one host.
    let gone = registry
        .deregister(&at("backup").with_target(host("bk", 8443, 10, 0, "198.51.100.7")))
        .await
        .expect("deregister backup");
    assert!(gone.instance_removed);
    let left = registry
        .deregister_host(
            &at("api-1"),
            &name(&format!("eu-3.{domain}")),
            &["192.0.2.13".parse().expect("ip")],
        )
        .await
        .expect("deregister eu-3");
    assert_eq!(left.targets.len(), 1, "{}: eu-3 withdrawn", peer.name);
    let found = discover(&peer, &http).await;
    let labels: Vec<String> = table(&found).into_keys().collect();
    assert_eq!(labels, ["api-1", "api-2"], "{}: after leaving", peer.name);
    assert_eq!(found.instance("api-1").expect("api-1").targets.len(), 1);
    assert_eq!(
        found
            .instance("api-1")
            .expect("api-1")
            .txt
            .get_str("version"),
        Some("1.4.2"),
        "{}: api-1 kept its TXT",
        peer.name
    );
    let violations = peer.violations();
    assert!(violations.is_empty(), "{}: {violations:#?}", peer.name);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_memory() {
    scenario(Peer::memory("fleet.test.", 1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_route53() {
    scenario(Peer::route53_fake("fleet.test.", 1).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_rfc2136_and_the_zone_server() {
    scenario(Peer::rfc2136_server("fleet.test.", 1).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_rfc2136_and_bind() {
    scenario(Peer::bind9("fleet.test.", 1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_cloudflare_and_prism() {
    scenario(Peer::cloudflare_prism("fleet.example", 1).await).await;
}

// Not on moto: its change journal refuses the repeated compare-and-swaps of
// the service's PTR set this scenario makes (see registry_rules.rs).
