//! Discovery through a proxy that delays every query by 5 ms, as a nearby
//! name server would, against the naive client most code has: PTR, then
//! each SRV, TXT, A and AAAA one after the other. Also the cost of answers
//! served from the cache.
//!
//! ```text
//! cargo bench -p dns-sd-client --bench discover
//! ```
#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "a benchmark fails loudly and prints its figures"
)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use dns_core::{
    InMemoryProvider, Name, RData, RecordType, ServiceInstance, ServiceType, Target, TxtProperties,
};
use dns_sd_client::DnsSdClient;
use dns_sd_registry::ServiceRegistry;
use dns_testkit::{DelayProxy, TestServer};
use tokio::runtime::Runtime;

const DELAY: Duration = Duration::from_millis(5);

struct Setup {
    _server: TestServer,
    proxy: DelayProxy,
    domain: Name,
    service: ServiceType,
}

async fn setup(instances: usize) -> Setup {
    let memory = InMemoryProvider::new();
    let domain = Name::parse("example.com").unwrap();
    memory.create_zone(domain.clone()).unwrap();
    let registry = ServiceRegistry::new(Arc::new(memory.clone()));
    let service: ServiceType = "_http._tcp".parse().unwrap();
    for i in 0..instances {
        let host = Name::parse(&format!("host-{i}.example.com")).unwrap();
        let ip = format!("10.0.{}.{}", i / 250, i % 250 + 1).parse().unwrap();
        let instance =
            ServiceInstance::new(&format!("Instance {i}"), service.clone(), domain.clone())
                .unwrap()
                .with_target(Target::new(host, 8000).with_address(ip))
                .with_txt(TxtProperties::new().with("n", i.to_string()).unwrap());
        registry.register(&instance).await.unwrap();
    }
    let server = TestServer::start(memory).await.unwrap();
    let proxy = DelayProxy::start(server.addr(), DELAY).await.unwrap();
    Setup {
        _server: server,
        proxy,
        domain,
        service,
    }
}

fn uncached(proxy: &DelayProxy) -> DnsSdClient {
    DnsSdClient::builder()
        .with_name_server(proxy.addr())
        .with_cache_size(0)
        .build()
        .unwrap()
}

/// One question at a time, as a loop over `lookup` calls would do.
async fn naive(client: &DnsSdClient, s: &Setup) -> usize {
    let ptr = s.service.name_in(&s.domain).unwrap();
    let mut resolved = 0;
    for r in client.lookup(&ptr, RecordType::PTR).await.unwrap() {
        let RData::PTR(instance) = r else { continue };
        let srvs = client.lookup(&instance, RecordType::SRV).await.unwrap();
        black_box(client.lookup(&instance, RecordType::TXT).await.unwrap());
        for srv in srvs {
            let RData::SRV(srv) = srv else { continue };
            black_box(client.lookup(&srv.target, RecordType::A).await.unwrap());
            black_box(client.lookup(&srv.target, RecordType::AAAA).await.unwrap());
        }
        resolved += 1;
    }
    resolved
}

fn discover(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let mut group = c.benchmark_group("discover_5ms");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    for n in [10usize, 50, 200] {
        let s = rt.block_on(setup(n));
        let client = rt.block_on(async { uncached(&s.proxy) });
        group.bench_with_input(BenchmarkId::new("waves", n), &n, |b, &n| {
            b.to_async(&rt).iter(|| async {
                let found = client.discover(&s.service, &s.domain).await.unwrap();
                assert_eq!(found.instances.len(), n);
            });
        });
        // The naive loop at 200 instances takes 4 s a run; sample it less.
        group.measurement_time(Duration::from_secs(if n >= 200 { 40 } else { 10 }));
        group.bench_with_input(BenchmarkId::new("sequential", n), &n, |b, &n| {
            b.to_async(&rt).iter(|| async {
                assert_eq!(naive(&client, &s).await, n);
            });
        });
        group.measurement_time(Duration::from_secs(5));
    }
    group.finish();
}

fn cache_hits(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let s = rt.block_on(setup(10));
    let client = rt.block_on(async {
        DnsSdClient::builder()
            .with_name_server(s.proxy.addr())
            .build()
            .unwrap()
    });
    let instance = Name::parse(r"Instance\0323._http._tcp.example.com").unwrap();
    rt.block_on(async {
        client.discover(&s.service, &s.domain).await.unwrap();
    });
    let mut group = c.benchmark_group("cache_hit");
    group.bench_function("lookup", |b| {
        b.to_async(&rt).iter(|| async {
            black_box(client.lookup(&instance, RecordType::SRV).await.unwrap());
        });
    });
    group.bench_function("resolve", |b| {
        b.to_async(&rt).iter(|| async {
            black_box(client.resolve(&instance).await.unwrap());
        });
    });
    group.bench_function("discover_10", |b| {
        b.to_async(&rt).iter(|| async {
            black_box(client.discover(&s.service, &s.domain).await.unwrap());
        });
    });
    group.finish();
}

criterion_group!(benches, discover, cache_hits);
criterion_main!(benches);
