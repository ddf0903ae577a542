//! The relay in front of Prism: passes every byte through unchanged,
//! follows the HTTP/1.1 exchanges and records the violations Prism reports
//! in its responses.

use std::collections::VecDeque;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio::time::sleep;
use tracing::debug;

use super::http::{Framing, Malformed, parse_request_head, parse_response_head, take_body};
use super::violations::violations_in;

/// An HTTP message the relay stops following if it grows beyond this.
const MAX_BUFFERED: usize = 16 * 1024 * 1024;

/// What the relay collects, shared with the [`Prism`](super::Prism) handle.
#[derive(Debug, Default)]
pub(super) struct Shared {
    pub(super) violations: Mutex<Vec<String>>,
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(super) async fn relay_loop(listener: TcpListener, backend: u16, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((client, _)) => {
                    connections.spawn(relay(client, backend, Arc::clone(&shared)));
                }
                Err(error) => {
                    debug!(%error, "Prism relay: accept failed");
                    sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn relay(client: TcpStream, backend: u16, shared: Arc<Shared>) {
    let server = match TcpStream::connect((Ipv4Addr::LOCALHOST, backend)).await {
        Ok(server) => server,
        Err(error) => {
            debug!(%error, "Prism relay: cannot reach Prism");
            return;
        }
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let (mut requests, mut responses) = trackers(shared);
    tokio::join!(
        pump(client_read, server_write, &mut requests),
        pump(server_read, client_write, &mut responses),
    );
}

/// The two directions of one connection, sharing the queue of requests
/// still waiting for their response.
fn trackers(shared: Arc<Shared>) -> (RequestTracker, ResponseTracker) {
    let pending = Arc::new(Mutex::new(VecDeque::new()));
    let requests = RequestTracker::new(Arc::clone(&pending));
    let responses = ResponseTracker {
        reader: Reader::default(),
        pending,
        shared,
        current: None,
    };
    (requests, responses)
}

/// Something that follows the bytes of one direction.
trait Tracker {
    fn feed(&mut self, bytes: &[u8]);
    fn finish(&mut self);
}

/// Copies `from` to `to`, showing each chunk to `tracker` first (so a
/// response is recorded before the client can see it).
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, tracker: &mut impl Tracker) {
    let mut buffer = vec![0; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = buffer.get(..n).unwrap_or_default();
        tracker.feed(chunk);
        if to.write_all(chunk).await.is_err() {
            break;
        }
    }
    tracker.finish();
    let _ = to.shutdown().await;
}

/// A request seen on a connection, waiting for its response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Exchange {
    pub(super) method: String,
    pub(super) target: String,
}

impl Exchange {
    fn unknown() -> Self {
        Self {
            method: "?".into(),
            target: "?".into(),
        }
    }
}

/// Bytes of one direction not yet parsed; `broken` once they stop making
/// sense as HTTP/1.1 (the relay then only copies).
#[derive(Debug, Default)]
struct Reader {
    buffer: Vec<u8>,
    broken: bool,
}

impl Reader {
    fn push(&mut self, bytes: &[u8]) -> bool {
        if self.broken {
            return false;
        }
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() > MAX_BUFFERED {
            self.give_up();
            return false;
        }
        true
    }

    fn give_up(&mut self) {
        self.broken = true;
        self.buffer = Vec::new();
    }
}

struct RequestTracker {
    reader: Reader,
    pending: Arc<Mutex<VecDeque<Exchange>>>,
    /// The body being skipped, once its head is queued.
    body: Option<Framing>,
}

impl RequestTracker {
    fn new(pending: Arc<Mutex<VecDeque<Exchange>>>) -> Self {
        Self {
            reader: Reader::default(),
            pending,
            body: None,
        }
    }

    /// Queues every request as soon as its head is complete (Prism may
    /// answer before the body ends), and skips the bodies.
    fn advance(&mut self) -> Result<(), Malformed> {
        loop {
            if let Some(framing) = &self.body {
                let Some((_, used)) = take_body(&self.reader.buffer, framing)? else {
                    return Ok(());
                };
                self.reader.buffer.drain(..used);
                self.body = None;
            }
            let Some(head) = parse_request_head(&self.reader.buffer)? else {
                return Ok(());
            };
            let framing = Framing::of(&head.headers, false, true)?;
            let exchange = Exchange {
                method: head.method,
                target: head.target,
            };
            lock(&self.pending).push_back(exchange);
            self.reader.buffer.drain(..head.len);
            self.body = Some(framing);
        }
    }
}

impl Tracker for RequestTracker {
    fn feed(&mut self, bytes: &[u8]) {
        if self.reader.push(bytes) && self.advance().is_err() {
            self.reader.give_up();
        }
    }

    fn finish(&mut self) {}
}

struct ResponseTracker {
    reader: Reader,
    pending: Arc<Mutex<VecDeque<Exchange>>>,
    shared: Arc<Shared>,
    /// The response whose body is being read.
    current: Option<Response>,
}

#[derive(Debug)]
pub(super) struct Response {
    pub(super) exchange: Exchange,
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    pub(super) framing: Framing,
}

impl ResponseTracker {
    fn advance(&mut self) -> Result<(), Malformed> {
        loop {
            let Some(response) = &self.current else {
                let Some(head) = parse_response_head(&self.reader.buffer)? else {
                    return Ok(());
                };
                let status = head.status;
                self.reader.buffer.drain(..head.len);
                if status == 101 {
                    // Another protocol follows: nothing more to follow.
                    return Err(Malformed);
                }
                if (100..200).contains(&status) {
                    continue; // interim: the final response comes later
                }
                // The request is queued before it reaches Prism, so it is
                // there unless its bytes did not parse.
                let exchange = lock(&self.pending)
                    .pop_front()
                    .unwrap_or_else(Exchange::unknown);
                let no_body = exchange.method == "HEAD" || status == 204 || status == 304;
                let framing = Framing::of(&head.headers, no_body, false)?;
                self.current = Some(Response {
                    exchange,
                    status,
                    headers: head.headers,
                    framing,
                });
                continue;
            };
            let Some((body, used)) = take_body(&self.reader.buffer, &response.framing)? else {
                return Ok(());
            };
            self.reader.buffer.drain(..used);
            if let Some(response) = self.current.take() {
                self.record(&response, &body);
            }
        }
    }

    fn record(&self, response: &Response, body: &[u8]) {
        let found = violations_in(response, body);
        if !found.is_empty() {
            lock(&self.shared.violations).extend(found);
        }
    }
}

impl Tracker for ResponseTracker {
    fn feed(&mut self, bytes: &[u8]) {
        if self.reader.push(bytes) && self.advance().is_err() {
            self.reader.give_up();
        }
    }

    fn finish(&mut self) {
        // A body delimited by the end of the connection is complete now.
        if self.reader.broken {
            return;
        }
        if let Some(response) = self.current.take()
            && matches!(response.framing, Framing::UntilClose)
        {
            let body = std::mem::take(&mut self.reader.buffer);
            self.record(&response, &body);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_keep_alive_exchanges() {
        let shared = Arc::new(Shared::default());
        let (mut requests, mut responses) = trackers(Arc::clone(&shared));
        requests.feed(b"GET /zones HTTP/1.1\r\nHost: x\r\n\r\nPOST /zones/z/dns_records HTTP/1.1\r\nContent-Length: 2\r\n\r\n{");
        requests.feed(b"}HEAD /zones HTTP/1.1\r\n\r\n");
        let problem = r#"{"type":"https://stoplight.io/prism/errors#UNAUTHORIZED","title":"Invalid security scheme used"}"#;
        let first = format!(
            "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/problem+json\r\nContent-Length: {}\r\n\r\n{problem}",
            problem.len()
        );
        responses.feed(first.as_bytes());
        responses.feed(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nsl-violations: [{\"location\":[\"response\",\"body\"],\"severity\":\"Warning\",\"message\":\"w\"}]\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
        responses.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n");
        let found = lock(&shared.violations).clone();
        assert_eq!(
            found,
            [
                "GET /zones -> 401: UNAUTHORIZED: Invalid security scheme used",
                "POST /zones/z/dns_records -> 200: (Warning) response.body: w",
            ]
        );
        // The HEAD response had no body, so nothing is left waiting.
        assert!(responses.current.is_none());
        assert!(responses.reader.buffer.is_empty());
    }

    #[test]
    fn a_response_before_the_request_body_ends_keeps_its_label() {
        let shared = Arc::new(Shared::default());
        let (mut requests, mut responses) = trackers(Arc::clone(&shared));
        requests.feed(b"PUT /big HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
        let problem = r#"{"type":"https://stoplight.io/prism/errors#NO_PATH_MATCHED_ERROR","title":"Route not resolved, no path matched"}"#;
        let early = format!(
            "HTTP/1.1 404 Not Found\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\n\r\n{problem}",
            problem.len()
        );
        responses.feed(early.as_bytes());
        requests.feed(b"0\r\n\r\nGET /next HTTP/1.1\r\n\r\n");
        responses.feed(early.as_bytes());
        assert_eq!(
            lock(&shared.violations).clone(),
            [
                "PUT /big -> 404: NO_PATH_MATCHED_ERROR: Route not resolved, no path matched",
                "GET /next -> 404: NO_PATH_MATCHED_ERROR: Route not resolved, no path matched",
            ]
        );
    }
}
