//! `dnsctl serve` with `--data` and `--tsig-key-file`, and `--provider
//! rfc2136` against it through the real binary: keys, restarts, exit
//! statuses, and secrets that never print.
#![allow(clippy::unwrap_used, reason = "tests")]

mod support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use support::{Run, argv, dnsctl, run_cmd};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;

const SECRET: &str = "c2VydmUtdGVzdC1zZWNyZXQtbmV2ZXItcHJpbnRlZA==";

fn key_file(dir: &Path, name: &str, secret: &str) -> PathBuf {
    let path = dir.join(format!("{name}.key"));
    std::fs::write(
        &path,
        format!("key \"{name}\" {{\n\talgorithm hmac-sha256;\n\tsecret \"{secret}\";\n}};\n"),
    )
    .unwrap();
    path
}

fn temp_dir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dnsctl-serve-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Starts `dnsctl serve ARGS --listen 127.0.0.1:0 --json` and returns it
/// with the address it listens on.
async fn serve(args: &str) -> (Child, String) {
    let line = format!("serve {args} --listen 127.0.0.1:0 --json");
    let mut child = dnsctl(&argv(&line))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("serve starts")
        .unwrap()
        .expect("the serving document");
    let doc: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert!(!first.contains(SECRET), "{first}");
    (child, doc["listen"].as_str().unwrap().to_owned())
}

async fn stop(mut child: Child) {
    let pid = child.id().unwrap().to_string();
    tokio::process::Command::new("kill")
        .args(["-s", "TERM", &pid])
        .status()
        .await
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("serve stops on SIGTERM")
        .unwrap();
    assert!(status.success(), "{status}");
}

async fn rfc2136(addr: &str, key: Option<&Path>, rest: &str) -> Run {
    let key = key
        .map(|k| format!("--tsig-key-file {}", k.display()))
        .unwrap_or_default();
    let line = format!("--provider rfc2136 --server {addr} --zone example.test {key} {rest}");
    run_cmd(dnsctl(&argv(&line))).await
}

const JOIN: &str = "join --service _http._tcp --instance web --port 8080 --address 127.0.0.1";

#[tokio::test]
async fn zones_kept_in_a_data_directory_survive_a_restart() {
    let dir = temp_dir("data");
    let data = dir.join("zones");
    let (server, addr) = serve(&format!("--zone example.test --data {}", data.display())).await;
    rfc2136(&addr, None, JOIN).await.ok();
    stop(server).await;
    assert!(data.join("example.test.json").exists());

    let (server, addr) = serve(&format!("--zone example.test --data {}", data.display())).await;
    let out = run_cmd(dnsctl(&argv(&format!(
        "--server {addr} discover _http._tcp.example.test --json"
    ))))
    .await
    .ok();
    assert_eq!(
        out.json()["instances"][0]["targets"][0]["port"],
        8080,
        "{}",
        out.stdout
    );
    rfc2136(&addr, None, &JOIN.replace("join", "leave"))
        .await
        .ok();
    stop(server).await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn with_a_key_only_signed_updates_are_taken() {
    let dir = temp_dir("key");
    let key = key_file(&dir, "update-key", SECRET);
    let (server, addr) = serve(&format!(
        "--zone example.test --tsig-key-file {}",
        key.display()
    ))
    .await;

    // No key: the server refuses, and the error says so, without a secret.
    let out = rfc2136(&addr, None, JOIN).await;
    out.fails(1, &["authentication failed"]);
    // The right name with another secret, and another key name.
    let forged = key_file(
        &dir,
        "update-key-forged",
        "Zm9yZ2VkLXNlY3JldC1mb3JnZWQtc2VjcmV0LWZvcmdlZA==",
    );
    std::fs::write(
        &forged,
        std::fs::read_to_string(&forged)
            .unwrap()
            .replace("update-key-forged", "update-key"),
    )
    .unwrap();
    rfc2136(&addr, Some(&forged), JOIN)
        .await
        .fails(1, &["update-key"]);
    let other = key_file(&dir, "other-key", SECRET);
    rfc2136(&addr, Some(&other), JOIN)
        .await
        .fails(1, &["other-key"]);

    // The zone is still empty; then the right key joins.
    let records = rfc2136(&addr, Some(&key), "records list --type SRV --json")
        .await
        .ok();
    assert_eq!(records.json(), serde_json::json!([]));
    let out = rfc2136(&addr, Some(&key), JOIN).await.ok();
    assert!(
        out.stdout.contains("joined web._http._tcp.example.test."),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains(SECRET) && !out.stderr.contains(SECRET));
    stop(server).await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn rfc2136_usage_errors_exit_2_before_any_update() {
    let dir = temp_dir("usage");
    // No --server to send updates to.
    run_cmd(dnsctl(&argv(&format!(
        "--provider rfc2136 --zone example.test {JOIN}"
    ))))
    .await
    .fails(2, &["--server"]);
    // A key file that is not one.
    let bad = dir.join("bad.key");
    std::fs::write(&bad, "not a key").unwrap();
    rfc2136("127.0.0.1:9", Some(&bad), JOIN)
        .await
        .fails(2, &["--tsig-key-file"]);
    // An algorithm hickory cannot verify.
    let md5 = dir.join("md5.key");
    std::fs::write(
        &md5,
        format!("key \"k\" {{ algorithm hmac-md5; secret \"{SECRET}\"; }};"),
    )
    .unwrap();
    let out = rfc2136("127.0.0.1:9", Some(&md5), JOIN).await;
    out.fails(2, &["hmac-md5"]);
    assert!(!out.stderr.contains(SECRET));
    // A key for a provider that does not use one.
    let key = key_file(&dir, "k", SECRET);
    run_cmd(dnsctl(&argv(&format!(
        "--provider route53 --zone example.test --tsig-key-file {} {JOIN}",
        key.display()
    ))))
    .await
    .fails(2, &["--tsig-key-file", "rfc2136"]);
    // serve without a zone.
    run_cmd(dnsctl(&argv("serve"))).await.fails(2, &["--zone"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn records_apply_goes_through_in_one_update() {
    let dir = temp_dir("apply");
    let (server, addr) = serve("--zone example.test").await;
    let file = dir.join("changes.yaml");
    std::fs::write(
        &file,
        "- {action: add, name: www, type: A, ttl: 60, values: [192.0.2.1, 192.0.2.2]}\n\
         - {action: upsert, name: www, type: TXT, ttl: 60, values: ['\"v=1\"']}\n",
    )
    .unwrap();
    let out = rfc2136(
        &addr,
        None,
        &format!("records apply {} --yes", file.display()),
    )
    .await
    .ok();
    assert!(
        out.stdout.contains("applied 2 change(s) in 1 request(s)"),
        "{}",
        out.stdout
    );
    let listed = rfc2136(&addr, None, "records list --name www.example.test --json")
        .await
        .ok();
    let sets = listed.json();
    assert_eq!(sets.as_array().unwrap().len(), 2, "{sets}");
    stop(server).await;
    std::fs::remove_dir_all(&dir).unwrap();
}
