//! A control plane keeping a service list in DNS on two providers at once,
//! with `dns-sync`: the pattern of running Route 53 and Cloudflare side by
//! side for redundancy.
//!
//! The control plane holds its desired state (here: web servers behind an
//! `_http._tcp` service and a round-robin `www`), turns it into a
//! [`DesiredZone`], plans it against both providers, prints each plan (the
//! reviewed diff), and applies them. It reconciles three times: the first
//! list, a list where one server was replaced, and the same list again,
//! whose plans must be empty on both providers. A record someone created
//! by hand (`legacy`) is never touched: the sync only changes the sets
//! its owner markers claim.
//!
//! Offline (stateful fakes of both APIs on 127.0.0.1, zone `example.com`):
//!
//! ```text
//! cargo run -p dns-examples --example sync_control_plane
//! ```
//!
//! It exits non-zero when a plan fails, a third plan is not empty, or the
//! hand-made record changed.
#![allow(clippy::print_stdout, reason = "an example prints its results")]

use std::error::Error;
use std::net::IpAddr;
use std::sync::Arc;

use dns_cloudflare::{CloudflareBuilder, RecordOptions};
use dns_core::{
    Change, DnsProvider, Name, RData, RecordSet, ServiceInstance, ServiceType, Target,
    TxtProperties,
};
use dns_route53::Route53Builder;
use dns_sync::{DesiredZone, Destination, Style, SyncOptions, apply_all, plan_all, render};
use dns_testkit::cloudflare::FakeCloudflare;
use dns_testkit::route53::FakeRoute53;

/// The control plane's own state: which servers run.
struct Server {
    host: &'static str,
    ip: &'static str,
}

const FIRST: [Server; 2] = [
    Server {
        host: "web1",
        ip: "192.0.2.11",
    },
    Server {
        host: "web2",
        ip: "192.0.2.12",
    },
];
const SECOND: [Server; 2] = [
    Server {
        host: "web1",
        ip: "192.0.2.11",
    },
    Server {
        host: "web3",
        ip: "192.0.2.13",
    },
];

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let apex = Name::parse("example.com")?;
    // The fakes must outlive every request, so they live until main ends.
    let r53 = FakeRoute53::start().await;
    r53.create_zone("example.com", false);
    let cf = FakeCloudflare::start().await;
    cf.add_zone("example.com");
    let route53: Arc<dyn DnsProvider> = Arc::new(
        Route53Builder::new()
            .with_endpoint_url(r53.endpoint())
            .with_credentials("AKIDEXAMPLE", "example-secret")
            .build()
            .await?,
    );
    let cloudflare: Arc<dyn DnsProvider> = Arc::new(
        CloudflareBuilder::new()
            .with_token(cf.token())
            .with_base_url(cf.uri())
            .with_allow_http(true)
            // Service addresses must reach the servers, not an edge proxy.
            .with_record_options(RecordOptions::new().with_proxied(false))
            .build()?,
    );
    let mut destinations = Vec::new();
    for provider in [route53, cloudflare] {
        let zone = provider.find_zone(&apex).await?;
        destinations.push(Destination::new(provider, zone));
    }

    // Someone's hand-made record: not ours, so never changed.
    let legacy = RecordSet::new(
        Name::parse("legacy.example.com")?,
        300,
        [RData::A("192.0.2.99".parse()?)],
    )?;
    for d in &destinations {
        d.provider
            .apply(&d.zone, &[Change::Upsert(legacy.clone())])
            .await?;
    }

    let options = SyncOptions::new("web-cp".parse()?);
    for (round, servers) in [(1, &FIRST), (2, &SECOND), (3, &SECOND)] {
        println!("== reconcile {round}");
        let desired = desired(&apex, servers)?;
        let mut plans = Vec::new();
        for plan in plan_all(&destinations, &desired, &options).await {
            let plan = plan?;
            print!("{}", render::text(&plan, Style::Plain));
            if round == 3 && !plan.is_empty() {
                return Err(format!("a third plan is not empty:\n{plan}").into());
            }
            plans.push(plan);
        }
        for applied in apply_all(plans).await {
            let applied = applied?;
            println!(
                "applied {} changes in {} requests",
                applied.changes, applied.requests
            );
        }
    }

    for d in &destinations {
        let sets = d.provider.list_record_sets(&d.zone).await?;
        if !sets.contains(&legacy) {
            return Err(format!(
                "{} lost or changed the hand-made record",
                d.provider.provider_name()
            )
            .into());
        }
    }
    println!("both providers hold the service list; legacy.example.com untouched");
    Ok(())
}

/// The desired state of the zone for `servers`: a round-robin `www` and one
/// `_http._tcp` instance with every server as a target.
fn desired(apex: &Name, servers: &[Server]) -> Result<DesiredZone, Box<dyn Error>> {
    let mut zone = DesiredZone::new(apex.clone());
    let ips: Vec<IpAddr> = servers
        .iter()
        .map(|s| s.ip.parse())
        .collect::<Result<_, _>>()?;
    zone.add_set(RecordSet::new(
        Name::parse_relative("www", apex)?,
        120,
        ips.iter().map(|ip| match ip {
            IpAddr::V4(v4) => RData::A(*v4),
            IpAddr::V6(v6) => RData::AAAA(*v6),
        }),
    )?)?;
    let service: ServiceType = "_http._tcp".parse()?;
    let mut web = ServiceInstance::new("Web", service, apex.clone())?
        .with_txt(TxtProperties::new().with("path", "/")?);
    for (server, ip) in servers.iter().zip(&ips) {
        let host = Name::parse_relative(server.host, apex)?;
        web = web.with_target(Target::new(host, 8080).with_address(*ip));
    }
    zone.add_service(&web)?;
    Ok(zone)
}
