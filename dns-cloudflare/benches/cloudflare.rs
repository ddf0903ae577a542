//! Requests per operation against `FakeCloudflare`, and how the request
//! budget paces bulk work. Prints the figures docs/performance.md records:
//!
//! ```text
//! cargo bench -p dns-cloudflare --bench cloudflare
//! ```
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    reason = "a bench binary that prints figures"
)]

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use dns_cloudflare::{CloudflareBuilder, CloudflareProvider, RequestBudget};
use dns_core::{
    Change, DnsProvider, DnsProviderExt, Name, RData, RecordSet, ServiceInstance, Target,
    TxtProperties, Zone,
};
use dns_sd_registry::ServiceRegistry;
use dns_testkit::cloudflare::FakeCloudflare;

fn provider(fake: &FakeCloudflare, zone: &Zone, budget: RequestBudget) -> CloudflareProvider {
    CloudflareBuilder::new()
        .with_token(fake.token())
        .with_base_url(fake.uri())
        .with_allow_http(true)
        .with_request_budget(budget)
        .with_zone(zone.name.clone(), zone.id.clone())
        .build()
        .unwrap()
}

fn instance(zone: &Zone, label: &str, i: u32) -> ServiceInstance {
    let host = Name::parse(&format!("10-1-0-{i}.{}", zone.name)).unwrap();
    ServiceInstance::new(label, "_http._tcp".parse().unwrap(), zone.name.clone())
        .unwrap()
        .with_target(
            Target::new(host, 8080)
                .with_address(Ipv4Addr::new(10, 1, 0, u8::try_from(i).unwrap()).into()),
        )
        .with_txt(TxtProperties::new().with("version", "1.4.2").unwrap())
}

/// What reached the fake since `from`, as "METHOD kind".
fn calls(fake: &FakeCloudflare, from: usize) -> String {
    let log = fake.requests();
    let parts: Vec<String> = log[from..]
        .iter()
        .map(|r| {
            let what = if r.is_batch() {
                "batch"
            } else if r.path.ends_with("/dns_records") {
                "list/create"
            } else {
                "record"
            };
            format!("{} {what}", r.method)
        })
        .collect();
    format!("{} ({})", parts.len(), parts.join(", "))
}

async fn per_operation() {
    let fake = FakeCloudflare::start().await;
    let zone = Zone::new(
        fake.add_zone("example.com"),
        Name::parse("example.com").unwrap(),
    );
    let p = provider(&fake, &zone, RequestBudget::unlimited());
    let registry = ServiceRegistry::new(Arc::new(p.clone()));
    println!("## requests per operation (uncontended, zone id known)");
    let mut at = fake.request_count();
    let mut step = |what: &str, fake: &FakeCloudflare| {
        println!("{what:<58} {}", calls(fake, at));
        at = fake.request_count();
    };
    registry
        .register(&instance(&zone, "web-1", 1))
        .await
        .unwrap();
    step("register: first instance of the service", &fake);
    registry
        .register(&instance(&zone, "web-2", 2))
        .await
        .unwrap();
    step("register: another instance", &fake);
    registry
        .register(&instance(&zone, "web-2", 2))
        .await
        .unwrap();
    step("register: the same instance again (idempotent)", &fake);
    registry
        .deregister(&instance(&zone, "web-2", 2))
        .await
        .unwrap();
    step("deregister: an instance, others remain", &fake);
    registry
        .deregister(&instance(&zone, "web-1", 1))
        .await
        .unwrap();
    step("deregister: the last instance of the service", &fake);
    let fresh = provider(&fake, &zone, RequestBudget::unlimited());
    let www = RecordSet::new(
        Name::parse("www.example.com").unwrap(),
        120,
        [RData::A("192.0.2.10".parse().unwrap())],
    )
    .unwrap();
    fresh.add(&zone, www.clone()).await.unwrap();
    step("provider.add: one A value (round-robin join)", &fake);
    fresh.add(&zone, www.clone()).await.unwrap();
    step("provider.add: the same value again", &fake);
    fresh.remove(&zone, www).await.unwrap();
    step("provider.remove: one A value", &fake);
}

async fn bulk(max_batch: usize) {
    let fake = FakeCloudflare::start().await;
    let zone = Zone::new(
        fake.add_zone("bulk.example"),
        Name::parse("bulk.example").unwrap(),
    );
    let p = CloudflareBuilder::new()
        .with_token(fake.token())
        .with_base_url(fake.uri())
        .with_allow_http(true)
        .with_request_budget(RequestBudget::unlimited())
        .with_max_batch_size(max_batch)
        .build()
        .unwrap();
    let changes: Vec<Change> = (0..5_000u32)
        .map(|i| {
            Change::Upsert(
                RecordSet::new(
                    Name::parse(&format!("h{i}.bulk.example")).unwrap(),
                    300,
                    [RData::A(Ipv4Addr::from(0x0a00_0000 + i))],
                )
                .unwrap(),
            )
        })
        .collect();
    let report = p.apply(&zone, &changes).await.unwrap();
    let batches = fake.requests().iter().filter(|r| r.is_batch()).count();
    println!(
        "5,000 new records, batch limit {max_batch:>5}: {} requests ({batches} batches + {} listing), atomic: {}",
        report.requests,
        report.requests - batches,
        report.atomic
    );
    let again = p.apply(&zone, &changes).await.unwrap();
    println!(
        "the same 5,000 again (nothing to change):   {} request(s)",
        again.requests
    );
}

/// Virtual time: how long N sequential requests take under a budget, and
/// the most requests any 5-minute window holds.
async fn pacing(n: usize, budget: &RequestBudget) -> (Duration, usize) {
    let start = tokio::time::Instant::now();
    let mut at = Vec::with_capacity(n);
    for _ in 0..n {
        budget.acquire().await;
        at.push(start.elapsed());
    }
    let window = Duration::from_secs(300);
    let (mut most, mut j) = (0, 0);
    for i in 0..at.len() {
        while j < at.len() && at[j] < at[i] + window {
            j += 1;
        }
        most = most.max(j - i);
    }
    (start.elapsed(), most)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(per_operation());
    println!("\n## bulk changes");
    rt.block_on(bulk(200));
    rt.block_on(bulk(3_500));
    println!("\n## request budget (default: 1,200 per 5 min = burst 300, then 3/s), virtual time");
    let paused = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    for n in [26, 300, 1_200, 5_001] {
        let (took, most) = paused.block_on(pacing(n, &RequestBudget::default()));
        println!(
            "{n:>5} requests: last one after {:>7.1} s; most in any 5-minute window: {most}",
            took.as_secs_f64()
        );
    }
}
