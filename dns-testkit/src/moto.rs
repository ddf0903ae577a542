//! [moto] on localhost: the Amazon Route 53 emulator from PyPI, as a peer
//! for integration tests of Route 53 clients.
//!
//! [`Moto::start`] starts `moto_server` on a free port of 127.0.0.1 and
//! returns once it accepts requests; dropping the handle kills the process,
//! waits for it and removes its pidfile (the process handling is
//! [`peer`](crate::peer)'s). Each handle is its own server, so
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

use std::ffi::OsString;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};

use tracing::debug;

use crate::peer::{Peer, PeerCommand, PeerError, Ready, tmp_dir, workspace_root};

/// How many ports to try when another program takes the chosen one first.
const ATTEMPTS: usize = 5;
/// What moto (werkzeug) prints once it listens, before the address.
const READY_LINE: &str = "Running on http://";
/// What moto prints when its port is taken.
const PORT_IN_USE: &str = "Address already in use";

/// Why moto could not be started: the error of every peer process (the
/// same type as `prism::PrismError`).
pub type MotoError = PeerError;

/// A running `moto_server` on 127.0.0.1, killed (by its PID) when dropped.
pub struct Moto {
    peer: Peer,
    port: u16,
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
    /// [`PeerError::NotInstalled`] when moto is missing (run
    /// `scripts/test.sh`), or another [`PeerError`] when it does not
    /// start; those carry the end of moto's output.
    pub fn try_start() -> Result<Self, MotoError> {
        let program = locate_program(std::env::var_os("MOTO_SERVER"))?;
        let mut attempt = 1;
        loop {
            match Self::start_on_free_port(&program) {
                // Another program took the port between our probe and
                // moto's bind: another port may work.
                Err(PeerError::Exited { tail, .. })
                    if tail.contains(PORT_IN_USE) && attempt < ATTEMPTS =>
                {
                    debug!(attempt, "moto's port was taken, trying another");
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    fn start_on_free_port(program: &Path) -> Result<Self, MotoError> {
        let port = free_port()?;
        let peer = PeerCommand::new("moto_server", program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("NO_COLOR", "1")
            .pidfile(tmp_dir().join(format!("moto-{port}.pid")))
            // It says so once it listens, and then accepts connections.
            .ready_when(Ready::log_line(move |line| is_ready_line(line, port)))
            .ready_when(Ready::TcpPort(SocketAddr::from((
                Ipv4Addr::LOCALHOST,
                port,
            ))))
            .start()?;
        debug!(pid = peer.pid(), port, "moto is ready");
        Ok(Self { peer, port })
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
        self.peer.pid()
    }

    /// `target/tmp/moto-PORT.pid`: holds [`Moto::pid`] while moto runs.
    pub fn pidfile(&self) -> &Path {
        self.peer.pidfile()
    }

    /// moto's output so far (a line per request; the last 10,000 lines).
    pub fn log(&self) -> String {
        self.peer.log()
    }
}

impl fmt::Debug for Moto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Moto")
            .field("endpoint", &self.endpoint())
            .field("pid", &self.pid())
            .field("pidfile", &self.pidfile())
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
        Err(PeerError::NotInstalled {
            name: "moto_server".into(),
            path,
            hint: "run scripts/test.sh, which installs moto into target/peers/moto \
                   (or set MOTO_SERVER to a moto_server executable)"
                .into(),
        })
    }
}

/// A port of 127.0.0.1 nothing listens on right now.
fn free_port() -> Result<u16, MotoError> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(PeerError::io("finding a free port on 127.0.0.1"))
}

/// Whether `line` is werkzeug's ` * Running on http://127.0.0.1:PORT`.
fn is_ready_line(line: &str, port: u16) -> bool {
    line.split_once(READY_LINE)
        .and_then(|(_, address)| address.trim().trim_end_matches('/').rsplit_once(':'))
        .is_some_and(|(_, listening)| listening.parse() == Ok(port))
}

#[cfg(test)]
mod tests {
    use std::net::TcpStream;

    use super::*;
    use crate::peer::strip_ansi;

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
