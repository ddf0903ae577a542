//! The whole provider conformance suite and the registry suite against
//! real servers: BIND 9.18 (keeps the case of names) and Knot 3.2
//! (lower-cases names inside RDATA). Each test starts its own server and
//! stops it by PID when done; a missing server fails the test.
#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

mod support;

use std::sync::Arc;

use dns_core::conformance::{self, Config};
use dns_core::{DnsProvider, RecordType};
use dns_testkit::authoritative::Flavor;

async fn conformance_on(flavor: Flavor) {
    let server = support::start(flavor);
    let providers = support::providers(&server, 1);
    let zone = support::zone();
    let counted = Arc::new(support::provider(&server));
    let unknown = counted
        .list_record_sets(&zone)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.record_type() == RecordType::from_code(13))
        .expect("the seeded HINFO set is listed");
    let counter = counted.clone();
    let config = Config::default()
        .with_unknown(unknown)
        .with_large_zone_sets(10_000)
        .with_request_counter(move || counter.messages_sent())
        .with_secret(support::SECRET)
        .with_shown(format!("{:?}", support::builder(&server)));
    let all: Vec<Arc<dyn DnsProvider>> = std::iter::once(counted as Arc<dyn DnsProvider>)
        .chain(providers)
        .collect();
    conformance::run_all(&all, &zone, &config).await;
}

async fn registry_suite_on(flavor: Flavor) {
    let server = support::start(flavor);
    // One provider per writer: the suite's 50 concurrent registrations and
    // deregistrations go through 50 providers, as 50 processes would.
    let providers = support::providers(&server, 50);
    let zone = support::zone();
    dns_sd_registry::suite::run_all(
        &providers,
        &zone,
        &dns_sd_registry::suite::Config::default(),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance_suite_on_bind() {
    conformance_on(Flavor::Bind9).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance_suite_on_knot() {
    conformance_on(Flavor::Knot).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn registry_suite_on_bind() {
    registry_suite_on(Flavor::Bind9).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn registry_suite_on_knot() {
    registry_suite_on(Flavor::Knot).await;
}
