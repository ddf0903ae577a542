//! `join --until-signal`: stays in the foreground and leaves on SIGTERM or
//! SIGINT, as a systemd unit or a container's init would stop it.
#![allow(clippy::unwrap_used, reason = "tests")]

mod support;

use std::process::Stdio;
use std::time::Duration;

use dns_testkit::cloudflare::FakeCloudflare;
use dns_testkit::route53::FakeRoute53;
use support::{argv, cloudflare_env, dnsctl, route53_env};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;

/// Waits for the "joined; leaving on ..." line.
async fn wait_joined(child: &mut Child) {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    loop {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("dnsctl joined within 30 s")
            .unwrap()
            .unwrap_or_else(|| panic!("stdout closed before joining: {seen:?}"));
        if line.starts_with("joined; leaving on SIGTERM or SIGINT") {
            // Keep draining so the final "left ..." line never blocks on a full pipe.
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return;
        }
        seen.push(line);
    }
}

async fn signal(child: &Child, name: &str) -> std::process::ExitStatus {
    let pid = child.id().unwrap().to_string();
    let status = tokio::process::Command::new("kill")
        .args(["-s", name, &pid])
        .status()
        .await
        .unwrap();
    assert!(status.success(), "kill -s {name} {pid}");
    status
}

#[tokio::test]
async fn sigterm_leaves_route53() {
    let fake = FakeRoute53::start().await;
    let id = fake.create_zone("example.com", false);
    let mut cmd = dnsctl(&argv(
        "--provider route53 --zone example.com
         join --service _http._tcp --instance v1 --port 8080 --address 10.1.2.3 --until-signal",
    ));
    route53_env(&mut cmd, &fake.endpoint());
    cmd.stdout(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    wait_joined(&mut child).await;
    let names: Vec<String> = fake
        .record_sets(&id)
        .into_iter()
        .map(|s| format!("{} {}", s.name, s.rtype))
        .collect();
    assert!(
        names.contains(&"v1._http._tcp.example.com. SRV".to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&"10-1-2-3.example.com. A".to_owned()),
        "{names:?}"
    );
    // Still running: it only leaves when told to.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "dnsctl stays in the foreground"
    );

    signal(&child, "TERM").await;
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "exit status after leaving: {status}");
    let left: Vec<String> = fake
        .record_sets(&id)
        .into_iter()
        .filter(|s| s.rtype != "SOA" && s.rtype != "NS")
        .map(|s| format!("{} {}", s.name, s.rtype))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn sigint_leaves_a_cloudflare_round_robin() {
    let fake = FakeCloudflare::start().await;
    let zone = fake.add_zone("example.com");
    let other = dnsctl_join_other(&fake).await;
    assert!(other.success());
    let mut cmd = dnsctl(&argv(
        "--provider cloudflare --zone example.com
         join --a-record www.example.com --address 192.0.2.10 --ttl 120 --until-signal",
    ));
    cloudflare_env(&mut cmd, &fake.uri(), &fake.token());
    cmd.stdout(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    wait_joined(&mut child).await;
    let a = |fake: &FakeCloudflare| -> Vec<String> {
        let mut v: Vec<String> = fake
            .records(&zone)
            .into_iter()
            .filter(|r| r["type"] == "A")
            .map(|r| r["content"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(a(&fake), ["192.0.2.10", "192.0.2.11"]);
    signal(&child, "INT").await;
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");
    assert_eq!(a(&fake), ["192.0.2.11"], "only this host's address goes");
}

async fn dnsctl_join_other(fake: &FakeCloudflare) -> std::process::ExitStatus {
    let mut cmd = dnsctl(&argv(
        "--provider cloudflare --zone example.com
         join --a-record www.example.com --address 192.0.2.11 --ttl 120",
    ));
    cloudflare_env(&mut cmd, &fake.uri(), &fake.token());
    cmd.stdout(Stdio::null());
    cmd.status().await.unwrap()
}
