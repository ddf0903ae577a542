//! Discover one version of a service and call it with fail-over: the
//! classic client script.
//!
//! It replaces the script that ran `dig PTR _http._tcp.<domain>`, grepped
//! the instance named after the wanted version, ran `dig SRV` and `dig TXT`
//! on it, sorted the SRV answers by priority by hand and looped `curl` over
//! them until one answered. Here the client browses `_http._tcp.<domain>`,
//! picks the instance whose label is the version (first argument, default
//! `v1`), reads its SRV targets and its TXT `path`, and GETs
//! `http://host:port{path}` from each target in RFC 2782 order
//! ([`dns_sd_client::failover`]) until one answers, connecting to the
//! addresses DNS gave for the host.
//!
//! Offline (the default; a few seconds): zone `example.com` is served from
//! memory over real DNS on 127.0.0.1, with instance `v1` (a priority-0
//! target where nothing listens, then two live HTTP servers at priority 10)
//! and instance `v2` (a live server that must not be chosen):
//!
//! ```text
//! cargo run -p dns-examples --example discover_and_call [-- v1]
//! ```
//!
//! Against real DNS (the system resolver, or the name server given as
//! `DISCOVER_SERVER=IP:PORT`), for a domain that publishes `_http._tcp`
//! instances named after versions:
//!
//! ```text
//! DISCOVER_DOMAIN=example.org cargo run -p dns-examples --example discover_and_call -- v2
//! ```
//!
//! It prints the instances found, the chosen one's SRV targets and TXT,
//! each failed attempt with its cause, and the first answer. Offline it
//! exits non-zero unless the dead target was tried first and a `v1` server
//! answered.
#![allow(clippy::print_stdout, reason = "an example prints its results")]

use std::error::Error;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use dns_core::{InMemoryProvider, Name, ServiceInstance, ServiceType, Target, TxtProperties};
use dns_sd_client::{Attempt, DnsSdClient, FailoverError, ResolvedTarget, failover};
use dns_sd_registry::ServiceRegistry;
use dns_testkit::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let version = std::env::args().nth(1).unwrap_or_else(|| "v1".to_owned());
    let service: ServiceType = "_http._tcp".parse()?;

    // The DNS server must outlive every query, so it is kept until main ends.
    let mut offline = None;
    let (client, domain) = match std::env::var("DISCOVER_DOMAIN") {
        Ok(domain) => {
            let client = match std::env::var("DISCOVER_SERVER") {
                Ok(server) => DnsSdClient::with_name_servers([server.parse::<SocketAddr>()?])?,
                Err(_) => DnsSdClient::from_system()?,
            };
            println!("Live: asking {:?} about {domain}\n", client.name_servers());
            (client, Name::parse(&domain)?)
        }
        Err(_) => {
            let (server, dead) = serve_example(&service).await?;
            let client = DnsSdClient::with_name_servers([server.addr()])?;
            offline = Some((server, dead));
            (client, Name::parse("example.com")?)
        }
    };

    let found = client.browse(&service, &domain).await?;
    let labels: Vec<String> = found
        .iter()
        .filter_map(|n| n.labels().first().map(|l| format!("{l:#}")))
        .collect();
    println!("{} lists: {}", service.name_in(&domain)?, labels.join(", "));
    // DNS compares names without regard to ASCII case.
    let Some(name) = found.iter().find(|n| {
        n.labels()
            .first()
            .and_then(|l| l.as_str())
            .is_some_and(|l| l.eq_ignore_ascii_case(&version))
    }) else {
        return Err(format!("no instance named {version:?}").into());
    };

    let instance = client.resolve(name).await?;
    let path = match instance.txt.get_str("path") {
        Some(p) if p.starts_with('/') => p.to_owned(),
        _ => "/".to_owned(),
    };
    println!("\nChose {name}");
    for t in &instance.targets {
        let addrs: Vec<String> = t.addresses.iter().map(ToString::to_string).collect();
        println!("   SRV {} -> {}", t.srv, addrs.join(", "));
    }
    println!("   TXT path={path}\n");

    let called = match failover(&instance.targets, &mut rand::rng(), |target| {
        get(target.clone(), path.clone())
    })
    .await
    {
        Ok(called) => called,
        Err(FailoverError::Exhausted(failed)) => {
            print_failed(&failed, &path);
            return Err(format!("all {} targets of {name} failed", failed.len()).into());
        }
        Err(other) => return Err(other.into()),
    };
    print_failed(&called.failed, &path);
    println!(
        "answered {}: {}",
        shown(&called.target, &path),
        called.value.trim_end()
    );

    if let Some((server, dead)) = offline {
        if version == "v1" {
            let first = called.failed.first().map(|a| a.target.port());
            assert_eq!(first, Some(dead), "the priority-0 target is tried first");
        }
        let by = format!("({version})");
        assert!(called.value.contains(&by), "a {version} server answered");
        server.stop().await;
    }
    Ok(())
}

/// `http://host:port/path`, the host without its trailing dot.
fn url(target: &ResolvedTarget, path: &str) -> String {
    let host = target.host().to_string();
    format!(
        "http://{}:{}{path}",
        host.trim_end_matches('.'),
        target.port()
    )
}

/// The URL and the addresses it is fetched from.
fn shown(target: &ResolvedTarget, path: &str) -> String {
    let addrs: Vec<String> = target.socket_addrs().map(|a| a.to_string()).collect();
    format!("{} via {}", url(target, path), addrs.join(", "))
}

/// One attempt: GET from this target, connecting to the addresses DNS gave
/// for it (the host name still goes in the `Host` header).
async fn get(target: ResolvedTarget, path: String) -> Result<String, reqwest::Error> {
    let url = url(&target, &path);
    let host = target.host().to_string();
    let addrs: Vec<SocketAddr> = target.socket_addrs().collect();
    let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(5));
    if !addrs.is_empty() {
        builder = builder.resolve_to_addrs(host.trim_end_matches('.'), &addrs);
    }
    builder
        .build()?
        .get(url)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await
}

fn print_failed(failed: &[Attempt<reqwest::Error>], path: &str) {
    for attempt in failed {
        println!(
            "failed   {}: {}",
            shown(&attempt.target, path),
            root_cause(&attempt.error)
        );
    }
}

/// The innermost cause ("Connection refused"), which is what tells why.
fn root_cause(error: &(dyn Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// Zone `example.com` on a local DNS server, `v1` and `v2` registered, HTTP
/// servers started; returns the server and the port where nothing listens.
async fn serve_example(service: &ServiceType) -> Result<(TestServer, u16), Box<dyn Error>> {
    let memory = InMemoryProvider::new();
    let domain = Name::parse("example.com")?;
    memory.create_zone(domain.clone())?;
    let server = TestServer::start(memory.clone()).await?;
    let registry = ServiceRegistry::new(Arc::new(memory));

    // A port that was free a moment ago has nothing listening on it.
    let dead = TcpListener::bind("127.0.0.1:0").await?.local_addr()?.port();
    let v1 = ServiceInstance::new("v1", service.clone(), domain.clone())?
        .with_target(target("dead", dead, 0)?)
        .with_target(target("web-a", http_server("web-a (v1)").await?, 10)?)
        .with_target(target("web-b", http_server("web-b (v1)").await?, 10)?)
        .with_txt(TxtProperties::new().with("path", "/hello")?);
    let v2 = ServiceInstance::new("v2", service.clone(), domain)?
        .with_target(target("web-c", http_server("web-c (v2)").await?, 0)?)
        .with_txt(TxtProperties::new().with("path", "/hello")?);
    registry.register(&v1).await?;
    registry.register(&v2).await?;
    println!(
        "Offline: example.com served on {}; HTTP servers on 127.0.0.1, none on port {dead}\n",
        server.addr()
    );
    Ok((server, dead))
}

fn target(host: &str, port: u16, priority: u16) -> Result<Target, Box<dyn Error>> {
    Ok(
        Target::new(Name::parse(&format!("{host}.example.com"))?, port)
            .with_priority(priority)
            .with_weight(50)
            .with_address("127.0.0.1".parse()?),
    )
}

/// A tiny HTTP/1.1 server on 127.0.0.1 answering every request with 200 and
/// its name; returns its port.
async fn http_server(name: &'static str) -> std::io::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                // Read the whole request head before answering, so closing
                // the connection cannot cut off a request still being sent.
                let mut head = Vec::new();
                let mut buf = [0; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let body = format!("hello from {name}\n");
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                stream.write_all(response.as_bytes()).await.ok();
                stream.shutdown().await.ok();
            });
        }
    });
    Ok(port)
}
