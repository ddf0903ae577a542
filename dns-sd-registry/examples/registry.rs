//! Three instances of a web service join an in-memory zone at once, one of
//! them leaves, and the zone is printed after each step.
//!
//! Run with `cargo run -p dns-core --example registry`.
#![allow(clippy::print_stdout)]

use std::sync::Arc;

use dns_core::{
    DnsProvider, InMemoryProvider, Name, RecordType, ServiceInstance, Target, TxtProperties, Zone,
};
use dns_sd_registry::ServiceRegistry;

async fn show(
    title: &str,
    provider: &InMemoryProvider,
    zone: &Zone,
) -> Result<(), dns_core::Error> {
    println!("\n== {title}");
    for set in provider.list_record_sets(zone).await? {
        if matches!(set.record_type(), RecordType::SOA | RecordType::NS) {
            continue;
        }
        print!("{set}");
    }
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let domain = Name::parse("example.test")?;
    let memory = InMemoryProvider::new();
    let zone = memory.create_zone(domain.clone())?;
    let registry = Arc::new(ServiceRegistry::new(Arc::new(memory.clone())));

    // The classic boot script: each host adds its address and its SRV value.
    let hosts = [
        ("10.0.0.11", 10, 60),
        ("10.0.0.12", 10, 40),
        ("10.0.0.13", 20, 0),
    ];
    let instance = |ip: &str,
                    priority: u16,
                    weight: u16|
     -> Result<ServiceInstance, Box<dyn std::error::Error>> {
        let host = Name::parse_relative(&ip.replace('.', "-"), &domain)?;
        Ok(
            ServiceInstance::new("Web Front.v1", "_http._tcp".parse()?, domain.clone())?
                .with_target(
                    Target::new(host, 8080)
                        .with_priority(priority)
                        .with_weight(weight)
                        .with_address(ip.parse()?),
                )
                .with_txt(
                    TxtProperties::new()
                        .with("path", "/")?
                        .with("version", "1.4.2")?,
                )
                .with_ttl(60),
        )
    };

    let mut joins = Vec::new();
    for (ip, priority, weight) in hosts {
        let registry = registry.clone();
        let inst = instance(ip, priority, weight)?;
        joins.push(tokio::spawn(async move { registry.register(&inst).await }));
    }
    for join in joins {
        join.await??;
    }
    show("three hosts joined at once", &memory, &zone).await?;

    let (ip, priority, weight) = hosts[0];
    let report = registry
        .deregister(&instance(ip, priority, weight)?)
        .await?;
    show(
        &format!(
            "{ip} left (instance still served: {})",
            !report.instance_removed
        ),
        &memory,
        &zone,
    )
    .await?;

    for (ip, priority, weight) in &hosts[1..] {
        registry
            .deregister(&instance(ip, *priority, *weight)?)
            .await?;
    }
    show("everyone left: nothing orphaned", &memory, &zone).await?;
    println!("(only the zone's own SOA and NS remain)");
    Ok(())
}
