//! The quickstart: a zone held in memory, served over real DNS on
//! localhost; three instances of a service join it through the registry; a
//! client discovers them, orders them for fail-over and picks among them;
//! one leaves and is gone. Runs offline in a second or two:
//!
//! ```text
//! cargo run -p dns-sd-client --example quickstart
//! ```
#![allow(clippy::print_stdout, reason = "an example prints its results")]

use std::error::Error;
use std::sync::Arc;
use std::time::Instant;

use dns_core::{
    InMemoryProvider, Name, ServiceInstance, ServiceType, Target, TxtProperties, TxtValue,
};
use dns_sd_client::{
    Candidate, Discovery, DnsSdClient, Order, Selection, expected_shares, order, pick,
};
use dns_sd_registry::ServiceRegistry;
use dns_testkit::TestServer;
use rand::SeedableRng;
use rand::rngs::StdRng;

const PICKS: usize = 10_000;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // 1. A zone in memory, served on 127.0.0.1 (UDP and TCP, a free port).
    let memory = InMemoryProvider::new();
    let domain = Name::parse("example.com")?;
    memory.create_zone(domain.clone())?;
    let server = TestServer::start(memory.clone()).await?;
    println!(
        "Serving {domain} from memory on {} (UDP and TCP)\n",
        server.addr()
    );

    // 2. Three instances join through the registry, as three services
    //    would at boot: two primaries sharing load 3:1, and a backup.
    let http: ServiceType = "_http._tcp".parse()?;
    let registry = ServiceRegistry::new(Arc::new(memory.clone()));
    let instances = [
        ("api eu-1", "eu-1.example.com", "192.0.2.11", 0, 60, "1.4.2"),
        ("api eu-2", "eu-2.example.com", "192.0.2.12", 0, 20, "1.4.2"),
        (
            "api backup",
            "backup.example.com",
            "198.51.100.7",
            10,
            0,
            "1.3.9",
        ),
    ];
    let mut joined = Vec::new();
    for (label, host, ip, priority, weight, version) in instances {
        let instance = ServiceInstance::new(label, http.clone(), domain.clone())?
            .with_target(
                Target::new(Name::parse(host)?, 8443)
                    .with_priority(priority)
                    .with_weight(weight)
                    .with_address(ip.parse()?),
            )
            .with_txt(
                TxtProperties::new()
                    .with("version", version)?
                    .with("path", "/v1")?
                    .with_flag("tls")?,
            );
        registry.register(&instance).await?;
        joined.push(instance);
    }
    println!(
        "Registered {} instances of {}",
        joined.len(),
        http.name_in(&domain)?
    );

    // 3. A client discovers them over real DNS.
    let client = DnsSdClient::with_name_servers([server.addr()])?;
    let started = Instant::now();
    let before = server.queries();
    let found = client.discover(&http, &domain).await?;
    println!(
        "Discovered {} instances in {:.1} ms with {} queries:\n",
        found.instances.len(),
        started.elapsed().as_secs_f64() * 1e3,
        server.queries() - before
    );
    print_table(&found);

    // 4. Fail-over order and weighted picks across all instances.
    let mut rng = StdRng::seed_from_u64(2782);
    let candidates = found.candidates();
    if let Order::Targets(list) = order(&candidates, &mut rng) {
        let names: Vec<String> = list.iter().map(|c| label(c)).collect();
        println!("\nOne fail-over order (RFC 2782): {}", names.join(" -> "));
    }
    let mut counts = vec![0usize; candidates.len()];
    for _ in 0..PICKS {
        if let Selection::Target(chosen) = pick(&candidates, &mut rng)
            && let Some(i) = candidates.iter().position(|c| c == chosen)
        {
            counts[i] += 1;
        }
    }
    println!("\n{PICKS} picks:");
    println!("  {:<12} {:>8} {:>9}", "INSTANCE", "OBSERVED", "EXPECTED");
    for ((c, n), share) in candidates
        .iter()
        .zip(&counts)
        .zip(expected_shares(&candidates))
    {
        let observed = *n as f64 / PICKS as f64;
        println!(
            "  {:<12} {:>7.1}% {:>8.1}%  {}",
            label(c),
            observed * 100.0,
            share * 100.0,
            "#".repeat((observed * 40.0).round() as usize)
        );
    }

    // 5. One leaves (as at shutdown); the next discovery no longer sees it.
    registry.deregister(&joined[1]).await?;
    client.clear_cache();
    let after = client.discover(&http, &domain).await?;
    let left: Vec<String> = after
        .instances
        .iter()
        .filter_map(|i| i.instance_label().map(|l| format!("{l:#}")))
        .collect();
    println!("\n\"api eu-2\" left; discovered now: {}", left.join(", "));
    assert!(after.instance("api eu-2").is_none());

    server.stop().await;
    Ok(())
}

fn label(c: &Candidate<'_>) -> String {
    c.instance
        .instance_label()
        .map(|l| format!("{l:#}"))
        .unwrap_or_else(|| c.instance.name.to_string())
}

fn print_table(found: &Discovery) {
    println!(
        "  {:<12} {:<20} {:>5} {:>5} {:>6}  {:<14} TXT",
        "INSTANCE", "TARGET", "PORT", "PRIO", "WEIGHT", "ADDRESSES"
    );
    for instance in &found.instances {
        let name = instance
            .instance_label()
            .map(|l| format!("{l:#}"))
            .unwrap_or_default();
        let txt: Vec<String> = instance
            .txt
            .iter()
            .map(|(k, v)| match v {
                TxtValue::Flag => k.to_owned(),
                TxtValue::Bytes(b) => format!("{k}={}", String::from_utf8_lossy(b)),
            })
            .collect();
        for t in &instance.targets {
            let addrs: Vec<String> = t.addresses.iter().map(ToString::to_string).collect();
            println!(
                "  {:<12} {:<20} {:>5} {:>5} {:>6}  {:<14} {}",
                name,
                t.host().to_string(),
                t.port(),
                t.priority(),
                t.weight(),
                addrs.join(","),
                txt.join(" ")
            );
        }
    }
}
