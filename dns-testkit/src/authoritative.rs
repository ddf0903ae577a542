//! Real authoritative DNS servers as test peers: BIND 9 (`named`, feature
//! `bind9`) and Knot DNS (`knotd`, feature `knot`), both taking RFC 2136
//! updates and zone transfers signed with a TSIG key.
//!
//! [`AuthServer::start`] writes a configuration with the given keys and
//! zones into its own folder under `target/tmp` (`bind-PORT/` or
//! `knot-PORT/`), starts the server on a free port of 127.0.0.1, waits
//! until it answers on TCP and has loaded its zones, and returns. Dropping
//! the handle kills the process by its PID (recorded in that folder, so
//! `scripts/test.sh` can stop one a killed run left behind) and removes
//! the folder. The secret is written to the configuration file only,
//! never to the command line.
//!
//! Both programs are installed by `scripts/test.sh` from Debian. A missing
//! one is an error that says so: tests using it fail, never skip.
//!
//! # Example
//!
//! ```no_run
//! use dns_testkit::authoritative::{AuthServer, Flavor, TestKey, TestZone};
//!
//! let key = TestKey::new("update-key", "hmac-sha256", "SahZkVRj0h0GCUYua7tKGF+iP4vAF9OEN/uJXMHsCQs=");
//! let zone = TestZone::new("example.test").with_key("update-key").with_records("www A 192.0.2.1");
//! let server = AuthServer::start(Flavor::Bind9, &[key], &[zone]);
//! // Send updates to `server.addr()`, signed with the key.
//! assert_eq!(server.addr().ip().to_string(), "127.0.0.1");
//! drop(server); // kills named and removes its folder
//! ```

use std::fmt;
use std::fs;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::peer::{Peer, PeerCommand, PeerError, Ready, tmp_dir};

const ATTEMPTS: usize = 5;

/// Which server to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Flavor {
    /// BIND 9 (`/usr/sbin/named`): keeps the case of names in data.
    Bind9,
    /// Knot DNS (`/usr/sbin/knotd`): lower-cases names inside RDATA.
    Knot,
}

impl Flavor {
    fn program(self) -> &'static str {
        match self {
            Self::Bind9 => "/usr/sbin/named",
            Self::Knot => "/usr/sbin/knotd",
        }
    }

    fn short(self) -> &'static str {
        match self {
            Self::Bind9 => "bind",
            Self::Knot => "knot",
        }
    }
}

/// A TSIG key the server knows. `Debug` leaves the secret out.
#[derive(Clone)]
pub struct TestKey {
    name: String,
    algorithm: String,
    secret: String,
}

impl TestKey {
    /// A key by name, algorithm (`hmac-sha256`…) and base64 secret.
    pub fn new(name: &str, algorithm: &str, secret_base64: &str) -> Self {
        Self {
            name: name.to_owned(),
            algorithm: algorithm.to_owned(),
            secret: secret_base64.to_owned(),
        }
    }
}

impl fmt::Debug for TestKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestKey")
            .field("name", &self.name)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// A zone to serve: its apex, extra records in zone-file syntax (relative
/// to the apex), and the key allowed to update and transfer it.
#[derive(Debug, Clone)]
pub struct TestZone {
    name: String,
    records: String,
    key: Option<String>,
}

impl TestZone {
    /// A zone with only its SOA and an out-of-zone NS (so BIND needs no
    /// glue), updatable by nobody until [`TestZone::with_key`].
    pub fn new(apex: &str) -> Self {
        Self {
            name: apex.trim_end_matches('.').to_owned(),
            records: String::new(),
            key: None,
        }
    }

    /// Allows the key of that name to update and transfer the zone.
    #[must_use]
    pub fn with_key(mut self, key: &str) -> Self {
        self.key = Some(key.to_owned());
        self
    }

    /// Adds zone-file lines (relative names are below the apex).
    #[must_use]
    pub fn with_records(mut self, lines: &str) -> Self {
        self.records.push_str(lines);
        self.records.push('\n');
        self
    }

    fn file(&self) -> String {
        format!(
            "$ORIGIN {}.\n$TTL 300\n@ SOA ns.example.invalid. hostmaster.example.invalid. 1 3600 600 86400 300\n\
             @ NS ns.example.invalid.\n{}",
            self.name, self.records
        )
    }
}

/// A running BIND or Knot, stopped when dropped.
pub struct AuthServer {
    peer: Option<Peer>,
    flavor: Flavor,
    addr: SocketAddr,
    dir: PathBuf,
}

impl AuthServer {
    /// Starts the server, panicking with its output when it cannot.
    #[track_caller]
    pub fn start(flavor: Flavor, keys: &[TestKey], zones: &[TestZone]) -> Self {
        match Self::try_start(flavor, keys, zones) {
            Ok(server) => server,
            Err(error) => panic!("{error}"),
        }
    }

    /// Starts the server on a free port, trying another port when the
    /// chosen one was taken in the meantime.
    pub fn try_start(
        flavor: Flavor,
        keys: &[TestKey],
        zones: &[TestZone],
    ) -> Result<Self, PeerError> {
        let program = Path::new(flavor.program());
        if !program.is_file() {
            return Err(PeerError::NotInstalled {
                name: flavor.short().into(),
                path: program.to_owned(),
                hint:
                    "run scripts/test.sh, which installs BIND (bind9) and Knot (knot) from Debian"
                        .into(),
            });
        }
        let mut attempt = 1;
        loop {
            match Self::start_once(flavor, keys, zones) {
                Err(PeerError::Exited { tail, .. })
                    if tail.to_ascii_lowercase().contains("address already in use")
                        && attempt < ATTEMPTS =>
                {
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    fn start_once(flavor: Flavor, keys: &[TestKey], zones: &[TestZone]) -> Result<Self, PeerError> {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .map_err(PeerError::io("finding a free port on 127.0.0.1"))?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let dir = tmp_dir().join(format!("{}-{port}", flavor.short()));
        let _ = fs::remove_dir_all(&dir);
        let io = |what: &'static str| PeerError::io(what);
        for sub in ["zones", "run", "db"] {
            fs::create_dir_all(dir.join(sub)).map_err(io("creating the server's folder"))?;
        }
        for zone in zones {
            fs::write(
                dir.join("zones").join(format!("{}.zone", zone.name)),
                zone.file(),
            )
            .map_err(io("writing a zone file"))?;
        }
        // Each zone's "loaded" line: ready once every zone has one.
        let counter = Arc::new(AtomicUsize::new(0));
        let expected = zones.len();
        let (config, pidfile, args, marker): (_, _, Vec<String>, &'static str) = match flavor {
            Flavor::Bind9 => {
                let conf = dir.join("named.conf");
                (
                    (conf.clone(), bind_config(&dir, port, keys, zones)),
                    dir.join("named.pid"),
                    vec!["-g".into(), "-c".into(), conf.display().to_string()],
                    "loaded serial",
                )
            }
            Flavor::Knot => {
                let conf = dir.join("knot.conf");
                (
                    (conf.clone(), knot_config(&dir, port, keys, zones)),
                    dir.join("knotd.pid"),
                    vec!["-c".into(), conf.display().to_string()],
                    "loaded, serial",
                )
            }
        };
        fs::write(&config.0, config.1).map_err(io("writing the server's configuration"))?;
        let peer = PeerCommand::new(flavor.short(), flavor.program())
            .args(args)
            .pidfile(pidfile)
            .log_file(dir.join("server.log"))
            .ready_when(Ready::log_line(move |line| {
                if line.contains(marker) {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
                counter.load(Ordering::SeqCst) >= expected
            }))
            .ready_when(Ready::TcpPort(addr))
            .start()?;
        Ok(Self {
            peer: Some(peer),
            flavor,
            addr,
            dir,
        })
    }

    /// Where the server answers (UDP and TCP).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Which server this is.
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// The server's output so far.
    pub fn log(&self) -> String {
        self.peer.as_ref().map(Peer::log).unwrap_or_default()
    }
}

impl fmt::Debug for AuthServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthServer")
            .field("flavor", &self.flavor)
            .field("addr", &self.addr)
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Drop for AuthServer {
    fn drop(&mut self) {
        if let Some(peer) = self.peer.take() {
            peer.stop();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn bind_config(dir: &Path, port: u16, keys: &[TestKey], zones: &[TestZone]) -> String {
    let d = dir.display();
    let mut out = String::new();
    for key in keys {
        out.push_str(&format!(
            "key \"{}\" {{ algorithm {}; secret \"{}\"; }};\n",
            key.name, key.algorithm, key.secret
        ));
    }
    // The peer harness records the PID itself (pid-file none). Large
    // test sets need the per-name limits of 9.18 lifted. check-integrity
    // would refuse (REFUSED) an MX or NS update whose in-zone target has
    // no address, and the suites write targets without addresses.
    out.push_str(&format!(
        "options {{\n  directory \"{d}/zones\";\n  pid-file none;\n  session-keyfile \"{d}/run/session.key\";\n  \
         managed-keys-directory \"{d}/run\";\n  listen-on port {port} {{ 127.0.0.1; }};\n  listen-on-v6 {{ none; }};\n  \
         recursion no;\n  check-integrity no;\n  dnssec-validation no;\n  notify no;\n  max-records-per-type 0;\n  max-types-per-name 0;\n}};\n\
         controls {{ }};\n"
    ));
    for zone in zones {
        let acl = zone
            .key
            .as_ref()
            .map_or_else(|| "none;".to_owned(), |k| format!("key \"{k}\";"));
        out.push_str(&format!(
            "zone \"{0}\" {{ type primary; file \"{0}.zone\"; allow-update {{ {acl} }}; allow-transfer {{ {acl} }}; }};\n",
            zone.name
        ));
    }
    out
}

fn knot_config(dir: &Path, port: u16, keys: &[TestKey], zones: &[TestZone]) -> String {
    let d = dir.display();
    let mut out = format!(
        "server:\n  rundir: \"{d}/run\"\n  listen: 127.0.0.1@{port}\n\
         control:\n  listen: \"{d}/run/knot.sock\"\n\
         database:\n  storage: \"{d}/db\"\n\
         log:\n  - target: stdout\n    any: info\n"
    );
    if !keys.is_empty() {
        out.push_str("key:\n");
        for key in keys {
            out.push_str(&format!(
                "  - id: {}\n    algorithm: {}\n    secret: {}\n",
                key.name, key.algorithm, key.secret
            ));
        }
        out.push_str("acl:\n");
        for key in keys {
            out.push_str(&format!(
                "  - id: acl-{0}\n    address: 127.0.0.1\n    key: {0}\n    action: [update, transfer]\n",
                key.name
            ));
        }
    }
    // Updates stay in the journal (never written back to the zone file):
    // rewriting a 10,000-set file after every update is slow and tests
    // do not read the file.
    out.push_str(&format!(
        "template:\n  - id: default\n    storage: \"{d}/zones\"\n    file: \"%s.zone\"\n    \
         zonefile-sync: -1\n    journal-content: changes\nzone:\n"
    ));
    for zone in zones {
        out.push_str(&format!("  - domain: {}\n", zone.name));
        if let Some(key) = &zone.key {
            out.push_str(&format!("    acl: acl-{key}\n"));
        }
    }
    out
}
