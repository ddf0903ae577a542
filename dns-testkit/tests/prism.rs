#![allow(clippy::unwrap_used, reason = "tests")]
//! Stoplight Prism as a mock and as a validating proxy in front of a tiny
//! upstream: what passes, what it rejects, what it reports, and that it
//! leaves no process behind. Needs Prism from `scripts/test.sh`.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dns_testkit::prism::Prism;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::timeout;

const ZONE: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const PATIENCE: Duration = Duration::from_secs(30);

const A_REQUEST: &str =
    r#"{"type":"A","name":"www.example.com","content":"198.51.100.4","ttl":3600}"#;
const SRV_REQUEST: &str = r#"{"type":"SRV","name":"_sip._tcp.example.com","ttl":3600,"data":{"priority":10,"weight":5,"port":5060,"target":"sip.example.com"}}"#;
/// SRV with the computed `content` only: Cloudflare wants `data`.
const SRV_CONTENT_ONLY: &str = r#"{"type":"SRV","name":"_sip._tcp.example.com","ttl":3600,"content":"10 5 5060 sip.example.com"}"#;

/// What Cloudflare answers to the A record create.
const A_CREATED: &str = r#"{"success":true,"errors":[],"messages":[],"result":{"id":"372e67954025e0ba6aaa6d586b9e0b59","type":"A","name":"www.example.com","content":"198.51.100.4","proxiable":true,"proxied":false,"ttl":3600,"created_on":"2014-01-01T05:20:00.12345Z","modified_on":"2014-01-01T05:20:00.12345Z","meta":{},"tags":[]}}"#;
/// A created SRV record without the `content` Cloudflare computes.
const SRV_CREATED_WITHOUT_CONTENT: &str = r#"{"success":true,"errors":[],"messages":[],"result":{"id":"372e67954025e0ba6aaa6d586b9e0b59","type":"SRV","name":"_sip._tcp.example.com","data":{"priority":10,"weight":5,"port":5060,"target":"sip.example.com"},"proxiable":false,"ttl":3600,"created_on":"2014-01-01T05:20:00.12345Z","modified_on":"2014-01-01T05:20:00.12345Z"}}"#;
/// The A record create answered without `success`.
const A_CREATED_WITHOUT_SUCCESS: &str = r#"{"errors":[],"messages":[],"result":{"id":"372e67954025e0ba6aaa6d586b9e0b59","type":"A","name":"www.example.com","content":"198.51.100.4","proxiable":true,"proxied":false,"ttl":3600,"created_on":"2014-01-01T05:20:00.12345Z","modified_on":"2014-01-01T05:20:00.12345Z"}}"#;

/// An HTTP/1.1 server that answers every request with the same 200 JSON
/// body (and `Connection: close`), recording `METHOD target body`.
struct Upstream {
    uri: String,
    seen: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl Upstream {
    async fn start(answer: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let uri = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let task = tokio::spawn(async move {
            loop {
                let (mut stream, _) = listener.accept().await.unwrap();
                let log = Arc::clone(&log);
                tokio::spawn(async move {
                    let Some((head, body)) = read_message(&mut stream).await else {
                        return;
                    };
                    let start = head.lines().next().unwrap_or_default().to_owned();
                    let mut words = start.split_whitespace();
                    let (method, target) = (words.next().unwrap(), words.next().unwrap());
                    log.lock()
                        .unwrap()
                        .push(format!("{method} {target} {body}"));
                    let response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                        answer.len()
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Self { uri, seen, task }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one request (head and a `Content-Length` body).
async fn read_message(stream: &mut TcpStream) -> Option<(String, String)> {
    let mut buffer = Vec::new();
    let mut chunk = [0; 4096];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
            let length = content_length(&head).unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                let body = String::from_utf8_lossy(&buffer[end + 4..end + 4 + length]).into_owned();
                return Some((head, body));
            }
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

fn content_length(head: &str) -> Option<usize> {
    head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())?
    })
}

/// A response: status, head (lower-cased), body.
struct Reply {
    status: u16,
    head: String,
    body: String,
}

/// One HTTP/1.1 request with `Connection: close`, over a plain socket.
async fn send(base: &str, method: &str, path: &str, auth: bool, body: Option<&str>) -> Reply {
    let address = base.strip_prefix("http://").unwrap();
    let exchange = async {
        let mut stream = TcpStream::connect(address).await.unwrap();
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {address}\r\nAccept: application/json\r\nConnection: close\r\n"
        );
        if auth {
            request.push_str("Authorization: Bearer x\r\n");
        }
        if let Some(body) = body {
            request.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        request.push_str("\r\n");
        request.push_str(body.unwrap_or_default());
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        String::from_utf8(raw).unwrap()
    };
    let raw = timeout(PATIENCE, exchange).await.expect("Prism answers");
    let (head, body) = raw.split_once("\r\n\r\n").expect("a whole response");
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let length = content_length(head).expect("Prism sends Content-Length");
    assert_eq!(body.len(), length, "{raw}");
    Reply {
        status,
        head: head.to_ascii_lowercase(),
        body: body.to_owned(),
    }
}

fn records_path() -> String {
    format!("/zones/{ZONE}/dns_records")
}

/// An upstream answering `answer` to everything, and Prism in front of it.
async fn proxy(answer: &'static str) -> (Upstream, Prism) {
    let upstream = Upstream::start(answer).await;
    let prism = Prism::proxy(&upstream.uri).await.unwrap();
    (upstream, prism)
}

/// Creates a record through Prism, with or without credentials.
async fn post_record(prism: &Prism, auth: bool, body: &str) -> Reply {
    send(&prism.uri(), "POST", &records_path(), auth, Some(body)).await
}

/// What Prism reports for a record create that failed with `outcome`
/// (`status: detail`).
fn post_violation(outcome: &str) -> String {
    format!("POST {} -> {outcome}", records_path())
}

/// Whether the process is gone (or a zombie nobody reaped yet).
fn process_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/status")) {
        Err(_) => true,
        Ok(status) => status
            .lines()
            .any(|l| l.starts_with("State:") && l.contains('Z')),
    }
}

#[tokio::test]
async fn valid_request_passes_through_the_proxy_untouched() {
    let (upstream, prism) = proxy(A_CREATED).await;

    let reply = post_record(&prism, true, A_REQUEST).await;

    assert_eq!(reply.status, 200, "{}\n{}", reply.body, prism.log());
    assert_eq!(reply.body, A_CREATED);
    assert!(!reply.head.contains("sl-violations"), "{}", reply.head);
    assert_eq!(
        upstream.seen(),
        [format!("POST {} {A_REQUEST}", records_path())]
    );
    assert_eq!(prism.violations(), Vec::<String>::new(), "{}", prism.log());
    prism.stop().await;
}

#[tokio::test]
async fn invalid_request_is_rejected_before_the_upstream() {
    let (upstream, prism) = proxy(A_CREATED).await;

    let reply = post_record(&prism, true, SRV_CONTENT_ONLY).await;

    assert_eq!(reply.status, 422, "{}", reply.body);
    assert!(
        reply.body.contains("errors#UNPROCESSABLE_ENTITY"),
        "{}",
        reply.body
    );
    assert_eq!(upstream.seen(), Vec::<String>::new(), "the upstream saw it");
    let violations = prism.violations();
    let expected =
        post_violation("422: request.body: Request body must have required property 'data'");
    assert!(violations.contains(&expected), "{violations:#?}");
    assert!(
        violations.iter().all(|v| v.contains(" -> 422: request.")),
        "{violations:#?}"
    );
    // Prism's log has one summary line and no details.
    // Prism writes it after answering, and its output is read by another
    // thread: give a loaded machine a few seconds to get there.
    let summary =
        "Request terminated with error: https://stoplight.io/prism/errors#UNPROCESSABLE_ENTITY";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !prism.log().contains(summary) && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(prism.log().contains(summary), "{}", prism.log());

    // Without credentials: 401, also before the upstream.
    prism.clear_violations();
    let reply = post_record(&prism, false, A_REQUEST).await;
    assert_eq!(reply.status, 401, "{}", reply.body);
    assert_eq!(upstream.seen(), Vec::<String>::new());
    assert_eq!(
        prism.violations(),
        [post_violation(
            "401: UNAUTHORIZED: Invalid security scheme used"
        )]
    );
    prism.stop().await;
}

#[tokio::test]
async fn upstream_response_without_computed_content_becomes_500() {
    let (upstream, prism) = proxy(SRV_CREATED_WITHOUT_CONTENT).await;

    let reply = post_record(&prism, true, SRV_REQUEST).await;

    assert_eq!(reply.status, 500, "{}", reply.body);
    assert!(
        reply
            .body
            .contains(r#""location":["response","body","result"]"#),
        "{}",
        reply.body
    );
    assert_eq!(upstream.seen().len(), 1, "the valid request went through");
    assert_eq!(
        prism.violations(),
        [post_violation(
            "500: response.body.result: Response body property result must have required property 'content'"
        )]
    );
    prism.stop().await;
}

#[tokio::test]
async fn upstream_response_without_success_becomes_500() {
    let (_upstream, prism) = proxy(A_CREATED_WITHOUT_SUCCESS).await;

    let reply = post_record(&prism, true, A_REQUEST).await;

    assert_eq!(reply.status, 500, "{}", reply.body);
    assert!(reply.body.contains("errors#VIOLATIONS"), "{}", reply.body);
    assert_eq!(
        prism.violations(),
        [post_violation(
            "500: response.body: Response body must have required property 'success'"
        )]
    );
    prism.stop().await;
}

#[tokio::test]
async fn mock_answers_valid_requests_and_rejects_invalid_ones() {
    let prism = Prism::mock().await.unwrap();

    let reply = post_record(&prism, true, A_REQUEST).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.contains(r#""success":true"#), "{}", reply.body);
    assert_eq!(prism.violations(), Vec::<String>::new());

    let list = format!("{}?per_page=0", records_path());
    let reply = send(&prism.uri(), "GET", &list, true, None).await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_eq!(
        prism.violations(),
        [format!(
            "GET {list} -> 422: request.query.per_page: Request query parameter per_page must be >= 1"
        )]
    );

    let reply = send(&prism.uri(), "GET", "/no/such/path", true, None).await;
    assert_eq!(reply.status, 404, "{}", reply.body);
    assert_eq!(prism.violations().len(), 2);
    assert!(prism.violations()[1].starts_with("GET /no/such/path -> 404: NO_PATH_MATCHED_ERROR"));
    prism.stop().await;
}

#[tokio::test]
async fn keep_alive_exchanges_are_told_apart() {
    let prism = Prism::mock().await.unwrap();
    let uri = prism.uri();
    let address = uri.strip_prefix("http://").unwrap();
    let mut stream = TcpStream::connect(address).await.unwrap();
    // Three requests on one connection, sent at once.
    let requests = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{SRV_CONTENT_ONLY}\
         POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{A_REQUEST}\
         GET /zones HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        SRV_CONTENT_ONLY.len(),
        A_REQUEST.len(),
        path = records_path(),
    );
    stream.write_all(requests.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    timeout(PATIENCE, stream.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let statuses: Vec<&str> = raw
        .match_indices("HTTP/1.1 ")
        .map(|(i, _)| &raw[i + 9..i + 12])
        .collect();
    assert_eq!(statuses, ["422", "200", "401"], "{raw}");

    let violations = prism.violations();
    assert!(
        violations
            .iter()
            .any(|v| v.starts_with(&post_violation("422: ")))
    );
    // The mock answers from the schema's 4xx example and lists the
    // security violation in its `sl-violations` header.
    assert_eq!(
        violations.last().unwrap(),
        "GET /zones -> 401: request: Invalid security scheme used"
    );
    assert!(
        !violations.iter().any(|v| v.contains("-> 200")),
        "{violations:#?}"
    );
    prism.stop().await;
}

#[tokio::test]
async fn stop_leaves_no_process_and_no_pidfile() {
    let (_upstream, prism) = proxy(A_CREATED).await;
    let pid = prism.pid();
    let pidfile = prism.pidfile().to_path_buf();
    let log_file = prism.log_file().to_path_buf();

    assert!(Path::new(&format!("/proc/{pid}")).exists());
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    assert!(String::from_utf8_lossy(&cmdline).contains("prism"));
    assert_eq!(std::fs::read_to_string(&pidfile).unwrap(), pid.to_string());
    let port = prism.addr().port();
    assert_eq!(
        pidfile.file_name().unwrap().to_str().unwrap(),
        format!("prism-{port}.pid")
    );
    assert!(log_file.exists());

    prism.stop().await;

    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "Prism {pid} still runs"
    );
    assert!(!pidfile.exists());
    assert!(!log_file.exists());
}

#[tokio::test]
async fn dropping_the_handle_kills_prism() {
    let prism = Prism::mock().await.unwrap();
    let pid = prism.pid();
    let pidfile = prism.pidfile().to_path_buf();
    let log_file = prism.log_file().to_path_buf();

    drop(prism);

    assert!(!pidfile.exists());
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !process_gone(pid) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "Prism {pid} survived its handle"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Dropping keeps the log (for a failed test to show); this one is tidy.
    assert!(log_file.exists());
    std::fs::remove_file(log_file).unwrap();
}
