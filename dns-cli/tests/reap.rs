//! `dnsctl reap` and `dnsctl join --until-signal --refresh` through the
//! real binary, against the Route 53 fake (which counts every request).
#![allow(clippy::unwrap_used, reason = "tests")]

mod support;

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::{Duration, Instant};

use dns_testkit::route53::FakeRoute53;
use support::{argv, dnsctl, route53_env, run_cmd};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::process::Child;

const GLOBAL: &str = "--provider route53 --zone example.com";

async fn run(fake: &FakeRoute53, args: &str) -> support::Run {
    let mut cmd = dnsctl(&argv(&format!("{GLOBAL} {args}")));
    route53_env(&mut cmd, &fake.endpoint());
    run_cmd(cmd).await
}

/// Every set of the zone but SOA and NS, as `name type ttl [values]`.
fn zone(fake: &FakeRoute53, id: &str) -> BTreeSet<String> {
    fake.record_sets(id)
        .into_iter()
        .filter(|s| s.rtype != "SOA" && s.rtype != "NS")
        .map(|s| {
            let mut values = s.values.clone();
            values.sort();
            format!("{} {} {:?} {values:?}", s.name, s.rtype, s.ttl)
        })
        .collect()
}

fn srv_ports(fake: &FakeRoute53, id: &str) -> Vec<u16> {
    let mut ports: Vec<u16> = fake
        .record_sets(id)
        .into_iter()
        .filter(|s| s.rtype == "SRV")
        .flat_map(|s| s.values)
        .map(|v| v.split_whitespace().nth(2).unwrap().parse().unwrap())
        .collect();
    ports.sort_unstable();
    ports
}

async fn listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").await.unwrap()
}

fn port(l: &TcpListener) -> u16 {
    l.local_addr().unwrap().port()
}

/// A port nothing listens on.
async fn closed_port() -> u16 {
    port(&listener().await)
}

async fn join(fake: &FakeRoute53, host: &str, port: u16) {
    run(
        fake,
        &format!("join --service _http._tcp --instance web --host {host} --port {port} --address 127.0.0.1"),
    )
    .await
    .ok();
}

/// Starts `dnsctl join ... --until-signal` and waits for it to have joined.
async fn join_until_signal(fake: &FakeRoute53, rest: &str) -> Child {
    let mut cmd = dnsctl(&argv(&format!("{GLOBAL} join {rest} --until-signal")));
    route53_env(&mut cmd, &fake.endpoint());
    cmd.stdout(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    loop {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("joined within 30 s")
            .unwrap()
            .expect("stdout open until joined");
        if line.starts_with("joined; leaving on") {
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return child;
        }
    }
}

async fn kill(child: &Child, signal: &str) {
    let pid = child.id().unwrap().to_string();
    let status = tokio::process::Command::new("kill")
        .args(["-s", signal, &pid])
        .status()
        .await
        .unwrap();
    assert!(status.success());
}

/// Waits (at most a minute) until `done` holds.
async fn until(mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(60), "gave up waiting");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Three `join --until-signal` instances of one service, each with its
/// port; one is killed with SIGKILL (no leave runs) and its port closes
/// with it. A reaper running as a service removes exactly its SRV value
/// and address; every other set is byte-identical afterwards. The time
/// from kill to removal is printed (docs/performance.md).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkilled_instance_is_reaped_and_nothing_else_changes() {
    let fake = FakeRoute53::start().await;
    let id = fake.create_zone("example.com", false);
    let mut ports = Vec::new();
    let mut joins = Vec::new();
    for i in 0..3 {
        let l = listener().await;
        ports.push(port(&l));
        let child = join_until_signal(
            &fake,
            &format!(
                "--service _http._tcp --instance web --host h{i}.example.com --port {} --address 127.0.0.1 --txt v=1",
                port(&l)
            ),
        )
        .await;
        joins.push((child, Some(l)));
    }
    let before = zone(&fake, &id);
    let mut reaper = dnsctl(&argv(&format!(
        "{GLOBAL} reap --service _http._tcp --failures 3 --interval 100ms --timeout 1s --json"
    )));
    route53_env(&mut reaper, &fake.endpoint());
    reaper.stdout(Stdio::piped());
    let mut reaper = reaper.spawn().unwrap();

    // kill -9: the process and its service port are gone, no leave ran.
    kill(&joins[1].0, "KILL").await;
    joins[1].1 = None;
    let killed = Instant::now();
    until(|| srv_ports(&fake, &id).len() == 2).await;
    let elapsed = killed.elapsed();
    eprintln!(
        "kill to removal: {} ms (failures 3 x interval 100 ms)",
        elapsed.as_millis()
    );
    assert_eq!(srv_ports(&fake, &id), {
        let mut p = vec![ports[0], ports[2]];
        p.sort_unstable();
        p
    });
    kill(&reaper, "TERM").await;
    let status = tokio::time::timeout(Duration::from_secs(30), reaper.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(
        status.success(),
        "the reaper stops with 0 on SIGTERM: {status}"
    );
    let mut out = String::new();
    reaper
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .await
        .unwrap();
    let removed: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .flat_map(|v| v["removed"].as_array().unwrap().clone())
        .collect();
    assert_eq!(
        removed,
        [serde_json::json!({"instance": "web", "target": "h1.example.com.", "port": ports[1]})]
    );

    // Everything else is as it was: the other SRV values, the TXT, the
    // PTRs and the other hosts' addresses.
    let after = zone(&fake, &id);
    let gone: Vec<&String> = before.difference(&after).collect();
    let new: Vec<&String> = after.difference(&before).collect();
    assert_eq!(
        gone.len(),
        2,
        "the SRV set (rewritten) and h1's A set: {gone:?}"
    );
    assert!(
        gone.iter().any(|s| s.starts_with("h1.example.com. A")),
        "{gone:?}"
    );
    assert_eq!(new.len(), 1, "{new:?}");
    assert!(
        new[0].starts_with("web._http._tcp.example.com. SRV"),
        "{new:?}"
    );
    for (child, _) in &joins {
        if child.id().is_some() {
            kill(child, "TERM").await;
        }
    }
}

/// All probes failing (the reaper's network is down, or every instance
/// crashed at once) removes nothing and exits 1 saying how many looked
/// dead; no write is sent.
#[tokio::test]
async fn all_probes_failing_removes_nothing_and_exits_1() {
    let fake = FakeRoute53::start().await;
    let id = fake.create_zone("example.com", false);
    for i in 0..3 {
        join(&fake, &format!("h{i}.example.com"), closed_port().await).await;
    }
    let before = zone(&fake, &id);
    fake.reset_counts();
    let out = run(
        &fake,
        "reap --service _http._tcp --once --failures 2 --interval 50ms --timeout 1s",
    )
    .await;
    out.fails(
        1,
        &[
            "refused",
            "3 of 3 targets looked dead",
            "_http._tcp.example.com",
        ],
    );
    assert_eq!(zone(&fake, &id), before);
    assert_eq!(fake.requests().change_resource_record_sets, 0);
}

/// An HTTP server answering `status` to every request.
async fn http(status: u16) -> u16 {
    let l = listener().await;
    let p = port(&l);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 2048];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let ok = String::from_utf8_lossy(&buf[..n]).starts_with("GET /healthz ");
                let status = if ok { status } else { 404 };
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
                let _ = s.write_all(reply.as_bytes()).await;
            });
        }
    });
    p
}

/// `--check http:/healthz`: a target answering 503 goes, those answering
/// 200 stay; the JSON is one object per service with the documented
/// fields. A dry run first reports the same and changes nothing.
#[tokio::test]
async fn http_check_dry_run_then_removal_with_json() {
    let fake = FakeRoute53::start().await;
    let id = fake.create_zone("example.com", false);
    let healthy = [http(200).await, http(200).await, http(200).await];
    let failing = http(503).await;
    for (i, p) in healthy.iter().enumerate() {
        join(&fake, &format!("h{i}.example.com"), *p).await;
    }
    join(&fake, "h9.example.com", failing).await;
    let before = zone(&fake, &id);
    let args = "reap --service _http._tcp --check http:/healthz --once --failures 2 --interval 50ms --json";

    fake.reset_counts();
    let dry = run(&fake, &format!("{args} --dry-run")).await.ok();
    assert_eq!(
        dry.json(),
        serde_json::json!({"service": "_http._tcp.example.com.", "checked": 4,
            "removed": [{"instance": "web", "target": "h9.example.com.", "port": failing}],
            "refused": null, "dry_run": true})
    );
    assert_eq!(zone(&fake, &id), before, "a dry run changes nothing");
    assert_eq!(fake.requests().change_resource_record_sets, 0);

    let done = run(&fake, args).await.ok();
    assert_eq!(
        done.json(),
        serde_json::json!({"service": "_http._tcp.example.com.", "checked": 4,
            "removed": [{"instance": "web", "target": "h9.example.com.", "port": failing}],
            "refused": null})
    );
    let mut expected = healthy.to_vec();
    expected.sort_unstable();
    assert_eq!(srv_ports(&fake, &id), expected);

    // Healthy now: a pass is one listing and no write.
    fake.reset_counts();
    let again = run(&fake, args).await.ok();
    assert_eq!(again.json()["removed"], serde_json::json!([]));
    let counts = fake.requests();
    assert_eq!(counts.change_resource_record_sets, 0);
    assert_eq!(counts.list_resource_record_sets, 1);
}

/// `join --until-signal --refresh`: while the registration is intact the
/// refreshes read and never write; an SRV set deleted by hand comes back
/// with one write, and SIGTERM still leaves cleanly.
#[tokio::test]
async fn refresh_restores_a_deleted_record_and_writes_nothing_while_intact() {
    let fake = FakeRoute53::start().await;
    let id = fake.create_zone("example.com", false);
    let child = join_until_signal(
        &fake,
        "--service _http._tcp --instance web --host h1.example.com --port 8080 --address 127.0.0.1 --refresh 100ms",
    )
    .await;
    let before = zone(&fake, &id);
    fake.reset_counts();
    // Several refreshes (each reads the sets, ListResourceRecordSets).
    until(|| fake.requests().list_resource_record_sets >= 20).await;
    assert_eq!(
        fake.requests().change_resource_record_sets,
        0,
        "an intact registration is never written"
    );

    let changes = std::env::temp_dir().join(format!("reap-delete-{}.yaml", std::process::id()));
    std::fs::write(
        &changes,
        "- action: delete\n  name: web._http._tcp.example.com\n  type: SRV\n",
    )
    .unwrap();
    run(&fake, &format!("records apply {} --yes", changes.display()))
        .await
        .ok();
    std::fs::remove_file(&changes).unwrap();
    let accepted = fake.requests().changes_accepted;
    until(|| zone(&fake, &id) == before).await;
    // Restored by one write; intact again, so no further write.
    let counts = fake.requests();
    assert_eq!(
        counts.changes_accepted,
        accepted + 1,
        "one write restored it"
    );
    let reads = counts.list_resource_record_sets;
    until(|| fake.requests().list_resource_record_sets >= reads + 10).await;
    assert_eq!(fake.requests().changes_accepted, accepted + 1);

    kill(&child, "TERM").await;
    let mut child = child;
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");
    assert!(zone(&fake, &id).is_empty(), "left cleanly");
}

/// Bad input is refused before any request, with status 2.
#[tokio::test]
async fn reap_usage_errors_exit_2() {
    let fake = FakeRoute53::start().await;
    fake.create_zone("example.com", false);
    for (args, words) in [
        ("reap --once", &["--service"][..]),
        (
            "reap --service _http._tcp --check ftp:/x",
            &["tcp, http:PATH"][..],
        ),
        (
            "reap --service _http._tcp --max-remove 150",
            &["percentage"][..],
        ),
        (
            "reap --service _http._tcp --interval 0s",
            &["more than zero"][..],
        ),
        (
            "join --service _http._tcp --port 80 --address 127.0.0.1 --refresh 1m",
            &["--until-signal"][..],
        ),
    ] {
        fake.reset_counts();
        let out = run(&fake, args).await;
        out.fails(2, words);
        assert_eq!(
            fake.requests().list_hosted_zones_by_name + fake.requests().list_resource_record_sets,
            0,
            "{args}"
        );
    }
}
