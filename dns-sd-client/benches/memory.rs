//! Memory per discovered instance: the heap a `Discovery` of N instances
//! holds, and what the client's cache keeps for them, counted by dhat's global
//! allocator (live heap bytes).
//!
//! ```text
//! cargo bench -p dns-sd-client --bench memory
//! ```
#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "a benchmark fails loudly and prints its figures"
)]

use std::sync::Arc;

use dns_core::{InMemoryProvider, Name, ServiceInstance, ServiceType, Target, TxtProperties};
use dns_sd_client::DnsSdClient;
use dns_sd_registry::ServiceRegistry;
use dns_testkit::TestServer;

// dhat's allocator counts live heap bytes, whoever allocated them.
#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

fn live() -> isize {
    isize::try_from(dhat::HeapStats::get().curr_bytes).unwrap()
}

async fn zone(instances: usize) -> (InMemoryProvider, Name, ServiceType) {
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
    (memory, domain, service)
}

fn main() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        println!("| instances | Discovery, bytes per instance | cache, bytes per instance |");
        println!("|---|---|---|");
        // dns-server answers at most about 900 PTR records over TCP (hickory
        // compresses names in the first 16 KiB of a message only), so 500.
        for n in [100usize, 500] {
            let (memory, domain, service) = zone(n).await;
            let server = TestServer::start(memory).await.unwrap();
            let client = DnsSdClient::builder()
                .with_name_server(server.addr())
                .build()
                .unwrap();
            // One discovery first, so that connections and hickory's own
            // state exist before counting.
            client.discover(&service, &domain).await.unwrap();
            client.clear_cache();
            let before = live();
            let found = client.discover(&service, &domain).await.unwrap();
            let with_both = live();
            assert_eq!(found.instances.len(), n, "{:?}", found.failures);
            drop(found);
            let cache_only = live();
            let per = |bytes: isize| bytes / isize::try_from(n).unwrap();
            println!(
                "| {n} | {} | {} |",
                per(with_both - cache_only),
                per(cache_only - before)
            );
        }
    });
}
