//! The registry suite over the reference provider, with and without
//! preconditions (the two paths every backend takes one of), through
//! handles with 1 ms of latency per call so that concurrent writers
//! interleave between their reads and writes the way remote calls do.

use std::sync::Arc;
use std::time::Duration;

use dns_core::{Capabilities, DnsProvider, InMemoryProvider, Name, RecordModel};
use dns_sd_registry::suite;

async fn run(caps: Capabilities) {
    let memory = InMemoryProvider::with_capabilities(caps);
    let zone = memory
        .create_zone(Name::parse("suite.test").expect("name"))
        .expect("zone");
    let mut providers: Vec<Arc<dyn DnsProvider>> = vec![Arc::new(memory.clone())];
    for _ in 0..20 {
        providers.push(Arc::new(
            memory.clone().with_latency(Duration::from_millis(1)),
        ));
    }
    suite::run_all(&providers, &zone, &suite::Config::default()).await;
    let left = memory.list_record_sets(&zone).await.expect("listing");
    assert_eq!(left.len(), 2, "only SOA and NS may remain: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_rule_with_preconditions() {
    run(Capabilities::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_rule_without_preconditions() {
    run(Capabilities::default().with_preconditions(false)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_rule_under_a_small_request_limit() {
    run(Capabilities::default()
        .with_preconditions(false)
        .with_max_records_per_request(Some(4)))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_rule_with_cloudflare_like_capabilities() {
    run(Capabilities::default()
        .with_model(RecordModel::Records)
        .with_raw_labels(false)
        .with_preconditions(false)
        .with_max_records_per_request(Some(200))
        .with_ttl_range(60..=86_400))
    .await;
}
