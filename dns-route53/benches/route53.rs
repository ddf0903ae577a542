//! What Route 53 operations cost: requests per registration and
//! deregistration and requests to apply 5,000 record-set changes, counted
//! by the documented-behaviour fake (`dns_testkit::route53::FakeRoute53`,
//! which answers like Route 53 where moto does not); and the time to list a
//! 10,000-set zone on moto.
//!
//! `cargo bench -p dns-route53 --bench route53` (needs moto: run
//! `scripts/test.sh` once, or set `MOTO_SERVER`). Prints tables; the
//! figures go to docs/performance.md.
#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "a bench binary that reports on stdout"
)]

#[path = "../tests/support/fake.rs"]
mod fake;
#[path = "../tests/support/moto.rs"]
mod moto;

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Instant;

use dns_core::{
    Change, DnsProvider, DnsProviderExt, Name, RData, RecordSet, ServiceInstance, Srv, Target,
};
use dns_sd_registry::ServiceRegistry;
use moto::Moto;

fn a(i: u32) -> RData {
    RData::A(Ipv4Addr::from(0x0a00_0000 + i))
}

fn instance(i: u16, zone: &Name) -> ServiceInstance {
    let host = Name::parse_relative(&format!("host-{i}"), zone).unwrap();
    ServiceInstance::new(
        &format!("web-{i}"),
        "_http._tcp".parse().unwrap(),
        zone.clone(),
    )
    .unwrap()
    .with_target(
        Target::new(host, 8000 + i).with_address(std::net::IpAddr::V4(Ipv4Addr::new(
            10,
            1,
            0,
            u8::try_from(i).unwrap(),
        ))),
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let (fake, zone) = fake::fake_with_zone("bench.test.").await;
    let provider = fake::provider(&fake, |b| b).await;
    let apex = zone.name.clone();

    println!("| operation | requests |");
    println!("|---|---|");
    let srv_name = Name::parse_relative("_svc._tcp", &apex).unwrap();
    let srv = |i: u16| {
        RecordSet::new(
            srv_name.clone(),
            60,
            [RData::SRV(Srv::new(
                0,
                10,
                8000 + i,
                Name::parse_relative(&format!("h{i}"), &apex).unwrap(),
            ))],
        )
        .unwrap()
    };
    for i in 0..3 {
        provider.add(&zone, srv(i)).await.unwrap();
    }
    let before = provider.requests_sent();
    let report = provider.add(&zone, srv(9)).await.unwrap();
    println!(
        "| `add` one SRV value to a set of 3 | {} (report: {}) |",
        provider.requests_sent() - before,
        report.requests
    );
    let before = provider.requests_sent();
    provider.remove(&zone, srv(9)).await.unwrap();
    println!(
        "| `remove` it again | {} |",
        provider.requests_sent() - before
    );

    let shared: Arc<dyn DnsProvider> = Arc::new(provider.clone());
    let registry = ServiceRegistry::new(shared);
    for i in 0..3 {
        registry.register(&instance(i, &apex)).await.unwrap();
    }
    let before = provider.requests_sent();
    registry.register(&instance(7, &apex)).await.unwrap();
    println!(
        "| `ServiceRegistry::register` of a 4th instance without TXT properties (5 sets: A, SRV, TXT, PTR, enumeration PTR; the zone is cached from the first three) | {} |",
        provider.requests_sent() - before
    );
    let before = provider.requests_sent();
    registry.deregister(&instance(7, &apex)).await.unwrap();
    println!(
        "| `ServiceRegistry::deregister` of that instance (a listing before and after the batch, then the service's PTR) | {} |",
        provider.requests_sent() - before
    );

    let bulk: Vec<Change> = (0..5_000u32)
        .map(|i| {
            let owner = Name::parse_relative(&format!("bulk-{i:05}"), &apex).unwrap();
            Change::Upsert(RecordSet::new(owner, 300, [a(i)]).unwrap())
        })
        .collect();
    let before = provider.requests_sent();
    let report = provider.apply(&zone, &bulk).await.unwrap();
    println!(
        "| `apply` 5,000 single-value Upserts, all new | {} ({} change batches) |",
        provider.requests_sent() - before,
        report.change_ids.len()
    );
    let changed: Vec<Change> = (0..5_000u32)
        .map(|i| {
            let owner = Name::parse_relative(&format!("bulk-{i:05}"), &apex).unwrap();
            Change::Upsert(RecordSet::new(owner, 300, [a(i + 10_000)]).unwrap())
        })
        .collect();
    let before = provider.requests_sent();
    let report = provider.apply(&zone, &changed).await.unwrap();
    println!(
        "| `apply` 5,000 single-value Upserts, all existing | {} ({} change batches) |",
        provider.requests_sent() - before,
        report.change_ids.len()
    );
    let adds: Vec<Change> = (0..5_000u32)
        .map(|i| {
            let owner = Name::parse_relative(&format!("bulk-{i:05}"), &apex).unwrap();
            Change::Add(RecordSet::new(owner, 300, [a(i + 20_000)]).unwrap())
        })
        .collect();
    let before = provider.requests_sent();
    let report = provider.apply(&zone, &adds).await.unwrap();
    println!(
        "| `apply` 5,000 Adds to existing sets (compare-and-swap) | {} ({} change batches) |",
        provider.requests_sent() - before,
        report.change_ids.len()
    );

    let counts = fake.requests();
    println!();
    println!(
        "fake totals: {} ListResourceRecordSets, {} ChangeResourceRecordSets ({} rejected)",
        counts.list_resource_record_sets,
        counts.change_resource_record_sets,
        counts.changes_rejected
    );

    // A 10,000-set zone (the default Route 53 quota) on moto.
    let moto = Moto::start();
    let provider = moto.provider(|b| b).await;
    let big = Moto::create_zone(&provider, "big.test.").await;
    let fill: Vec<Change> = (0..9_998u32)
        .map(|i| {
            let owner = Name::parse_relative(&format!("h{i:05}"), &big.name).unwrap();
            Change::Upsert(RecordSet::new(owner, 300, [a(i)]).unwrap())
        })
        .collect();
    provider.apply(&big, &fill).await.unwrap();
    let mut times = Vec::new();
    let mut count = 0;
    let before = provider.requests_sent();
    for _ in 0..5 {
        let start = Instant::now();
        count = provider.list_record_sets(&big).await.unwrap().len();
        times.push(start.elapsed());
    }
    times.sort();
    let pages = (provider.requests_sent() - before) / 5;
    println!();
    println!(
        "listing {count} sets on moto: median {:.2?} (min {:.2?}, max {:.2?}) over 5 runs, {pages} pages",
        times[2], times[0], times[4]
    );
}
