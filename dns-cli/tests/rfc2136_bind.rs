//! `dnsctl --provider rfc2136` against BIND 9 (installed by
//! scripts/test.sh, started per test and stopped by PID): join, leave,
//! records list and apply, hosts --from-zone, with the same exit statuses
//! and JSON as on the cloud providers, and the key's secret never printed.
#![allow(clippy::unwrap_used, reason = "tests")]

mod support;

use std::path::{Path, PathBuf};

use dns_testkit::authoritative::{AuthServer, Flavor, TestKey, TestZone};
use support::{Run, argv, dnsctl, run_cmd};

const SECRET: &str = "YmluZC10ZXN0LXNlY3JldC1uZXZlci1wcmludGVkLXh4eHg=";

fn bind() -> AuthServer {
    let key = TestKey::new("update-key", "hmac-sha256", SECRET);
    let zone = TestZone::new("example.test").with_key("update-key");
    AuthServer::start(Flavor::Bind9, &[key], &[zone])
}

fn key_file(dir: &Path) -> PathBuf {
    let path = dir.join("update.key");
    std::fs::write(
        &path,
        format!("key \"update-key\" {{\n\talgorithm hmac-sha256;\n\tsecret \"{SECRET}\";\n}};\n"),
    )
    .unwrap();
    path
}

fn temp_dir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dnsctl-bind-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn dnsctl_bind(server: &AuthServer, key: Option<&Path>, rest: &str) -> Run {
    let key = key
        .map(|k| format!("--tsig-key-file {}", k.display()))
        .unwrap_or_default();
    let line = format!(
        "--provider rfc2136 --server {} --zone example.test {key} {rest}",
        server.addr()
    );
    let out = run_cmd(dnsctl(&argv(&line))).await;
    assert!(
        !out.stdout.contains(SECRET) && !out.stderr.contains(SECRET),
        "the secret printed: {out:?}"
    );
    out
}

fn srv_values(listing: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> = listing
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["type"] == "SRV")
        .flat_map(|s| s["values"].as_array().unwrap().clone())
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn join_discover_and_leave_on_bind() {
    let server = bind();
    let dir = temp_dir("join");
    let key = key_file(&dir);
    let join = |ip: &str, port: u16, txt: &str| {
        format!("join --service _http._tcp --instance web --port {port} --address {ip} {txt}")
    };
    let out = dnsctl_bind(
        &server,
        Some(&key),
        &join("192.0.2.1", 8080, "--txt path=/api --json"),
    )
    .await
    .ok();
    assert_eq!(out.json()["action"], "joined");
    dnsctl_bind(&server, Some(&key), &join("192.0.2.2", 8081, ""))
        .await
        .ok();

    let listing = dnsctl_bind(&server, Some(&key), "records list --json")
        .await
        .ok()
        .json();
    assert_eq!(
        srv_values(&listing),
        [
            "0 0 8080 192-0-2-1.example.test.",
            "0 0 8081 192-0-2-2.example.test."
        ]
    );
    // BIND answers discovery from what dnsctl wrote; the second host kept
    // the TXT the first one published.
    let found = run_cmd(dnsctl(&argv(&format!(
        "--server {} discover _http._tcp.example.test --json",
        server.addr()
    ))))
    .await
    .ok()
    .json();
    let instance = &found["instances"][0];
    assert_eq!(instance["targets"].as_array().unwrap().len(), 2, "{found}");
    assert_eq!(instance["txt"]["path"], "/api", "{found}");

    // The first host leaves: only its target and address go.
    dnsctl_bind(
        &server,
        Some(&key),
        "leave --service _http._tcp --instance web --port 8080 --address 192.0.2.1",
    )
    .await
    .ok();
    let listing = dnsctl_bind(&server, Some(&key), "records list --json")
        .await
        .ok()
        .json();
    assert_eq!(srv_values(&listing), ["0 0 8081 192-0-2-2.example.test."]);
    let names: Vec<&str> = listing
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"192-0-2-1.example.test."), "{names:?}");

    // The last host leaves without --port: the instance is gone.
    let out = dnsctl_bind(
        &server,
        Some(&key),
        "leave --service _http._tcp --instance web --address 192.0.2.2 --json",
    )
    .await
    .ok();
    assert_eq!(out.json()["instance_removed"], true);
    let listing = dnsctl_bind(&server, Some(&key), "records list --json")
        .await
        .ok()
        .json();
    let left: Vec<&str> = listing
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["type"].as_str().unwrap())
        .collect();
    assert!(left.iter().all(|t| *t == "SOA" || *t == "NS"), "{listing}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn records_apply_and_hosts_from_zone_on_bind() {
    let server = bind();
    let dir = temp_dir("apply");
    let key = key_file(&dir);
    let file = dir.join("changes.yaml");
    std::fs::write(
        &file,
        "- {action: add, name: www, type: A, ttl: 60, values: [192.0.2.10, 192.0.2.11]}\n\
         - {action: upsert, name: www, type: TXT, ttl: 60, values: ['\"owner=web\"']}\n",
    )
    .unwrap();
    let dry = dnsctl_bind(
        &server,
        Some(&key),
        &format!("records apply {}", file.display()),
    )
    .await
    .ok();
    assert!(dry.stdout.contains("dry run"), "{}", dry.stdout);
    let applied = dnsctl_bind(
        &server,
        Some(&key),
        &format!("records apply {} --yes", file.display()),
    )
    .await
    .ok();
    assert!(
        applied
            .stdout
            .contains("applied 2 change(s) in 1 request(s)"),
        "{}",
        applied.stdout
    );
    let hosts = dir.join("hosts");
    let out = dnsctl_bind(
        &server,
        Some(&key),
        &format!("hosts --from-zone --output {}", hosts.display()),
    )
    .await
    .ok();
    assert!(
        out.stdout.contains("updated (2 address(es))"),
        "{}",
        out.stdout
    );
    let written = std::fs::read_to_string(&hosts).unwrap();
    assert!(
        written.contains("192.0.2.10\twww.example.test\n"),
        "{written}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn without_the_key_bind_refuses_and_nothing_changes() {
    let server = bind();
    let dir = temp_dir("nokey");
    let key = key_file(&dir);
    let out = dnsctl_bind(
        &server,
        None,
        "join --a-record www.example.test --address 192.0.2.1",
    )
    .await;
    out.fails(1, &["authentication failed"]);
    let listing = dnsctl_bind(&server, Some(&key), "records list --type A --json")
        .await
        .ok()
        .json();
    assert_eq!(listing, serde_json::json!([]));
    std::fs::remove_dir_all(&dir).unwrap();
}
