//! dnsctl against real peers: Cloudflare's official OpenAPI schema (Stoplight
//! Prism as a validating proxy in front of the fake).
#![allow(clippy::unwrap_used, reason = "tests")]

mod support;

use dns_testkit::cloudflare::FakeCloudflare;
use dns_testkit::prism::Prism;
use support::{cloudflare_env, dnsctl, run_cmd};

#[tokio::test]
async fn cloudflare_requests_match_the_official_schema() {
    let fake = FakeCloudflare::start().await;
    let zone = fake.add_zone("example.com");
    let prism = Prism::proxy(&fake.uri()).await.unwrap();
    let steps: [&[&str]; 6] = [
        &[
            "join",
            "--service",
            "_http._tcp",
            "--instance",
            "v1",
            "--port",
            "8080",
            "--address",
            "10.1.2.3",
            "--txt",
            "path=/",
            "--txt",
            "tls",
            "--ttl",
            "60",
        ],
        &[
            "join",
            "--service",
            "_http._tcp",
            "--instance",
            "v1",
            "--port",
            "8080",
            "--address",
            "10.1.2.4",
            "--ttl",
            "60",
            "--txt",
            "path=/",
            "--txt",
            "tls",
        ],
        &[
            "join",
            "--a-record",
            "www.example.com",
            "--address",
            "192.0.2.10",
            "--address",
            "2001:db8::10",
            "--ttl",
            "120",
        ],
        &["records", "list", "--json"],
        &[
            "leave",
            "--service",
            "_http._tcp",
            "--instance",
            "v1",
            "--address",
            "10.1.2.3",
        ],
        &[
            "leave",
            "--a-record",
            "www.example.com",
            "--address",
            "192.0.2.10",
            "--address",
            "2001:db8::10",
        ],
    ];
    for step in steps {
        let mut args = vec!["--provider", "cloudflare", "--zone", "example.com"];
        args.extend_from_slice(step);
        let mut cmd = dnsctl(&args);
        cloudflare_env(&mut cmd, &prism.uri(), &fake.token());
        run_cmd(cmd).await.ok();
    }
    let violations = prism.violations();
    assert!(
        violations.is_empty(),
        "Prism saw schema violations: {violations:#?}"
    );
    let left: Vec<String> = fake
        .records(&zone)
        .iter()
        .filter(|r| !["SOA", "NS"].contains(&r["type"].as_str().unwrap()))
        .map(|r| format!("{} {} {}", r["name"], r["type"], r["content"]))
        .collect();
    assert_eq!(
        left.len(),
        5,
        "10-1-2-4's A and SRV, the TXT and the two PTRs remain: {left:?}"
    );
    assert!(fake.request_count() >= 10, "requests went through Prism");
    prism.stop().await;
}
