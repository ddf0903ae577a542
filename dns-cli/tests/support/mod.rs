//! Running the real `dnsctl` binary, with a clean environment, from async tests.
#![allow(dead_code, reason = "each test binary uses part of the support code")]

use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

/// What one run printed and how it ended.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// stdout parsed as one JSON document.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }

    /// Asserts exit status 0 and returns self.
    #[track_caller]
    pub(crate) fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "dnsctl failed:\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts the exit status and a one-line error containing every `words`.
    #[track_caller]
    pub(crate) fn fails(&self, code: i32, words: &[&str]) {
        assert_eq!(
            self.code, code,
            "exit status; stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(lines.len(), 1, "one line on stderr, got: {:?}", self.stderr);
        assert!(lines[0].starts_with("dnsctl: "), "{}", lines[0]);
        for w in words {
            assert!(lines[0].contains(w), "{:?} not in {:?}", w, lines[0]);
        }
    }
}

/// A `dnsctl` command with no credentials or provider settings inherited
/// from the machine running the tests, and no EC2 metadata lookups.
pub(crate) fn dnsctl(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dnsctl"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", env!("CARGO_TARGET_TMPDIR"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    cmd
}

/// Splits one command line into `dnsctl` arguments, so a case reads as one
/// line: `run(&argv("--server 127.0.0.1:9 pick _http._tcp.example.com"))`.
///
/// Arguments are separated by any run of whitespace (line breaks too). An
/// argument in single quotes is taken as written, spaces included
/// (`--instance 'api v1'`); `''` is an empty argument. There are no escapes:
/// a backslash is an ordinary character (`v2\032canary`). A quote anywhere
/// else, or a quote left open, panics rather than guessing.
///
/// Values go in with `format!`: `argv(&format!("--server {addr} browse x"))`.
/// Each value must be one word (or be quoted and hold no `'`), as addresses,
/// ports, zone ids and the test's temporary paths are.
#[track_caller]
pub(crate) fn argv(line: &str) -> Vec<&str> {
    let mut args = Vec::new();
    let mut rest = line.trim_start();
    while !rest.is_empty() {
        let (arg, after) = if let Some(quoted) = rest.strip_prefix('\'') {
            let end = quoted
                .find('\'')
                .unwrap_or_else(|| panic!("unterminated quote in {line:?}"));
            (&quoted[..end], &quoted[end + 1..])
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let word = &rest[..end];
            assert!(
                !word.contains('\''),
                "a quote inside {word:?} in {line:?}: quote whole arguments"
            );
            (word, &rest[end..])
        };
        assert!(
            after.is_empty() || after.starts_with(char::is_whitespace),
            "no space after the quoted {arg:?} in {line:?}"
        );
        args.push(arg);
        rest = after.trim_start();
    }
    args
}

#[test]
fn argv_splits_on_whitespace_and_keeps_quoted_arguments_whole() {
    assert_eq!(
        argv("join --service _http._tcp --port 80"),
        ["join", "--service", "_http._tcp", "--port", "80"]
    );
    assert_eq!(
        argv("  --instance   'api v1'\n\t--txt  path=/  "),
        ["--instance", "api v1", "--txt", "path=/"]
    );
    assert_eq!(argv("--txt '' x ''"), ["--txt", "", "x", ""]);
    assert_eq!(argv("' two  spaces '"), [" two  spaces "]);
    assert_eq!(
        argv(r"resolve v2\032canary._http._tcp"),
        ["resolve", r"v2\032canary._http._tcp"]
    );
    assert!(argv("").is_empty() && argv(" \n ").is_empty());
    let zone = "abc123";
    assert_eq!(
        argv(&format!("--zone-id {zone} records list")),
        ["--zone-id", "abc123", "records", "list"]
    );
    for bad in ["'open", "it's", "'a'b", "a'b c'"] {
        assert!(
            std::panic::catch_unwind(|| argv(bad)).is_err(),
            "{bad:?} is refused"
        );
    }
}

/// Runs `cmd` to completion (at most a minute).
pub(crate) async fn run_cmd(mut cmd: Command) -> Run {
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("dnsctl finished within a minute")
        .expect("dnsctl started");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `dnsctl args`.
pub(crate) async fn run(args: &[&str]) -> Run {
    run_cmd(dnsctl(args)).await
}

/// The environment that points the Route 53 backend at a fake.
pub(crate) fn route53_env(cmd: &mut Command, endpoint: &str) {
    cmd.env("AWS_ACCESS_KEY_ID", "AKIDDNSCTLTEST")
        .env("AWS_SECRET_ACCESS_KEY", "dnsctl-test-secret")
        .env("AWS_REGION", "us-east-1")
        .env("DNSCTL_ENDPOINT", endpoint);
}

/// The environment that points the Cloudflare backend at a fake.
pub(crate) fn cloudflare_env(cmd: &mut Command, endpoint: &str, token: &str) {
    cmd.env("CLOUDFLARE_API_TOKEN", token)
        .env("DNSCTL_ENDPOINT", endpoint);
}

/// An in-memory zone example.com behind a local server taking RFC 2136
/// updates from loopback: what `--provider rfc2136` tests write to.
pub(crate) async fn update_server() -> (
    dns_core::InMemoryProvider,
    dns_core::Zone,
    dns_server::ZoneServer,
) {
    let memory = dns_core::InMemoryProvider::new();
    let zone = memory
        .create_zone(dns_core::Name::parse("example.com").unwrap())
        .unwrap();
    let server = dns_server::ZoneServer::builder(memory.clone())
        .with_updates(dns_server::UpdatePolicy::loopback())
        .start()
        .await
        .unwrap();
    (memory, zone, server)
}
