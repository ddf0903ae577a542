//! A moto server (the Route 53 emulator from PyPI) on a free port, killed by
//! its PID when dropped.
//!
//! `scripts/test.sh` installs moto into `target/peers/moto` (a Python
//! virtual environment); `MOTO_SERVER` may name another `moto_server`. A
//! missing moto fails the test with instructions: these tests never pass
//! without their peer.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dns_core::{Name, Zone};
use dns_route53::{Route53Builder, Route53Provider};

/// A running `moto_server`.
pub(crate) struct Moto {
    child: Child,
    port: u16,
}

fn moto_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("MOTO_SERVER") {
        return PathBuf::from(path);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/peers/moto/bin/moto_server")
}

impl Moto {
    /// Starts moto and waits until it accepts connections.
    pub(crate) fn start() -> Self {
        let binary = moto_binary();
        assert!(
            binary.exists(),
            "moto_server not found at {} — run scripts/test.sh (it installs moto into \
             target/peers/moto) or set MOTO_SERVER",
            binary.display()
        );
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new(&binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        // The test script stops servers a killed test run left behind by
        // these PIDs.
        let pidfile = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("moto-{port}.pid"));
        let _ = std::fs::write(&pidfile, child.id().to_string());
        let moto = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            assert!(Instant::now() < deadline, "moto did not start within 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        moto
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A provider talking to this moto with test credentials.
    pub(crate) async fn provider(
        &self,
        configure: impl FnOnce(Route53Builder) -> Route53Builder,
    ) -> Route53Provider {
        configure(
            Route53Builder::new()
                .with_endpoint_url(self.endpoint())
                .with_credentials("AKIDMOTOTEST", "moto-test-secret")
                .with_backoff(Duration::from_millis(20), Duration::from_millis(200)),
        )
        .build()
        .await
        .expect("provider")
    }

    /// Creates a public hosted zone through the SDK.
    pub(crate) async fn create_zone(provider: &Route53Provider, apex: &str) -> Zone {
        let out = provider
            .client()
            .create_hosted_zone()
            .name(apex)
            .caller_reference(format!("test-{apex}-{}", std::process::id()))
            .send()
            .await
            .expect("CreateHostedZone");
        let zone = out.hosted_zone().expect("zone in answer");
        let id = zone.id().trim_start_matches("/hostedzone/");
        Zone::new(id, Name::parse(apex).expect("apex"))
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("moto-{}.pid", self.port)),
        );
    }
}
