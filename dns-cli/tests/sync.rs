//! `dnsctl sync` and `records export` through the real binary, on an
//! RFC 2136 server (`--provider rfc2136`) backed by an in-memory zone.
#![allow(clippy::unwrap_used, reason = "tests")]

mod support;

use std::path::PathBuf;

use dns_core::{DnsProvider, InMemoryProvider, Name, RecordType};
use dns_testkit::cloudflare::FakeCloudflare;
use dns_testkit::route53::FakeRoute53;
use support::{Run, argv, cloudflare_env, dnsctl, route53_env, run_cmd};

struct Server {
    memory: InMemoryProvider,
    zone: dns_core::Zone,
    addr: String,
    _server: dns_server::ZoneServer,
}

async fn server() -> Server {
    let (memory, zone, server) = support::update_server().await;
    Server {
        memory,
        zone,
        addr: server.addr().to_string(),
        _server: server,
    }
}

impl Server {
    async fn dnsctl(&self, args: &str) -> Run {
        let mut all = vec![
            "--provider",
            "rfc2136",
            "--server",
            &self.addr,
            "--zone",
            "example.com",
        ];
        all.extend(argv(args));
        run_cmd(dnsctl(&all)).await
    }

    async fn values(&self, name: &str, rtype: RecordType) -> Vec<String> {
        let sets = self.memory.list_record_sets(&self.zone).await.unwrap();
        let name = Name::parse(name).unwrap();
        sets.iter()
            .find(|s| s.name() == &name && s.record_type() == rtype)
            .map(|s| s.values().iter().map(ToString::to_string).collect())
            .unwrap_or_default()
    }
}

/// A file in a directory of its own under the test target directory.
fn file(test: &str, name: &str, text: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("sync")
        .join(test);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn records(sets: &[(&str, &str)]) -> String {
    let mut out = String::from("zones:\n  - zone: example.com.\n    records:\n");
    for (name, ip) in sets {
        out.push_str(&format!(
            "      - {{name: {name}, type: A, values: [{ip}]}}\n"
        ));
    }
    out
}

#[tokio::test]
async fn a_dry_run_changes_nothing_yes_applies_and_check_then_passes() {
    let s = server().await;
    let path = file("apply", "desired.yaml", &records(&[("www", "192.0.2.1")]));
    let p = path.to_str().unwrap();
    let dry = s.dnsctl(&format!("sync {p}")).await.ok();
    assert!(
        dry.stdout.contains("+ www.example.com. A 300 192.0.2.1"),
        "{}",
        dry.stdout
    );
    assert!(dry.stderr.contains("nothing applied"), "{}", dry.stderr);
    assert!(s.values("www.example.com", RecordType::A).await.is_empty());
    s.dnsctl(&format!("sync {p} --check"))
        .await
        .fails(3, &["differs", "1 set changes"]);
    s.dnsctl(&format!("sync {p} --yes")).await.ok();
    assert_eq!(
        s.values("www.example.com", RecordType::A).await,
        ["192.0.2.1"]
    );
    let again = s.dnsctl(&format!("sync {p} --check")).await.ok();
    assert!(again.stdout.contains("no changes"), "{}", again.stdout);
}

#[tokio::test]
async fn drift_exits_3_and_json_shows_the_update() {
    let s = server().await;
    let path = file("drift", "desired.yaml", &records(&[("www", "192.0.2.1")]));
    let p = path.to_str().unwrap();
    s.dnsctl(&format!("sync {p} --yes --owner cp-1")).await.ok();
    std::fs::write(&path, records(&[("www", "192.0.2.2")])).unwrap();
    let run = s
        .dnsctl(&format!("sync {p} --check --owner cp-1 --json"))
        .await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    let plan = &run.json()["plans"][0];
    assert_eq!(plan["steps"][0]["action"], "update");
    assert_eq!(plan["steps"][0]["after"]["values"][0], "192.0.2.2");
    // Another owner may not change what cp-1 owns: nothing to do for it.
    let other = s
        .dnsctl(&format!("sync {p} --check --owner cp-2 --json"))
        .await
        .ok();
    assert_eq!(
        other.json()["plans"][0]["left_alone"][0]["reason"],
        "other-owner"
    );
}

#[tokio::test]
async fn a_refused_plan_exits_1_naming_the_numbers_and_applies_nothing() {
    let s = server().await;
    let ten: Vec<(String, String)> = (0..10)
        .map(|i| (format!("h{i}"), format!("192.0.2.{i}")))
        .collect();
    let all: Vec<(&str, &str)> = ten.iter().map(|(n, a)| (n.as_str(), a.as_str())).collect();
    let path = file("refused", "desired.yaml", &records(&all));
    let p = path.to_str().unwrap();
    s.dnsctl(&format!("sync {p} --yes")).await.ok();
    std::fs::write(&path, records(&all[..6])).unwrap();
    let run = s.dnsctl(&format!("sync {p} --yes")).await;
    run.fails(
        1,
        &["delete 4 of the 10 owned sets", "30%", "nothing applied"],
    );
    assert_eq!(
        s.values("h9.example.com", RecordType::A).await,
        ["192.0.2.9"]
    );
    s.dnsctl(&format!("sync {p} --yes --force")).await.ok();
    assert!(s.values("h9.example.com", RecordType::A).await.is_empty());
}

#[tokio::test]
async fn an_upsert_only_sync_never_deletes() {
    let s = server().await;
    let path = file(
        "policy",
        "desired.yaml",
        &records(&[("a", "192.0.2.1"), ("b", "192.0.2.2")]),
    );
    let p = path.to_str().unwrap();
    s.dnsctl(&format!("sync {p} --yes")).await.ok();
    std::fs::write(&path, records(&[("a", "192.0.2.1")])).unwrap();
    let run = s
        .dnsctl(&format!("sync {p} --yes --policy upsert-only"))
        .await
        .ok();
    assert!(
        run.stdout.contains("the policy withholds the delete"),
        "{}",
        run.stdout
    );
    assert_eq!(
        s.values("b.example.com", RecordType::A).await,
        ["192.0.2.2"]
    );
}

#[tokio::test]
async fn an_export_synced_back_is_an_empty_plan_in_both_formats() {
    let s = server().await;
    let path = file("export", "desired.yaml", &records(&[("www", "192.0.2.1")]));
    s.dnsctl(&format!("sync {} --yes", path.to_str().unwrap()))
        .await
        .ok();
    for (format, name) in [("yaml", "export.yaml"), ("zone", "export.zone")] {
        let out = s
            .dnsctl(&format!("records export --format {format}"))
            .await
            .ok();
        assert!(out.stdout.contains("www"), "{}", out.stdout);
        assert!(!out.stdout.contains("_dns-sync"), "{}", out.stdout);
        let exported = file("export", name, &out.stdout);
        let check = s
            .dnsctl(&format!("sync {} --check", exported.to_str().unwrap()))
            .await;
        assert_eq!(
            check.code, 0,
            "{format}: {}\n{}",
            check.stdout, check.stderr
        );
    }
}

#[tokio::test]
async fn bad_files_exit_2_naming_the_line_before_any_request() {
    let s = server().await;
    let yaml = file(
        "bad",
        "bad.yaml",
        "zones:\n  - zone: example.com.\n    records:\n      - {name: www, type: A, values: [not-an-ip]}\n",
    );
    let run = s.dnsctl(&format!("sync {}", yaml.to_str().unwrap())).await;
    run.fails(2, &["bad.yaml", "line 4"]);
    let zone = file(
        "bad",
        "bad.zone",
        "www IN A 192.0.2.1\nbad IN A 999.0.0.1\n",
    );
    let run = s.dnsctl(&format!("sync {}", zone.to_str().unwrap())).await;
    run.fails(2, &["bad.zone", "line 2"]);
    let other = file("bad", "other.yaml", "zones:\n  - zone: example.net.\n");
    s.dnsctl(&format!("sync {}", other.to_str().unwrap()))
        .await
        .fails(2, &["no zone example.com."]);
}

const MIXED: &str = "zones:
  - zone: example.com.
    records:
      - {name: www, type: A, values: [192.0.2.1, 192.0.2.2]}
      - {name: '@', type: TXT, ttl: 10, values: ['\"v=spf1 -all\"']}
    services:
      - instance: Web Front
        type: _http._tcp
        targets: [{host: web1, port: 8080, addresses: [192.0.2.10]}]
        txt: [path=/]
";

/// The same file on both HTTP fakes, chosen by the global options: applied,
/// then checked clean, then its export checked clean.
#[tokio::test]
async fn the_global_options_select_the_provider_and_a_second_check_is_clean() {
    let r53 = FakeRoute53::start().await;
    r53.create_zone("example.com", false);
    let cf = FakeCloudflare::start().await;
    cf.add_zone("example.com");
    let path = file("providers", "desired.yaml", MIXED);
    let p = path.to_str().unwrap();
    for provider in ["route53", "cloudflare"] {
        let run = |args: String| {
            let mut all = vec!["--provider".to_owned(), provider.to_owned()];
            all.extend(["--zone".into(), "example.com".into()]);
            all.extend(argv(&args).into_iter().map(str::to_owned));
            let all: Vec<&str> = all.iter().map(String::as_str).collect();
            let mut cmd = dnsctl(&all);
            if provider == "route53" {
                route53_env(&mut cmd, &r53.endpoint());
            } else {
                cloudflare_env(&mut cmd, &cf.uri(), &cf.token());
            }
            run_cmd(cmd)
        };
        run(format!("sync {p} --yes")).await.ok();
        let again = run(format!("sync {p} --check")).await;
        assert_eq!(
            again.code, 0,
            "{provider}: {}\n{}",
            again.stdout, again.stderr
        );
        let yaml = run("records export".to_owned()).await.ok();
        let exported = file("providers", &format!("{provider}.yaml"), &yaml.stdout);
        let check = run(format!("sync {} --check", exported.to_str().unwrap())).await;
        assert_eq!(
            check.code, 0,
            "{provider}: {}\n{}",
            check.stdout, check.stderr
        );
    }
}

/// A zone file's SOA is ignored; a different apex NS is an apex change,
/// refused unless forced.
#[tokio::test]
async fn a_zone_file_apex_ns_change_is_refused_and_its_soa_ignored() {
    let s = server().await;
    let ns = s.values("example.com", RecordType::NS).await;
    let soa = s.values("example.com", RecordType::SOA).await;
    assert!(
        !ns.is_empty() && !soa.is_empty(),
        "the server's zone has SOA and NS"
    );
    let same_ns: String = ns.iter().map(|n| format!("@ 3600 IN NS {n}\n")).collect();
    let current = s.memory.list_record_sets(&s.zone).await.unwrap();
    let ns_ttl = current
        .iter()
        .find(|set| set.record_type() == RecordType::NS)
        .unwrap()
        .ttl();
    let same_ns = same_ns.replace(" 3600 ", &format!(" {ns_ttl} "));
    let text =
        format!("$TTL 300\n@ IN SOA other. admin. 99 1 1 1 1\n{same_ns}www IN A 192.0.2.1\n");
    let path = file("zonefile", "example.com.zone", &text);
    let p = path.to_str().unwrap();
    let run = s.dnsctl(&format!("sync {p} --yes")).await.ok();
    assert!(!run.stdout.contains("SOA"), "{}", run.stdout);
    assert_eq!(
        s.values("www.example.com", RecordType::A).await,
        ["192.0.2.1"]
    );
    assert_eq!(s.values("example.com", RecordType::SOA).await, soa);
    let other = text.replace(&same_ns, "@ IN NS ns.elsewhere.example.\n");
    std::fs::write(&path, other).unwrap();
    s.dnsctl(&format!("sync {p} --yes"))
        .await
        .fails(1, &["apex NS", "nothing applied"]);
    assert_eq!(s.values("example.com", RecordType::NS).await, ns);
}
