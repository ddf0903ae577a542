//! browse, resolve, discover, pick, order and watch through the real binary
//! against a zone served over real DNS on localhost.
#![allow(clippy::unwrap_used, reason = "tests")]

mod support;

use std::sync::Arc;

use dns_core::{InMemoryProvider, Name, ServiceInstance, Target, TxtProperties};
use dns_sd_registry::ServiceRegistry;
use dns_testkit::TestServer;
use serde_json::{Value, json};
use support::{argv, dnsctl, run};
use tokio::io::{AsyncBufReadExt, BufReader};

struct Zone {
    server: TestServer,
    registry: ServiceRegistry,
    addr: String,
}

fn instance(label: &str, targets: &[(&str, u16, u16, u16, &str)]) -> ServiceInstance {
    let mut i = ServiceInstance::new(
        label,
        "_http._tcp".parse().unwrap(),
        Name::parse("example.com").unwrap(),
    )
    .unwrap()
    .with_txt(
        TxtProperties::new()
            .with("path", "/api")
            .unwrap()
            .with_flag("tls")
            .unwrap(),
    )
    .with_ttl(1);
    for (host, port, priority, weight, ip) in targets {
        i = i.with_target(
            Target::new(Name::parse(host).unwrap(), *port)
                .with_priority(*priority)
                .with_weight(*weight)
                .with_address(ip.parse().unwrap()),
        );
    }
    i
}

/// v1: two primaries (weights 3:1) and a backup; v2: one host.
async fn zone() -> Zone {
    let memory = InMemoryProvider::new();
    memory
        .create_zone(Name::parse("example.com").unwrap())
        .unwrap();
    let server = TestServer::start(memory.clone()).await.unwrap();
    let registry = ServiceRegistry::new(Arc::new(memory));
    registry
        .register(&instance(
            "v1",
            &[
                ("web-1.example.com", 8080, 0, 60, "192.0.2.1"),
                ("web-2.example.com", 8080, 0, 20, "192.0.2.2"),
                ("backup.example.com", 8081, 10, 0, "198.51.100.7"),
            ],
        ))
        .await
        .unwrap();
    registry
        .register(&instance(
            "v2 canary",
            &[("web-3.example.com", 9090, 0, 0, "192.0.2.3")],
        ))
        .await
        .unwrap();
    let addr = server.addr().to_string();
    Zone {
        server,
        registry,
        addr,
    }
}

#[tokio::test]
async fn browse_lists_instances() {
    let z = zone().await;
    let out = run(&argv(&format!(
        "--server {} browse _http._tcp.example.com --json",
        z.addr
    )))
    .await
    .ok();
    let doc = out.json();
    assert_eq!(doc["service"], "_http._tcp.example.com.");
    let mut labels: Vec<&str> = doc["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["instance"].as_str().unwrap())
        .collect();
    labels.sort_unstable();
    assert_eq!(labels, ["v1", "v2 canary"]);
    let human = run(&argv(&format!(
        "--server {} browse _http._tcp.example.com",
        z.addr
    )))
    .await
    .ok();
    assert!(human.stdout.starts_with("INSTANCE"), "{}", human.stdout);
    assert!(
        human
            .stdout
            .contains(r"v2\032canary._http._tcp.example.com."),
        "{}",
        human.stdout
    );
}

#[tokio::test]
async fn discover_prints_the_documented_json_shape() {
    let z = zone().await;
    let doc = run(&argv(&format!(
        "--server {} discover _http._tcp.example.com. --json",
        z.addr
    )))
    .await
    .ok()
    .json();
    assert_eq!(
        doc.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["instances", "service"]
    );
    assert_eq!(doc["service"], "_http._tcp.example.com.");
    let v1 = doc["instances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["instance"] == "v1")
        .unwrap();
    assert_eq!(v1["name"], "v1._http._tcp.example.com.");
    assert_eq!(v1["txt"], json!({"path": "/api", "tls": true}));
    let mut targets = v1["targets"].as_array().unwrap().clone();
    targets.sort_by_key(|t| t["target"].as_str().unwrap().to_owned());
    assert_eq!(
        targets,
        [
            json!({"priority": 10, "weight": 0, "port": 8081, "target": "backup.example.com.", "addresses": ["198.51.100.7"]}),
            json!({"priority": 0, "weight": 60, "port": 8080, "target": "web-1.example.com.", "addresses": ["192.0.2.1"]}),
            json!({"priority": 0, "weight": 20, "port": 8080, "target": "web-2.example.com.", "addresses": ["192.0.2.2"]}),
        ]
    );
    let v2 = doc["instances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["instance"] == "v2 canary")
        .unwrap();
    assert_eq!(v2["name"], r"v2\032canary._http._tcp.example.com.");

    let human = run(&argv(&format!(
        "--server {} discover _http._tcp.example.com",
        z.addr
    )))
    .await
    .ok();
    let header = human.stdout.lines().next().unwrap();
    assert!(
        header.starts_with("INSTANCE") && header.contains("ADDRESSES") && header.ends_with("TXT"),
        "{header}"
    );
    let row = human.stdout.lines().find(|l| l.contains("web-1")).unwrap();
    assert!(
        row.contains("192.0.2.1") && row.contains("path=/api tls"),
        "{row}"
    );
    // Aligned: every row's port column ends where the header's does.
    let end = header.find("PORT").unwrap() + 4;
    for line in human.stdout.lines().skip(1) {
        assert!(line[..end].ends_with(char::is_numeric), "{line:?}");
    }
}

#[tokio::test]
async fn resolve_shows_one_instance() {
    let z = zone().await;
    let doc = run(&argv(&format!(
        r"--server {} resolve v2\032canary._http._tcp.example.com --json",
        z.addr
    )))
    .await
    .ok()
    .json();
    assert_eq!(doc["instance"], "v2 canary");
    assert_eq!(doc["targets"][0]["target"], "web-3.example.com.");
    assert_eq!(doc["targets"][0]["addresses"], json!(["192.0.2.3"]));
    let missing = run(&argv(&format!(
        "--server {} resolve v9._http._tcp.example.com",
        z.addr
    )))
    .await;
    missing.fails(1, &["v9._http._tcp.example.com"]);
}

#[tokio::test]
async fn pick_prints_one_target_or_an_array_of_picks() {
    let z = zone().await;
    let one = run(&argv(&format!(
        "--server {} pick _http._tcp.example.com --instance v1 --json",
        z.addr
    )))
    .await
    .ok()
    .json();
    assert_eq!(
        one.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["addresses", "port", "target"]
    );
    // Priority 0 always wins while it has targets.
    assert!(
        ["web-1.example.com.", "web-2.example.com."].contains(&one["target"].as_str().unwrap()),
        "{one}"
    );
    assert_eq!(one["port"], 8080);

    let many = run(&argv(&format!(
        "--server {} pick _http._tcp.example.com --instance v1 --count 50 --json --seed 7",
        z.addr
    )))
    .await
    .ok()
    .json();
    let picks = many.as_array().unwrap();
    assert_eq!(picks.len(), 50);
    let web1 = picks
        .iter()
        .filter(|p| p["target"] == "web-1.example.com.")
        .count();
    assert!(
        web1 > 25 && web1 < 50,
        "weights 60:20 → about 3 in 4 picks, got {web1}/50"
    );

    // An instance named directly, in presentation form.
    let v2 = run(&argv(&format!(
        r"--server {} pick v2\032canary._http._tcp.example.com --json",
        z.addr
    )))
    .await
    .ok()
    .json();
    assert_eq!(
        v2,
        json!({"target": "web-3.example.com.", "port": 9090, "addresses": ["192.0.2.3"]})
    );
    // --count 1 is still an array.
    let arr = run(&argv(&format!(
        r"--server {} pick v2\032canary._http._tcp.example.com --json --count 1",
        z.addr
    )))
    .await
    .ok()
    .json();
    assert_eq!(arr.as_array().unwrap().len(), 1);
    let human = run(&argv(&format!(
        r"--server {} pick v2\032canary._http._tcp.example.com",
        z.addr
    )))
    .await
    .ok();
    assert_eq!(human.stdout.trim(), "web-3.example.com. 9090 192.0.2.3");

    run(&argv(&format!(
        "--server {} pick _http._tcp.example.com --instance v7",
        z.addr
    )))
    .await
    .fails(1, &["v7", "dnsctl browse"]);
    run(&argv(&format!(
        "--server {} pick _ftp._tcp.example.com",
        z.addr
    )))
    .await
    .fails(1, &["_ftp._tcp.example.com"]);
}

#[tokio::test]
async fn pick_samples_compare_observed_and_expected_shares() {
    let z = zone().await;
    let doc = run(&argv(&format!(
        "--server {} pick _http._tcp.example.com --instance v1 --samples 40000 --json",
        z.addr
    )))
    .await
    .ok()
    .json();
    assert_eq!(doc["samples"], 40000);
    let rows = doc["targets"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let total: u64 = rows.iter().map(|r| r["picks"].as_u64().unwrap()).sum();
    assert_eq!(total, 40000);
    for r in rows {
        let (observed, expected) = (
            r["observed"].as_f64().unwrap(),
            r["expected"].as_f64().unwrap(),
        );
        let want = match r["target"].as_str().unwrap() {
            "web-1.example.com." => 0.75,
            "web-2.example.com." => 0.25,
            _ => 0.0,
        };
        assert!((expected - want).abs() < 1e-9, "{r}");
        // 40,000 draws: the standard error of a 3/4 share is about 0.002.
        assert!((observed - expected).abs() < 0.015, "{r}");
    }
    let human = run(&argv(&format!(
        "--server {} pick _http._tcp.example.com --instance v1 --samples 10000 --seed 1",
        z.addr
    )))
    .await
    .ok();
    let lines: Vec<&str> = human.stdout.lines().collect();
    assert!(lines[0].contains("10000 picks"), "{}", human.stdout);
    assert!(lines[1].contains("EXPECTED") && lines[1].contains("OBSERVED"));
    let web1 = lines.iter().find(|l| l.contains("web-1")).unwrap();
    assert!(
        web1.contains("75.0%") && web1.contains("###############"),
        "{web1}"
    );
    let backup = lines.iter().find(|l| l.contains("backup")).unwrap();
    assert!(backup.contains("0.0%") && !backup.contains('#'), "{backup}");
}

#[tokio::test]
async fn order_lists_priority_groups_in_order() {
    let z = zone().await;
    for seed in ["1", "2", "3"] {
        let doc = run(&argv(&format!(
            "--server {} order _http._tcp.example.com --instance v1 --json --seed {seed}",
            z.addr
        )))
        .await
        .ok()
        .json();
        let list = doc.as_array().unwrap();
        assert_eq!(list.len(), 3);
        assert_eq!(list[0]["priority"], 0);
        assert_eq!(list[1]["priority"], 0);
        assert_eq!(list[2]["target"], "backup.example.com.");
    }
    let human = run(&argv(&format!(
        "--server {} order _http._tcp.example.com --instance v1",
        z.addr
    )))
    .await
    .ok();
    let lines: Vec<&str> = human.stdout.lines().collect();
    assert!(lines[0].contains('#') && lines[0].contains("TARGET"));
    assert!(
        lines[3].trim_start().starts_with('3') && lines[3].contains("backup.example.com."),
        "{}",
        human.stdout
    );
}

#[tokio::test]
async fn watch_reports_instances_joining_and_leaving() {
    let z = zone().await;
    let mut cmd = dnsctl(&argv(&format!(
        "--server {} watch _http._tcp.example.com --json --events 4 --min-interval 200ms --max-interval 1s",
        z.addr
    )));
    cmd.stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut events: Vec<Value> = Vec::new();
    for _ in 0..2 {
        events.push(serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap());
    }
    assert!(events.iter().all(|e| e["event"] == "added"), "{events:?}");
    let v3 = instance("v3", &[("web-4.example.com", 80, 0, 0, "192.0.2.4")]);
    z.registry.register(&v3).await.unwrap();
    let next: Value = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    assert_eq!(next["event"], "added");
    assert_eq!(next["instance"]["instance"], "v3");
    z.registry.deregister(&v3).await.unwrap();
    let gone: Value = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    assert_eq!(gone["event"], "removed");
    assert_eq!(gone["instance"]["name"], "v3._http._tcp.example.com.");
    let status = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "watch exits after --events");
    z.server.stop().await;
}

#[tokio::test]
async fn an_unavailable_service_is_an_error_not_a_pick() {
    let memory = InMemoryProvider::new();
    memory
        .create_zone(Name::parse("example.com").unwrap())
        .unwrap();
    let server = TestServer::start(memory.clone()).await.unwrap();
    let registry = ServiceRegistry::new(Arc::new(memory));
    // RFC 2782: a lone "." target says the service is not available here.
    let closed = ServiceInstance::new(
        "off",
        "_http._tcp".parse().unwrap(),
        Name::parse("example.com").unwrap(),
    )
    .unwrap()
    .with_target(Target::new(Name::root(), 0));
    registry.register(&closed).await.unwrap();
    let addr = server.addr().to_string();
    let out = run(&argv(&format!(
        "--server {addr} pick off._http._tcp.example.com --json"
    )))
    .await;
    out.fails(1, &["deliberately unavailable"]);
    assert!(out.stdout.is_empty());
}
