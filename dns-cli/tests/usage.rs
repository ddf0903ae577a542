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
            .contains("Exit status: 0 done, 1 the operation failed, 2 usage error")
    );
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
    run_cmd(cmd).await.fails(2, &["--a-record", "TTL"]);
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
