#![allow(clippy::unwrap_used, reason = "tests")]
//! Each endpoint against scripted answers: realistic bodies, pagination,
//! error codes, 429 with Retry-After, 5xx, timeouts, malformed bodies, and
//! bad input refused before any request.

use std::time::{Duration, Instant};

use dns_cloudflare::{CloudflareBuilder, CloudflareProvider, RecordOptions, RequestBudget};
use dns_core::{
    Change, DnsProvider, DnsProviderExt, Error, Name, RData, RecordSet, RecordType, RetryPolicy,
    Srv, Txt, Zone,
};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "test-token-0123456789";
const ZONE: &str = "023e105f4ecef8ad9ca31a8372d0c353";

fn provider(server: &MockServer) -> CloudflareBuilder {
    CloudflareBuilder::new()
        .with_token(TOKEN)
        .with_base_url(server.uri())
        .with_allow_http(true)
        .with_request_budget(RequestBudget::unlimited())
        .with_retry(
            RetryPolicy::new()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(5)),
        )
}

fn zone() -> Zone {
    Zone::new(ZONE, n("example.com"))
}

fn n(s: &str) -> Name {
    Name::parse(s).unwrap()
}

fn ok(result: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "success": true, "errors": [], "messages": [], "result": result
    }))
}

fn page(result: Value, page: u64, per_page: u64, total: u64) -> ResponseTemplate {
    let count = result.as_array().map_or(0, Vec::len);
    ResponseTemplate::new(200).set_body_json(json!({
        "success": true, "errors": [], "messages": [], "result": result,
        "result_info": {"page": page, "per_page": per_page, "count": count,
            "total_count": total, "total_pages": total.div_ceil(per_page)}
    }))
}

fn failure(status: u16, errors: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "success": false, "errors": errors, "messages": [], "result": null
    }))
}

/// A POST to the zone's records (`""`) or their batch endpoint (`"/batch"`).
fn post(endpoint: &str) -> wiremock::MockBuilder {
    Mock::given(method("POST")).and(path(format!("/zones/{ZONE}/dns_records{endpoint}")))
}

/// A 400 with one Cloudflare error code.
fn refused(code: u32, message: &str) -> ResponseTemplate {
    failure(400, json!([{"code": code, "message": message}]))
}

fn record(id: &str, name: &str, rtype: &str, content: &str, extra: Value) -> Value {
    let mut r = json!({
        "id": id, "name": name, "type": rtype, "content": content, "ttl": 300,
        "proxied": false, "proxiable": rtype == "A", "comment": null, "tags": [],
        "created_on": "2026-01-01T00:00:00Z", "modified_on": "2026-01-01T00:00:00Z", "meta": {}
    });
    if let (Value::Object(r), Value::Object(extra)) = (&mut r, extra) {
        r.extend(extra);
    }
    r
}

fn a_set(name: &str, ip: &str) -> RecordSet {
    RecordSet::new(n(name), 300, [RData::A(ip.parse().unwrap())]).unwrap()
}

async fn empty_listing(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(format!("/zones/{ZONE}/dns_records")))
        .respond_with(page(json!([]), 1, 5000, 0))
        .mount(server)
        .await;
}

#[tokio::test]
async fn zones_are_paginated_found_by_longest_suffix_and_cached() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/zones"))
        .and(query_param("page", "1"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(page(
            json!([{"id": "z1", "name": "example.com", "status": "active"},
                   {"id": "z2", "name": "example.org", "status": "active"}]),
            1,
            2,
            3,
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/zones"))
        .and(query_param("page", "2"))
        .respond_with(page(
            json!([{"id": "z3", "name": "sub.example.com", "status": "active"}]),
            2,
            2,
            3,
        ))
        .mount(&server)
        .await;
    let p = provider(&server).build().unwrap();
    let zones = p.list_zones().await.unwrap();
    assert_eq!(zones.len(), 3, "every page: {zones:?}");
    assert_eq!(
        p.find_zone(&n("a.b.sub.example.com")).await.unwrap().id,
        "z3"
    );
    assert_eq!(p.find_zone(&n("www.example.com")).await.unwrap().id, "z1");
    assert_eq!(p.find_zone(&n("example.org")).await.unwrap().id, "z2");
    assert_eq!(p.requests_sent(), 2, "the zone list is cached");
    // A name in no zone refetches once, then says so.
    match p.find_zone(&n("www.example.net")).await {
        Err(Error::ZoneNotFound { zone }) => assert!(zone.contains("example.net")),
        other => panic!("{other:?}"),
    }
    assert_eq!(p.requests_sent(), 4);
    // A pinned zone needs no listing at all.
    let pinned = provider(&server)
        .with_zone(n("pinned.example"), "zp")
        .build()
        .unwrap();
    assert_eq!(
        pinned.find_zone(&n("x.pinned.example")).await.unwrap().id,
        "zp"
    );
    assert_eq!(pinned.requests_sent(), 0);
}

#[tokio::test]
async fn listing_reads_every_page_and_groups_records_into_sets() {
    let server = MockServer::start().await;
    let records = [
        record("r1", "www.example.com", "A", "192.0.2.1", json!({})),
        record(
            "r2",
            "www.example.com",
            "A",
            "192.0.2.2",
            json!({"ttl": 120}),
        ),
        record(
            "r3",
            "_http._tcp.example.com",
            "SRV",
            "60 8080 h1.example.com",
            json!({"priority": 10, "data": {"priority": 10, "weight": 60, "port": 8080, "target": "h1.example.com"}}),
        ),
        record(
            "r4",
            "_http._tcp.example.com",
            "PTR",
            "web._http._tcp.example.com",
            json!({}),
        ),
        record(
            "r5",
            "web._http._tcp.example.com",
            "TXT",
            r#""path=/a \"b\" \\c" "v=1""#,
            json!({}),
        ),
        record(
            "r6",
            "example.com",
            "MX",
            "mx.example.com",
            json!({"priority": 5}),
        ),
        record(
            "r7",
            "example.com",
            "SSHFP",
            "2 1 123456789abcdef67890123456789abcdef67890",
            json!({}),
        ),
        record(
            "r8",
            "cdn.example.com",
            "A",
            "192.0.2.9",
            json!({"proxied": true, "ttl": 1}),
        ),
    ];
    for (i, chunk) in records.chunks(3).enumerate() {
        Mock::given(method("GET"))
            .and(path(format!("/zones/{ZONE}/dns_records")))
            .and(query_param("page", (i + 1).to_string().as_str()))
            .and(query_param("per_page", "3"))
            .respond_with(page(json!(chunk), i as u64 + 1, 3, 8))
            .expect(2)
            .mount(&server)
            .await;
    }
    let p = provider(&server).with_page_size(3).build().unwrap();
    let sets = p.list_record_sets(&zone()).await.unwrap();
    let find = |name: &str, t: RecordType| {
        sets.iter()
            .find(|s| s.name() == &n(name) && s.record_type() == t)
            .unwrap_or_else(|| panic!("{name} {t} missing from {sets:?}"))
    };
    let www = find("www.example.com", RecordType::A);
    assert_eq!(www.len(), 2);
    assert_eq!(www.ttl(), 120, "a set's TTL is its smallest");
    assert_eq!(
        find("_http._tcp.example.com", RecordType::SRV).values(),
        [RData::SRV(Srv::new(10, 60, 8080, n("h1.example.com")))]
    );
    assert_eq!(
        find("web._http._tcp.example.com", RecordType::TXT).values(),
        [RData::TXT(Txt::new([r#"path=/a "b" \c"#, "v=1"]).unwrap())]
    );
    assert_eq!(
        find("example.com", RecordType::MX).values()[0].to_string(),
        "5 mx.example.com."
    );
    let sshfp = find("example.com", "SSHFP".parse().unwrap());
    assert!(
        matches!(sshfp.values()[0], RData::Opaque(_)),
        "unknown types kept verbatim"
    );
    assert_eq!(
        find("cdn.example.com", RecordType::A).ttl(),
        1,
        "automatic TTL"
    );
    assert_eq!(sets.len(), 7);
    assert!(
        sets.windows(2).all(|w| w[0].key() < w[1].key()),
        "sets in canonical name order, then type"
    );
    let native = p.list_records(&zone()).await.unwrap();
    let cdn = native.iter().find(|r| r.id == "r8").unwrap();
    assert!(cdn.options.proxied);
    assert_eq!(p.requests_sent(), 6, "3 pages per listing");
}

#[tokio::test]
async fn a_single_add_posts_the_documented_shape() {
    let server = MockServer::start().await;
    empty_listing(&server).await;
    post("")
        .and(body_partial_json(json!({
            "type": "SRV", "name": "web._http._tcp.example.com", "ttl": 300,
            "data": {"priority": 10, "weight": 60, "port": 8080, "target": "h1.example.com"}
        })))
        .respond_with(ok(record(
            "new",
            "web._http._tcp.example.com",
            "SRV",
            "60 8080 h1.example.com",
            json!({}),
        )))
        .expect(1)
        .mount(&server)
        .await;
    let p = provider(&server).build().unwrap();
    let srv = RecordSet::new(
        n("web._http._tcp.example.com"),
        300,
        [RData::SRV(Srv::new(10, 60, 8080, n("h1.example.com")))],
    )
    .unwrap();
    let report = p.add(&zone(), srv).await.unwrap();
    assert_eq!(report.requests, 2, "one read, one create");
    let posted: Value = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .find(|r| r.method.as_str() == "POST")
        .map(|r| r.body_json().unwrap())
        .unwrap();
    assert!(
        posted.get("content").is_none(),
        "SRV goes as data only: {posted}"
    );
    assert!(
        posted.get("proxied").is_none(),
        "SRV cannot be proxied: {posted}"
    );
}

#[tokio::test]
async fn an_identical_record_already_there_is_success_without_a_duplicate() {
    // Cloudflare answers either code for a create of what is there.
    for (code, message) in [
        (81_057, "Record already exists."),
        (81_058, "An identical record already exists."),
    ] {
        already_there_is_success(code, message).await;
    }
}

async fn already_there_is_success(code: u32, message: &str) {
    let server = MockServer::start().await;
    let listing = format!("/zones/{ZONE}/dns_records");
    // First read: absent. The create says it exists (someone, or our lost
    // earlier attempt, created it). The re-read shows it: nothing more to do.
    Mock::given(method("GET"))
        .and(path(listing.as_str()))
        .respond_with(page(json!([]), 1, 5000, 0))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(listing.as_str()))
        .respond_with(page(
            json!([record("r1", "www.example.com", "A", "192.0.2.1", json!({}))]),
            1,
            5000,
            1,
        ))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(listing.as_str()))
        .respond_with(refused(code, message))
        .expect(1)
        .mount(&server)
        .await;
    let p = provider(&server).build().unwrap();
    p.add(&zone(), a_set("www.example.com", "192.0.2.1"))
        .await
        .unwrap();
}

#[tokio::test]
async fn several_operations_go_as_one_batch_in_cloudflare_order() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/zones/{ZONE}/dns_records")))
        .respond_with(page(
            json!([
                record("old1", "www.example.com", "A", "192.0.2.1", json!({})),
                record(
                    "keep",
                    "api.example.com",
                    "A",
                    "192.0.2.5",
                    json!({"ttl": 60})
                ),
            ]),
            1,
            5000,
            2,
        ))
        .mount(&server)
        .await;
    post("/batch")
        .respond_with(ok(
            json!({"deletes": [], "patches": [], "puts": [], "posts": []}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let p = provider(&server).build().unwrap();
    let report = p
        .apply(
            &zone(),
            &[
                Change::Upsert(a_set("www.example.com", "192.0.2.2")),
                Change::Add(a_set("api.example.com", "192.0.2.6")),
            ],
        )
        .await
        .unwrap();
    assert!(report.atomic);
    assert_eq!(report.requests, 2);
    let batch: Value = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .find(|r| r.url.path().ends_with("/batch"))
        .map(|r| r.body_json().unwrap())
        .unwrap();
    assert_eq!(batch["deletes"], json!([{"id": "old1"}]));
    // The kept record gets the new TTL (Add sets the set's TTL), and no
    // proxied/comment/tags field, so those stay as they are.
    assert_eq!(batch["patches"].as_array().unwrap().len(), 1);
    let patch = &batch["patches"][0];
    assert_eq!(
        (patch["id"].as_str(), patch["ttl"].as_u64()),
        (Some("keep"), Some(300))
    );
    assert!(
        patch.get("proxied").is_none()
            && patch.get("comment").is_none()
            && patch.get("tags").is_none()
    );
    let posts: Vec<&str> = batch["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["content"].as_str().unwrap())
        .collect();
    assert_eq!(posts, ["192.0.2.2", "192.0.2.6"]);
    assert_eq!(
        batch["posts"][0]["proxied"],
        json!(false),
        "DNS only by default"
    );
}

#[tokio::test]
async fn auth_failures_are_auth_errors_without_the_secret() {
    for (status, code) in [(403, 10_000), (401, 10_001), (400, 6_003)] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(failure(status, json!([{"code": code, "message": "Authentication error",
                "error_chain": [{"code": 6111, "message": "Invalid format for Authorization header"}]}])))
            .mount(&server)
            .await;
        let p = provider(&server).build().unwrap();
        let err = p.list_zones().await.unwrap_err();
        assert!(
            matches!(err, Error::Auth { .. }),
            "{status}/{code}: {err:?}"
        );
        assert!(!err.is_retryable());
        let shown = format!("{err} {err:?}");
        assert!(
            shown.contains(&code.to_string()),
            "the code is kept: {shown}"
        );
        assert!(!shown.contains(TOKEN), "{shown}");
        assert_eq!(p.requests_sent(), 1, "auth errors are not retried");
    }
}

#[tokio::test]
async fn envelope_errors_are_kept_with_their_chain_and_the_ray_id() {
    let server = MockServer::start().await;
    empty_listing(&server).await;
    Mock::given(method("POST"))
        .respond_with(
            failure(400, json!([{"code": 1004, "message": "DNS Validation Error",
                "error_chain": [{"code": 9005, "message": "Content for A record must be a valid IPv4 address."}]}]))
            .insert_header("cf-ray", "8a1b2c3d4e5f-AMS"),
        )
        .mount(&server)
        .await;
    let p = provider(&server).build().unwrap();
    match p.add(&zone(), a_set("www.example.com", "192.0.2.1")).await {
        Err(Error::Provider {
            code,
            message,
            request_id,
            retryable,
            ..
        }) => {
            assert_eq!(code.as_deref(), Some("1004"));
            assert!(
                message.contains("9005") && message.contains("valid IPv4"),
                "{message}"
            );
            assert_eq!(request_id.as_deref(), Some("8a1b2c3d4e5f-AMS"));
            assert!(!retryable);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_unknown_zone_id_is_zone_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(failure(404, json!([{"code": 7003, "message": "Could not route to /zones/nope/dns_records, perhaps your object identifier is invalid?"}])))
        .mount(&server)
        .await;
    let p = provider(&server).build().unwrap();
    let err = p
        .list_record_sets(&Zone::new("nope", n("example.com")))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ZoneNotFound { ref zone } if zone == "nope"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_429_waits_for_retry_after_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            failure(429, json!([{"code": 971, "message": "Please wait and consider throttling your request speed"}]))
                .insert_header("retry-after", "1"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    empty_listing(&server).await;
    let budget = RequestBudget::new(1_200, Duration::from_secs(300));
    let p = provider(&server)
        .with_request_budget(budget.clone())
        .build()
        .unwrap();
    let start = Instant::now();
    assert!(p.list_record_sets(&zone()).await.unwrap().is_empty());
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured: {:?}",
        start.elapsed()
    );
    assert_eq!(p.requests_sent(), 2);

    // Without retries the caller sees RateLimited with the wait.
    let never = provider(&server)
        .with_retry(RetryPolicy::never())
        .build()
        .unwrap();
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(
            failure(429, json!([{"code": 971, "message": "Please wait"}]))
                .insert_header("retry-after", "7"),
        )
        .mount(&server)
        .await;
    match never.list_record_sets(&zone()).await {
        Err(e @ Error::RateLimited { .. }) => {
            assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
            assert!(e.is_retryable());
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn server_errors_are_retried_and_reported_retryable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(502).set_body_string("<html><body>502 Bad Gateway</body></html>"),
        )
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    empty_listing(&server).await;
    let p = provider(&server).build().unwrap();
    assert!(p.list_record_sets(&zone()).await.unwrap().is_empty());
    assert_eq!(p.requests_sent(), 3);

    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).set_body_string("<html>busy</html>"))
        .mount(&server)
        .await;
    let err = p.list_record_sets(&zone()).await.unwrap_err();
    // The backend is the retry layer: the error says it retried already.
    assert_eq!(err.attempts(), 3, "{err}");
    assert!(err.to_string().ends_with("(after 3 attempts)"), "{err}");
    match err.root() {
        Error::Provider {
            retryable,
            code,
            message,
            ..
        } => {
            assert!(retryable);
            assert_eq!(code.as_deref(), Some("HTTP 503"));
            assert!(message.contains("busy"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_token_echoed_back_by_the_server_never_reaches_an_error() {
    // A proxy that quotes the request's Authorization header in its error
    // page, in the envelope's message, and in a 5xx body.
    let echo = format!("invalid header Authorization: Bearer {TOKEN}");
    for answer in [
        failure(400, json!([{"code": 1000, "message": echo}])),
        failure(403, json!([{"code": 10_000, "message": echo}])),
        ResponseTemplate::new(502).set_body_string(format!("<html>{echo}</html>")),
        ResponseTemplate::new(429).set_body_string(echo.clone()),
        ResponseTemplate::new(200).set_body_string(format!("not json {echo}")),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(answer)
            .mount(&server)
            .await;
        let p = provider(&server)
            .with_retry(RetryPolicy::never())
            .build()
            .unwrap();
        let err = p.list_record_sets(&zone()).await.unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(
            shown.contains("***"),
            "the echo is redacted, not dropped: {shown}"
        );
    }
    // Nor a log line: the retry loop logs every failed attempt.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(failure(503, json!([{"code": 1000, "message": echo}])))
        .mount(&server)
        .await;
    let logs = Logs::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(logs.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    let p = provider(&server).build().unwrap();
    let err = p.list_record_sets(&zone()).await.unwrap_err();
    drop(guard);
    assert_eq!(err.attempts(), 3);
    let logged = logs.text();
    assert!(
        logged.contains("retrying after"),
        "the retries were logged: {logged}"
    );
    assert!(!logged.contains(TOKEN), "{logged}");
    // The Global API Key too.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(refused(1000, "X-Auth-Key: global-KEY-42"))
        .mount(&server)
        .await;
    let p = provider(&server)
        .with_credentials(dns_cloudflare::Credentials::global_key(
            "ops@example.com",
            "global-KEY-42",
        ))
        .build()
        .unwrap();
    let err = p.list_record_sets(&zone()).await.unwrap_err();
    assert!(
        !format!("{err} {err:?}").contains("global-KEY-42"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_timeout_is_a_retryable_transport_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(page(json!([]), 1, 5000, 0).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let p = provider(&server)
        .with_timeout(Duration::from_millis(200))
        .with_retry(RetryPolicy::never())
        .build()
        .unwrap();
    match p.list_record_sets(&zone()).await {
        Err(e @ Error::Transport { .. }) => {
            assert!(e.is_retryable());
            assert!(e.to_string().contains("timed out"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn malformed_bodies_are_typed_errors_not_panics() {
    let server = MockServer::start().await;
    for body in [
        "{\"success\": true, \"result\": [",
        "",
        "<html>captive portal</html>",
    ] {
        server.reset().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .mount(&server)
            .await;
        let p = provider(&server)
            .with_retry(RetryPolicy::never())
            .build()
            .unwrap();
        match p.list_record_sets(&zone()).await {
            Err(Error::Provider {
                code, retryable, ..
            }) => {
                assert_eq!(code.as_deref(), Some("HTTP 200"), "{body:?}");
                assert!(retryable, "a broken answer may be transient");
            }
            other => panic!("{body:?}: {other:?}"),
        }
    }
    // A listing with one record of the wrong shape: that record is left
    // out (plans never touch it), the others are read.
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(page(
            json!([{"id": 5, "type": []}, record("r1", "www.example.com", "A", "192.0.2.1", json!({}))]),
            1,
            5000,
            2,
        ))
        .mount(&server)
        .await;
    let p = provider(&server).build().unwrap();
    let sets = p.list_record_sets(&zone()).await.unwrap();
    assert_eq!(sets.len(), 1);
    // A result that is not a list at all is an error.
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ok(json!({"not": "a list"})))
        .mount(&server)
        .await;
    assert!(matches!(
        p.list_record_sets(&zone()).await,
        Err(Error::Provider { .. })
    ));
    // A truncated body once, then a good one: retried.
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"succ"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    empty_listing(&server).await;
    assert!(p.list_record_sets(&zone()).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_ttl_below_the_floor_fails_before_any_request() {
    let server = MockServer::start().await;
    let p: CloudflareProvider = provider(&server).build().unwrap();
    let z = zone();
    type Case = (&'static str, Vec<Change>, fn(&Error) -> bool);
    // The rest of the bad-input corpus is the conformance suite's
    // (`validate_agrees_with_apply`, `instance_names`); this is the TTL
    // Cloudflare refuses inside the range its capabilities declare.
    let cases: Vec<Case> = vec![(
        "TTL 5",
        vec![Change::Add(
            a_set("www.example.com", "192.0.2.1").with_ttl(5),
        )],
        |e| matches!(e, Error::InvalidInput(_)),
    )];
    for (what, changes, expected) in cases {
        let err = p.apply(&z, &changes).await.unwrap_err();
        assert!(expected(&err), "{what}: {err:?}");
        assert!(!err.to_string().is_empty());
        // `validate` refuses the same input, through `dyn DnsProvider` too.
        let dynamic: &dyn DnsProvider = &p;
        let checked = dynamic.validate(&z, &changes).unwrap_err();
        assert_eq!(checked.to_string(), err.to_string(), "{what}");
    }
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "a request left the process"
    );
    assert_eq!(p.requests_sent(), 0);
}

#[tokio::test]
async fn the_budget_paces_requests_and_clones_share_it() {
    let server = MockServer::start().await;
    empty_listing(&server).await;
    // Burst 2, then one request per 200 ms.
    let budget = RequestBudget::with_burst(7, Duration::from_secs(1), 2);
    let p = provider(&server)
        .with_request_budget(budget.clone())
        .build()
        .unwrap();
    let clone = p.clone();
    let start = Instant::now();
    for i in 0..6 {
        let who = if i % 2 == 0 { &p } else { &clone };
        who.get_record_set(&zone(), &n("www.example.com"), RecordType::A)
            .await
            .unwrap();
    }
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(750),
        "4 paced requests at 200 ms: {took:?}"
    );
    assert!(budget.total_wait() >= Duration::from_millis(750));
    // What `budget()` shows is the budget the requests were paced by.
    assert_eq!(p.budget().total_wait(), budget.total_wait());
    assert_eq!(clone.budget().total_wait(), budget.total_wait());
}

#[tokio::test]
async fn redirects_are_not_followed_so_credentials_stay_home() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(page(json!([]), 1, 50, 0))
        .mount(&elsewhere)
        .await;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/zones", elsewhere.uri()).as_str()),
        )
        .mount(&server)
        .await;
    let p = provider(&server)
        .with_credentials(dns_cloudflare::Credentials::global_key(
            "ops@example.com",
            "GLOBAL-KEY",
        ))
        .build()
        .unwrap();
    let err = p.list_zones().await.unwrap_err();
    assert!(matches!(err, Error::Provider { .. }), "{err:?}");
    assert!(
        elsewhere.received_requests().await.unwrap().is_empty(),
        "followed a redirect with the key"
    );
}

#[tokio::test]
async fn an_absurd_retry_after_is_bounded_not_a_panic() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            failure(429, json!([{"code": 10100, "message": "slow down"}]))
                .insert_header("retry-after", "18446744073709551615"),
        )
        .mount(&server)
        .await;
    let p = provider(&server)
        .with_retry(RetryPolicy::never())
        .build()
        .unwrap();
    let err = p.list_zones().await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3_600)));
}

#[tokio::test]
async fn a_404_without_cloudflare_codes_is_an_error_not_a_retry_loop() {
    let server = MockServer::start().await;
    empty_listing(&server).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(404).set_body_string("not here"))
        .mount(&server)
        .await;
    let p = provider(&server).build().unwrap();
    let err = p
        .add(&zone(), a_set("www.example.com", "192.0.2.1"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Provider { ref code, .. } if code.as_deref() == Some("HTTP 404")),
        "{err:?}"
    );
    assert_eq!(p.requests_sent(), 2, "one read, one create, no re-plan");
}

#[tokio::test]
async fn a_value_already_there_right_after_a_read_needs_no_cas_attempt() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(page(
            json!([record("r1", "www.example.com", "A", "192.0.2.1", json!({}))]),
            1,
            5000,
            1,
        ))
        .mount(&server)
        .await;
    let p = provider(&server).with_max_cas_attempts(1).build().unwrap();
    let z = zone();
    assert!(
        p.get_record_set(&z, &n("www.example.com"), RecordType::A)
            .await
            .unwrap()
            .is_some()
    );
    let report = p
        .add(&z, a_set("www.example.com", "192.0.2.1"))
        .await
        .unwrap();
    assert_eq!(
        report.requests, 1,
        "a fresh read confirms it; nothing written"
    );
}

#[tokio::test]
async fn a_split_apply_that_fails_half_way_says_so() {
    let server = MockServer::start().await;
    empty_listing(&server).await;
    post("/batch")
        .respond_with(ok(json!({})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    post("/batch")
        .respond_with(refused(1004, "DNS Validation Error"))
        .mount(&server)
        .await;
    let p = provider(&server).with_max_batch_size(2).build().unwrap();
    let changes: Vec<Change> = (1..=4)
        .map(|i| Change::Add(a_set(&format!("h{i}.example.com"), "192.0.2.1")))
        .collect();
    let err = p.apply(&zone(), &changes).await.unwrap_err();
    assert_eq!(err.applied(), Some(&[0, 1][..]), "{err}");
    assert!(
        err.to_string().starts_with("2 of 4 changes were applied"),
        "{err}"
    );
    assert!(err.to_string().contains("1004"), "{err}");
    assert!(!err.is_retryable());
}

/// Log output captured from a tracing subscriber.
#[derive(Clone, Default)]
struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Self;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Mounts a listing of `records` at the given priority, `times` times (or
/// for good).
async fn listing(server: &MockServer, records: Value, priority: u8, times: Option<u64>) {
    let count = records.as_array().map_or(0, Vec::len) as u64;
    let mock = Mock::given(method("GET"))
        .and(path(format!("/zones/{ZONE}/dns_records")))
        .respond_with(page(records, 1, 5000, count))
        .with_priority(priority);
    match times {
        Some(n) => mock.up_to_n_times(n).mount(server).await,
        None => mock.mount(server).await,
    }
}

fn batches(requests: &[wiremock::Request]) -> Vec<Value> {
    requests
        .iter()
        .filter(|r| r.url.path().ends_with("/batch"))
        .map(|r| r.body_json().unwrap())
        .collect()
}

/// 81044 on a batch: a record the plan deletes is gone. The provider reads
/// again, plans again without it, and the second batch succeeds.
#[tokio::test]
async fn a_record_deleted_under_a_batch_is_read_again_and_planned_again() {
    let server = MockServer::start().await;
    let old = record("old1", "www.example.com", "A", "192.0.2.1", json!({}));
    listing(&server, json!([old]), 1, Some(1)).await;
    listing(&server, json!([]), 2, None).await;
    post("/batch")
        .respond_with(refused(81044, "Record does not exist."))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    post("")
        .respond_with(ok(record(
            "new1",
            "www.example.com",
            "A",
            "192.0.2.2",
            json!({}),
        )))
        .mount(&server)
        .await;
    let p = provider(&server).build().unwrap();
    let report = p
        .apply(
            &zone(),
            &[Change::Upsert(a_set("www.example.com", "192.0.2.2"))],
        )
        .await
        .unwrap();
    assert!(report.atomic, "the refused batch changed nothing");
    let requests = server.received_requests().await.unwrap();
    let sent = batches(&requests);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["deletes"], json!([{"id": "old1"}]));
    // Planned again from the new listing: nothing left to delete, so the
    // new value is one create, sent once.
    let creates: Vec<Value> = requests
        .iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path().ends_with("/dns_records"))
        .map(|r| r.body_json().unwrap())
        .collect();
    assert_eq!(creates.len(), 1, "{creates:?}");
    assert_eq!(creates[0]["content"], "192.0.2.2");
    let reads = requests
        .iter()
        .filter(|r| r.method.as_str() == "GET")
        .count();
    assert_eq!(reads, 2, "one listing per plan");
}

/// The same stale answer every time: the provider gives up after its
/// attempts with a retryable `Conflict`, not a success and not a loop.
#[tokio::test]
async fn a_plan_that_stays_stale_is_a_retryable_conflict() {
    let server = MockServer::start().await;
    let old = record("old1", "www.example.com", "A", "192.0.2.1", json!({}));
    listing(&server, json!([old]), 1, None).await;
    post("/batch")
        .respond_with(refused(81044, "Record does not exist."))
        .mount(&server)
        .await;
    let p = provider(&server).build().unwrap();
    let error = p
        .apply(
            &zone(),
            &[Change::Upsert(a_set("www.example.com", "192.0.2.2"))],
        )
        .await
        .unwrap_err();
    assert!(matches!(error.root(), Error::Conflict { .. }), "{error:?}");
    assert!(error.is_retryable());
    let sent = batches(&server.received_requests().await.unwrap());
    assert!(
        sent.len() > 1,
        "planned again before giving up: {}",
        sent.len()
    );
    assert!(sent.len() <= 10, "bounded: {}", sent.len());
}

/// The options given to `apply_with_options` are what the create sends.
#[tokio::test]
async fn apply_with_options_creates_with_those_options() {
    let server = MockServer::start().await;
    empty_listing(&server).await;
    post("")
        .and(body_partial_json(json!({
            "type": "A", "name": "www.example.com", "content": "192.0.2.7",
            "proxied": true, "comment": "placed by a test", "tags": ["owner:platform"]
        })))
        .respond_with(ok(record(
            "new",
            "www.example.com",
            "A",
            "192.0.2.7",
            json!({"proxied": true}),
        )))
        .expect(1)
        .mount(&server)
        .await;
    let p = provider(&server).build().unwrap();
    let options = RecordOptions::new()
        .with_proxied(true)
        .with_comment("placed by a test")
        .with_tag("owner:platform")
        .unwrap();
    let changes = [Change::Add(a_set("www.example.com", "192.0.2.7"))];
    let report = p
        .apply_with_options(&zone(), &changes, &options)
        .await
        .unwrap();
    assert_eq!(report.requests, 2, "one read, one create");
    assert_eq!(report.applied, [0]);

    // Nothing to do sends nothing.
    let report = p.apply_with_options(&zone(), &[], &options).await.unwrap();
    assert_eq!(report.requests, 0);
    assert_eq!(p.requests_sent(), 2);
}

/// A batch whose first read fails changed nothing: the error is the read's
/// own, not a partial application claiming the changes went through.
#[tokio::test]
async fn a_failed_first_read_is_the_read_error_with_nothing_applied() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/zones/{ZONE}/dns_records")))
        .respond_with(failure(
            403,
            json!([{"code": 10000, "message": "Authentication error"}]),
        ))
        .mount(&server)
        .await;
    let p = provider(&server).build().unwrap();
    let changes = [
        Change::Add(a_set("a.example.com", "192.0.2.1")),
        Change::Add(a_set("b.example.com", "192.0.2.2")),
    ];
    let err = p.apply(&zone(), &changes).await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    assert_eq!(err.applied(), None, "{err}");
    assert_eq!(p.requests_sent(), 1);
}

/// The same create refused twice as already there while the listing does
/// not show it: a retryable `Conflict` quoting Cloudflare as soon as the
/// new plan is the refused one (not after the whole attempt budget).
#[tokio::test]
async fn a_refusal_the_new_listing_cannot_explain_is_a_conflict() {
    let server = MockServer::start().await;
    empty_listing(&server).await;
    post("")
        .respond_with(refused(81058, "An identical record already exists."))
        .mount(&server)
        .await;
    let p = provider(&server).build().unwrap();
    let err = p
        .add(&zone(), a_set("www.example.com", "192.0.2.1"))
        .await
        .unwrap_err();
    assert!(matches!(err.root(), Error::Conflict { .. }), "{err:?}");
    assert!(err.is_retryable());
    let text = err.to_string();
    assert!(
        text.contains("refuses the same change again") && text.contains("81058"),
        "{text}"
    );
    let creates = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .count();
    assert_eq!(
        creates, 1,
        "the second plan was the refused one: not sent again"
    );
}

/// Whether a report says "atomic": one batch is; two batches are not, also
/// when the second went through only after a stale answer and a new plan.
#[tokio::test]
async fn atomic_only_when_one_batch_carried_everything() {
    // Upserts: one the new listing shows done needs no guard in the plan.
    let changes = |names: &[&str]| -> Vec<Change> {
        names
            .iter()
            .map(|n| Change::Upsert(a_set(&format!("{n}.example.com"), "192.0.2.1")))
            .collect()
    };
    let batch_ok = || post("/batch").respond_with(ok(json!({})));

    let server = MockServer::start().await;
    empty_listing(&server).await;
    batch_ok().mount(&server).await;
    let p = provider(&server).with_max_batch_size(2).build().unwrap();
    let one = p.apply(&zone(), &changes(&["a", "b"])).await.unwrap();
    assert!(one.atomic);
    let two = p
        .apply(&zone(), &changes(&["c", "d", "e", "f"]))
        .await
        .unwrap();
    assert!(!two.atomic, "two batches");
    assert_eq!(batches(&server.received_requests().await.unwrap()).len(), 3);

    // The first batch lands, the second is stale; the new listing shows
    // every record (another writer did the rest), so nothing is left to
    // send. Still not atomic: the first batch was visible on its own.
    let server = MockServer::start().await;
    listing(&server, json!([]), 1, Some(1)).await;
    let all: Vec<Value> = (1..=4)
        .map(|i| {
            record(
                &format!("r{i}"),
                &format!("h{i}.example.com"),
                "A",
                "192.0.2.1",
                json!({}),
            )
        })
        .collect();
    listing(&server, Value::Array(all), 2, None).await;
    batch_ok()
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    post("/batch")
        .respond_with(refused(81044, "Record does not exist."))
        .with_priority(2)
        .mount(&server)
        .await;
    let p = provider(&server).with_max_batch_size(2).build().unwrap();
    let report = p
        .apply(&zone(), &changes(&["h1", "h2", "h3", "h4"]))
        .await
        .unwrap();
    assert!(!report.atomic);
    let sent = batches(&server.received_requests().await.unwrap());
    assert_eq!(sent.len(), 2, "{sent:?}");
}

/// Changes to one name read just that name, however many changes there are.
#[tokio::test]
async fn changes_to_one_name_read_only_that_name() {
    let server = MockServer::start().await;
    empty_listing(&server).await;
    post("/batch")
        .respond_with(ok(json!({})))
        .mount(&server)
        .await;
    let p = provider(&server).build().unwrap();
    let txt = RecordSet::new(
        n("www.example.com"),
        300,
        [RData::TXT(Txt::from_text(b"v=1"))],
    )
    .unwrap();
    p.apply(
        &zone(),
        &[
            Change::Upsert(a_set("www.example.com", "192.0.2.1")),
            Change::Add(txt),
        ],
    )
    .await
    .unwrap();
    let seen = reads(&server).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].1.contains("name=www.example.com"), "{seen:?}");
}

/// Every POST (create or batch) succeeds with `result`.
async fn accept_posts(server: &MockServer, result: Value) {
    Mock::given(method("POST"))
        .respond_with(ok(result))
        .mount(server)
        .await;
}

/// The GET requests a server received, as (path, query).
async fn reads(server: &MockServer) -> Vec<(String, String)> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "GET")
        .map(|r| {
            (
                r.url.path().to_owned(),
                r.url.query().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// A listing of a whole zone is reused by the next apply for up to
/// `read_reuse` (so a lookup then a write costs one read), only for that
/// zone, never after a write, and not at all when the reuse age is zero.
#[tokio::test]
async fn a_fresh_listing_is_reused_once_for_its_zone_only() {
    let other = "9a7806061c88ada191ed06f989cc3dac";
    let server = MockServer::start().await;
    let www = record("r1", "www.example.com", "A", "192.0.2.1", json!({}));
    listing(&server, json!([www]), 1, None).await;
    Mock::given(method("GET"))
        .and(path(format!("/zones/{other}/dns_records")))
        .respond_with(page(json!([]), 1, 5000, 0))
        .mount(&server)
        .await;
    accept_posts(
        &server,
        record("r2", "api.example.com", "A", "192.0.2.2", json!({})),
    )
    .await;
    let p = provider(&server).build().unwrap();
    let add = |name: &str| Change::Add(a_set(name, "192.0.2.2"));

    let found = p
        .get_record_set(&zone(), &n("www.example.com"), RecordType::A)
        .await
        .unwrap();
    assert_eq!(found, Some(a_set("www.example.com", "192.0.2.1")));
    p.apply(&zone(), &[add("api.example.com")]).await.unwrap();
    assert_eq!(
        reads(&server).await.len(),
        1,
        "the apply planned from the lookup's listing"
    );

    // After that write the listing is old: the next apply reads again.
    p.apply(&zone(), &[add("app.example.com")]).await.unwrap();
    assert_eq!(reads(&server).await.len(), 2);

    // Another zone never gets this zone's listing.
    p.get_record_set(&zone(), &n("www.example.com"), RecordType::A)
        .await
        .unwrap();
    let other_zone = Zone::new(other, n("example.net"));
    p.apply(&other_zone, &[add("api.example.net")])
        .await
        .unwrap();
    let seen = reads(&server).await;
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert_eq!(seen[3].0, format!("/zones/{other}/dns_records"));

    // A listing older than `read_reuse` is read again.
    let server = MockServer::start().await;
    listing(&server, json!([]), 1, None).await;
    accept_posts(
        &server,
        record("r2", "api.example.com", "A", "192.0.2.2", json!({})),
    )
    .await;
    let p = provider(&server)
        .with_read_reuse(Duration::from_millis(50))
        .build()
        .unwrap();
    p.list_record_sets(&zone()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    p.apply(&zone(), &[add("api.example.com")]).await.unwrap();
    assert_eq!(reads(&server).await.len(), 2);

    // And with no reuse, every apply reads.
    let p = provider(&server)
        .with_read_reuse(Duration::ZERO)
        .build()
        .unwrap();
    p.list_record_sets(&zone()).await.unwrap();
    p.apply(&zone(), &[add("api.example.com")]).await.unwrap();
    assert_eq!(reads(&server).await.len(), 4);
}

/// Mounts a zone of three records listed two per page.
async fn three_records_two_per_page(server: &MockServer) -> Vec<Value> {
    let records = vec![
        record("r1", "a.example.com", "A", "192.0.2.1", json!({})),
        record("r2", "b.example.com", "A", "192.0.2.2", json!({})),
        record("r3", "c.example.com", "A", "192.0.2.3", json!({})),
    ];
    Mock::given(method("GET"))
        .and(path(format!("/zones/{ZONE}/dns_records")))
        .and(query_param("page", "2"))
        .respond_with(page(json!([records[2].clone()]), 2, 2, 3))
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/zones/{ZONE}/dns_records")))
        .and(query_param("name", "b.example.com"))
        .respond_with(page(
            // Whatever Cloudflare's filter lets through, only the exact
            // name and type are kept.
            json!([
                records[1].clone(),
                record("r9", "bb.example.com", "A", "192.0.2.9", json!({}))
            ]),
            1,
            2,
            2,
        ))
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/zones/{ZONE}/dns_records")))
        .respond_with(page(
            json!([records[0].clone(), records[1].clone()]),
            1,
            2,
            3,
        ))
        .with_priority(2)
        .mount(server)
        .await;
    records
}

/// Once a zone is known to be larger than a page, a lookup or a small
/// apply reads by name instead of listing every page.
#[tokio::test]
async fn a_zone_larger_than_a_page_is_read_by_name() {
    let server = MockServer::start().await;
    three_records_two_per_page(&server).await;
    accept_posts(&server, json!({})).await;
    // No reuse: the apply below must read, not plan from the listing.
    let p = provider(&server)
        .with_page_size(2)
        .with_read_reuse(Duration::ZERO)
        .build()
        .unwrap();
    assert_eq!(p.list_record_sets(&zone()).await.unwrap().len(), 3);
    assert_eq!(reads(&server).await.len(), 2, "two pages");

    let found = p
        .get_record_set(&zone(), &n("b.example.com"), RecordType::A)
        .await
        .unwrap();
    assert_eq!(found, Some(a_set("b.example.com", "192.0.2.2")));
    let seen = reads(&server).await;
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen[2].1.contains("name=b.example.com"), "{seen:?}");

    // Two names: two reads by name, not the whole zone.
    p.apply(
        &zone(),
        &[
            Change::Add(a_set("b.example.com", "192.0.2.20")),
            Change::Add(a_set("d.example.com", "192.0.2.4")),
        ],
    )
    .await
    .unwrap();
    let seen = reads(&server).await;
    let by_name: Vec<&str> = seen[3..]
        .iter()
        .map(|(_, q)| q.split('&').next().unwrap_or_default())
        .collect();
    assert!(by_name.contains(&"name=b.example.com"), "{seen:?}");
    assert!(by_name.contains(&"name=d.example.com"), "{seen:?}");
    assert!(by_name.iter().all(|q| q.starts_with("name=")), "{seen:?}");
}

/// A zone that fits in one page: a lookup lists it whole (and filters), and
/// an apply of several names reads it whole once.
#[tokio::test]
async fn a_zone_of_one_page_is_read_whole() {
    let server = MockServer::start().await;
    let listed = json!([
        record("r1", "a.example.com", "A", "192.0.2.1", json!({})),
        record("t1", "a.example.com", "TXT", "\"x\"", json!({})),
        record("r2", "b.example.com", "A", "192.0.2.2", json!({})),
    ]);
    listing(&server, listed, 1, None).await;
    accept_posts(&server, json!({})).await;
    let p = provider(&server)
        .with_page_size(3)
        .with_read_reuse(Duration::ZERO)
        .build()
        .unwrap();
    let found = p
        .get_record_set(&zone(), &n("a.example.com"), RecordType::A)
        .await
        .unwrap();
    assert_eq!(found, Some(a_set("a.example.com", "192.0.2.1")));
    assert_eq!(p.list_record_sets(&zone()).await.unwrap().len(), 3);
    // Three records, three per page: exactly one page, so still whole.
    let found = p
        .get_record_set(&zone(), &n("b.example.com"), RecordType::A)
        .await
        .unwrap();
    assert_eq!(found, Some(a_set("b.example.com", "192.0.2.2")));
    p.apply(
        &zone(),
        &[
            Change::Add(a_set("a.example.com", "192.0.2.10")),
            Change::Add(a_set("c.example.com", "192.0.2.3")),
        ],
    )
    .await
    .unwrap();
    let seen = reads(&server).await;
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert!(seen.iter().all(|(_, q)| !q.contains("name=")), "{seen:?}");
}

/// Zones pinned in the builder are listed once, whether or not the
/// account's zone list shows them.
#[tokio::test]
async fn pinned_zones_are_listed_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/zones"))
        .respond_with(page(json!([{"id": ZONE, "name": "example.com"}]), 1, 50, 1))
        .mount(&server)
        .await;
    let p = provider(&server)
        .with_zone(n("example.com"), ZONE)
        .with_zone(n("example.org"), "0123456789abcdef0123456789abcdef")
        .build()
        .unwrap();
    let mut zones: Vec<String> = p
        .list_zones()
        .await
        .unwrap()
        .iter()
        .map(|z| z.name.to_string())
        .collect();
    zones.sort();
    assert_eq!(zones, ["example.com.", "example.org."]);
}

/// What a provider says about itself.
#[tokio::test]
async fn name_capabilities_and_debug() {
    let server = MockServer::start().await;
    let p = provider(&server).with_max_batch_size(50).build().unwrap();
    assert_eq!(p.provider_name(), "cloudflare");
    let caps = p.capabilities();
    assert!(caps.atomic_batches && !caps.preconditions && !caps.raw_labels);
    assert_eq!(caps.max_records_per_request, Some(50));
    let shown = format!("{p:?}");
    assert!(shown.starts_with("CloudflareProvider {"), "{shown}");
    assert!(shown.contains(&server.uri()), "{shown}");
    assert!(!shown.contains(TOKEN), "{shown}");
}
