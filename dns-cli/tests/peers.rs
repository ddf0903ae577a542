//! dnsctl against real peers: moto (the Route 53 emulator) and Cloudflare's
//! official OpenAPI schema (Stoplight Prism as a validating proxy in front
//! of the fake).
#![allow(clippy::unwrap_used, reason = "tests")]

mod support;

use dns_route53::Route53Builder;
use dns_testkit::cloudflare::FakeCloudflare;
use dns_testkit::moto::Moto;
use dns_testkit::prism::Prism;
use support::{Run, argv, cloudflare_env, dnsctl, route53_env, run_cmd};

#[tokio::test]
async fn route53_join_leave_against_moto() {
    let moto = Moto::start();
    let sdk = Route53Builder::new()
        .with_endpoint_url(moto.endpoint())
        .with_credentials("AKIDMOTOTEST", "moto-test-secret")
        .build()
        .await
        .unwrap();
    sdk.client()
        .create_hosted_zone()
        .name("example.com")
        .caller_reference(format!("dnsctl-{}", std::process::id()))
        .send()
        .await
        .unwrap();
    let dnsctl_moto = |args: &[&str]| {
        let mut all = vec!["--provider", "route53", "--zone", "example.com"];
        all.extend_from_slice(args);
        let mut cmd = dnsctl(&all);
        route53_env(&mut cmd, &moto.endpoint());
        run_cmd(cmd)
    };
    let join = |ip: &str| {
        format!(
            "join --service _http._tcp --instance v1 --port 8080 --address {ip} --txt path=/ --ttl 60"
        )
    };
    dnsctl_moto(&argv(&join("10.1.2.3"))).await.ok();
    dnsctl_moto(&argv(&join("10.1.2.4"))).await.ok();
    dnsctl_moto(&argv(&join("10.1.2.4"))).await.ok();
    let values = |out: Run| -> Vec<String> {
        let sets = out.ok().json();
        let mut values: Vec<String> = sets
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| {
                s["values"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_owned())
            })
            .collect();
        values.sort();
        values
    };
    assert_eq!(
        values(dnsctl_moto(&argv("records list --type SRV --json")).await),
        [
            "0 0 8080 10-1-2-3.example.com.",
            "0 0 8080 10-1-2-4.example.com."
        ]
    );
    dnsctl_moto(&argv(
        "leave --service _http._tcp --instance v1 --address 10.1.2.3",
    ))
    .await
    .ok();
    assert_eq!(
        values(dnsctl_moto(&argv("records list --type SRV --json")).await),
        ["0 0 8080 10-1-2-4.example.com."]
    );
    let a = values(dnsctl_moto(&argv("records list --type A --json")).await);
    assert_eq!(a, ["10.1.2.4"]);
    dnsctl_moto(&argv(
        "leave --service _http._tcp --instance v1 --address 10.1.2.4",
    ))
    .await
    .ok();
    let left = dnsctl_moto(&argv("records list --json")).await.ok().json();
    let types: Vec<&str> = left
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["NS", "SOA"], "only the apex records remain");
}

#[tokio::test]
async fn cloudflare_requests_match_the_official_schema() {
    let fake = FakeCloudflare::start().await;
    let zone = fake.add_zone("example.com");
    let prism = Prism::proxy(&fake.uri()).await.unwrap();
    let steps: [&str; 6] = [
        "join --service _http._tcp --instance v1 --port 8080 --address 10.1.2.3 --txt path=/ --txt tls --ttl 60",
        "join --service _http._tcp --instance v1 --port 8080 --address 10.1.2.4 --ttl 60 --txt path=/ --txt tls",
        "join --a-record www.example.com --address 192.0.2.10 --address 2001:db8::10 --ttl 120",
        "records list --json",
        "leave --service _http._tcp --instance v1 --address 10.1.2.3",
        "leave --a-record www.example.com --address 192.0.2.10 --address 2001:db8::10",
    ];
    for step in steps {
        let mut args = vec!["--provider", "cloudflare", "--zone", "example.com"];
        args.extend(argv(step));
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
