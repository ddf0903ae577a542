//! A service group on Route 53: the classic per-instance boot and shutdown
//! script, done through [`ServiceRegistry`].
//!
//! It replaces the script each instance ran at boot to add an A record named
//! after its IP (`10-1-2-3.example.com`) and append `0 0 8080
//! 10-1-2-3.example.com.` to the service's SRV set with a read-modify-write
//! `aws route53 change-resource-record-sets` call, and the mirror image at
//! shutdown. Here three hosts join instance `v1` of `_http._tcp` at once,
//! the zone is printed, one host leaves, the zone is printed again, the
//! other two leave, and the zone is checked to hold only its SOA and NS.
//!
//! Offline (the default; a stateful fake of the Route 53 API on 127.0.0.1,
//! zone `example.com`, a few seconds):
//!
//! ```text
//! cargo run -p dns-examples --example route53_service_group
//! ```
//!
//! Against Route 53, in a hosted zone you own (credentials from the standard
//! AWS chain: environment, profile, SSO, instance role). It uses the service
//! type `_dnsexample._tcp` and documentation addresses (`192.0.2.x`), and
//! does not list the type under `_services._dns-sd._udp`, so it cannot
//! touch real records; it removes everything it added, also when a step
//! fails:
//!
//! ```text
//! ROUTE53_EXAMPLE_ZONE=example.org cargo run -p dns-examples --example route53_service_group
//! ```
//!
//! It prints, after each step, the zone's record sets that belong to the
//! service in zone-file form (SOA and NS left out), and exits non-zero if
//! the zone does not end as it started.
#![allow(clippy::print_stdout, reason = "an example prints its results")]

use std::error::Error;
use std::net::IpAddr;
use std::sync::Arc;

use dns_core::{
    DnsProvider, Name, RecordSet, RecordType, ServiceInstance, ServiceType, Target, TxtProperties,
    Zone,
};
use dns_route53::Route53Builder;
use dns_sd_registry::ServiceRegistry;
use dns_testkit::route53::FakeRoute53;

const PORT: u16 = 8080;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // The fake must outlive every request, so it is kept until main ends.
    let mut fake = None;
    let (provider, domain, service, ips) = match std::env::var("ROUTE53_EXAMPLE_ZONE") {
        Ok(zone) => {
            println!("Live: Route 53 hosted zone {zone}\n");
            let provider = Route53Builder::from_env().build().await?;
            let ips = ["192.0.2.11", "192.0.2.12", "192.0.2.13"];
            (provider, Name::parse(&zone)?, "_dnsexample._tcp", ips)
        }
        Err(_) => {
            let started = FakeRoute53::start().await;
            started.create_zone("example.com", false);
            println!(
                "Offline: fake Route 53 at {} with zone example.com\n",
                started.endpoint()
            );
            let provider = Route53Builder::new()
                .with_endpoint_url(started.endpoint())
                .with_credentials("AKIDEXAMPLE", "example-secret")
                .build()
                .await?;
            fake = Some(started);
            let ips = ["10.1.2.3", "10.1.2.4", "10.1.2.5"];
            (provider, Name::parse("example.com")?, "_http._tcp", ips)
        }
    };

    let live = fake.is_none();
    let registry = Arc::new(ServiceRegistry::new(Arc::new(provider)));
    let zone = registry.provider().find_zone(&domain).await?;
    let service: ServiceType = service.parse()?;
    let mut hosts = Vec::new();
    for ip in ips {
        // A live zone's `_services._dns-sd._udp` set may be real: leave it be.
        let host = host_instance(&service, &domain, ip.parse()?)?;
        hosts.push(host.with_type_announcement(!live));
    }

    let outcome = run(&registry, &zone, &hosts).await;
    if outcome.is_err() {
        // Deregistering is idempotent, so a failed run can always clean up.
        for host in &hosts {
            registry.deregister(host).await.ok();
        }
    }
    outcome?;
    if !live {
        let left = registry.provider().list_record_sets(&zone).await?;
        assert!(
            left.iter()
                .all(|s| matches!(s.record_type(), RecordType::SOA | RecordType::NS)),
            "the zone should hold only SOA and NS"
        );
        println!("The zone holds only its SOA and NS again.");
    }
    Ok(())
}

/// What one host's boot script registers: an A record named after its
/// address and `0 0 PORT host` in the SRV set of instance `v1`.
fn host_instance(
    service: &ServiceType,
    domain: &Name,
    ip: IpAddr,
) -> Result<ServiceInstance, Box<dyn Error>> {
    let host = Name::parse_relative(&ip.to_string().replace(['.', ':'], "-"), domain)?;
    Ok(ServiceInstance::new("v1", service.clone(), domain.clone())?
        .with_target(Target::new(host, PORT).with_address(ip))
        .with_txt(TxtProperties::new().with("path", "/")?))
}

async fn run(
    registry: &Arc<ServiceRegistry>,
    zone: &Zone,
    hosts: &[ServiceInstance],
) -> Result<(), Box<dyn Error>> {
    // The joins race as separate hosts' boots would, and none may be lost.
    let mut joins = Vec::new();
    for host in hosts {
        let (registry, host) = (registry.clone(), host.clone());
        joins.push(tokio::spawn(async move { registry.register(&host).await }));
    }
    for join in joins {
        join.await??;
    }
    show(registry, zone, hosts, "three hosts joined").await?;
    assert_eq!(srv_count(registry, zone, &hosts[0]).await?, 3);

    let report = registry.deregister(&hosts[0]).await?;
    assert!(!report.instance_removed, "two hosts still serve v1");
    show(
        registry,
        zone,
        hosts,
        &format!("{} left", hosts[0].targets()[0].host),
    )
    .await?;
    assert_eq!(srv_count(registry, zone, &hosts[0]).await?, 2);

    for host in &hosts[1..] {
        registry.deregister(host).await?;
    }
    show(registry, zone, hosts, "all left").await?;
    assert_no_trace(registry, zone, hosts).await
}

/// The zone's sets at names the service uses; in a live zone that leaves
/// every unrelated record out.
async fn show(
    registry: &ServiceRegistry,
    zone: &Zone,
    hosts: &[ServiceInstance],
    title: &str,
) -> Result<(), Box<dyn Error>> {
    let names: Vec<Name> = hosts
        .iter()
        .flat_map(|h| h.records().all())
        .map(|set| set.name().clone())
        .collect();
    println!("== {title}");
    let mut shown = 0;
    for set in registry.provider().list_record_sets(zone).await? {
        if names.contains(set.name()) {
            set.to_string().lines().for_each(|l| println!("   {l}"));
            shown += 1;
        }
    }
    if shown == 0 {
        println!("   (no records of the service)");
    }
    println!();
    Ok(())
}

async fn srv_count(
    registry: &ServiceRegistry,
    zone: &Zone,
    host: &ServiceInstance,
) -> Result<usize, Box<dyn Error>> {
    let srv = registry
        .provider()
        .get_record_set(zone, host.name(), RecordType::SRV)
        .await?;
    Ok(srv.as_ref().map_or(0, RecordSet::len))
}

/// None of the values any host registered is left (other services may
/// still share `_services._dns-sd._udp` in a live zone).
async fn assert_no_trace(
    registry: &ServiceRegistry,
    zone: &Zone,
    hosts: &[ServiceInstance],
) -> Result<(), Box<dyn Error>> {
    let provider = registry.provider();
    for mine in hosts.iter().flat_map(|h| h.records().all()) {
        if let Some(set) = provider
            .get_record_set(zone, mine.name(), mine.record_type())
            .await?
        {
            let kept: Vec<_> = mine.values().iter().filter(|v| set.contains(v)).collect();
            assert!(kept.is_empty(), "{} still holds {kept:?}", set.name());
        }
    }
    Ok(())
}
