//! Bad input through the real binary: exit status 2 for usage errors, 1 for
//! failed operations, and always one line on stderr naming what and why.
#![allow(clippy::unwrap_used, reason = "tests")]

mod support;

use support::{argv, cloudflare_env, dnsctl, route53_env, run, run_cmd};

const JOIN: &str = "--zone example.com join --service _http._tcp --port 8080 --address 192.0.2.10";

#[tokio::test]
async fn every_subcommand_has_help_with_examples() {
    for sub in [
        "join", "leave", "browse", "resolve", "discover", "pick", "order", "watch", "hosts",
    ] {
        let out = run(&argv(&format!("{sub} --help"))).await.ok();
        assert!(
            out.stdout.contains("Example"),
            "{sub} --help has examples:\n{}",
            out.stdout
        );
    }
    for sub in ["list", "apply"] {
        let out = run(&argv(&format!("records {sub} --help"))).await.ok();
        assert!(
            out.stdout.contains("Example"),
            "records {sub} --help:\n{}",
            out.stdout
        );
    }
    let top = run(&argv("--help")).await.ok();
    assert!(
        top.stdout
            .contains("Exit status: 0 done, 1 the operation failed, 2 bad input")
    );
}

/// The help after "Example" with a terminal `columns` wide.
async fn examples(sub: &str, columns: &str) -> String {
    let mut cmd = dnsctl(&argv(&format!("{sub} --help")));
    cmd.env("COLUMNS", columns);
    let out = run_cmd(cmd).await.ok();
    let at = out.stdout.find("Example").expect("examples");
    out.stdout[at..].to_owned()
}

#[tokio::test]
async fn help_examples_are_never_rewrapped() {
    for sub in [
        "",
        "join",
        "leave",
        "browse",
        "discover",
        "pick",
        "order",
        "watch",
        "hosts",
        "records",
        "records apply",
    ] {
        let narrow = examples(sub, "40").await;
        let wide = examples(sub, "200").await;
        assert_eq!(narrow, wide, "{sub} --help at 40 columns");
        // Each command is whole: a line ending in `\` continues it, and no
        // line of a command is cut from the one before.
        for line in narrow
            .lines()
            .filter(|l| l.trim_start().starts_with("dnsctl"))
        {
            assert!(line.starts_with("  dnsctl "), "{sub}: {line:?}");
        }
    }
}

#[tokio::test]
async fn subcommand_help_shows_its_own_options_first_and_only_globals_it_uses() {
    let help =
        |sub: &'static str| async move { run(&argv(&format!("{sub} --help"))).await.ok().stdout };
    for (sub, own, hidden, shown) in [
        (
            "browse",
            "--help",
            &["--provider", "--zone-id", "--endpoint"][..],
            &["--server", "--timeout", "--zone"][..],
        ),
        (
            "pick",
            "--samples",
            &["--provider", "--zone-id", "--endpoint"],
            &["--server"],
        ),
        (
            "join",
            "--service",
            &["--server"],
            &["--provider", "--zone", "--zone-id"],
        ),
        (
            "records apply",
            "--yes",
            &["--server"],
            &["--provider", "--zone"],
        ),
        ("hosts", "--output", &[], &["--server", "--provider"]),
    ] {
        let text = help(sub).await;
        let options = text.find("Options:").expect("Options");
        let global = text.find("Global options:").expect("Global options");
        assert!(options < global, "{sub}: {text}");
        let mine = text
            .find(&format!("\n      {own}"))
            .or_else(|| text.find(&format!("\n  -h, {own}")))
            .expect("own option");
        assert!(
            options < mine && mine < global,
            "{sub}: {own} first: {text}"
        );
        for h in hidden {
            // No option line for it (other options' help may mention it).
            let listed = text
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{h} <")));
            assert!(!listed, "{sub} hides {h}: {text}");
        }
        for g in shown {
            assert!(text[global..].contains(g), "{sub} shows {g}: {text}");
        }
    }
    // A hidden global option is still accepted where it is not used.
    let out = run(&argv(
        "browse _http._tcp.example.com --provider route53 --server 127.0.0.1:9 --timeout 100ms",
    ))
    .await;
    out.fails(1, &["_http._tcp.example.com"]);
}

#[tokio::test]
async fn an_unknown_provider_is_a_usage_error() {
    let out = run(&argv(&format!("--provider gandi {JOIN}"))).await;
    out.fails(2, &["gandi", "--provider", "route53, cloudflare"]);
}

#[tokio::test]
async fn a_malformed_service_type_is_a_usage_error() {
    for bad in ["http", "_http._sctp", "_http"] {
        let out = run(&argv(&format!(
            "--provider route53 --zone example.com
             join --service {bad} --port 80 --address 192.0.2.1"
        )))
        .await;
        out.fails(2, &["--service", bad]);
    }
    let out = run(&argv("discover http.tcp.example.com")).await;
    out.fails(2, &["http.tcp.example.com", "not a service name"]);
}

#[tokio::test]
async fn a_port_out_of_range_is_a_usage_error() {
    for bad in ["0", "65536", "-1", "http"] {
        let out = run(&argv(&format!(
            "--provider route53 --zone example.com
             join --service _http._tcp --port {bad} --address 192.0.2.1"
        )))
        .await;
        out.fails(2, &["--port"]);
    }
}

#[tokio::test]
async fn missing_pieces_are_named() {
    run(&argv(
        "join --service _http._tcp --port 80 --address 192.0.2.1",
    ))
    .await
    .fails(2, &["--provider"]);
    run(&argv(
        "--provider route53 join --service _http._tcp --port 80",
    ))
    .await
    .fails(2, &["--zone"]);
    run(&argv(
        "--provider route53 --zone example.com join --service _http._tcp --address 192.0.2.1",
    ))
    .await
    .fails(2, &["--port"]);
    run(&argv(
        "--provider route53 --zone example.com join --service _http._tcp --port 80",
    ))
    .await
    .fails(2, &["--host or --address"]);
    run(&argv("--provider route53 --zone example.com join"))
        .await
        .fails(2, &["--service", "--a-record"]);
    run(&argv(
        "--provider route53 --zone example.com join --a-record www.example.com",
    ))
    .await
    .fails(2, &["--address"]);
    run(&argv(
        "--provider route53 --zone example.com
         leave --a-record www.example.com --address 192.0.2.1 --until-signal",
    ))
    .await
    .fails(2, &["--until-signal"]);
    run(&argv(
        "--provider route53 --zone example.com
         join --service _http._tcp --port 80 --address not-an-ip",
    ))
    .await
    .fails(2, &["not-an-ip", "auto, public, private"]);
    run(&argv(
        "--provider route53 --zone example.com
         join --service _http._tcp --port 80 --address 192.0.2.1 --txt =x",
    ))
    .await
    .fails(2, &["--txt", "=x"]);
    run(&argv(&format!(
        "--provider cloudflare --endpoint http://api.example.com {JOIN}"
    )))
    .await
    .fails(2, &["--endpoint", "https://"]);
}

#[tokio::test]
async fn missing_cloudflare_credentials_fail_before_any_request() {
    let out = run(&argv(&format!("--provider cloudflare {JOIN}"))).await;
    out.fails(1, &["cloudflare", "CLOUDFLARE_API_TOKEN"]);
}

#[tokio::test]
async fn missing_aws_credentials_are_named() {
    // A server that would answer anything: the request must not be made.
    let server = wiremock::MockServer::start().await;
    let mut cmd = dnsctl(&argv(&format!("--provider route53 {JOIN}")));
    cmd.env("DNSCTL_ENDPOINT", server.uri());
    let out = run_cmd(cmd).await;
    out.fails(1, &["route53", "no AWS credentials", "AWS_PROFILE"]);
    assert!(out.stderr.len() < 400, "a short message: {}", out.stderr);
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test]
async fn a_ttl_the_provider_refuses_is_a_usage_error_before_any_request() {
    let server = wiremock::MockServer::start().await;
    let mut cmd = dnsctl(&argv(
        "--provider cloudflare --zone example.com
         join --a-record www.example.com --address 192.0.2.1 --ttl 5",
    ));
    cloudflare_env(&mut cmd, &server.uri(), "token-never-printed");
    let out = run_cmd(cmd).await;
    out.fails(2, &["join", "TTL", "not 5"]);
    assert!(!out.stderr.contains("token-never-printed"));
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );

    let mut cmd = dnsctl(&argv(
        "--provider route53 --zone example.com
         join --a-record www.example.com --address 192.0.2.1 --ttl 4294967295",
    ));
    route53_env(&mut cmd, &server.uri());
    run_cmd(cmd).await.fails(2, &["--ttl", "TTL", "2147483647"]);
}

#[tokio::test]
async fn an_unreachable_server_fails_with_the_name_looked_up() {
    // Port 9 (discard) on loopback: nothing answers DNS there.
    let out = run(&argv(
        "--server 127.0.0.1:9 --timeout 300ms discover _http._tcp.example.com",
    ))
    .await;
    out.fails(1, &["_http._tcp.example.com"]);
    let out = run(&argv(
        "--server 127.0.0.1:9 --timeout 300ms pick _http._tcp.example.com --json",
    ))
    .await;
    out.fails(1, &["_http._tcp.example.com"]);
    assert!(out.stdout.is_empty(), "nothing on stdout: {}", out.stdout);
}

#[tokio::test]
async fn ec2_addresses_off_ec2_are_a_clear_error() {
    let server = wiremock::MockServer::start().await;
    let mut cmd = dnsctl(&argv(
        "--provider route53 --zone example.com join --a-record www.example.com --address public",
    ));
    route53_env(&mut cmd, &server.uri());
    let out = run_cmd(cmd).await;
    out.fails(
        1,
        &[
            "--address public",
            "EC2 instance metadata",
            "AWS_EC2_METADATA_DISABLED",
        ],
    );

    // Metadata enabled, but nothing listening where it should be.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut cmd = dnsctl(&argv(
        "--provider route53 --zone example.com join --a-record www.example.com --address private",
    ));
    route53_env(&mut cmd, &server.uri());
    cmd.env_remove("AWS_EC2_METADATA_DISABLED").env(
        "AWS_EC2_METADATA_SERVICE_ENDPOINT",
        format!("http://127.0.0.1:{port}"),
    );
    let out = run_cmd(cmd).await;
    out.fails(1, &["--address private", "did not answer", "off EC2"]);
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}
