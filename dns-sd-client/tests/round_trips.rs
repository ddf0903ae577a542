//! Round trips on discovery's critical path, counted by the queries a
//! delaying proxy sees (a query's wave is one more than the latest wave
//! answered before it was sent). Wall time is only bounded from below (the
//! delay was applied); an upper bound would fail on a busy machine, and the
//! waves counted say the same thing exactly.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly too"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use dns_core::{InMemoryProvider, Name, RecordType, ServiceInstance, Target, TxtProperties};
use dns_sd_client::DnsSdClient;
use dns_sd_registry::ServiceRegistry;
use dns_testkit::{DelayProxy, QueryLogEntry, TestServer};

const DELAY: Duration = Duration::from_millis(150);

fn questions(log: &[QueryLogEntry]) -> Vec<(String, RecordType)> {
    log.iter()
        .map(|q| (q.name.to_string(), q.record_type))
        .collect()
}

async fn zone_with(instances: usize) -> InMemoryProvider {
    let memory = InMemoryProvider::new();
    let domain = Name::parse("example.com").unwrap();
    memory.create_zone(domain.clone()).unwrap();
    let registry = ServiceRegistry::new(Arc::new(memory.clone()));
    for i in 0..instances {
        let host = Name::parse(&format!("host-{i}.example.com")).unwrap();
        let instance = ServiceInstance::new(
            &format!("Instance {i}"),
            "_http._tcp".parse().unwrap(),
            domain.clone(),
        )
        .unwrap()
        .with_target(
            Target::new(host, 8000 + i as u16)
                .with_address(format!("10.0.{}.{}", i / 250, i % 250 + 1).parse().unwrap()),
        )
        .with_txt(TxtProperties::new().with("n", i.to_string()).unwrap());
        registry.register(&instance).await.unwrap();
    }
    memory
}

async fn discover_through_proxy(
    additionals: bool,
    browse_over_tcp: bool,
) -> (usize, DelayProxy, Duration) {
    let memory = zone_with(50).await;
    let server = TestServer::builder(memory)
        .with_additionals(additionals)
        .start()
        .await
        .unwrap();
    let proxy = DelayProxy::start(server.addr(), DELAY).await.unwrap();
    let client = DnsSdClient::builder()
        .with_name_server(proxy.addr())
        .with_browse_over_tcp(browse_over_tcp)
        .with_complete_additionals(additionals)
        .build()
        .unwrap();
    let started = Instant::now();
    let found = client
        .discover(
            &"_http._tcp".parse().unwrap(),
            &Name::parse("example.com").unwrap(),
        )
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert!(found.is_complete(), "{:?}", found.failures);
    assert!(
        found
            .instances
            .iter()
            .all(|i| i.targets[0].addresses.len() == 1)
    );
    assert_eq!(
        found.instance("Instance 37").unwrap().txt.get_str("n"),
        Some("37")
    );
    (found.instances.len(), proxy, elapsed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_instances_in_three_round_trips() {
    let (n, proxy, elapsed) = discover_through_proxy(false, true).await;
    assert_eq!(n, 50);
    let log = proxy.log();
    // 1 PTR, then 50 SRV + 50 TXT, then 50 A + 50 AAAA.
    assert_eq!(log.len(), 201);
    let count = |t: RecordType| log.iter().filter(|q| q.record_type == t).count();
    assert_eq!(
        (
            count(RecordType::PTR),
            count(RecordType::SRV),
            count(RecordType::TXT)
        ),
        (1, 50, 50)
    );
    assert_eq!((count(RecordType::A), count(RecordType::AAAA)), (50, 50));
    assert_eq!(
        proxy.round_trips(),
        3,
        "waves: {:?}",
        log.iter().map(|q| q.wave).collect::<Vec<_>>()
    );
    for q in &log {
        let want = match q.record_type {
            RecordType::PTR => 1,
            RecordType::SRV | RecordType::TXT => 2,
            _ => 3,
        };
        assert_eq!(q.wave, want, "{} {}", q.name, q.record_type);
    }
    assert!(elapsed >= DELAY * 3, "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_instances_in_one_question_with_additionals_over_tcp() {
    // 50 instances with their SRV, TXT and A records make a 5 kB answer: it
    // needs TCP, and browsing over TCP (the default) makes it one question.
    let (n, proxy, elapsed) = discover_through_proxy(true, true).await;
    assert_eq!(n, 50);
    let log = proxy.log();
    assert_eq!(log.len(), 1, "{:?}", questions(&log));
    assert_eq!(proxy.round_trips(), 1);
    assert!(elapsed >= DELAY, "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_instances_with_additionals_over_udp_cost_the_truncation_only() {
    // Browsing over UDP, the same answer is truncated first: one more
    // question, still no SRV, TXT or address query.
    let (n, proxy, _) = discover_through_proxy(true, false).await;
    assert_eq!(n, 50);
    let log = proxy.log();
    assert_eq!(log.len(), 2, "{:?}", questions(&log));
    assert!(log.iter().all(|q| q.record_type == RecordType::PTR));
    assert_eq!(proxy.round_trips(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_service_with_additionals_is_one_udp_round_trip() {
    let memory = zone_with(3).await;
    let server = TestServer::builder(memory)
        .with_additionals(true)
        .start()
        .await
        .unwrap();
    let proxy = DelayProxy::start(server.addr(), DELAY).await.unwrap();
    let client = DnsSdClient::builder()
        .with_name_server(proxy.addr())
        .with_browse_over_tcp(false)
        .with_complete_additionals(true)
        .build()
        .unwrap();
    let found = client
        .discover(
            &"_http._tcp".parse().unwrap(),
            &Name::parse("example.com").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(found.instances.len(), 3);
    assert!(
        found
            .instances
            .iter()
            .all(|i| i.targets[0].addresses.len() == 1)
    );
    assert_eq!(proxy.queries(), 1);
    assert_eq!(proxy.round_trips(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsing_over_udp_costs_a_fourth_round_trip_for_large_services() {
    // Why PTR questions go over TCP by default: 50 instance names do not fit
    // a UDP answer, so the truncated answer adds a round trip.
    let (n, proxy, _) = discover_through_proxy(false, false).await;
    assert_eq!(n, 50);
    let log = proxy.log();
    assert_eq!(
        log.iter()
            .filter(|q| q.record_type == RecordType::PTR)
            .count(),
        2
    );
    assert_eq!(proxy.round_trips(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn additional_records_serve_the_next_wave_with_the_cache_off() {
    // A discovery keeps what its answers brought for its own later waves,
    // whatever the cache can hold: with the cache off (or too small for a
    // large service) the additionals still save the questions.
    let memory = zone_with(50).await;
    let server = TestServer::builder(memory)
        .with_additionals(true)
        .start()
        .await
        .unwrap();
    let proxy = DelayProxy::start(server.addr(), Duration::ZERO)
        .await
        .unwrap();
    let client = DnsSdClient::builder()
        .with_name_server(proxy.addr())
        .with_cache_size(0)
        .with_complete_additionals(true)
        .build()
        .unwrap();
    let found = client
        .discover(
            &"_http._tcp".parse().unwrap(),
            &Name::parse("example.com").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(found.instances.len(), 50);
    assert!(found.is_complete(), "{:?}", found.failures);
    assert_eq!(proxy.queries(), 1, "{:?}", questions(&proxy.log()));
}
