//! Input dnsctl must not trust, through the real binary: names and TXT
//! data from DNS that try to drive the terminal or the hosts file, and
//! command lines and files that are wrong, which must exit 2 before any
//! request is sent.
#![allow(clippy::unwrap_used, reason = "tests")]

mod support;

use std::sync::Arc;

use dns_core::{InMemoryProvider, Name, ServiceInstance, Target, TxtProperties};
use dns_sd_registry::ServiceRegistry;
use dns_testkit::TestServer;
use dns_testkit::route53::FakeRoute53;
use support::{Run, argv, cloudflare_env, dnsctl, route53_env, run, run_cmd};

/// An instance label RFC 6763 allows (no ASCII control characters) that
/// would still recolour the terminal (C1 CSI), forge a line (the Unicode
/// line separator) and reverse what follows.
const EVIL: &str = "evil\u{9b}31m\u{2028}fake line\u{202e}";

/// A label with ASCII control characters: RFC 6763 section 4.1.1 forbids
/// them, so discovery ignores the instance and warns, escaped.
const FORBIDDEN: &str = "bad\u{1b}[31m\r\nfake line\u{7}\u{0}";

/// Whether `text` holds nothing that could drive a terminal (line ends
/// aside).
fn terminal_safe(text: &str) -> bool {
    !text
        .chars()
        .any(|c| c != '\n' && dns_core::is_unsafe_on_terminal(c))
}

#[track_caller]
fn assert_safe(what: &str, out: &Run) {
    assert!(
        terminal_safe(&out.stdout),
        "{what} stdout: {:?}",
        out.stdout
    );
    assert!(
        terminal_safe(&out.stderr),
        "{what} stderr: {:?}",
        out.stderr
    );
    assert!(
        !out.stdout.lines().any(|l| l.starts_with("fake")),
        "{what}: a forged line: {}",
        out.stdout
    );
}

/// `_http._tcp.example.com` with an instance whose label, TXT value and
/// target host carry control characters, and one ordinary instance.
async fn hostile_zone() -> (TestServer, String) {
    let memory = InMemoryProvider::new();
    let domain = Name::parse("example.com").unwrap();
    memory.create_zone(domain.clone()).unwrap();
    let server = TestServer::start(memory.clone()).await.unwrap();
    let registry = ServiceRegistry::new(Arc::new(memory));
    let evil = ServiceInstance::new(EVIL, "_http._tcp".parse().unwrap(), domain.clone())
        .unwrap()
        .with_txt(
            TxtProperties::new()
                .with("note", "a\u{1b}[2Jb\nforged")
                .unwrap(),
        )
        .with_target(
            Target::new(Name::parse(r"web\0109\027.example.com").unwrap(), 8080)
                .with_address("192.0.2.9".parse().unwrap()),
        );
    registry.register(&evil).await.unwrap();
    let forbidden = ServiceInstance::new(FORBIDDEN, "_http._tcp".parse().unwrap(), domain.clone())
        .unwrap()
        .with_target(
            Target::new(Name::parse("web-2.example.com").unwrap(), 8080)
                .with_address("192.0.2.2".parse().unwrap()),
        );
    registry.register(&forbidden).await.unwrap();
    let good = ServiceInstance::new("good", "_http._tcp".parse().unwrap(), domain)
        .unwrap()
        .with_target(
            Target::new(Name::parse("web-1.example.com").unwrap(), 8080)
                .with_address("192.0.2.1".parse().unwrap()),
        );
    registry.register(&good).await.unwrap();
    let addr = server.addr().to_string();
    (server, addr)
}

#[tokio::test]
async fn names_and_txt_from_dns_cannot_drive_the_terminal() {
    let (_server, addr) = hostile_zone().await;
    let service = "_http._tcp.example.com";
    for command in [
        format!("--server {addr} browse {service}"),
        format!("--server {addr} discover {service}"),
        format!("--server {addr} order {service} --seed 1"),
        format!("--server {addr} pick {service} --seed 1 --samples 50"),
        format!("--server {addr} pick {service} --seed 1 --count 20"),
    ] {
        let out = run(&argv(&command)).await.ok();
        assert_safe(&command, &out);
        // The label is shown, escaped, not dropped.
        let shown = out
            .stdout
            .contains(r"evil\194\15531m\226\128\168fake line\226\128\174")
            || out.stdout.contains(r"web\0109\027.example.com");
        assert!(shown, "{command}: {}", out.stdout);
        // The instance with ASCII controls is ignored, and named escaped.
        assert!(!out.stdout.contains("bad"), "{command}: {}", out.stdout);
        assert!(
            out.stderr
                .contains(r"bad\027[31m\013\010fake\032line\007\000"),
            "{command}: {}",
            out.stderr
        );
    }
    // Resolving the instance shows its TXT value escaped.
    let out = run(&argv(&format!("--server {addr} discover {service}")))
        .await
        .ok();
    assert!(
        out.stdout.contains(r"a\027[2Jb\010forged"),
        "{}",
        out.stdout
    );
    // JSON keeps the exact label, in JSON's own escapes.
    let out = run(&argv(&format!("--server {addr} browse {service} --json")))
        .await
        .ok();
    assert_safe("browse --json", &out);
    let labels: Vec<String> = out.json()["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["instance"].as_str().unwrap().to_owned())
        .collect();
    assert!(labels.iter().any(|l| l == EVIL), "{labels:?}");
}

#[tokio::test]
async fn the_hosts_file_gets_only_host_names() {
    let (_server, addr) = hostile_zone().await;
    let dir = std::env::temp_dir().join(format!("dnsctl-hosts-untrusted-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("hosts");
    std::fs::write(&file, "127.0.0.1\tlocalhost\n").unwrap();
    let out = run(&argv(&format!(
        "--server {addr} hosts --service _http._tcp.example.com --output {}",
        file.display()
    )))
    .await
    .ok();
    assert_safe("hosts", &out);
    assert!(
        out.stderr.contains("not a valid host name"),
        "{}",
        out.stderr
    );
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(
        written.contains("192.0.2.1\tweb-1.example.com\n"),
        "{written}"
    );
    assert!(!written.contains("192.0.2.9"), "{written}");
    assert!(terminal_safe(&written.replace('\t', " ")), "{written:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Runs a Route 53 command against a server that records every request.
async fn route53_against(server: &wiremock::MockServer, line: &str) -> Run {
    let mut cmd = dnsctl(&argv(line));
    route53_env(&mut cmd, &server.uri());
    run_cmd(cmd).await
}

async fn assert_no_request(server: &wiremock::MockServer, what: &str) {
    let seen = server.received_requests().await.unwrap_or_default();
    assert!(seen.is_empty(), "{what}: {} request(s) sent", seen.len());
}

#[tokio::test]
async fn bad_change_files_exit_2_before_any_request() {
    let server = wiremock::MockServer::start().await;
    let dir = std::env::temp_dir().join(format!("dnsctl-files-untrusted-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let a = "name: www.example.com, type: A, ttl: 60, values: [192.0.2.1]";
    let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
        ("missing.yaml", Vec::new(), vec!["missing.yaml", "No such file"]),
        ("latin1.yaml", b"- {action: add, name: caf\xe9}".to_vec(), vec!["not UTF-8"]),
        (
            "twice.yaml",
            format!("- {{action: add, action: remove, {a}}}\n").into_bytes(),
            vec!["change 1", "duplicate field `action`", "line 1"],
        ),
        (
            "twice.json",
            br#"[{"action":"add","name":"www.example.com","type":"A","ttl":60,"ttl":70,"values":["192.0.2.1"]}]"#.to_vec(),
            vec!["change 1", "duplicate field `ttl`", "line 1"],
        ),
        (
            "twice-changes.yaml",
            format!("changes: [{{action: add, {a}}}]\nchanges: []\n").into_bytes(),
            vec!["duplicate field `changes`"],
        ),
        (
            "negative.yaml",
            b"- action: add\n  name: www.example.com\n  type: A\n  ttl: -1\n  values: [192.0.2.1]\n".to_vec(),
            vec!["change 1: ttl:", "-1", "line 4"],
        ),
        (
            "ip-target.yaml",
            b"- {action: add, name: _x._tcp.example.com, type: SRV, ttl: 60, values: ['0 0 80 192.0.2.1']}\n".to_vec(),
            vec!["192.0.2.1", "IP address", "host name"],
        ),
        (
            "long-txt.yaml",
            format!(
                "- {{action: add, name: t.example.com, type: TXT, ttl: 60, values: ['{}']}}\n",
                "\"x\" ".repeat(1_500)
            )
            .into_bytes(),
            vec!["4,000"],
        ),
        (
            "big-ttl.yaml",
            format!("- {{action: add, {}}}\n", a.replace("60", "2147483648")).into_bytes(),
            vec!["TTL", "2147483647"],
        ),
    ];
    for (file, contents, words) in cases {
        let path = dir.join(file);
        if file != "missing.yaml" {
            std::fs::write(&path, contents).unwrap();
        }
        let out = route53_against(
            &server,
            &format!(
                "--provider route53 --zone example.com records apply {} --yes",
                path.display()
            ),
        )
        .await;
        out.fails(2, &words);
        assert_no_request(&server, file).await;
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn bad_join_arguments_exit_2_before_any_request() {
    let server = wiremock::MockServer::start().await;
    let join = "--provider route53 --zone example.com join --service _http._tcp --port 80";
    for (args, words) in [
        (
            "--host 10.1.2.3",
            vec!["10.1.2.3", "IP address", "use --address"],
        ),
        ("--host ::1", vec!["IP address", "use --address"]),
        (
            "--address 0.0.0.0",
            vec!["0.0.0.0", "unspecified", "--force-address"],
        ),
        ("--address ::", vec!["unspecified", "--force-address"]),
        ("--address 255.255.255.255", vec!["broadcast"]),
        ("--address 224.0.0.251", vec!["multicast"]),
        ("--address ff02::fb", vec!["multicast"]),
        (
            "--address 10.0.0.1 --ttl 2147483648",
            vec!["--ttl", "2147483647"],
        ),
        ("--address 10.0.0.1 --ttl -1", vec!["--ttl"]),
    ] {
        let out = route53_against(&server, &format!("{join} {args}")).await;
        out.fails(2, &words);
        assert_no_request(&server, args).await;
    }
    // The round-robin form follows the same rules, with the same message.
    let out = route53_against(
        &server,
        "--provider route53 --zone example.com join --a-record www.example.com --address 0.0.0.0",
    )
    .await;
    out.fails(2, &["0.0.0.0", "unspecified"]);
    let out = route53_against(
        &server,
        "--provider route53 --zone example.com join --a-record www.example.com --address 10.0.0.1 --ttl 2147483648",
    )
    .await;
    out.fails(2, &["--ttl", "2147483647"]);
    assert_no_request(&server, "--a-record").await;
}

#[tokio::test]
async fn forced_special_addresses_are_published() {
    let fake = FakeRoute53::start().await;
    fake.create_zone("example.com", false);
    let mut cmd = dnsctl(&argv(
        "--provider route53 --zone example.com join --a-record any.example.com --address 0.0.0.0 --force-address",
    ));
    route53_env(&mut cmd, &fake.endpoint());
    run_cmd(cmd).await.ok();
}

#[tokio::test]
async fn names_without_a_domain_take_the_zone_or_are_refused() {
    // Discovery: a service name without its domain.
    let (_server, addr) = hostile_zone().await;
    let out = run(&argv(&format!("--server {addr} browse _http._tcp"))).await;
    out.fails(2, &["_http._tcp", "no domain", "--zone"]);
    let out = run(&argv(&format!(
        "--server {addr} --zone example.com browse _http._tcp --json"
    )))
    .await
    .ok();
    assert_eq!(out.json()["service"], "_http._tcp.example.com.");
    let out = run(&argv(&format!(
        "--server {addr} --zone example.com order good._http._tcp --json"
    )))
    .await
    .ok();
    assert!(out.stdout.contains("web-1.example.com."), "{}", out.stdout);

    // Publishing: a one-label --host is a name in the zone, never `host9.`.
    let fake = FakeRoute53::start().await;
    let id = fake.create_zone("example.com", false);
    let mut cmd = dnsctl(&argv(
        "--provider route53 --zone example.com join --service _http._tcp --port 80 --host host9 --address 10.0.0.9",
    ));
    route53_env(&mut cmd, &fake.endpoint());
    run_cmd(cmd).await.ok();
    let srv: Vec<String> = fake
        .record_sets(&id)
        .into_iter()
        .filter(|s| s.rtype == "SRV")
        .flat_map(|s| s.values)
        .collect();
    assert_eq!(srv, ["0 0 80 host9.example.com."]);

    // The same rule in a file of changes, for names and targets.
    let dir = std::env::temp_dir().join(format!("dnsctl-names-untrusted-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("relative.yaml");
    std::fs::write(
        &file,
        "- {action: add, name: v2._http._tcp, type: SRV, ttl: 60, values: ['0 0 81 host9']}\n",
    )
    .unwrap();
    let mut cmd = dnsctl(&argv(&format!(
        "--provider route53 --zone example.com records apply {} --yes",
        file.display()
    )));
    route53_env(&mut cmd, &fake.endpoint());
    run_cmd(cmd).await.ok();
    let srv: Vec<(String, Vec<String>)> = fake
        .record_sets(&id)
        .into_iter()
        .filter(|s| s.name.starts_with("v2."))
        .map(|s| (s.name, s.values))
        .collect();
    assert_eq!(
        srv,
        [(
            "v2._http._tcp.example.com.".to_owned(),
            vec!["0 0 81 host9.example.com.".to_owned()]
        )]
    );
    std::fs::remove_dir_all(&dir).unwrap();

    // Without --zone there is nothing to complete a name with.
    let out = run(&argv(&format!("--server {addr} resolve good._http._tcp"))).await;
    out.fails(2, &["good._http._tcp", "no domain"]);
}

#[tokio::test]
async fn provider_messages_reach_the_terminal_escaped() {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(wiremock::ResponseTemplate::new(400).set_body_raw(
            r#"{"success":false,"errors":[{"code":1004,"message":"bad\u001b[31m record\nforged: yes"}],"messages":[],"result":null}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let mut cmd = dnsctl(&argv(
        "--provider cloudflare --zone example.com --zone-id z1 records list",
    ));
    cloudflare_env(&mut cmd, &server.uri(), "token-never-printed");
    let out = run_cmd(cmd).await;
    out.fails(1, &[r"bad\027[31m record"]);
    assert_safe("records list", &out);
}

#[tokio::test]
async fn a_failing_credential_source_keeps_its_reason_and_the_hint() {
    // The EC2 metadata service refuses the session token, as it does for a
    // container past the hop limit or with IMDS turned off.
    let imds = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(wiremock::ResponseTemplate::new(403).set_body_string("forbidden"))
        .mount(&imds)
        .await;
    let route53 = wiremock::MockServer::start().await;
    let mut cmd = dnsctl(&argv("--provider route53 --zone example.com records list"));
    cmd.env_remove("AWS_EC2_METADATA_DISABLED")
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.uri())
        .env("AWS_REGION", "us-east-1")
        .env("DNSCTL_ENDPOINT", route53.uri());
    let out = run_cmd(cmd).await;
    out.fails(1, &["IMDS", "forbidden", "AWS_ACCESS_KEY_ID"]);
    assert_no_request(&route53, "without credentials").await;
}

#[tokio::test]
async fn an_answer_that_is_not_the_providers_format_is_one_plain_line() {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(wiremock::ResponseTemplate::new(502).set_body_raw(
            "<html><body><h1>502 Bad Gateway</h1>\n<p>upstream\u{1b}[2J down</p></body></html>",
            "text/html",
        ))
        .mount(&server)
        .await;
    let out = route53_against(
        &server,
        "--provider route53 --zone example.com --timeout 200ms records list",
    )
    .await;
    out.fails(1, &["HTTP 502"]);
    assert_safe("route53 502", &out);
    assert!(
        !out.stderr.contains("{ ") && !out.stderr.contains("Response {"),
        "no Debug dump: {}",
        out.stderr
    );
    let mut cmd = dnsctl(&argv(
        "--provider cloudflare --zone example.com --zone-id z1 --timeout 200ms records list",
    ));
    cloudflare_env(&mut cmd, &server.uri(), "token-never-printed");
    let out = run_cmd(cmd).await;
    out.fails(1, &["HTTP 502"]);
    assert_safe("cloudflare 502", &out);
}
