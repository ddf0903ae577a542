//! [moto] on localhost: the Amazon Route 53 emulator from PyPI, as a peer
//! for integration tests of Route 53 clients.
//!
//! [`Moto::start`] starts `moto_server` on a free port of 127.0.0.1 and
//! returns once it accepts requests; dropping the handle kills the process,
//! waits for it and removes its pidfile. Each handle is its own server, so
//! state never leaks between tests that start their own.
//!
//! moto 5 is installed by `scripts/test.sh` into `target/peers/moto` (a
//! Python virtual environment; `MOTO_SERVER` may name another
//! `moto_server`). A missing moto is an error that says so: tests using it
//! fail, never skip.
//!
//! While it runs, the server's PID is in `target/tmp/moto-PORT.pid` (`PORT`
//! of [`Moto::port`]), so `scripts/test.sh` can stop a moto a killed test
//! run left behind.
//!
//! Starting and dropping block the calling thread (for about a second while
//! Python starts), so the handle works the same from plain `#[test]`s and
//! from `#[tokio::test]`s.
//!
//! # Example
//!
//! ```no_run
//! use dns_testkit::moto::Moto;
//!
//! let moto = Moto::start();
//! // Point the client under test at `moto.endpoint()`
//! // (`http://127.0.0.1:PORT`), with any credentials.
//! assert!(moto.endpoint().ends_with(&moto.port().to_string()));
//! drop(moto); // kills moto_server and removes its pidfile
//! ```
//!
//! [moto]: https://docs.getmoto.org/

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::io::{self, BufRead as _, BufReader, Read};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tracing::debug;

/// How long moto may take to start (about 1 s alone, several when many
/// start at once on a small machine).
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How often the start-up checks the output and the process.
const POLL: Duration = Duration::from_millis(20);
/// Lines of moto's output kept, and quoted in an error.
const LOG_TAIL: usize = 30;
/// How many ports to try when another program takes the chosen one first.
const ATTEMPTS: usize = 5;
/// What moto (werkzeug) prints once it listens, before the address.
const READY_LINE: &str = "Running on http://";
/// What moto prints when its port is taken.
const PORT_IN_USE: &str = "Address already in use";

/// Why moto could not be started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MotoError {
    /// The `moto_server` program is not installed where the tests expect it.
    #[error(
        "moto_server not found at {}: run scripts/test.sh, which installs moto \
         into target/peers/moto (or set MOTO_SERVER to a moto_server executable)",
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
    /// moto stopped before it accepted requests.
    #[error("moto_server exited before it was ready ({status}); its last output:\n{tail}")]
    Exited {
        /// How it ended.
        status: ExitStatus,
        /// The last lines of its output.
        tail: String,
    },
    /// moto did not start listening in time.
    #[error(
        "moto_server was not ready within {} s; its last output:\n{tail}",
        .timeout.as_secs()
    )]
    NotReady {
        /// How long it was given.
        timeout: Duration,
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

impl MotoError {
    fn io(what: impl Into<String>) -> impl FnOnce(io::Error) -> Self {
        let what = what.into();
        move |source| Self::Io { what, source }
    }
}

/// A running `moto_server` on 127.0.0.1, killed (by its PID) when dropped.
pub struct Moto {
    child: Child,
    pid: u32,
    port: u16,
    pidfile: PathBuf,
    log: Arc<Log>,
}

/// What the output readers collect.
#[derive(Debug, Default)]
struct Log {
    /// The last [`LOG_TAIL`] lines, ANSI colours removed.
    tail: Mutex<VecDeque<String>>,
    /// Whether moto said it listens.
    ready: AtomicBool,
    /// Whether moto said its port was taken.
    port_in_use: AtomicBool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Log {
    fn push(&self, line: &str, port: u16) {
        let line = strip_ansi(line);
        let line = line.trim_end();
        if is_ready_line(line, port) {
            self.ready.store(true, Ordering::SeqCst);
        }
        if line.contains(PORT_IN_USE) {
            self.port_in_use.store(true, Ordering::SeqCst);
        }
        let mut tail = lock(&self.tail);
        if tail.len() == LOG_TAIL {
            tail.pop_front();
        }
        tail.push_back(line.to_owned());
    }

    fn tail(&self) -> String {
        lock(&self.tail)
            .iter()
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Moto {
    /// Starts `moto_server -H 127.0.0.1 -p PORT` on a free port and returns
    /// once it accepts requests.
    ///
    /// # Panics
    ///
    /// When moto is missing (the message says to run `scripts/test.sh`) or
    /// does not start (the message has the end of its output); see
    /// [`Moto::try_start`].
    #[track_caller]
    pub fn start() -> Self {
        match Self::try_start() {
            Ok(moto) => moto,
            Err(error) => panic!("{error}"),
        }
    }

    /// Like [`Moto::start`], but returns what went wrong instead of
    /// panicking.
    ///
    /// # Errors
    ///
    /// [`MotoError::NotInstalled`] when moto is missing (run
    /// `scripts/test.sh`), or another [`MotoError`] when it does not
    /// start; those carry the end of moto's output.
    pub fn try_start() -> Result<Self, MotoError> {
        let program = locate_program(std::env::var_os("MOTO_SERVER"))?;
        let tmp = workspace_root().join("target").join("tmp");
        std::fs::create_dir_all(&tmp)
            .map_err(MotoError::io(format!("creating {}", tmp.display())))?;
        let mut attempt = 1;
        loop {
            match Self::start_on_free_port(&program, &tmp) {
                Err((error, true)) if attempt < ATTEMPTS => {
                    debug!(attempt, %error, "moto's port was taken, trying another");
                    attempt += 1;
                }
                result => return result.map_err(|(error, _)| error),
            }
        }
    }

    /// One attempt; the flag says whether moto lost its port to another
    /// program (between our probe and its bind), so another port may work.
    fn start_on_free_port(program: &Path, tmp: &Path) -> Result<Self, (MotoError, bool)> {
        let port = free_port().map_err(|error| (error, false))?;
        let mut child = Command::new(program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| {
                let program = program.to_path_buf();
                (MotoError::Spawn { program, source }, false)
            })?;
        let pid = child.id();

        // moto writes a line per request: keep reading, so it never blocks
        // on a full pipe.
        let log = Arc::new(Log::default());
        if let Some(stdout) = child.stdout.take() {
            read_log(stdout, Arc::clone(&log), port);
        }
        if let Some(stderr) = child.stderr.take() {
            read_log(stderr, Arc::clone(&log), port);
        }

        let pidfile = tmp.join(format!("moto-{port}.pid"));
        let mut moto = Self {
            child,
            pid,
            port,
            pidfile,
            log,
        };
        if let Err(source) = std::fs::write(&moto.pidfile, pid.to_string()) {
            let what = format!("writing {}", moto.pidfile.display());
            return Err((MotoError::Io { what, source }, false));
        }
        moto.wait_ready()?;
        debug!(pid, port, "moto is ready");
        Ok(moto)
    }

    /// Waits until moto says it listens on its port and accepts a
    /// connection there.
    fn wait_ready(&mut self) -> Result<(), (MotoError, bool)> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if self.log.ready.load(Ordering::SeqCst)
                && TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).is_ok()
            {
                return Ok(());
            }
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    // Let the readers take in the last words.
                    std::thread::sleep(Duration::from_millis(100));
                    let port_in_use = self.log.port_in_use.load(Ordering::SeqCst);
                    let tail = self.log.tail();
                    return Err((MotoError::Exited { status, tail }, port_in_use));
                }
                Ok(None) => {}
                Err(source) => {
                    let what = "waiting for moto_server".to_owned();
                    return Err((MotoError::Io { what, source }, false));
                }
            }
            if Instant::now() >= deadline {
                let tail = self.log.tail();
                let timeout = READY_TIMEOUT;
                return Err((MotoError::NotReady { timeout, tail }, false));
            }
            std::thread::sleep(POLL);
        }
    }

    /// `http://127.0.0.1:PORT`: the endpoint URL to give the client under
    /// test.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port moto listens on (on 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The process ID of `moto_server`.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// `target/tmp/moto-PORT.pid`: holds [`Moto::pid`] while moto runs.
    pub fn pidfile(&self) -> &Path {
        &self.pidfile
    }
}

impl Drop for Moto {
    /// Kills `moto_server`, waits until it is gone and removes its pidfile.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.pidfile);
    }
}

impl fmt::Debug for Moto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Moto")
            .field("endpoint", &self.endpoint())
            .field("pid", &self.pid)
            .field("pidfile", &self.pidfile)
            .finish_non_exhaustive()
    }
}

/// `MOTO_SERVER` if set, else the copy `scripts/test.sh` installs.
fn locate_program(from_env: Option<OsString>) -> Result<PathBuf, MotoError> {
    let path = match from_env {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => workspace_root().join("target/peers/moto/bin/moto_server"),
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(MotoError::NotInstalled { path })
    }
}

fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// A port of 127.0.0.1 nothing listens on right now.
fn free_port() -> Result<u16, MotoError> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(MotoError::io("finding a free port on 127.0.0.1"))
}

/// Whether `line` is werkzeug's ` * Running on http://127.0.0.1:PORT`.
fn is_ready_line(line: &str, port: u16) -> bool {
    line.split_once(READY_LINE)
        .and_then(|(_, address)| address.trim().trim_end_matches('/').rsplit_once(':'))
        .is_some_and(|(_, listening)| listening.parse() == Ok(port))
}

/// Copies one of moto's output streams, line by line, into the log, on a
/// thread of its own that ends when moto does.
fn read_log(stream: impl Read + Send + 'static, log: Arc<Log>, port: u16) {
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stream).split(b'\n');
        while let Some(Ok(line)) = lines.next() {
            log.push(&String::from_utf8_lossy(&line), port);
        }
    });
}

/// `text` without ANSI escape sequences (CSI sequences such as colours,
/// and lone escapes).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        if chars.next_if_eq(&'[').is_some() {
            // Parameters and intermediates, then one final byte.
            for c in chars.by_ref() {
                if ('\u{40}'..='\u{7e}').contains(&c) {
                    break;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_ansi_colours() {
        let line = "\u{1b}[31m\u{1b}[1mWARNING: This is a development server.\u{1b}[0m";
        assert_eq!(strip_ansi(line), "WARNING: This is a development server.");
        assert_eq!(strip_ansi("a\u{1b}b"), "ab");
    }

    #[test]
    fn recognises_the_line_moto_prints_when_listening() {
        assert!(is_ready_line(" * Running on http://127.0.0.1:45811", 45811));
        assert!(!is_ready_line(" * Running on http://127.0.0.1:45811", 4581));
        assert!(!is_ready_line(
            "127.0.0.1 - - \"GET / HTTP/1.1\" 200 -",
            45811
        ));
    }

    #[test]
    fn missing_moto_says_how_to_install_it() {
        let error = locate_program(Some("/nonexistent/moto_server".into())).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("scripts/test.sh"), "{message}");
        assert!(message.contains("/nonexistent/moto_server"), "{message}");
        assert!(message.contains("MOTO_SERVER"), "{message}");
    }

    #[test]
    fn runs_moto_and_stops_it_on_drop() {
        let moto = Moto::start();
        assert_eq!(moto.endpoint(), format!("http://127.0.0.1:{}", moto.port()));
        let pidfile = moto.pidfile().to_path_buf();
        assert_eq!(
            pidfile.file_name().and_then(|name| name.to_str()),
            Some(format!("moto-{}.pid", moto.port()).as_str())
        );
        assert_eq!(
            pidfile.parent(),
            Some(workspace_root().join("target/tmp").as_path())
        );
        assert_eq!(
            std::fs::read_to_string(&pidfile).unwrap(),
            moto.pid().to_string()
        );
        TcpStream::connect((Ipv4Addr::LOCALHOST, moto.port())).unwrap();
        let proc = PathBuf::from(format!("/proc/{}", moto.pid()));
        drop(moto);
        assert!(!pidfile.exists());
        // Waited for, so not even a zombie is left.
        assert!(!proc.exists() || cfg!(not(target_os = "linux")));
    }
}
