//! `dnsctl sync` on several providers in one run, through the real binary:
//! the Route 53 and Cloudflare fakes and an RFC 2136 server, each with its
//! own plan, its own outcome and its own `--endpoint`.
#![allow(clippy::unwrap_used, reason = "tests")]

mod support;

use std::path::PathBuf;

use dns_core::{DnsProvider, InMemoryProvider, Name, RecordType};
use dns_testkit::cloudflare::FakeCloudflare;
use dns_testkit::route53::FakeRoute53;
use support::{Run, argv, dnsctl, run_cmd};

/// One zone, example.com, on three providers.
struct Fleet {
    r53: FakeRoute53,
    r53_zone: String,
    cf: FakeCloudflare,
    cf_zone: String,
    memory: InMemoryProvider,
    zone: dns_core::Zone,
    server: dns_server::ZoneServer,
}

async fn fleet() -> Fleet {
    let r53 = FakeRoute53::start().await;
    let r53_zone = r53.create_zone("example.com", false);
    let cf = FakeCloudflare::start().await;
    let cf_zone = cf.add_zone("example.com");
    let (memory, zone, server) = support::update_server().await;
    Fleet {
        r53,
        r53_zone,
        cf,
        cf_zone,
        memory,
        zone,
        server,
    }
}

impl Fleet {
    /// `dnsctl` with the given providers (any of the three) and `args`.
    async fn dnsctl_on(&self, providers: &str, args: &str) -> Run {
        let server = self.server.addr().to_string();
        let r53 = format!("route53={}", self.r53.endpoint());
        let cf = format!("cloudflare={}", self.cf.uri());
        let mut all = vec!["--provider", providers, "--zone", "example.com"];
        if providers.contains("rfc2136") {
            all.extend(["--server", &server]);
        }
        if providers.contains("route53") {
            all.extend(["--endpoint", &r53]);
        }
        if providers.contains("cloudflare") {
            all.extend(["--endpoint", &cf]);
        }
        all.extend(argv(args));
        let mut cmd = dnsctl(&all);
        cmd.env("AWS_ACCESS_KEY_ID", "AKIDDNSCTLTEST")
            .env("AWS_SECRET_ACCESS_KEY", "dnsctl-test-secret")
            .env("AWS_REGION", "us-east-1")
            .env("CLOUDFLARE_API_TOKEN", self.cf.token());
        run_cmd(cmd).await
    }

    async fn dnsctl(&self, args: &str) -> Run {
        self.dnsctl_on("route53,cloudflare,rfc2136", args).await
    }

    /// The A values of `name` (`www`) on each provider, in the order
    /// route53, cloudflare, rfc2136.
    async fn a_values(&self, label: &str) -> [Vec<String>; 3] {
        let full = format!("{label}.example.com");
        let mut r53: Vec<String> = self
            .r53
            .record_sets(&self.r53_zone)
            .into_iter()
            .filter(|s| s.name.trim_end_matches('.') == full && s.rtype == "A")
            .flat_map(|s| s.values)
            .collect();
        let mut cf: Vec<String> = self
            .cf
            .records(&self.cf_zone)
            .into_iter()
            .filter(|r| r["name"] == full.as_str() && r["type"] == "A")
            .map(|r| r["content"].as_str().unwrap().to_owned())
            .collect();
        let name = Name::parse(&full).unwrap();
        let mut rfc: Vec<String> = self
            .memory
            .list_record_sets(&self.zone)
            .await
            .unwrap()
            .into_iter()
            .filter(|s| s.name() == &name && s.record_type() == RecordType::A)
            .flat_map(|s| {
                s.values()
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        r53.sort();
        cf.sort();
        rfc.sort();
        [r53, cf, rfc]
    }

    /// Whether any provider received a write.
    fn writes(&self) -> bool {
        self.r53.requests().change_resource_record_sets > 0
            || self.cf.requests().iter().any(|r| r.is_write())
    }
}

fn file(test: &str, text: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("sync-providers")
        .join(test);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("desired.yaml");
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
    out.push_str(
        "    services:\n      - instance: Web Front\n        type: _http._tcp\n        \
         targets: [{host: web1, port: 8080, addresses: [192.0.2.10]}]\n        \
         txt: ['path=/', 'note=\"quoted\" value']\n",
    );
    out
}

#[tokio::test]
async fn one_run_plans_each_provider_applies_each_and_a_check_is_then_clean() {
    let f = fleet().await;
    let path = file("three", &records(&[("www", "192.0.2.1")]));
    let p = path.to_str().unwrap();

    let dry = f.dnsctl(&format!("sync {p}")).await.ok();
    for provider in ["route53", "cloudflare", "rfc2136"] {
        assert!(
            dry.stdout
                .contains(&format!("example.com. on {provider}: ")),
            "{provider}: {}",
            dry.stdout
        );
    }
    assert_eq!(
        dry.stdout
            .matches("+ www.example.com. A 300 192.0.2.1")
            .count(),
        3,
        "{}",
        dry.stdout
    );
    assert!(!f.writes(), "a plan without --yes writes nothing");
    let none: Vec<String> = Vec::new();
    assert_eq!(f.a_values("www").await, [none.clone(), none.clone(), none]);

    let applied = f.dnsctl(&format!("sync {p} --yes")).await.ok();
    for provider in ["route53", "cloudflare", "rfc2136"] {
        assert!(
            applied.stderr.contains(&format!("{provider}: applied ")),
            "{provider}: {}",
            applied.stderr
        );
    }
    let one = vec!["192.0.2.1".to_owned()];
    assert_eq!(f.a_values("www").await, [one.clone(), one.clone(), one]);
    assert_eq!(f.a_values("web1").await[1], ["192.0.2.10"]);

    // Each provider stores the file its own way (Cloudflare's TTL floor,
    // TXT quoting); the plans right after the apply are empty everywhere.
    let check = f.dnsctl(&format!("sync {p} --check --json")).await.ok();
    let plans = check.json()["plans"].as_array().unwrap().clone();
    assert_eq!(plans.len(), 3, "{}", check.stdout);
    for plan in &plans {
        assert_eq!(plan["empty"], true, "{plan}");
    }
}

#[tokio::test]
async fn a_provider_that_fails_does_not_stop_the_others_and_is_named() {
    let f = fleet().await;
    let path = file("one-fails", &records(&[("www", "192.0.2.1")]));
    let p = path.to_str().unwrap();
    f.r53.set_auth_failure(true);

    let json = f.dnsctl(&format!("sync {p} --json")).await;
    assert_eq!(json.code, 1, "{}", json.stderr);
    let doc = json.json();
    assert_eq!(doc["plans"].as_array().unwrap().len(), 2, "{doc}");
    assert_eq!(doc["failures"][0]["provider"], "route53", "{doc}");
    assert_eq!(doc["failures"][0]["zone"], "example.com.", "{doc}");

    let run = f.dnsctl(&format!("sync {p} --yes")).await;
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let last = run.stderr.lines().last().unwrap();
    assert!(
        last.contains("sync failed on route53") && last.contains("the other providers are done"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("no plan: route53:"), "{}", run.stderr);
    for provider in ["cloudflare", "rfc2136"] {
        assert!(
            run.stderr.contains(&format!("{provider}: applied ")),
            "{provider}: {}",
            run.stderr
        );
    }
    let one = vec!["192.0.2.1".to_owned()];
    assert_eq!(f.a_values("www").await, [Vec::new(), one.clone(), one]);

    // Drift cannot be ruled out on a provider that cannot be read.
    let check = f.dnsctl(&format!("sync {p} --check")).await;
    assert_eq!(check.code, 1, "{}", check.stderr);
    assert!(
        check.stderr.contains("could not check route53"),
        "{}",
        check.stderr
    );
}

#[tokio::test]
async fn a_plan_refused_on_one_provider_applies_nothing_on_any() {
    let f = fleet().await;
    let ten: Vec<(String, String)> = (0..10)
        .map(|i| (format!("h{i}"), format!("192.0.2.{i}")))
        .collect();
    let all: Vec<(&str, &str)> = ten.iter().map(|(n, a)| (n.as_str(), a.as_str())).collect();
    let path = file("refused", &records(&all));
    let p = path.to_str().unwrap();
    // Route 53 alone owns ten sets; the others own nothing yet.
    f.dnsctl_on("route53", &format!("sync {p} --yes"))
        .await
        .ok();
    f.r53.reset_counts();

    std::fs::write(&path, records(&all[..5])).unwrap();
    let run = f.dnsctl(&format!("sync {p} --yes")).await;
    run.fails(
        1,
        &[
            "on route53 refused",
            "delete 5 of the",
            "nothing applied on any provider",
        ],
    );
    assert!(!f.writes(), "a refusal on route53 stops cloudflare too");
    let none: Vec<String> = Vec::new();
    assert_eq!(f.a_values("h0").await[1..], [none.clone(), none]);
    assert_eq!(f.a_values("h9").await[0], ["192.0.2.9"]);

    f.dnsctl(&format!("sync {p} --yes --force")).await.ok();
    let five = vec!["192.0.2.0".to_owned()];
    assert_eq!(f.a_values("h0").await, [five.clone(), five.clone(), five]);
    assert!(f.a_values("h9").await[0].is_empty());
}

#[tokio::test]
async fn endpoints_and_providers_that_do_not_add_up_are_refused_before_any_request() {
    let f = fleet().await;
    let path = file("usage", &records(&[("www", "192.0.2.1")]));
    let p = path.to_str().unwrap();
    let r53 = f.r53.endpoint();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            argv(&format!(
                "--provider route53,cloudflare --zone example.com --endpoint {r53} sync {p}"
            )),
            "say whose it is",
        ),
        (
            argv(&format!(
                "--provider route53 --zone example.com --endpoint cloudflare={r53} sync {p}"
            )),
            "there is no --provider cloudflare",
        ),
        (
            argv(&format!(
                "--provider route53 --provider route53 --zone example.com sync {p}"
            )),
            "--provider route53 is given twice",
        ),
        (
            argv(&format!(
                "--provider route53,rfc2136 --server 127.0.0.1:9 --zone example.com \
                 --endpoint rfc2136={r53} sync {p}"
            )),
            "rfc2136 sends updates to --server",
        ),
        (
            argv(&format!(
                "--provider route53,cloudflare --zone example.com --endpoint route53={r53} \
                 --endpoint route53={r53} sync {p}"
            )),
            "two --endpoint for route53",
        ),
        (
            argv("--provider route53,cloudflare --zone example.com records list"),
            "records works on one provider at a time",
        ),
    ]
    .into_iter()
    .map(|(a, w)| (a.into_iter().map(str::to_owned).collect(), w))
    .collect();
    for (args, words) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut cmd = dnsctl(&args);
        cmd.env("AWS_ACCESS_KEY_ID", "AKIDDNSCTLTEST")
            .env("AWS_SECRET_ACCESS_KEY", "dnsctl-test-secret")
            .env("AWS_REGION", "us-east-1")
            .env("CLOUDFLARE_API_TOKEN", f.cf.token());
        run_cmd(cmd).await.fails(2, &[words]);
    }
    assert_eq!(
        f.r53.requests().list_hosted_zones + f.r53.requests().list_hosted_zones_by_name,
        0
    );
    assert!(f.cf.requests().is_empty());
}
