//! join, leave, records and hosts --from-zone through the real binary
//! against the stateful Route 53 and Cloudflare fakes.
#![allow(clippy::unwrap_used, reason = "tests")]

mod support;

use std::collections::BTreeSet;

use dns_testkit::cloudflare::FakeCloudflare;
use dns_testkit::route53::FakeRoute53;
use serde_json::Value;
use support::{Run, argv, cloudflare_env, dnsctl, route53_env, run_cmd};

/// The zone's record sets as "name type value" lines, SOA and NS left out.
fn route53_zone(fake: &FakeRoute53, id: &str) -> BTreeSet<String> {
    fake.record_sets(id)
        .into_iter()
        .filter(|s| s.rtype != "SOA" && s.rtype != "NS")
        .flat_map(|s| {
            s.values
                .iter()
                .map(|v| format!("{} {} {} {v}", s.name, s.ttl.unwrap_or_default(), s.rtype))
                .collect::<Vec<_>>()
        })
        .collect()
}

async fn route53(fake: &FakeRoute53, args: &[&str]) -> Run {
    let mut all = vec!["--provider", "route53", "--zone", "example.com"];
    all.extend_from_slice(args);
    let mut cmd = dnsctl(&all);
    route53_env(&mut cmd, &fake.endpoint());
    run_cmd(cmd).await
}

const JOIN_V1: &str =
    "--service _http._tcp --instance v1 --port 8080 --txt path=/ --txt tls --ttl 60";

#[tokio::test]
async fn route53_join_is_the_classic_boot_script_and_idempotent() {
    let fake = FakeRoute53::start().await;
    let id = fake.create_zone("example.com", false);
    let out = route53(&fake, &argv(&format!("join {JOIN_V1} --address 10.1.2.3")))
        .await
        .ok();
    assert!(
        out.stdout.contains("joined v1._http._tcp.example.com."),
        "{}",
        out.stdout
    );
    let joined = route53_zone(&fake, &id);
    let expected: BTreeSet<String> = [
        "10-1-2-3.example.com. 60 A 10.1.2.3",
        "_http._tcp.example.com. 60 PTR v1._http._tcp.example.com.",
        "_services._dns-sd._udp.example.com. 60 PTR _http._tcp.example.com.",
        "v1._http._tcp.example.com. 60 SRV 0 0 8080 10-1-2-3.example.com.",
        "v1._http._tcp.example.com. 60 TXT \"path=/\" \"tls\"",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(joined, expected);

    // A restart runs the boot script again: nothing changes.
    route53(&fake, &argv(&format!("join {JOIN_V1} --address 10.1.2.3")))
        .await
        .ok();
    assert_eq!(route53_zone(&fake, &id), expected);

    // A second host joins the same instance; the first leaves without
    // knowing its port: only its own SRV value and address go.
    route53(&fake, &argv(&format!("join {JOIN_V1} --address 10.1.2.4")))
        .await
        .ok();
    let out = route53(
        &fake,
        &argv("leave --service _http._tcp --instance v1 --address 10.1.2.3 --json"),
    )
    .await
    .ok();
    let left = out.json();
    assert_eq!(left["action"], "left");
    assert_eq!(left["instance_removed"], false);
    assert_eq!(left["targets"][0]["port"], 8080);
    let after = route53_zone(&fake, &id);
    assert!(
        !after
            .iter()
            .any(|l| l.contains("10-1-2-3") || l.contains("10.1.2.3")),
        "{after:?}"
    );
    assert!(
        after.contains("v1._http._tcp.example.com. 60 SRV 0 0 8080 10-1-2-4.example.com."),
        "{after:?}"
    );
    assert!(after.contains("10-1-2-4.example.com. 60 A 10.1.2.4"));

    // Leaving twice is harmless, and says nothing was there; the last
    // leaver takes the instance away.
    let again = route53(
        &fake,
        &argv("leave --service _http._tcp --instance v1 --address 10.1.2.3"),
    )
    .await
    .ok();
    assert!(
        again
            .stdout
            .contains("(no target of this host was registered)"),
        "{}",
        again.stdout
    );
    assert!(
        !again.stdout.contains("the instance is gone"),
        "{}",
        again.stdout
    );
    let again = route53(
        &fake,
        &argv("leave --service _http._tcp --instance v1 --port 8080 --address 10.1.2.3 --json"),
    )
    .await
    .ok()
    .json();
    assert_eq!(again["targets"], serde_json::json!([]), "{again}");
    let out = route53(
        &fake,
        &argv("leave --service _http._tcp --instance v1 --address 10.1.2.4"),
    )
    .await
    .ok();
    assert!(
        out.stdout.contains("the instance is gone"),
        "{}",
        out.stdout
    );
    assert!(
        route53_zone(&fake, &id).is_empty(),
        "{:?}",
        route53_zone(&fake, &id)
    );
}

#[tokio::test]
async fn the_default_instance_label_comes_from_the_host() {
    let fake = FakeRoute53::start().await;
    let id = fake.create_zone("example.com", false);
    let out = route53(
        &fake,
        &argv("join --service _ssh._tcp --port 22 --host bastion.example.com --json"),
    )
    .await
    .ok();
    assert_eq!(out.json()["instance"], "bastion._ssh._tcp.example.com.");
    let sets = route53_zone(&fake, &id);
    assert!(
        sets.contains("bastion._ssh._tcp.example.com. 120 SRV 0 0 22 bastion.example.com."),
        "{sets:?}"
    );
    // No --address: no address record is written for a host named explicitly.
    assert!(!sets.iter().any(|l| l.contains(" A ")), "{sets:?}");
    route53(
        &fake,
        &argv("leave --service _ssh._tcp --host bastion.example.com"),
    )
    .await
    .ok();
    assert!(route53_zone(&fake, &id).is_empty());
}

#[tokio::test]
async fn route53_records_list_and_apply_with_review() {
    let fake = FakeRoute53::start().await;
    let id = fake.create_zone("example.com", false);
    route53(&fake, &argv(&format!("join {JOIN_V1} --address 10.1.2.3")))
        .await
        .ok();

    let listed = route53(&fake, &argv("records list --type SRV --json"))
        .await
        .ok()
        .json();
    assert_eq!(
        listed,
        serde_json::json!([{"name": "v1._http._tcp.example.com.", "type": "SRV", "ttl": 60, "values": ["0 0 8080 10-1-2-3.example.com."]}])
    );
    let table = route53(&fake, &argv("records list")).await.ok();
    assert!(table.stdout.lines().next().unwrap().starts_with("NAME"));
    assert!(table.stdout.contains("SOA"), "the whole zone is listed");

    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("apply-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("changes.yaml");
    std::fs::write(
        &file,
        "- action: add\n  name: www.example.com\n  type: A\n  ttl: 120\n  values: [192.0.2.10, 192.0.2.11]\n\
         - action: upsert\n  name: v1._http._tcp.example.com\n  type: TXT\n  ttl: 60\n  values: ['\"path=/v2\"']\n",
    )
    .unwrap();
    let before = route53_zone(&fake, &id);
    let plan = route53(
        &fake,
        &argv(&format!("records apply {}", file.to_str().unwrap())),
    )
    .await
    .ok();
    assert!(
        plan.stdout.contains("ADD www.example.com. A"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("  + 192.0.2.10"), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("  - \"path=/\" \"tls\""),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("dry run"), "{}", plan.stdout);
    assert_eq!(
        route53_zone(&fake, &id),
        before,
        "nothing applied without --yes"
    );

    let applied = route53(
        &fake,
        &argv(&format!(
            "records apply {} --yes --json",
            file.to_str().unwrap()
        )),
    )
    .await
    .ok()
    .json();
    assert_eq!(applied["applied"], true);
    assert_eq!(
        applied["steps"][0]["after"]["values"],
        serde_json::json!(["192.0.2.10", "192.0.2.11"])
    );
    let after = route53_zone(&fake, &id);
    assert!(after.contains("www.example.com. 120 A 192.0.2.10"));
    assert!(after.contains("v1._http._tcp.example.com. 60 TXT \"path=/v2\""));

    // A file with a mistake is refused whole, before any request.
    std::fs::write(&file, r#"{"changes": [{"action": "add", "name": "a.example.com", "type": "A", "ttl": 60, "values": ["192.0.2.1"]}, {"action": "add", "name": "b.example.com", "type": "AAAA", "ttl": 60, "values": ["192.0.2.1"]}]}"#).unwrap();
    fake.reset_counts();
    let bad = route53(
        &fake,
        &argv(&format!("records apply {} --yes", file.to_str().unwrap())),
    )
    .await;
    bad.fails(2, &["change 2", "192.0.2.1"]);
    assert_eq!(fake.requests().total, 0);
    assert!(
        !route53_zone(&fake, &id)
            .iter()
            .any(|l| l.starts_with("a.example.com"))
    );
}

#[tokio::test]
async fn hosts_from_a_zone_lists_its_address_records() {
    let fake = FakeRoute53::start().await;
    fake.create_zone("example.com", false);
    route53(&fake, &argv(&format!("join {JOIN_V1} --address 10.1.2.3")))
        .await
        .ok();
    route53(
        &fake,
        &argv("join --a-record www.example.com --address 192.0.2.10 --address 2001:db8::10"),
    )
    .await
    .ok();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("hosts-zone-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("hosts");
    std::fs::write(&file, "127.0.0.1 localhost\n").unwrap();
    route53(
        &fake,
        &argv(&format!(
            "hosts --from-zone --output {}",
            file.to_str().unwrap()
        )),
    )
    .await
    .ok();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("127.0.0.1 localhost\n# BEGIN dnsctl zone example.com.\n"),
        "{text}"
    );
    for line in [
        "10.1.2.3\t10-1-2-3.example.com\n",
        "192.0.2.10\twww.example.com\n",
        "2001:db8::10\twww.example.com\n",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
}

fn cloudflare_a(fake: &FakeCloudflare, zone: &str, name: &str) -> Vec<(String, u64, bool)> {
    let mut out: Vec<(String, u64, bool)> = fake
        .records(zone)
        .into_iter()
        .filter(|r| r["type"] == "A" && r["name"] == name)
        .map(|r: Value| {
            (
                r["content"].as_str().unwrap().to_owned(),
                r["ttl"].as_u64().unwrap(),
                r["proxied"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    out.sort();
    out
}

async fn cloudflare(fake: &FakeCloudflare, args: &[&str]) -> Run {
    let mut all = vec!["--provider", "cloudflare", "--zone", "example.com"];
    all.extend_from_slice(args);
    let mut cmd = dnsctl(&all);
    cloudflare_env(&mut cmd, &fake.uri(), &fake.token());
    run_cmd(cmd).await
}

#[tokio::test]
async fn cloudflare_round_robin_adds_and_removes_only_this_host() {
    let fake = FakeCloudflare::start().await;
    let zone = fake.add_zone("example.com");
    let join = |ip: &str| format!("join --a-record www.example.com --address {ip} --ttl 120");
    let (ja, jb, jc) = (join("192.0.2.10"), join("192.0.2.11"), join("192.0.2.12"));
    let (ja, jb, jc) = (argv(&ja), argv(&jb), argv(&jc));
    let (a, b, c) = tokio::join!(
        cloudflare(&fake, &ja),
        cloudflare(&fake, &jb),
        cloudflare(&fake, &jc)
    );
    for out in [a, b, c] {
        out.ok();
    }
    // Booting twice does not duplicate the record.
    cloudflare(&fake, &argv(&join("192.0.2.10"))).await.ok();
    assert_eq!(
        cloudflare_a(&fake, &zone, "www.example.com"),
        [
            ("192.0.2.10".into(), 120, false),
            ("192.0.2.11".into(), 120, false),
            ("192.0.2.12".into(), 120, false)
        ]
    );
    let out = cloudflare(
        &fake,
        &argv("leave --a-record www.example.com --address 192.0.2.11"),
    )
    .await
    .ok();
    assert!(
        out.stdout.starts_with("left round robin www.example.com."),
        "{}",
        out.stdout
    );
    assert_eq!(
        cloudflare_a(&fake, &zone, "www.example.com"),
        [
            ("192.0.2.10".into(), 120, false),
            ("192.0.2.12".into(), 120, false)
        ]
    );
    assert!(!out.stdout.contains(&fake.token()) && !out.stderr.contains(&fake.token()));
}

#[tokio::test]
async fn cloudflare_service_join_and_leave() {
    let fake = FakeCloudflare::start().await;
    let zone = fake.add_zone("example.com");
    cloudflare(&fake, &argv(&format!("join {JOIN_V1} --address 10.1.2.3")))
        .await
        .ok();
    let records = fake.records(&zone);
    let srv = records.iter().find(|r| r["type"] == "SRV").unwrap();
    assert_eq!(srv["name"], "v1._http._tcp.example.com");
    assert_eq!(srv["data"]["port"], 8080);
    assert_eq!(srv["data"]["target"], "10-1-2-3.example.com");
    assert!(
        records
            .iter()
            .any(|r| r["type"] == "A" && r["content"] == "10.1.2.3")
    );
    // Leave without --txt: the TXT published at join is found and removed
    // (Cloudflare has no preconditions, so the leaver removes what it knows).
    cloudflare(
        &fake,
        &argv("leave --service _http._tcp --instance v1 --address 10.1.2.3"),
    )
    .await
    .ok();
    let left: Vec<Value> = fake
        .records(&zone)
        .into_iter()
        .filter(|r| r["type"] != "SOA" && r["type"] != "NS")
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn ec2_metadata_supplies_the_public_address() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let imds = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/latest/api/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("imds-token")
                .insert_header("x-aws-ec2-metadata-token-ttl-seconds", "21600"),
        )
        .mount(&imds)
        .await;
    Mock::given(method("GET"))
        .and(path("/latest/meta-data/public-ipv4"))
        .and(wiremock::matchers::header(
            "x-aws-ec2-metadata-token",
            "imds-token",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_string("203.0.113.7"))
        .mount(&imds)
        .await;
    let fake = FakeRoute53::start().await;
    let id = fake.create_zone("example.com", false);
    let mut cmd = dnsctl(&argv(
        "--provider route53 --zone example.com
         join --a-record www.example.com --address public --ttl 120",
    ));
    route53_env(&mut cmd, &fake.endpoint());
    cmd.env_remove("AWS_EC2_METADATA_DISABLED")
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.uri());
    run_cmd(cmd).await.ok();
    assert!(
        route53_zone(&fake, &id).contains("www.example.com. 120 A 203.0.113.7"),
        "{:?}",
        route53_zone(&fake, &id)
    );
}

#[tokio::test]
async fn auto_off_ec2_takes_the_default_route_address() {
    // The address the kernel would send from on the default route, found
    // the same way (connecting a UDP socket sends nothing).
    let probe = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    probe
        .connect("192.0.2.1:9")
        .expect("this machine needs an IPv4 default route for this test");
    let expected = probe.local_addr().unwrap().ip().to_string();
    let fake = FakeRoute53::start().await;
    let id = fake.create_zone("example.com", false);
    let out = route53(
        &fake,
        &argv("join --service _http._tcp --port 80 --address auto --json"),
    )
    .await
    .ok()
    .json();
    assert_eq!(out["addresses"], serde_json::json!([expected]));
    let host = format!("{}.example.com.", expected.replace('.', "-"));
    assert_eq!(out["targets"][0]["target"], host.as_str());
    assert_eq!(
        out["instance"],
        format!("{}._http._tcp.example.com.", expected.replace('.', "-"))
    );
    assert!(route53_zone(&fake, &id).contains(&format!("{host} 120 A {expected}")));
}

/// `dnsctl --provider rfc2136 --zone example.com --server ADDR ARGS`.
async fn rfc2136(addr: &str, args: &[&str]) -> Run {
    let mut all = vec![
        "--provider",
        "rfc2136",
        "--zone",
        "example.com",
        "--server",
        addr,
    ];
    all.extend_from_slice(args);
    run_cmd(dnsctl(&all)).await
}

/// Requests one `dnsctl` command costs, per provider: what a boot or
/// shutdown script spends of Cloudflare's 1,200 per 5 minutes or Route 53's
/// 5 per second; for RFC 2136, the messages the server received. Printed
/// for docs/performance.md (run with `--nocapture`);
/// the bounds keep them from growing unnoticed.
#[tokio::test]
#[allow(clippy::print_stdout, reason = "the figures are the point")]
async fn requests_per_command() {
    // (what, arguments, at most: Cloudflare, Route 53, RFC 2136 messages)
    let steps: [(&str, &str, usize, u64, u64); 5] = [
        (
            "join --a-record",
            "join --a-record www.example.com --address 192.0.2.1",
            3,
            3,
            1,
        ),
        (
            "join --txt (first host)",
            "join --service _http._tcp --instance v1 --port 80 --address 10.1.2.3 --txt path=/",
            3,
            4,
            2,
        ),
        (
            "join, no --txt (2nd host)",
            "join --service _http._tcp --instance v1 --port 80 --address 10.1.2.4",
            4,
            5,
            3,
        ),
        (
            "leave --port (not last)",
            "leave --service _http._tcp --instance v1 --port 80 --address 10.1.2.4",
            4,
            5,
            3,
        ),
        (
            "leave, no --port (last)",
            "leave --service _http._tcp --instance v1 --address 10.1.2.3",
            7,
            9,
            5,
        ),
    ];
    let cf = FakeCloudflare::start().await;
    cf.add_zone("example.com");
    let r53 = FakeRoute53::start().await;
    r53.create_zone("example.com", false);
    let memory = dns_core::InMemoryProvider::new();
    memory
        .create_zone(dns_core::Name::parse("example.com").unwrap())
        .unwrap();
    let server = dns_server::ZoneServer::builder(memory)
        .with_updates(dns_server::UpdatePolicy::loopback())
        .start()
        .await
        .unwrap();
    let addr = server.addr().to_string();
    println!(
        "{:<26} {:>10} {:>8} {:>8}",
        "command", "cloudflare", "route53", "rfc2136"
    );
    for (what, args, cf_max, r53_max, rfc_max) in steps {
        let before = cf.request_count();
        cloudflare(&cf, &argv(args)).await.ok();
        let cf_used = cf.request_count() - before;
        let before = r53.requests().total;
        route53(&r53, &argv(args)).await.ok();
        let r53_used = r53.requests().total - before;
        let before = server.queries();
        rfc2136(&addr, &argv(args)).await.ok();
        let rfc_used = server.queries() - before;
        println!("{what:<26} {cf_used:>10} {r53_used:>8} {rfc_used:>8}");
        assert!(
            rfc_used <= rfc_max,
            "{what}: {rfc_used} RFC 2136 messages, at most {rfc_max} expected"
        );
        assert!(
            cf_used <= cf_max,
            "{what}: {cf_used} Cloudflare requests, at most {cf_max} expected"
        );
        assert!(
            r53_used <= r53_max,
            "{what}: {r53_used} Route 53 requests, at most {r53_max} expected"
        );
    }
}

#[tokio::test]
async fn a_pinned_cloudflare_zone_is_not_looked_up() {
    let fake = FakeCloudflare::start().await;
    let zone = fake.add_zone("example.com");
    let args = format!("--zone-id {zone} join --a-record www.example.com --address 192.0.2.10");
    cloudflare(&fake, &argv(&args)).await.ok();
    assert_eq!(
        cloudflare_a(&fake, &zone, "www.example.com"),
        [("192.0.2.10".into(), 120, false)]
    );
    let zone_lookups = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/zones"))
        .count();
    assert_eq!(zone_lookups, 0, "{:?}", fake.requests());
    // Route 53 has no such option.
    let r53 = FakeRoute53::start().await;
    route53(&r53, &argv("--zone-id Z1 records list"))
        .await
        .fails(2, &["--zone-id", "Route 53"]);
}

#[tokio::test]
async fn leaving_one_service_keeps_an_address_another_still_uses() {
    let fake = FakeRoute53::start().await;
    let id = fake.create_zone("example.com", false);
    route53(
        &fake,
        &argv("join --service _http._tcp --port 80 --address 10.1.2.3"),
    )
    .await
    .ok();
    route53(
        &fake,
        &argv("join --service _ssh._tcp --port 22 --address 10.1.2.3"),
    )
    .await
    .ok();
    let out = route53(
        &fake,
        &argv("leave --service _http._tcp --address 10.1.2.3"),
    )
    .await
    .ok();
    assert!(
        out.stderr
            .contains("keeping the addresses of 10-1-2-3.example.com."),
        "{}",
        out.stderr
    );
    assert!(
        !out.stdout.contains("address 10.1.2.3"),
        "a kept address is not reported as withdrawn: {}",
        out.stdout
    );
    let zone = route53_zone(&fake, &id);
    assert!(
        zone.contains("10-1-2-3.example.com. 120 A 10.1.2.3"),
        "the ssh service still needs it: {zone:?}"
    );
    assert!(!zone.iter().any(|l| l.contains("_http")), "{zone:?}");
    // The last user takes it away.
    route53(&fake, &argv("leave --service _ssh._tcp --address 10.1.2.3"))
        .await
        .ok();
    assert!(
        route53_zone(&fake, &id).is_empty(),
        "{:?}",
        route53_zone(&fake, &id)
    );
}

#[tokio::test]
async fn a_join_without_txt_keeps_the_instances_txt() {
    let fake = FakeRoute53::start().await;
    let id = fake.create_zone("example.com", false);
    route53(&fake, &argv(&format!("join {JOIN_V1} --address 10.1.2.3")))
        .await
        .ok();
    route53(
        &fake,
        &argv("join --service _http._tcp --instance v1 --port 8080 --ttl 60 --address 10.1.2.4"),
    )
    .await
    .ok();
    let zone = route53_zone(&fake, &id);
    assert!(
        zone.contains("v1._http._tcp.example.com. 60 TXT \"path=/\" \"tls\""),
        "{zone:?}"
    );
    assert_eq!(
        zone.iter().filter(|l| l.contains(" TXT ")).count(),
        1,
        "{zone:?}"
    );
}

#[tokio::test]
async fn records_apply_that_fails_part_way_says_which_changes_took_effect() {
    let fake = FakeRoute53::start().await;
    let id = fake.create_zone("example.com", false);
    // 1,500 new names, then a CNAME beside the last one's A record: Route
    // 53's limit of 1,000 records per batch puts the CNAME in the second
    // batch, which Route 53 refuses after the first went through.
    let mut changes: Vec<serde_json::Value> = (0..1_500u32)
        .map(|i| {
            serde_json::json!({"action": "add", "name": format!("h{i}.example.com"), "type": "A",
                               "ttl": 60, "values": [format!("10.0.{}.{}", i / 250, i % 250)]})
        })
        .collect();
    changes.push(
        serde_json::json!({"action": "upsert", "name": "h1499.example.com", "type": "CNAME",
                                    "ttl": 60, "values": ["elsewhere.example.com."]}),
    );
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("partial-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("changes.json");
    std::fs::write(&file, serde_json::to_string(&changes).unwrap()).unwrap();
    let out = route53(
        &fake,
        &argv(&format!("records apply {} --yes", file.to_str().unwrap())),
    )
    .await;
    out.fails(
        1,
        &[
            "applying 1501 change(s)",
            "applied before the failure: changes 1-1000 of 1501",
        ],
    );
    let a_sets = route53_zone(&fake, &id)
        .iter()
        .filter(|line| line.contains(" A "))
        .count();
    assert_eq!(
        a_sets, 1_000,
        "the zone holds exactly what the message says"
    );
}
