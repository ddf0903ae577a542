//! Round-robin A records on Cloudflare: the classic web server boot and
//! shutdown script.
//!
//! It replaces the script each web server ran at boot to `POST` its public
//! IP as one more A record of `www.<zone>` (proxying off, TTL 120) and, at
//! shutdown, to look up and `DELETE` the record holding its own IP. Here
//! each server calls [`ServiceRegistry::join_round_robin`] and
//! [`ServiceRegistry::leave_round_robin`] with its own address (an `Add` and
//! a `Remove` of its value only, never a read-modify-write): three servers boot at
//! once, each through its own provider as separate machines would, the set
//! is printed and must hold all three; one shuts down, the set is printed
//! and must hold the other two; then those two shut down as well.
//!
//! Offline (the default; a stateful fake of the Cloudflare API on
//! 127.0.0.1, zone `example.com`, a second or two):
//!
//! ```text
//! cargo run -p dns-examples --example cloudflare_round_robin
//! ```
//!
//! Against Cloudflare, in a zone the token may edit. It writes only the
//! name `dnsexample-www.<zone>` with documentation addresses (`192.0.2.x`)
//! and removes them again, also when a step fails:
//!
//! ```text
//! CLOUDFLARE_EXAMPLE_ZONE=example.org CLOUDFLARE_API_TOKEN=... \
//!     cargo run -p dns-examples --example cloudflare_round_robin
//! ```
//!
//! It prints the records of the name as Cloudflare stores them (address,
//! TTL, proxying, record id) after the boots and after the shutdown, and
//! exits non-zero if a registration was lost or a removal took more than
//! its own value.
#![allow(clippy::print_stdout, reason = "an example prints its results")]

use std::error::Error;
use std::net::IpAddr;
use std::sync::Arc;

use dns_cloudflare::{CloudflareBuilder, CloudflareProvider, RecordOptions};
use dns_core::{DnsProvider, Name, RData, RecordSet, RecordType};
use dns_sd_registry::ServiceRegistry;
use dns_testkit::cloudflare::FakeCloudflare;

const TTL: u32 = 120;
const SERVERS: [&str; 3] = ["192.0.2.11", "192.0.2.12", "192.0.2.13"];

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // The fake must outlive every request, so it is kept until main ends.
    let mut fake = None;
    let (builder, www) = match std::env::var("CLOUDFLARE_EXAMPLE_ZONE") {
        Ok(zone) => {
            println!("Live: Cloudflare zone {zone}\n");
            let www = Name::parse_relative("dnsexample-www", &Name::parse(&zone)?)?;
            (CloudflareBuilder::from_env(), www)
        }
        Err(_) => {
            let started = FakeCloudflare::start().await;
            started.add_zone("example.com");
            println!(
                "Offline: fake Cloudflare API at {} with zone example.com\n",
                started.uri()
            );
            let builder = CloudflareBuilder::new()
                .with_token(started.token())
                .with_base_url(started.uri())
                .with_allow_http(true);
            fake = Some(started);
            (builder, Name::parse("www.example.com")?)
        }
    };
    // Service addresses must reach the servers, not Cloudflare's edge.
    let builder = builder.with_record_options(RecordOptions::new().with_proxied(false));
    let ips: Vec<IpAddr> = SERVERS
        .iter()
        .map(|s| s.parse())
        .collect::<Result<_, _>>()?;

    let outcome = run(&builder, &www, &ips).await;
    if outcome.is_err() {
        // Removing an absent value changes nothing, so cleaning up is safe.
        for ip in &ips {
            shutdown(&builder, &www, *ip).await.ok();
        }
    }
    outcome?;
    drop(fake);
    Ok(())
}

async fn run(
    builder: &CloudflareBuilder,
    www: &Name,
    ips: &[IpAddr],
) -> Result<(), Box<dyn Error>> {
    let mut boots = Vec::new();
    for ip in ips {
        boots.push(tokio::spawn(boot(builder.clone(), www.clone(), *ip)));
    }
    for boot in boots {
        boot.await??;
    }
    let viewer = builder.clone().build()?;
    show(&viewer, www, "three servers booted at once").await?;
    assert_eq!(
        addresses(&viewer, www).await?,
        ips,
        "a registration was lost"
    );

    shutdown(builder, www, ips[0]).await?;
    show(&viewer, www, &format!("{} shut down", ips[0])).await?;
    assert_eq!(addresses(&viewer, www).await?, ips[1..]);

    for ip in &ips[1..] {
        shutdown(builder, www, *ip).await?;
    }
    assert!(addresses(&viewer, www).await?.is_empty());
    println!("The other two shut down; {www} has no A records left.");
    Ok(())
}

/// One server's boot: add its own address, keeping whatever is there.
async fn boot(builder: CloudflareBuilder, www: Name, ip: IpAddr) -> dns_core::Result<()> {
    let registry = ServiceRegistry::new(Arc::new(builder.build()?));
    registry.join_round_robin(&www, &[ip], TTL).await?;
    Ok(())
}

/// One server's shutdown: remove its own address and nothing else.
async fn shutdown(builder: &CloudflareBuilder, www: &Name, ip: IpAddr) -> dns_core::Result<()> {
    let registry = ServiceRegistry::new(Arc::new(builder.clone().build()?));
    registry.leave_round_robin(www, &[ip]).await?;
    Ok(())
}

/// The addresses in the A set, sorted.
async fn addresses(provider: &CloudflareProvider, www: &Name) -> dns_core::Result<Vec<IpAddr>> {
    let zone = provider.find_zone(www).await?;
    let set = provider.get_record_set(&zone, www, RecordType::A).await?;
    let mut ips: Vec<IpAddr> = set
        .iter()
        .flat_map(RecordSet::values)
        .filter_map(|v| match v {
            RData::A(a) => Some(IpAddr::V4(*a)),
            _ => None,
        })
        .collect();
    ips.sort();
    Ok(ips)
}

/// Cloudflare's own view: one record per address, with its extras.
async fn show(provider: &CloudflareProvider, www: &Name, title: &str) -> dns_core::Result<()> {
    let zone = provider.find_zone(www).await?;
    println!("== {title}");
    for record in provider.list_records(&zone).await? {
        if record.name == *www && record.data.record_type() == RecordType::A {
            println!(
                "   {} A {:<12} ttl={} proxied={} id={}",
                record.name, record.data, record.ttl, record.options.proxied, record.id
            );
        }
    }
    println!();
    Ok(())
}
