#![allow(clippy::unwrap_used, reason = "tests")]
//! The Cloudflare fake driven over plain HTTP/1.1.

use std::time::Duration;

use dns_testkit::cloudflare::{FakeCloudflare, Fault};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An HTTP response.
#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The top-level error codes.
    fn codes(&self) -> Vec<u64> {
        self.json()["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["code"].as_u64().unwrap())
            .collect()
    }
}

/// Decodes a chunked body.
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = raw.windows(2).position(|w| w == b"\r\n").unwrap();
        let size_text = std::str::from_utf8(&raw[..line_end]).unwrap();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        raw = &raw[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}

/// Sends one request on a fresh connection (`Connection: close`) and
/// reads the response to the end.
async fn raw_request(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Response {
    let host = base.strip_prefix("http://").unwrap();
    let mut stream = TcpStream::connect(host).await.unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    let body = body.unwrap_or_default();
    if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
        request.push_str("Content-Type: application/json\r\n");
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();

    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// A request with the fake's bearer token.
async fn call(fake: &FakeCloudflare, method: &str, path: &str, body: Option<Value>) -> Response {
    let auth = format!("Bearer {}", fake.token());
    let body = body.map(|b| b.to_string());
    raw_request(
        &fake.uri(),
        method,
        path,
        &[("Authorization", &auth)],
        body.as_deref(),
    )
    .await
}

fn records_path(zone: &str) -> String {
    format!("/zones/{zone}/dns_records")
}

/// Lists a zone's records; `query` is empty or starts with `?`.
async fn list(fake: &FakeCloudflare, zone: &str, query: &str) -> Response {
    let path = format!("{}{query}", records_path(zone));
    call(fake, "GET", &path, None).await
}

/// Posts a record, whatever the answer.
async fn post(fake: &FakeCloudflare, zone: &str, record: Value) -> Response {
    call(fake, "POST", &records_path(zone), Some(record)).await
}

/// Posts a batch, whatever the answer.
async fn post_batch(fake: &FakeCloudflare, zone: &str, batch: Value) -> Response {
    let path = format!("{}/batch", records_path(zone));
    call(fake, "POST", &path, Some(batch)).await
}

/// Creates a record and returns the answer's result.
async fn create(fake: &FakeCloudflare, zone: &str, record: Value) -> Value {
    let response = post(fake, zone, record).await;
    assert_eq!(response.status, 200, "{}", response.body);
    response.json()["result"].clone()
}

/// Creates an A record and returns the answer's result.
async fn create_a(fake: &FakeCloudflare, zone: &str, name: &str, address: &str) -> Value {
    let record = json!({"type": "A", "name": name, "content": address});
    create(fake, zone, record).await
}

async fn started() -> (FakeCloudflare, String) {
    let fake = FakeCloudflare::start().await;
    let zone = fake.add_zone("example.com");
    (fake, zone)
}

#[tokio::test]
async fn zones_are_found_by_name() {
    let (fake, zone) = started().await;
    fake.add_zone("other.org");
    let response = call(&fake, "GET", "/zones?name=Example.COM", None).await;
    assert_eq!(response.status, 200);
    let body = response.json();
    assert_eq!(body["success"], true);
    assert_eq!(body["result"].as_array().unwrap().len(), 1);
    assert_eq!(body["result"][0]["id"], zone.as_str());
    assert_eq!(body["result"][0]["name"], "example.com");
    assert_eq!(body["result"][0]["status"], "active");
    assert_eq!(body["result_info"]["total_count"], 1);
    let all = call(&fake, "GET", "/client/v4/zones", None).await.json();
    assert_eq!(all["result_info"]["count"], 2);
    assert_eq!(fake.zone_ids().len(), 2);
}

#[tokio::test]
async fn create_get_and_list_across_three_pages() {
    let (fake, zone) = started().await;
    let fake = fake.with_max_per_page(2);
    let mut ids = Vec::new();
    for i in 1..=5 {
        let record = create_a(&fake, &zone, &format!("host{i}"), &format!("192.0.2.{i}")).await;
        assert_eq!(record["name"], format!("host{i}.example.com"));
        assert_eq!(record["id"].as_str().unwrap().len(), 32);
        ids.push(record["id"].as_str().unwrap().to_owned());
    }
    let path = format!("{}/{}", records_path(&zone), ids[2]);
    let one = call(&fake, "GET", &path, None).await;
    assert_eq!(one.json()["result"]["content"], "192.0.2.3");

    let mut seen = Vec::new();
    let mut page = 1;
    loop {
        let body = list(&fake, &zone, &format!("?per_page=100&page={page}"))
            .await
            .json();
        let info = &body["result_info"];
        assert_eq!(info["per_page"], 2);
        assert_eq!(info["total_count"], 5);
        assert_eq!(info["total_pages"], 3);
        assert_eq!(info["page"], page);
        for record in body["result"].as_array().unwrap() {
            seen.push(record["id"].as_str().unwrap().to_owned());
        }
        if page == 3 {
            assert_eq!(info["count"], 1);
            break;
        }
        assert_eq!(info["count"], 2);
        page += 1;
    }
    assert_eq!(seen, ids, "creation order across pages");
}

#[tokio::test]
async fn filters_by_name_and_type() {
    let (fake, zone) = started().await;
    create_a(&fake, &zone, "www", "192.0.2.1").await;
    let aaaa = json!({"type": "AAAA", "name": "www.example.com", "content": "2001:db8::1"});
    create(&fake, &zone, aaaa).await;
    create_a(&fake, &zone, "@", "192.0.2.2").await;
    let www = list(&fake, &zone, "?name=WWW.Example.com").await.json();
    assert_eq!(www["result_info"]["total_count"], 2);
    let a = list(&fake, &zone, "?name=www.example.com&type=A")
        .await
        .json();
    assert_eq!(a["result"].as_array().unwrap().len(), 1);
    assert_eq!(a["result"][0]["content"], "192.0.2.1");
    let apex = list(&fake, &zone, "?name=example.com").await.json();
    assert_eq!(apex["result"][0]["content"], "192.0.2.2");
}

#[tokio::test]
async fn srv_content_is_computed() {
    let (fake, zone) = started().await;
    let record = create(
        &fake,
        &zone,
        json!({
            "type": "SRV", "name": "_sip._tcp", "ttl": 300,
            "data": {"priority": 10, "weight": 5, "port": 8806, "target": "sip.example.com."}
        }),
    )
    .await;
    assert_eq!(record["name"], "_sip._tcp.example.com");
    assert_eq!(record["content"], "5 8806 sip.example.com");
    assert_eq!(record["priority"], 10);
    assert_eq!(record["data"]["port"], 8806);
    assert_eq!(record["proxiable"], false);
    assert_eq!(record["ttl"], 300);
    assert!(record.get("comment").is_none());

    let caa = create(
        &fake,
        &zone,
        json!({"type": "CAA", "name": "@", "data": {"flags": 0, "tag": "issue", "value": "ca.example.net"}}),
    )
    .await;
    assert_eq!(caa["content"], "0 issue \"ca.example.net\"");

    let srv = json!({
        "type": "SRV", "name": "_sip._tcp",
        "data": {"priority": 10, "weight": 5, "port": 70000, "target": "sip.example.com"}
    });
    let bad_port = post(&fake, &zone, srv).await;
    assert_eq!(bad_port.status, 400);
    assert_eq!(bad_port.codes(), [1004]);
}

#[tokio::test]
async fn identical_records_are_refused() {
    let (fake, zone) = started().await;
    let txt = json!({"type": "TXT", "name": "txt", "content": "\"hello\""});
    create(&fake, &zone, txt.clone()).await;
    let again = post(&fake, &zone, txt).await;
    assert_eq!(again.status, 400);
    assert_eq!(again.codes(), [81058]);
    assert_eq!(again.json()["success"], false);
    assert_eq!(again.json()["result"], Value::Null);
    assert_eq!(fake.records(&zone).len(), 1);
}

#[tokio::test]
async fn a_and_cname_cannot_share_a_name() {
    let (fake, zone) = started().await;
    create_a(&fake, &zone, "www", "192.0.2.1").await;
    let cname = json!({"type": "CNAME", "name": "www", "content": "target.example.net"});
    let cname = post(&fake, &zone, cname).await;
    assert_eq!(cname.status, 400);
    assert_eq!(cname.codes(), [81053]);

    create(
        &fake,
        &zone,
        json!({"type": "CNAME", "name": "alias", "content": "target.example.net"}),
    )
    .await;
    let a = post(
        &fake,
        &zone,
        json!({"type": "A", "name": "alias", "content": "192.0.2.9"}),
    )
    .await;
    assert_eq!(a.codes(), [81054]);
}

#[tokio::test]
async fn patch_keeps_and_put_resets_fields() {
    let (fake, zone) = started().await;
    let record = create(
        &fake,
        &zone,
        json!({"type": "A", "name": "www", "content": "192.0.2.1", "ttl": 300, "comment": "web", "tags": ["team:web"]}),
    )
    .await;
    let path = format!("{}/{}", records_path(&zone), record["id"].as_str().unwrap());
    let patched = call(&fake, "PATCH", &path, Some(json!({"content": "192.0.2.2"})))
        .await
        .json();
    assert_eq!(patched["result"]["content"], "192.0.2.2");
    assert_eq!(patched["result"]["comment"], "web");
    assert_eq!(patched["result"]["ttl"], 300);
    let put = call(
        &fake,
        "PUT",
        &path,
        Some(json!({"type": "A", "name": "www", "content": "192.0.2.3"})),
    )
    .await
    .json();
    assert_eq!(put["result"]["id"], record["id"]);
    assert!(put["result"].get("comment").is_none());
    assert_eq!(put["result"]["ttl"], 1);
    assert_eq!(put["result"]["tags"], json!([]));
    let deleted = call(&fake, "DELETE", &path, None).await.json();
    assert_eq!(deleted["result"], json!({"id": record["id"]}));
    let gone = call(&fake, "GET", &path, None).await;
    assert_eq!((gone.status, gone.codes()), (404, vec![81044]));
}

#[tokio::test]
async fn validation_errors() {
    let (fake, zone) = started().await;
    let attempt = |record: Value| post(&fake, &zone, record);
    let bad_ip = attempt(json!({"type": "A", "name": "x", "content": "300.1.1.1"})).await;
    assert_eq!((bad_ip.status, bad_ip.codes()), (400, vec![9005]));
    let ttl = attempt(json!({"type": "A", "name": "x", "content": "192.0.2.1", "ttl": 5})).await;
    assert_eq!(ttl.codes(), [9021]);
    let proxied_txt =
        attempt(json!({"type": "TXT", "name": "x", "content": "t", "proxied": true})).await;
    assert_eq!(proxied_txt.codes(), [1004]);
    assert_eq!(
        proxied_txt.json()["errors"][0]["error_chain"][0]["code"],
        9004
    );
    let long = attempt(json!({"type": "TXT", "name": "x", "content": "a".repeat(4097)})).await;
    assert_eq!(long.codes(), [9015]);
    let outside =
        attempt(json!({"type": "A", "name": "www.example.org.", "content": "192.0.2.1"})).await;
    assert_eq!(outside.codes(), [9000]);
    let unknown_type = attempt(json!({"type": "SPF", "name": "x", "content": "v=spf1"})).await;
    assert_eq!(unknown_type.codes(), [1004]);
    let no_zone = list(&fake, "0123456789abcdef0123456789abcdef", "").await;
    assert_eq!(no_zone.status, 404);
    assert_eq!(no_zone.codes()[0], 7003);
    assert!(fake.records(&zone).is_empty());
}

#[tokio::test]
async fn batch_runs_deletes_before_posts() {
    let (fake, zone) = started().await;
    let old = create_a(&fake, &zone, "www", "192.0.2.1").await;
    let batch = json!({
        // Posts are listed first but run last, after the delete.
        "posts": [{"type": "A", "name": "www", "content": "192.0.2.1", "ttl": 120}],
        "deletes": [{"id": old["id"]}]
    });
    let response = post_batch(&fake, &zone, batch).await;
    assert_eq!(response.status, 200, "{}", response.body);
    let result = &response.json()["result"];
    assert_eq!(result["deletes"][0]["id"], old["id"]);
    assert_eq!(result["posts"][0]["ttl"], 120);
    assert_eq!(result["patches"], json!([]));
    let records = fake.records(&zone);
    assert_eq!(records.len(), 1);
    assert_ne!(records[0]["id"], old["id"]);
    assert_eq!(records[0]["ttl"], 120);
    let logged = fake.requests().pop().unwrap();
    assert!(logged.is_batch());
    assert_eq!(logged.batch_operations, Some(2));
}

#[tokio::test]
async fn a_failing_batch_changes_nothing() {
    let (fake, zone) = started().await;
    let a = create_a(&fake, &zone, "a", "192.0.2.1").await;
    let b = create_a(&fake, &zone, "b", "192.0.2.2").await;
    let batch = json!({
        "deletes": [{"id": a["id"]}],
        "patches": [{"id": b["id"], "content": "192.0.2.3"}],
        "posts": [
            {"type": "TXT", "name": "t", "content": "\"ok\""},
            {"type": "A", "name": "c", "content": "not-an-ip"}
        ]
    });
    let response = post_batch(&fake, &zone, batch).await;
    assert_eq!(response.status, 400);
    assert_eq!(response.codes(), [9005]);
    let records = fake.records(&zone);
    assert_eq!(records, [a, b], "nothing applied");
}

#[tokio::test]
async fn an_unknown_id_fails_the_batch() {
    let (fake, zone) = started().await;
    let a = create_a(&fake, &zone, "a", "192.0.2.1").await;
    let batch = json!({
        "deletes": [{"id": a["id"]}],
        "puts": [{"id": "ffffffffffffffffffffffffffffffff", "type": "A", "name": "x", "content": "192.0.2.5"}]
    });
    let response = post_batch(&fake, &zone, batch).await;
    assert_eq!(response.status, 400);
    assert_eq!(response.codes(), [81044]);
    assert_eq!(fake.records(&zone), [a]);
}

#[tokio::test]
async fn credentials_are_checked() {
    let fake = FakeCloudflare::start()
        .await
        .with_read_only_token("reader")
        .with_legacy_key("me@example.com", "global-key");
    let zone = fake.add_zone("example.com");
    let uri = fake.uri();
    let list = records_path(&zone);
    let record = json!({"type": "A", "name": "www", "content": "192.0.2.1"}).to_string();

    let none = raw_request(&uri, "GET", &list, &[], None).await;
    assert_eq!(none.status, 403);
    assert_eq!(
        none.json(),
        json!({"success": false, "errors": [{"code": 10000, "message": "Authentication error"}], "messages": [], "result": null})
    );
    let wrong = raw_request(
        &uri,
        "GET",
        &list,
        &[("Authorization", "Bearer nope")],
        None,
    )
    .await;
    assert_eq!((wrong.status, wrong.codes()), (403, vec![10000]));

    let reader = [("Authorization", "Bearer reader")];
    assert_eq!(
        raw_request(&uri, "GET", &list, &reader, None).await.status,
        200
    );
    let refused = raw_request(&uri, "POST", &list, &reader, Some(&record)).await;
    assert_eq!((refused.status, refused.codes()), (403, vec![10000]));
    assert!(fake.records(&zone).is_empty());

    let legacy = [
        ("X-Auth-Email", "ME@example.com"),
        ("X-Auth-Key", "global-key"),
    ];
    assert_eq!(
        raw_request(&uri, "POST", &list, &legacy, Some(&record))
            .await
            .status,
        200
    );
    let bad_key = [("X-Auth-Email", "me@example.com"), ("X-Auth-Key", "other")];
    assert_eq!(
        raw_request(&uri, "GET", &list, &bad_key, None).await.status,
        403
    );
    assert_eq!(fake.records(&zone).len(), 1);
}

#[tokio::test]
async fn throttling_hits_about_the_share_and_applies_nothing() {
    let (fake, zone) = started().await;
    let fake = fake.with_seed(7);
    fake.set_throttle(0.3, 7);
    let mut throttled = 0;
    let mut created = 0;
    for i in 0..200 {
        let txt = json!({"type": "TXT", "name": "t", "content": format!("\"{i}\"")});
        let response = post(&fake, &zone, txt).await;
        match response.status {
            429 => {
                throttled += 1;
                assert_eq!(response.header("retry-after"), Some("7"));
                assert_eq!(response.codes(), [10100]);
            }
            200 => created += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        (40..=80).contains(&throttled),
        "{throttled} of 200 throttled"
    );
    assert_eq!(fake.records(&zone).len(), created);
    let faults = fake
        .requests()
        .iter()
        .filter(|r| r.fault == Some(Fault::Throttled))
        .count();
    assert_eq!(faults, throttled);

    // The same seed draws the same requests.
    let again = FakeCloudflare::start().await.with_seed(7);
    let zone = again.add_zone("example.com");
    again.set_throttle(0.3, 7);
    let mut statuses = Vec::new();
    for _ in 0..20 {
        statuses.push(list(&again, &zone, "").await.status);
    }
    let first: Vec<u16> = fake.requests().iter().take(20).map(|r| r.status).collect();
    assert_eq!(statuses, first);
}

#[tokio::test]
async fn server_errors_are_html_and_apply_nothing() {
    let (fake, zone) = started().await;
    fake.set_server_errors(1.0);
    let response = post(
        &fake,
        &zone,
        json!({"type": "A", "name": "www", "content": "192.0.2.1"}),
    )
    .await;
    assert_eq!(response.status, 502);
    assert!(
        response
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(response.body.contains("502 Bad Gateway"));
    assert!(fake.records(&zone).is_empty());
    assert_eq!(fake.requests()[0].fault, Some(Fault::ServerError));
}

#[tokio::test]
async fn a_lost_answer_is_applied_and_a_retry_does_not_duplicate() {
    let (fake, zone) = started().await;
    fake.lose_next_answers(1);
    let record = json!({"type": "A", "name": "www", "content": "192.0.2.1"});
    let attempt = tokio::time::timeout(
        Duration::from_millis(500),
        post(&fake, &zone, record.clone()),
    )
    .await;
    assert!(attempt.is_err(), "the answer should not arrive in time");
    assert_eq!(fake.records(&zone).len(), 1, "applied anyway");

    let retry = post(&fake, &zone, record).await;
    assert_eq!(retry.codes(), [81058]);
    assert_eq!(fake.records(&zone).len(), 1);
    let log = fake.requests();
    assert_eq!(log[0].fault, Some(Fault::LostAnswer));
    assert_eq!(log[0].status, 200);
    assert_eq!(log[1].fault, None);
}

#[tokio::test]
async fn malformed_answers_are_cut_short() {
    let (fake, zone) = started().await;
    fake.set_malformed_next(1);
    let broken = list(&fake, &zone, "").await;
    assert_eq!(broken.status, 200);
    assert!(serde_json::from_str::<Value>(&broken.body).is_err());
    let fine = list(&fake, &zone, "").await;
    assert_eq!(fine.json()["success"], true);
    assert_eq!(fake.request_count(), 2);
    fake.clear_log();
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test]
async fn latency_delays_answers() {
    let (fake, zone) = started().await;
    fake.set_latency(Duration::from_millis(150));
    let started = std::time::Instant::now();
    let response = list(&fake, &zone, "").await;
    assert_eq!(response.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn seeded_records_are_listed_as_given() {
    let (fake, zone) = started().await;
    let id = fake.seed_record(
        &zone,
        json!({"type": "CNAME", "name": "cdn", "content": "edge.example.net", "proxied": true}),
    );
    let listed = list(&fake, &zone, "?proxied=true").await.json();
    assert_eq!(listed["result"][0]["id"], id.as_str());
    assert_eq!(listed["result"][0]["name"], "cdn.example.com");
    assert_eq!(listed["result"][0]["proxied"], true);
    assert_eq!(listed["result"][0]["proxiable"], true);
}
