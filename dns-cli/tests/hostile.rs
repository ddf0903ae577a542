//! `dnsctl browse` and `discover` against a zone whose PTR set names
//! things that are not instances of the service: only the instance is
//! listed, and the command still succeeds.
#![allow(clippy::unwrap_used, reason = "tests")]

mod support;

use std::sync::Arc;

use dns_core::{InMemoryProvider, Name, RData, RecordSet, ServiceInstance, Srv, Target};
use dns_sd_registry::ServiceRegistry;
use dns_testkit::TestServer;
use support::{argv, run};

fn name(s: &str) -> Name {
    Name::parse(s).unwrap()
}

/// `good` is registered; the PTR set also points at another domain, the
/// zone apex, the service name and a name two labels down, each of which
/// has SRV records of its own, so only the name check keeps them out.
async fn zone() -> TestServer {
    let memory = InMemoryProvider::new();
    let zone = memory.create_zone(name("example.com")).unwrap();
    let other = memory.create_zone(name("other.org")).unwrap();
    let registry = ServiceRegistry::new(Arc::new(memory.clone()));
    let good = ServiceInstance::new("good", "_http._tcp".parse().unwrap(), name("example.com"))
        .unwrap()
        .with_target(
            Target::new(name("web.example.com"), 8080).with_address("192.0.2.1".parse().unwrap()),
        );
    registry.register(&good).await.unwrap();

    let service = name("_http._tcp.example.com");
    let foreign = [
        "evil.other.org",
        "example.com",
        "_http._tcp.example.com",
        "deep.good._http._tcp.example.com",
    ];
    let targets = std::iter::once("good._http._tcp.example.com")
        .chain(foreign)
        .map(|t| RData::PTR(name(t)));
    memory
        .insert_unchecked(&zone, RecordSet::new(service, 60, targets).unwrap())
        .unwrap();
    for t in foreign {
        let srv = RData::SRV(Srv::new(0, 0, 6666, name("web.example.com")));
        let set = RecordSet::new(name(t), 60, [srv]).unwrap();
        let z = if t.ends_with("other.org") {
            &other
        } else {
            &zone
        };
        memory.insert_unchecked(z, set).unwrap();
    }
    TestServer::start(memory).await.unwrap()
}

#[tokio::test]
async fn browse_lists_only_the_instance() {
    let server = zone().await;
    let addr = server.addr();
    let doc = run(&argv(&format!(
        "--server {addr} browse _http._tcp.example.com --json"
    )))
    .await
    .ok()
    .json();
    let names: Vec<&str> = doc["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["good._http._tcp.example.com."]);

    let human = run(&argv(&format!(
        "--server {addr} browse _http._tcp.example.com"
    )))
    .await
    .ok();
    let rows: Vec<&str> = human.stdout.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{}", human.stdout);
    assert!(
        rows[0].contains("good._http._tcp.example.com."),
        "{}",
        human.stdout
    );
    assert!(!human.stdout.contains("evil"), "{}", human.stdout);
    // Each ignored target is named on stderr, without -v.
    for ignored in [
        "evil.other.org.",
        "example.com.",
        "deep.good._http._tcp.example.com.",
    ] {
        assert!(
            human.stderr.lines().any(|l| l.contains("WARN")
                && l.contains("ignoring a PTR target")
                && l.contains(ignored)),
            "{ignored}: {}",
            human.stderr
        );
    }
}

#[tokio::test]
async fn discover_resolves_only_the_instance() {
    let server = zone().await;
    let addr = server.addr();
    let doc = run(&argv(&format!(
        "--server {addr} discover _http._tcp.example.com --json"
    )))
    .await
    .ok()
    .json();
    let instances = doc["instances"].as_array().unwrap();
    assert_eq!(instances.len(), 1, "{doc}");
    assert_eq!(instances[0]["name"], "good._http._tcp.example.com.");
    assert_eq!(instances[0]["targets"][0]["port"], 8080);

    let human = run(&argv(&format!(
        "--server {addr} discover _http._tcp.example.com"
    )))
    .await
    .ok();
    assert!(!human.stdout.contains("6666"), "{}", human.stdout);
    assert!(!human.stdout.contains("evil"), "{}", human.stdout);
}
