//! [Stoplight Prism] on localhost, checking HTTP traffic against the
//! Cloudflare DNS OpenAPI document in `dns-testkit/fixtures`.
//!
//! * [`Prism::proxy`] starts `prism proxy … --errors` in front of an
//!   upstream (typically a stateful fake): a request that breaks the schema
//!   gets a 422 (or 401 without credentials) and never reaches the
//!   upstream; an upstream response that breaks it becomes a 500.
//! * [`Prism::mock`] starts `prism mock`, which answers valid requests with
//!   the examples of the document: enough for shape checks.
//!
//! Prism 5.14 is installed by `scripts/test.sh` into
//! `target/peers/prism` (`PRISM_BIN` may name another `prism`). A missing
//! Prism is an error that says so: tests using it fail, never skip.
//!
//! # What Prism reports, and how it is collected
//!
//! In proxy mode with `--errors`, Prism's log has one line per rejected
//! exchange (`Request terminated with error: https://stoplight.io/prism/errors#VIOLATIONS: Request/Response not valid`)
//! and no details. The details only go to the client: a problem+json body
//! (`type` `…#UNPROCESSABLE_ENTITY` with status 422, or `…#VIOLATIONS` with
//! status 500) whose `validation` array lists each violation, and for a
//! response violation also the `sl-violations` header. So the handle puts
//! a small TCP relay in front of Prism ([`Prism::uri`] is the relay): it
//! passes every byte through unchanged, follows the HTTP/1.1 exchanges
//! and records what Prism said about each one ([`Prism::violations`]).
//! Prism's own output (ANSI colours removed) is kept too
//! ([`Prism::log`], and [`Prism::log_file`] on disk).
//!
//! Prism listens on a port it picks itself (`-p 0`), so starting never
//! races another program for a port. Its PID goes to
//! `target/tmp/prism-PORT.pid` (`PORT` of [`Prism::uri`]) until it is
//! stopped, so `scripts/test.sh` can stop a Prism a killed test run left
//! behind.
//!
//! # Example
//!
//! ```no_run
//! use dns_testkit::prism::Prism;
//! # async fn run(upstream: &str) -> Result<(), dns_testkit::prism::PrismError> {
//! let prism = Prism::proxy(upstream).await?;
//! // Point the client under test at `prism.uri()`, run it, then:
//! assert_eq!(prism.violations(), Vec::<String>::new());
//! prism.stop().await;
//! # Ok(())
//! # }
//! ```
//!
//! [Stoplight Prism]: https://stoplight.io/open-source/prism

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::io::{self, Write as _};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::{Instant, sleep, timeout};
use tracing::debug;

/// How long Prism may take to start (about 1 s alone, a few when several
/// start at once on a small machine).
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How often the start-up checks the log and the process.
const POLL: Duration = Duration::from_millis(20);
/// Lines of Prism's log quoted in an error.
const LOG_TAIL: usize = 30;
/// The line Prism prints once it accepts requests.
const READY_LINE: &str = "Prism is listening on ";
/// The `type` prefix of the problem+json bodies Prism generates itself.
const PRISM_ERRORS: &str = "https://stoplight.io/prism/errors#";
/// An HTTP message the relay stops following if it grows beyond this.
const MAX_BUFFERED: usize = 16 * 1024 * 1024;

/// Why Prism could not be started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrismError {
    /// The `prism` program is not installed where the tests expect it.
    #[error(
        "Stoplight Prism not found at {}: run scripts/test.sh, which installs Prism 5.14 \
         into target/peers/prism (or set PRISM_BIN to a prism executable)",
        .path.display()
    )]
    NotInstalled {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// The program could not be started.
    #[error("could not start {}: {source}", .program.display())]
    Spawn {
        /// The program.
        program: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// Prism stopped before it accepted requests.
    #[error("Prism exited before it was ready ({status}); log {}:\n{tail}", .log_file.display())]
    Exited {
        /// How it ended.
        status: ExitStatus,
        /// Its whole output.
        log_file: PathBuf,
        /// The last lines of its output.
        tail: String,
    },
    /// Prism did not say it was listening in time.
    #[error(
        "Prism was not ready within {} s; log {}:\n{tail}",
        .timeout.as_secs(),
        .log_file.display()
    )]
    NotReady {
        /// How long it was given.
        timeout: Duration,
        /// Its whole output.
        log_file: PathBuf,
        /// The last lines of its output.
        tail: String,
    },
    /// A file or socket operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        #[source]
        source: io::Error,
    },
}

impl PrismError {
    fn io(what: impl Into<String>) -> impl FnOnce(io::Error) -> Self {
        let what = what.into();
        move |source| Self::Io { what, source }
    }
}

/// A running Prism (mock or validating proxy) on 127.0.0.1, behind a
/// relay that records the violations it reports.
///
/// [`Prism::stop`] kills it and waits for it; dropping the handle kills it
/// too (without waiting), so a failing test leaves no Prism behind.
pub struct Prism {
    /// `None` once stopped.
    child: Option<Child>,
    pid: u32,
    front: SocketAddr,
    pidfile: PathBuf,
    log_file: PathBuf,
    shared: Arc<Shared>,
    /// The tasks copying Prism's stdout and stderr into the log.
    readers: Vec<JoinHandle<()>>,
    /// The relay's accept loop (its connections are aborted with it).
    relay: Option<JoinHandle<()>>,
}

/// What the log readers and the relay collect.
#[derive(Debug, Default)]
struct Shared {
    log: Mutex<Vec<String>>,
    violations: Mutex<Vec<String>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Clone, Copy)]
enum Mode<'a> {
    Mock,
    Proxy(&'a str),
}

impl Prism {
    /// Starts `prism proxy <schema> <upstream> --errors`, forwarding valid
    /// requests to `upstream` (such as `http://127.0.0.1:8080`) and
    /// checking both directions against the Cloudflare DNS schema. Returns
    /// once Prism accepts requests.
    ///
    /// # Errors
    ///
    /// [`PrismError::NotInstalled`] when Prism is missing (run
    /// `scripts/test.sh`), or another [`PrismError`] when it does not
    /// start; those carry the end of Prism's output.
    pub async fn proxy(upstream: &str) -> Result<Self, PrismError> {
        Self::start(Mode::Proxy(upstream)).await
    }

    /// Starts `prism mock <schema>`, which answers valid requests with the
    /// schema's examples and rejects invalid ones. Returns once Prism
    /// accepts requests.
    ///
    /// # Errors
    ///
    /// As for [`Prism::proxy`].
    pub async fn mock() -> Result<Self, PrismError> {
        Self::start(Mode::Mock).await
    }

    async fn start(mode: Mode<'_>) -> Result<Self, PrismError> {
        let program = locate_program(std::env::var_os("PRISM_BIN"))?;
        let tmp = workspace_root().join("target").join("tmp");
        std::fs::create_dir_all(&tmp)
            .map_err(PrismError::io(format!("creating {}", tmp.display())))?;

        // The relay's port names the files; Prism picks its own port.
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(PrismError::io("binding the relay on 127.0.0.1"))?;
        let front = listener
            .local_addr()
            .map_err(PrismError::io("reading the relay's address"))?;
        let pidfile = tmp.join(format!("prism-{}.pid", front.port()));
        let log_file = tmp.join(format!("prism-{}.log", front.port()));

        let schema = schema_path();
        let mut command = Command::new(&program);
        match mode {
            Mode::Mock => {
                command
                    .args(["mock", "-h", "127.0.0.1", "-p", "0"])
                    .arg(&schema);
            }
            Mode::Proxy(upstream) => {
                command
                    .args(["proxy", "-h", "127.0.0.1", "-p", "0"])
                    .arg(&schema)
                    .arg(upstream)
                    .arg("--errors");
            }
        }
        command
            .env("FORCE_COLOR", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(|source| PrismError::Spawn {
            program: program.clone(),
            source,
        })?;
        let Some(pid) = child.id() else {
            return Err(PrismError::Io {
                what: format!("{} exited at once", program.display()),
                source: io::Error::other("no process id"),
            });
        };

        let shared = Arc::new(Shared::default());
        let file = std::fs::File::create(&log_file).ok();
        let mut readers = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            let file = file.as_ref().and_then(|f| f.try_clone().ok());
            readers.push(tokio::spawn(read_log(stdout, file, Arc::clone(&shared))));
        }
        if let Some(stderr) = child.stderr.take() {
            readers.push(tokio::spawn(read_log(stderr, file, Arc::clone(&shared))));
        }
        let mut prism = Self {
            child: Some(child),
            pid,
            front,
            pidfile,
            log_file,
            shared,
            readers,
            relay: None,
        };
        if let Err(source) = std::fs::write(&prism.pidfile, pid.to_string()) {
            let what = format!("writing {}", prism.pidfile.display());
            prism.halt().await;
            return Err(PrismError::Io { what, source });
        }

        match prism.wait_ready().await {
            Ok(port) => {
                debug!(pid, port, relay = %front, "Prism is ready");
                let relay = relay_loop(listener, port, Arc::clone(&prism.shared));
                prism.relay = Some(tokio::spawn(relay));
                Ok(prism)
            }
            Err(error) => {
                // The log file stays, for whoever reads the error.
                prism.halt().await;
                Err(error)
            }
        }
    }

    /// Waits for the line saying Prism listens, and returns its port.
    async fn wait_ready(&mut self) -> Result<u16, PrismError> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(port) = listening_port(&lock(&self.shared.log)) {
                return Ok(port);
            }
            let exited = match self.child.as_mut().map(Child::try_wait) {
                Some(Ok(status)) => status,
                Some(Err(source)) => {
                    return Err(PrismError::Io {
                        what: "waiting for Prism".into(),
                        source,
                    });
                }
                None => None,
            };
            if let Some(status) = exited {
                // Let the readers take in the last words.
                for reader in &mut self.readers {
                    let _ = timeout(Duration::from_secs(2), reader).await;
                }
                return Err(PrismError::Exited {
                    status,
                    log_file: self.log_file.clone(),
                    tail: self.log_tail(),
                });
            }
            if Instant::now() >= deadline {
                return Err(PrismError::NotReady {
                    timeout: READY_TIMEOUT,
                    log_file: self.log_file.clone(),
                    tail: self.log_tail(),
                });
            }
            sleep(POLL).await;
        }
    }

    /// `http://127.0.0.1:PORT`: the base URL to give the client under test.
    pub fn uri(&self) -> String {
        format!("http://{}", self.front)
    }

    /// The address behind [`Prism::uri`].
    pub fn addr(&self) -> SocketAddr {
        self.front
    }

    /// The process ID of Prism (a `node` process).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// `target/tmp/prism-PORT.pid`: holds [`Prism::pid`] while Prism runs.
    pub fn pidfile(&self) -> &Path {
        &self.pidfile
    }

    /// `target/tmp/prism-PORT.log`: Prism's output. [`Prism::stop`]
    /// removes it; it stays when the handle is dropped instead (a failed
    /// test) or when Prism did not start.
    pub fn log_file(&self) -> &Path {
        &self.log_file
    }

    /// Prism's output so far (stdout and stderr, ANSI colours removed),
    /// one line per line.
    pub fn log(&self) -> String {
        lock(&self.shared.log).join("\n")
    }

    /// Every violation Prism reported so far, oldest first, one entry per
    /// violation:
    ///
    /// * `POST /zones/Z/dns_records -> 422: request.body: Request body must have required property 'data'`
    ///   for a request Prism rejected (nothing reached the upstream);
    /// * `POST /zones/Z/dns_records -> 500: response.body.result: Response body property result must have required property 'content'`
    ///   for an upstream response that breaks the schema;
    /// * `GET /zones -> 401: UNAUTHORIZED: Invalid security scheme used`
    ///   for any other error Prism generated itself (no credentials, a path
    ///   or method the schema does not have, …);
    /// * violations of a severity other than error (which Prism lets
    ///   through with an `sl-violations` header) are marked, as in
    ///   `… -> 200: (Warning) response.body: …`.
    ///
    /// A request that breaks several branches of a `oneOf` gets one entry
    /// per branch, as Prism lists them. Errors that are not about the
    /// schema, such as an unreachable upstream (a 500 of type
    /// `FetchError`), are not violations; they are in [`Prism::log`].
    pub fn violations(&self) -> Vec<String> {
        lock(&self.shared.violations).clone()
    }

    /// Forgets the violations recorded so far.
    pub fn clear_violations(&self) {
        lock(&self.shared.violations).clear();
    }

    /// Kills Prism, waits until it is gone, and removes its pidfile and
    /// log file.
    pub async fn stop(mut self) {
        self.halt().await;
        let _ = std::fs::remove_file(&self.log_file);
    }

    /// Kills Prism and waits for it, stops the relay, removes the pidfile.
    async fn halt(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
        let _ = std::fs::remove_file(&self.pidfile);
        if let Some(relay) = self.relay.take() {
            relay.abort();
        }
        for reader in self.readers.drain(..) {
            reader.abort();
        }
    }

    fn log_tail(&self) -> String {
        let log = lock(&self.shared.log);
        let start = log.len().saturating_sub(LOG_TAIL);
        log.get(start..).unwrap_or_default().join("\n")
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let killed = child.start_kill().is_ok() || matches!(child.try_wait(), Ok(Some(_)));
            if killed {
                let _ = std::fs::remove_file(&self.pidfile);
            }
        }
        if let Some(relay) = self.relay.take() {
            relay.abort();
        }
        for reader in &self.readers {
            reader.abort();
        }
    }
}

impl fmt::Debug for Prism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prism")
            .field("uri", &self.uri())
            .field("pid", &self.pid)
            .field("running", &self.child.is_some())
            .field("violations", &lock(&self.shared.violations).len())
            .finish_non_exhaustive()
    }
}

/// `PRISM_BIN` if set, else the copy `scripts/test.sh` installs.
fn locate_program(from_env: Option<OsString>) -> Result<PathBuf, PrismError> {
    let path = match from_env {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => workspace_root().join("target/peers/prism/node_modules/.bin/prism"),
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(PrismError::NotInstalled { path })
    }
}

fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

fn schema_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cloudflare-dns-openapi.json")
}

/// The port in `… Prism is listening on http://127.0.0.1:PORT`.
fn listening_port(log: &[String]) -> Option<u16> {
    log.iter().find_map(|line| {
        let (_, address) = line.split_once(READY_LINE)?;
        let (_, port) = address.trim().trim_end_matches('/').rsplit_once(':')?;
        port.parse().ok()
    })
}

/// Copies one of Prism's output streams, line by line, into the log.
async fn read_log(
    stream: impl AsyncRead + Unpin,
    mut file: Option<std::fs::File>,
    shared: Arc<Shared>,
) {
    let mut lines = BufReader::new(stream).split(b'\n');
    while let Ok(Some(line)) = lines.next_segment().await {
        let text = strip_ansi(&String::from_utf8_lossy(&line));
        let text = text.trim_end();
        if let Some(file) = &mut file {
            let _ = writeln!(file, "{text}");
        }
        lock(&shared.log).push(text.to_owned());
    }
}

/// Removes ANSI escape sequences (colours, cursor moves, OSC titles).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.next() {
            // CSI: parameters, then one final byte in @..~.
            Some('[') => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            // OSC: up to BEL or ESC \.
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\u{7}' {
                        break;
                    }
                    if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                        chars.next();
                        break;
                    }
                }
            }
            // Two-character sequences.
            Some(_) | None => {}
        }
    }
    out
}

// ---------------------------------------------------------------------------
// The relay: passes bytes through and follows the HTTP/1.1 exchanges.

async fn relay_loop(listener: TcpListener, backend: u16, shared: Arc<Shared>) {
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
    let pending = Arc::new(Mutex::new(VecDeque::new()));
    let mut requests = RequestTracker::new(Arc::clone(&pending));
    let mut responses = ResponseTracker {
        reader: Reader::default(),
        pending,
        shared,
        current: None,
    };
    tokio::join!(
        pump(client_read, server_write, &mut requests),
        pump(server_read, client_write, &mut responses),
    );
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
struct Exchange {
    method: String,
    target: String,
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

/// The input does not parse as HTTP/1.1.
#[derive(Debug)]
struct Malformed;

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
            let Some(head) = parse_head(&self.reader.buffer)? else {
                return Ok(());
            };
            let framing = Framing::of(&head.headers, false, true)?;
            let mut words = head.start.split_whitespace();
            let exchange = Exchange {
                method: words.next().unwrap_or("?").to_owned(),
                target: words.next().unwrap_or("?").to_owned(),
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
struct Response {
    exchange: Exchange,
    status: u16,
    headers: Vec<(String, String)>,
    framing: Framing,
}

impl ResponseTracker {
    fn advance(&mut self) -> Result<(), Malformed> {
        loop {
            let Some(response) = &self.current else {
                let Some(head) = parse_head(&self.reader.buffer)? else {
                    return Ok(());
                };
                let status: u16 = head
                    .start
                    .split_whitespace()
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .ok_or(Malformed)?;
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

/// An HTTP/1.1 start line and headers (names in lower case).
#[derive(Debug)]
struct Head {
    start: String,
    headers: Vec<(String, String)>,
    /// Bytes up to and including the blank line.
    len: usize,
}

/// The head at the start of `buffer`, or `None` while incomplete.
fn parse_head(buffer: &[u8]) -> Result<Option<Head>, Malformed> {
    let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let text = std::str::from_utf8(buffer.get(..end).unwrap_or_default()).map_err(|_| Malformed)?;
    let mut lines = text.split("\r\n");
    let start = lines.next().unwrap_or_default().to_owned();
    if start.is_empty() {
        return Err(Malformed);
    }
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Ok(Some(Head {
        start,
        headers,
        len: end + 4,
    }))
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// How the body of a message ends.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Framing {
    Empty,
    Length(usize),
    Chunked,
    /// A response without a length: the body runs to the end of the
    /// connection.
    UntilClose,
}

impl Framing {
    fn of(headers: &[(String, String)], no_body: bool, request: bool) -> Result<Self, Malformed> {
        if no_body {
            return Ok(Self::Empty);
        }
        if let Some(coding) = header(headers, "transfer-encoding") {
            let last = coding.rsplit(',').next().unwrap_or_default().trim();
            if last.eq_ignore_ascii_case("chunked") {
                return Ok(Self::Chunked);
            }
            return if request {
                Err(Malformed)
            } else {
                Ok(Self::UntilClose)
            };
        }
        if let Some(length) = header(headers, "content-length") {
            return length.parse().map(Self::Length).map_err(|_| Malformed);
        }
        Ok(if request {
            Self::Empty
        } else {
            Self::UntilClose
        })
    }
}

/// The body at the start of `buffer` and the bytes it takes, or `None`
/// while incomplete.
fn take_body(buffer: &[u8], framing: &Framing) -> Result<Option<(Vec<u8>, usize)>, Malformed> {
    match framing {
        Framing::Empty => Ok(Some((Vec::new(), 0))),
        Framing::Length(n) => Ok(buffer.get(..*n).map(|body| (body.to_vec(), *n))),
        Framing::Chunked => dechunk(buffer),
        Framing::UntilClose => Ok(None),
    }
}

fn dechunk(buffer: &[u8]) -> Result<Option<(Vec<u8>, usize)>, Malformed> {
    let line_end = |from: usize| -> Option<usize> {
        let rest = buffer.get(from..)?;
        rest.windows(2).position(|w| w == b"\r\n").map(|i| from + i)
    };
    let mut body = Vec::new();
    let mut pos = 0;
    loop {
        let Some(end) = line_end(pos) else {
            return Ok(None);
        };
        let line =
            std::str::from_utf8(buffer.get(pos..end).unwrap_or_default()).map_err(|_| Malformed)?;
        let size = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| Malformed)?;
        pos = end + 2;
        if size == 0 {
            // Trailers, up to an empty line.
            loop {
                let Some(end) = line_end(pos) else {
                    return Ok(None);
                };
                let empty = end == pos;
                pos = end + 2;
                if empty {
                    return Ok(Some((body, pos)));
                }
            }
        }
        let Some(data) = buffer.get(pos..pos + size) else {
            return Ok(None);
        };
        body.extend_from_slice(data);
        pos += size;
        match buffer.get(pos..pos + 2) {
            None | Some(b"\r") => return Ok(None),
            Some(b"\r\n") => pos += 2,
            Some(_) => return Err(Malformed),
        }
    }
}

// ---------------------------------------------------------------------------
// What Prism says about an exchange.

/// The violations Prism reported in one response: the `sl-violations`
/// header when it parses (it lists request and response violations), else
/// the `validation` array of a problem+json body Prism generated, else
/// that problem's type and title.
fn violations_in(response: &Response, body: &[u8]) -> Vec<String> {
    let Response {
        exchange,
        status,
        headers,
        ..
    } = response;
    let prefix = format!("{} {} -> {status}", exchange.method, exchange.target);
    let listed = |items: &[Value]| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for item in items {
            let entry = format!("{prefix}: {}", describe(item));
            if !out.contains(&entry) {
                out.push(entry);
            }
        }
        out
    };

    let header_value = header(headers, "sl-violations");
    if let Some(items) = header_value
        .and_then(|raw| serde_json::from_str::<Value>(raw).ok())
        .as_ref()
        .and_then(Value::as_array)
        && !items.is_empty()
    {
        return listed(items);
    }

    let problem = header(headers, "content-type")
        .filter(|t| {
            t.to_ascii_lowercase()
                .starts_with("application/problem+json")
        })
        .and_then(|_| serde_json::from_slice::<Value>(body).ok());
    if let Some(problem) = &problem
        && let Some(name) = problem
            .get("type")
            .and_then(Value::as_str)
            .and_then(|kind| kind.strip_prefix(PRISM_ERRORS))
    {
        if let Some(items) = problem.get("validation").and_then(Value::as_array)
            && !items.is_empty()
        {
            return listed(items);
        }
        let title = problem.get("title").and_then(Value::as_str).unwrap_or("");
        return vec![format!("{prefix}: {name}: {title}")];
    }

    // A header too long for Prism to send whole ("Too many violations! …").
    match header_value {
        Some(raw) => vec![format!(
            "{prefix}: {}",
            raw.chars().take(500).collect::<String>()
        )],
        None => Vec::new(),
    }
}

/// `request.body: message`, with the severity when it is not an error.
/// Request violations in a 422 body come without the `request` prefix.
fn describe(item: &Value) -> String {
    let location: Vec<&str> = item
        .get("location")
        .and_then(Value::as_array)
        .map(|parts| parts.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut path = location.join(".");
    if !matches!(location.first(), Some(&"request" | &"response")) {
        path = if path.is_empty() {
            "request".into()
        } else {
            format!("request.{path}")
        };
    }
    let message = item
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("(no message)");
    match item.get("severity").and_then(Value::as_str) {
        None | Some("Error") => format!("{path}: {message}"),
        Some(severity) => format!("({severity}) {path}: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_ansi_colours() {
        let line = "\u{1b}[90m[2:26:31 AM]\u{1b}[39m \u{1b}[90m›\u{1b}[39m \u{1b}[43m\u{1b}[30m[HTTP SERVER]\u{1b}[39m\u{1b}[49m post /x \u{1b}[31m✖  error\u{1b}[39m     Request terminated";
        assert_eq!(
            strip_ansi(line),
            "[2:26:31 AM] › [HTTP SERVER] post /x ✖  error     Request terminated"
        );
        assert_eq!(strip_ansi("a\u{1b}]0;title\u{7}b\u{1b}"), "ab");
    }

    #[test]
    fn finds_the_port_prism_listens_on() {
        let log = vec![
            "[2:30:02 AM] › [CLI] ℹ  info      POST       http://127.0.0.1:43087/zones".to_owned(),
            "[2:30:02 AM] › [CLI] ▶  start     Prism is listening on http://127.0.0.1:43087"
                .to_owned(),
        ];
        assert_eq!(listening_port(&log), Some(43087));
        assert_eq!(listening_port(log.get(..1).unwrap()), None);
    }

    #[test]
    fn missing_prism_says_how_to_install_it() {
        let error = locate_program(Some("/nonexistent/prism".into())).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("scripts/test.sh"), "{message}");
        assert!(message.contains("/nonexistent/prism"), "{message}");
    }

    #[test]
    fn dechunks_bodies() {
        let wire = b"4\r\nWiki\r\n6;x=y\r\npedia \r\n0\r\n\r\nNEXT";
        let (body, used) = dechunk(wire).unwrap().unwrap();
        assert_eq!(body, b"Wikipedia ");
        assert_eq!(wire.get(used..), Some(&b"NEXT"[..]));
        assert!(dechunk(b"4\r\nWi").unwrap().is_none());
        assert!(dechunk(b"zz\r\n").is_err());
    }

    fn response(status: u16, headers: &[(&str, &str)]) -> Response {
        Response {
            exchange: Exchange {
                method: "POST".into(),
                target: "/zones/z/dns_records".into(),
            },
            status,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            framing: Framing::Empty,
        }
    }

    #[test]
    fn reads_a_422_body() {
        let body = r#"{"type":"https://stoplight.io/prism/errors#UNPROCESSABLE_ENTITY","title":"Invalid request","status":422,"validation":[{"location":["body"],"severity":"Error","code":"required","message":"Request body must have required property 'data'"},{"location":["body"],"severity":"Error","code":"required","message":"Request body must have required property 'data'"},{"location":["query","per_page"],"severity":"Warning","message":"m"}]}"#;
        let found = violations_in(
            &response(422, &[("content-type", "application/problem+json")]),
            body.as_bytes(),
        );
        assert_eq!(
            found,
            [
                "POST /zones/z/dns_records -> 422: request.body: Request body must have required property 'data'",
                "POST /zones/z/dns_records -> 422: (Warning) request.query.per_page: m",
            ]
        );
    }

    #[test]
    fn prefers_the_header_and_falls_back_on_the_body() {
        let item = r#"[{"location":["response","body"],"severity":"Error","code":"required","message":"Response body must have required property 'success'"}]"#;
        let body = format!(
            r#"{{"type":"https://stoplight.io/prism/errors#VIOLATIONS","title":"Request/Response not valid","status":500,"validation":{item}}}"#
        );
        let expected = [
            "POST /zones/z/dns_records -> 500: response.body: Response body must have required property 'success'",
        ];
        let with_header = response(
            500,
            &[
                ("sl-violations", item),
                ("content-type", "application/problem+json"),
            ],
        );
        assert_eq!(violations_in(&with_header, body.as_bytes()), expected);
        let truncated = response(
            500,
            &[
                ("sl-violations", "Too many violations! [{\"loc"),
                ("content-type", "application/problem+json"),
            ],
        );
        assert_eq!(violations_in(&truncated, body.as_bytes()), expected);
    }

    #[test]
    fn other_prism_errors_are_reported_but_not_upstream_ones() {
        let problem = response(401, &[("content-type", "application/problem+json")]);
        let body = r#"{"type":"https://stoplight.io/prism/errors#UNAUTHORIZED","title":"Invalid security scheme used","status":401}"#;
        assert_eq!(
            violations_in(&problem, body.as_bytes()),
            ["POST /zones/z/dns_records -> 401: UNAUTHORIZED: Invalid security scheme used"]
        );
        let fetch = r#"{"type":"FetchError","title":"request failed","status":500,"detail":""}"#;
        assert!(
            violations_in(
                &response(500, &[("content-type", "application/problem+json")]),
                fetch.as_bytes()
            )
            .is_empty()
        );
        let upstream =
            r#"{"success":false,"errors":[{"code":81044,"message":"Record does not exist."}]}"#;
        assert!(
            violations_in(
                &response(404, &[("content-type", "application/json")]),
                upstream.as_bytes()
            )
            .is_empty()
        );
    }

    #[test]
    fn follows_keep_alive_exchanges() {
        let pending = Arc::new(Mutex::new(VecDeque::new()));
        let shared = Arc::new(Shared::default());
        let mut requests = RequestTracker::new(Arc::clone(&pending));
        let mut responses = ResponseTracker {
            reader: Reader::default(),
            pending,
            shared: Arc::clone(&shared),
            current: None,
        };
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
        let pending = Arc::new(Mutex::new(VecDeque::new()));
        let shared = Arc::new(Shared::default());
        let mut requests = RequestTracker::new(Arc::clone(&pending));
        let mut responses = ResponseTracker {
            reader: Reader::default(),
            pending,
            shared: Arc::clone(&shared),
            current: None,
        };
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
