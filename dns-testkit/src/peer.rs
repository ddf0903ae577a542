//! Peer processes for integration tests: start a program the tests talk
//! to (moto, Prism, and later BIND or Knot), wait until it is ready, keep
//! its output for error messages, and stop it by its PID.
//!
//! [`PeerCommand`] describes the program and when it counts as ready
//! ([`Ready`]: a line of its output, an open TCP port, an HTTP answer, or
//! any check of the caller's); [`PeerCommand::start`] returns a [`Peer`]
//! once every condition holds, or a [`PeerError`] that quotes the end of
//! the program's output. The `moto` and `prism` modules (features of
//! the same names) are built on it.
//!
//! While a peer runs, its PID is in a pidfile under `target/tmp`
//! (`NAME-KEY.pid`, see [`PeerCommand::pidfile`]), so `scripts/test.sh`
//! can stop the peers a killed test run left behind: it kills a recorded
//! PID only while that process still runs the peer's program. Dropping a
//! [`Peer`] kills the process (it does not get to ignore the signal),
//! waits for it, so not even a zombie is left, and removes the pidfile.
//!
//! Starting and stopping block the calling thread (starting for as long
//! as the program takes, stopping for a moment), so a peer works the same
//! from plain `#[test]`s and from `#[tokio::test]`s; async code that must
//! not block its runtime uses [`PeerCommand::start_async`].
//!
//! # Example
//!
//! ```no_run
//! use std::net::{Ipv4Addr, SocketAddr};
//!
//! use dns_testkit::peer::{PeerCommand, Ready};
//!
//! # fn run() -> Result<(), dns_testkit::peer::PeerError> {
//! let port = 8053;
//! let server = PeerCommand::new("my-server", "/usr/local/bin/my-server")
//!     .args(["--port", "8053"])
//!     .pidfile(dns_testkit::peer::tmp_dir().join(format!("my-server-{port}.pid")))
//!     .ready_when(Ready::log_line(|line| line.contains("listening")))
//!     .ready_when(Ready::TcpPort(SocketAddr::from((Ipv4Addr::LOCALHOST, port))))
//!     .start()?;
//! // Talk to it on port 8053; its output so far is in `server.log()`.
//! server.stop(); // or drop it
//! # Ok(())
//! # }
//! ```

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead as _, BufReader, Read, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tracing::debug;

/// How long a peer may take to start unless [`PeerCommand::timeout`] says
/// otherwise (moto and Prism take about 1 s alone, several when many start
/// at once on a small machine).
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How often the start-up checks the conditions and the process.
const POLL: Duration = Duration::from_millis(20);
/// Lines of output quoted in an error.
const LOG_TAIL: usize = 30;
/// Lines of output kept in memory: enough for any test's assertions, and
/// bounded because peers such as moto write a line per request. The log
/// file, when there is one, has everything.
const LOG_KEPT: usize = 10_000;
/// How long to wait for a single readiness probe (a connection, an answer).
const PROBE_TIMEOUT: Duration = Duration::from_millis(500);

/// Why a peer process could not be started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PeerError {
    /// The program is not installed where the tests expect it.
    #[error("{name} not found at {}: {hint}", .path.display())]
    NotInstalled {
        /// What the program is, for people (`moto_server`, `Stoplight Prism`).
        name: String,
        /// Where it was looked for.
        path: PathBuf,
        /// How to install it.
        hint: String,
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
    /// The program stopped before it was ready.
    #[error("{name} exited before it was ready ({status}); {}its last output:\n{tail}", log_note(.log_file.as_deref()))]
    Exited {
        /// What the program is.
        name: String,
        /// How it ended.
        status: ExitStatus,
        /// Its whole output, when it was written to a file.
        log_file: Option<PathBuf>,
        /// The last lines of its output.
        tail: String,
    },
    /// The program was not ready in time (it has been killed).
    #[error(
        "{name} was not ready within {} s; {}its last output:\n{tail}",
        .timeout.as_secs(),
        log_note(.log_file.as_deref())
    )]
    NotReady {
        /// What the program is.
        name: String,
        /// How long it was given.
        timeout: Duration,
        /// Its whole output, when it was written to a file.
        log_file: Option<PathBuf>,
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

fn log_note(log_file: Option<&Path>) -> String {
    log_file.map_or_else(String::new, |file| format!("log {}, ", file.display()))
}

impl PeerError {
    /// A `map_err` adapter for [`PeerError::Io`].
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(io::Error) -> Self {
        let what = what.into();
        move |source| Self::Io { what, source }
    }
}

/// A check on a line of output (ANSI colours removed, line end trimmed).
type LineCheck = Arc<dyn Fn(&str) -> bool + Send + Sync>;
/// A check of the caller's, run until it returns `true`.
type Probe = Arc<dyn Fn() -> bool + Send + Sync>;

/// One condition a peer must meet before [`PeerCommand::start`] returns.
/// With several, all must hold (each stays met once it was).
#[derive(Clone)]
#[non_exhaustive]
pub enum Ready {
    /// A line of the program's output (stdout or stderr) passes the check.
    LogLine(LineCheck),
    /// A TCP connection to this address succeeds.
    TcpPort(SocketAddr),
    /// An HTTP/1.1 `GET` of this path at this address gets any answer
    /// (whatever the status): the server parses requests.
    Http {
        /// Where the server listens.
        addr: SocketAddr,
        /// The path to ask for, such as `/`.
        path: String,
    },
    /// The caller's check returns `true` (called every 20 ms; it should
    /// give up on its own within a second).
    Probe(Probe),
}

impl Ready {
    /// [`Ready::LogLine`] from a closure.
    pub fn log_line(check: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
        Self::LogLine(Arc::new(check))
    }

    /// [`Ready::Probe`] from a closure.
    pub fn probe(check: impl Fn() -> bool + Send + Sync + 'static) -> Self {
        Self::Probe(Arc::new(check))
    }
}

impl fmt::Debug for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LogLine(_) => f.write_str("LogLine(..)"),
            Self::TcpPort(addr) => f.debug_tuple("TcpPort").field(addr).finish(),
            Self::Http { addr, path } => f
                .debug_struct("Http")
                .field("addr", addr)
                .field("path", path)
                .finish(),
            Self::Probe(_) => f.write_str("Probe(..)"),
        }
    }
}

/// How to start a peer, and when it is ready.
#[derive(Debug, Clone)]
pub struct PeerCommand {
    name: String,
    program: PathBuf,
    args: Vec<OsString>,
    envs: Vec<(OsString, OsString)>,
    pidfile: Option<PathBuf>,
    log_file: Option<PathBuf>,
    ready: Vec<Ready>,
    timeout: Duration,
}

impl PeerCommand {
    /// Runs `program`; `name` says what it is in messages and names the
    /// default pidfile.
    pub fn new(name: impl Into<String>, program: impl Into<PathBuf>) -> Self {
        Self {
            name: name.into(),
            program: program.into(),
            args: Vec::new(),
            envs: Vec::new(),
            pidfile: None,
            log_file: None,
            ready: Vec::new(),
            timeout: DEFAULT_READY_TIMEOUT,
        }
    }

    /// Adds an argument.
    #[must_use]
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Adds arguments.
    #[must_use]
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable for the program (the rest of the
    /// environment is inherited).
    #[must_use]
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.envs.push((key.into(), value.into()));
        self
    }

    /// Where to record the PID while the peer runs. Without this it is
    /// `target/tmp/NAME-PID.pid`; a name with a key the tests know (such
    /// as the port, `moto-PORT.pid`) is easier to find. The folder is
    /// created if needed.
    #[must_use]
    pub fn pidfile(mut self, path: impl Into<PathBuf>) -> Self {
        self.pidfile = Some(path.into());
        self
    }

    /// Also writes the program's whole output (ANSI colours removed) to
    /// this file. [`Peer::stop`] removes it; dropping the peer keeps it,
    /// for whoever reads a failed test's output.
    #[must_use]
    pub fn log_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.log_file = Some(path.into());
        self
    }

    /// Adds a condition for readiness. Without any, the peer is ready as
    /// soon as it started.
    #[must_use]
    pub fn ready_when(mut self, ready: Ready) -> Self {
        self.ready.push(ready);
        self
    }

    /// How long the conditions may take ([`DEFAULT_READY_TIMEOUT`] unless
    /// set).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Starts the program (stdin empty, stdout and stderr collected) and
    /// returns once every [`Ready`] condition holds. Blocks the calling
    /// thread until then.
    ///
    /// # Errors
    ///
    /// [`PeerError::Spawn`] when the program cannot be started,
    /// [`PeerError::Exited`] when it ends before it is ready,
    /// [`PeerError::NotReady`] when it is not ready in time (it is killed
    /// then), [`PeerError::Io`] when the pidfile or log file cannot be
    /// written. The errors about the program quote the end of its output.
    pub fn start(self) -> Result<Peer, PeerError> {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let log_file = match &self.log_file {
            Some(path) => {
                create_parent(path)?;
                let file = File::create(path)
                    .map_err(PeerError::io(format!("creating {}", path.display())))?;
                Some(file)
            }
            None => None,
        };
        let mut child = command.spawn().map_err(|source| PeerError::Spawn {
            program: self.program.clone(),
            source,
        })?;
        let pid = child.id();

        let line_checks = self
            .ready
            .iter()
            .filter_map(|ready| match ready {
                Ready::LogLine(check) => Some((Arc::clone(check), AtomicBool::new(false))),
                _ => None,
            })
            .collect();
        let log = Arc::new(Log {
            lines: Mutex::default(),
            line_checks,
        });
        // Keep reading, so the program never blocks on a full pipe.
        let mut readers = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            let file = log_file.as_ref().and_then(|f| f.try_clone().ok());
            readers.push(read_log(stdout, file, Arc::clone(&log)));
        }
        if let Some(stderr) = child.stderr.take() {
            readers.push(read_log(stderr, log_file, Arc::clone(&log)));
        }

        let pidfile = self.pidfile.clone().unwrap_or_else(|| {
            let name: String = self
                .name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            tmp_dir().join(format!("{name}-{pid}.pid"))
        });
        // From here on, dropping `peer` kills the process.
        let mut peer = Peer {
            name: self.name.clone(),
            child: Some(child),
            pid,
            pidfile,
            log_file: self.log_file.clone(),
            log,
            readers,
        };
        create_parent(&peer.pidfile)?;
        std::fs::write(&peer.pidfile, pid.to_string())
            .map_err(PeerError::io(format!("writing {}", peer.pidfile.display())))?;
        peer.wait_ready(&self.ready, self.timeout)?;
        debug!(name = %self.name, pid, "peer is ready");
        Ok(peer)
    }

    /// [`PeerCommand::start`] on Tokio's blocking thread pool, so an async
    /// test's runtime keeps running its other tasks meanwhile.
    ///
    /// # Errors
    ///
    /// As for [`PeerCommand::start`].
    pub async fn start_async(self) -> Result<Peer, PeerError> {
        let name = self.name.clone();
        tokio::task::spawn_blocking(move || self.start())
            .await
            .map_err(|error| PeerError::Io {
                what: format!("starting {name}"),
                source: io::Error::other(error),
            })?
    }
}

fn create_parent(path: &Path) -> Result<(), PeerError> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir)
            .map_err(PeerError::io(format!("creating {}", dir.display()))),
        _ => Ok(()),
    }
}

/// What the output readers collect.
struct Log {
    /// The last [`LOG_KEPT`] lines, ANSI colours removed.
    lines: Mutex<VecDeque<String>>,
    /// The [`Ready::LogLine`] conditions, and whether a line met each.
    line_checks: Vec<(LineCheck, AtomicBool)>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Log {
    fn push(&self, line: &str) {
        for (check, met) in &self.line_checks {
            if !met.load(Ordering::SeqCst) && check(line) {
                met.store(true, Ordering::SeqCst);
            }
        }
        let mut lines = lock(&self.lines);
        if lines.len() == LOG_KEPT {
            lines.pop_front();
        }
        lines.push_back(line.to_owned());
    }

    fn tail(&self, count: usize) -> String {
        let lines = lock(&self.lines);
        let start = lines.len().saturating_sub(count);
        lines.range(start..).cloned().collect::<Vec<_>>().join("\n")
    }
}

/// Copies one of the program's output streams, line by line, into the log
/// (and the log file), on a thread of its own that ends with the stream.
fn read_log(
    stream: impl Read + Send + 'static,
    mut file: Option<File>,
    log: Arc<Log>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stream).split(b'\n');
        while let Some(Ok(line)) = lines.next() {
            let text = strip_ansi(&String::from_utf8_lossy(&line));
            let text = text.trim_end();
            if let Some(file) = &mut file {
                let _ = writeln!(file, "{text}");
            }
            log.push(text);
        }
    })
}

/// A running peer process, killed (by its PID) when dropped.
pub struct Peer {
    name: String,
    /// `None` once stopped.
    child: Option<Child>,
    pid: u32,
    pidfile: PathBuf,
    log_file: Option<PathBuf>,
    log: Arc<Log>,
    readers: Vec<JoinHandle<()>>,
}

impl Peer {
    fn wait_ready(&mut self, conditions: &[Ready], timeout: Duration) -> Result<(), PeerError> {
        let deadline = Instant::now() + timeout;
        let mut met = vec![false; conditions.len()];
        loop {
            // The log line conditions are in `Log::line_checks` in order.
            let mut line_checks = self.log.line_checks.iter();
            for (condition, met) in conditions.iter().zip(&mut met) {
                let line_met = match condition {
                    Ready::LogLine(_) => line_checks.next().map(|(_, met)| met),
                    _ => None,
                };
                if !*met {
                    *met = match line_met {
                        Some(line_met) => line_met.load(Ordering::SeqCst),
                        None => check(condition),
                    };
                }
            }
            if met.iter().all(|met| *met) {
                return Ok(());
            }
            let exited = match self.child.as_mut().map(Child::try_wait) {
                Some(Ok(status)) => status,
                Some(Err(source)) => {
                    let what = format!("waiting for {}", self.name);
                    return Err(PeerError::Io { what, source });
                }
                None => None,
            };
            if let Some(status) = exited {
                self.child = None;
                let _ = std::fs::remove_file(&self.pidfile);
                // Let the readers take in the last words.
                let until = Instant::now() + Duration::from_secs(2);
                while Instant::now() < until && !self.readers.iter().all(JoinHandle::is_finished) {
                    std::thread::sleep(POLL);
                }
                return Err(PeerError::Exited {
                    name: self.name.clone(),
                    status,
                    log_file: self.log_file.clone(),
                    tail: self.log.tail(LOG_TAIL),
                });
            }
            if Instant::now() >= deadline {
                return Err(PeerError::NotReady {
                    name: self.name.clone(),
                    timeout,
                    log_file: self.log_file.clone(),
                    tail: self.log.tail(LOG_TAIL),
                });
            }
            std::thread::sleep(POLL);
        }
    }

    /// What the program is (as given to [`PeerCommand::new`]).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The process ID.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The file that holds [`Peer::pid`] while the peer runs.
    pub fn pidfile(&self) -> &Path {
        &self.pidfile
    }

    /// The file with the whole output, if [`PeerCommand::log_file`] set one.
    pub fn log_file(&self) -> Option<&Path> {
        self.log_file.as_deref()
    }

    /// The output so far (stdout and stderr, ANSI colours removed), one
    /// line per line; the last 10,000 lines when there were more.
    pub fn log(&self) -> String {
        self.log.tail(LOG_KEPT)
    }

    /// The output so far, as lines.
    pub fn log_lines(&self) -> Vec<String> {
        lock(&self.log.lines).iter().cloned().collect()
    }

    /// The last 30 lines of output, as quoted in errors.
    pub fn log_tail(&self) -> String {
        self.log.tail(LOG_TAIL)
    }

    /// Whether the process still runs.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|child| matches!(child.try_wait(), Ok(None)))
    }

    /// Kills the process, waits until it is gone, and removes its pidfile
    /// and its log file.
    pub fn stop(mut self) {
        self.halt();
        if let Some(log_file) = &self.log_file {
            let _ = std::fs::remove_file(log_file);
        }
    }

    /// Kills the process and waits for it (SIGKILL: the wait is short),
    /// then removes the pidfile.
    fn halt(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_file(&self.pidfile);
    }
}

impl Drop for Peer {
    /// Kills the process, waits until it is gone and removes its pidfile;
    /// the log file stays.
    fn drop(&mut self) {
        self.halt();
    }
}

impl fmt::Debug for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Peer")
            .field("name", &self.name)
            .field("pid", &self.pid)
            .field("running", &self.child.is_some())
            .field("pidfile", &self.pidfile)
            .field("log_file", &self.log_file)
            .finish_non_exhaustive()
    }
}

/// Whether a condition other than [`Ready::LogLine`] holds now.
fn check(condition: &Ready) -> bool {
    match condition {
        // Followed by the output readers instead.
        Ready::LogLine(_) => false,
        Ready::TcpPort(addr) => TcpStream::connect_timeout(addr, PROBE_TIMEOUT).is_ok(),
        Ready::Http { addr, path } => http_answers(*addr, path),
        Ready::Probe(probe) => probe(),
    }
}

/// Whether an HTTP/1.1 server at `addr` answers `GET path` with a status
/// line.
fn http_answers(addr: SocketAddr, path: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, PROBE_TIMEOUT) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(PROBE_TIMEOUT));
    let _ = stream.set_write_timeout(Some(PROBE_TIMEOUT));
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut start = [0; 8];
    stream.read_exact(&mut start).is_ok() && start.starts_with(b"HTTP/1.")
}

/// The root of the workspace that holds this crate (`target/` is there).
pub(crate) fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// `target/tmp` of the workspace: where peers keep their pidfiles and logs
/// (and `scripts/test.sh` looks for leftovers).
pub fn tmp_dir() -> PathBuf {
    workspace_root().join("target").join("tmp")
}

/// `text` without ANSI escape sequences: CSI sequences such as colours and
/// cursor moves, OSC sequences such as window titles, two-character
/// escapes, and a lone escape at the end.
pub(crate) fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            // CSI: parameters and intermediates, then one final byte in @..~.
            Some('[') => {
                chars.next();
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            // OSC: up to BEL or ESC \.
            Some(']') => {
                chars.next();
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
            // Two-character escapes (ESC followed by @..._).
            Some(&c) if ('@'..='_').contains(&c) => {
                chars.next();
            }
            // A stray escape: drop only the escape itself.
            Some(_) | None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use std::net::{Ipv4Addr, TcpListener};

    use super::*;

    #[test]
    fn strips_ansi_sequences() {
        let line = "\u{1b}[31m\u{1b}[1mWARNING: This is a development server.\u{1b}[0m";
        assert_eq!(strip_ansi(line), "WARNING: This is a development server.");
        assert_eq!(strip_ansi("a\u{1b}b"), "ab");
        assert_eq!(strip_ansi("a\u{1b}]0;title\u{7}b\u{1b}"), "ab");
        assert_eq!(strip_ansi("a\u{1b}Mb"), "ab");
    }

    fn shell(script: &str) -> PeerCommand {
        PeerCommand::new("test peer", "/bin/sh").args(["-c", script])
    }

    #[test]
    fn waits_for_a_log_line_and_stops_by_pid() {
        let peer = shell("echo starting; sleep 0.2; echo 'ready now' >&2; exec sleep 60")
            .ready_when(Ready::log_line(|line| line == "ready now"))
            .start()
            .unwrap();
        let pidfile = peer.pidfile().to_path_buf();
        assert_eq!(pidfile.parent(), Some(tmp_dir().as_path()));
        assert_eq!(
            std::fs::read_to_string(&pidfile).unwrap(),
            peer.pid().to_string()
        );
        assert!(peer.log_lines().contains(&"ready now".to_owned()));
        let proc = PathBuf::from(format!("/proc/{}", peer.pid()));
        drop(peer);
        assert!(!pidfile.exists());
        assert!(!proc.exists() || cfg!(not(target_os = "linux")));
    }

    #[test]
    fn waits_for_a_port_and_an_http_answer() {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        // A server in this process: the port probe connects and closes,
        // the HTTP probe gets an answer (any status will do).
        let served = std::thread::spawn(move || {
            for stream in listener.incoming() {
                let mut stream = stream.unwrap();
                let mut request = [0; 64];
                if stream.read(&mut request).unwrap_or(0) > 0 {
                    stream.write_all(b"HTTP/1.1 404 Not Found\r\n\r\n").unwrap();
                    break;
                }
            }
        });
        let peer = shell("exec sleep 60")
            .ready_when(Ready::TcpPort(addr))
            .ready_when(Ready::Http {
                addr,
                path: "/".into(),
            })
            .start()
            .unwrap();
        served.join().unwrap();
        peer.stop();
    }

    #[test]
    fn a_peer_that_exits_reports_its_last_words() {
        let log_file = tmp_dir().join("peer-exits-test.log");
        let error = shell("echo 'Address already in use' >&2; exit 3")
            .log_file(&log_file)
            .ready_when(Ready::log_line(|_| false))
            .start()
            .unwrap_err();
        let message = error.to_string();
        assert!(matches!(error, PeerError::Exited { .. }), "{message}");
        assert!(message.contains("Address already in use"), "{message}");
        assert!(message.contains("test peer exited"), "{message}");
        assert!(
            std::fs::read_to_string(&log_file)
                .unwrap()
                .contains("Address already in use")
        );
        std::fs::remove_file(log_file).unwrap();
    }

    #[test]
    fn a_peer_that_never_gets_ready_is_killed() {
        let pidfile = tmp_dir().join("peer-slow-test.pid");
        let error = shell("echo waiting; exec sleep 60")
            .pidfile(&pidfile)
            .ready_when(Ready::probe(|| false))
            .timeout(Duration::from_millis(300))
            .start()
            .unwrap_err();
        let message = error.to_string();
        assert!(matches!(error, PeerError::NotReady { .. }), "{message}");
        assert!(message.contains("waiting"), "{message}");
        assert!(!pidfile.exists());
    }
}
