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
//! The module is in parts: this one starts and stops Prism (the process
//! handling is [`peer`](crate::peer)'s); `relay` follows the exchanges;
//! `http` finds where each HTTP/1.1 message ends; `violations` reads what
//! Prism reported in a response.
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

mod http;
mod relay;
mod violations;

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tracing::debug;

use self::relay::{Shared, lock, relay_loop};
use crate::peer::{Peer, PeerCommand, PeerError, Ready, tmp_dir, workspace_root};

/// The line Prism prints once it accepts requests.
const READY_LINE: &str = "Prism is listening on ";

/// Why Prism could not be started: the error of every peer process (the
/// same type as `moto::MotoError` when both features
/// are on).
pub type PrismError = PeerError;

/// A running Prism (mock or validating proxy) on 127.0.0.1, behind a
/// relay that records the violations it reports.
///
/// [`Prism::stop`] kills it and waits for it; dropping the handle does the
/// same but keeps the log file, so a failing test leaves no Prism behind
/// and its output can still be read.
pub struct Prism {
    /// `None` only while stopping.
    peer: Option<Peer>,
    pid: u32,
    front: SocketAddr,
    pidfile: PathBuf,
    log_file: PathBuf,
    shared: Arc<Shared>,
    /// The relay's accept loop (its connections are aborted with it).
    relay: JoinHandle<()>,
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
    /// [`PeerError::NotInstalled`] when Prism is missing (run
    /// `scripts/test.sh`), or another [`PeerError`] when it does not
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

        // The relay's port names the files; Prism picks its own port.
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(PeerError::io("binding the relay on 127.0.0.1"))?;
        let front = listener
            .local_addr()
            .map_err(PeerError::io("reading the relay's address"))?;
        let pidfile = tmp_dir().join(format!("prism-{}.pid", front.port()));
        let log_file = tmp_dir().join(format!("prism-{}.log", front.port()));

        let mut command = PeerCommand::new("Prism", program);
        command = match mode {
            Mode::Mock => command
                .args(["mock", "-h", "127.0.0.1", "-p", "0"])
                .arg(schema_path()),
            Mode::Proxy(upstream) => command
                .args(["proxy", "-h", "127.0.0.1", "-p", "0"])
                .arg(schema_path())
                .arg(upstream)
                .arg("--errors"),
        };
        let peer = command
            .env("FORCE_COLOR", "0")
            .pidfile(&pidfile)
            .log_file(&log_file)
            .ready_when(Ready::log_line(|line| line.contains(READY_LINE)))
            // Not on this thread: the test's runtime may be running the
            // upstream meanwhile.
            .start_async()
            .await?;
        let Some(port) = listening_port(&peer.log_lines()) else {
            // The ready line had no port: a Prism that prints otherwise.
            return Err(PeerError::Io {
                what: format!("reading Prism's port from {}", log_file.display()),
                source: io::Error::other(peer.log_tail()),
            });
        };
        let pid = peer.pid();
        debug!(pid, port, relay = %front, "Prism is ready");
        let shared = Arc::new(Shared::default());
        let relay = tokio::spawn(relay_loop(listener, port, Arc::clone(&shared)));
        Ok(Self {
            peer: Some(peer),
            pid,
            front,
            pidfile,
            log_file,
            shared,
            relay,
        })
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
        self.peer.as_ref().map(Peer::log).unwrap_or_default()
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
        self.relay.abort();
        if let Some(peer) = self.peer.take() {
            peer.stop();
        }
    }
}

impl Drop for Prism {
    /// Kills Prism and waits for it (the peer's drop), and stops the relay.
    fn drop(&mut self) {
        self.relay.abort();
    }
}

impl fmt::Debug for Prism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prism")
            .field("uri", &self.uri())
            .field("pid", &self.pid)
            .field("running", &self.peer.is_some())
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
        Err(PeerError::NotInstalled {
            name: "Stoplight Prism".into(),
            path,
            hint: "run scripts/test.sh, which installs Prism 5.14 into target/peers/prism \
                   (or set PRISM_BIN to a prism executable)"
                .into(),
        })
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peer::strip_ansi;

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
}
