//! docs/getting-started.md, "Your own DNS server, offline": every command
//! of its walkthrough runs here, in order, through the real binary, and
//! the discoveries print what the page shows. The only change is the port:
//! the page's 127.0.0.1:5300 becomes a free one, so parallel runs never
//! collide.
#![allow(clippy::unwrap_used, reason = "tests")]

mod support;

use std::process::Stdio;
use std::time::Duration;

use support::{dnsctl, run_cmd};
use tokio::io::{AsyncBufReadExt, BufReader};

const PAGE: &str = include_str!("../../docs/getting-started.md");
const MARKER: &str = "<!-- walkthrough:";

/// The commands of the `sh` blocks after the marker, up to the next
/// heading, with `\` continuations joined.
fn commands() -> Vec<String> {
    let start = PAGE.find(MARKER).expect("the walkthrough marker");
    let section = &PAGE[start..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let mut out = Vec::new();
    let mut in_block = false;
    let mut pending = String::new();
    for line in section.lines() {
        if line.starts_with("```") {
            in_block = line == "```sh";
            continue;
        }
        if !in_block || line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let line = line.trim();
        match line.strip_suffix('\\') {
            Some(part) => pending.push_str(part),
            None => {
                pending.push_str(line);
                out.push(std::mem::take(&mut pending));
            }
        }
    }
    out
}

/// The `text` block after "The two discoveries print:".
fn expected_discoveries() -> Vec<String> {
    let at = PAGE
        .find("The two discoveries print:")
        .expect("expected output");
    let block = &PAGE[at..];
    let body = &block[block.find("```text\n").unwrap() + 8..];
    let body = &body[..body.find("```").unwrap()];
    body.trim_end()
        .split("\n\n")
        .map(|s| s.trim_end().to_owned())
        .collect()
}

fn free_port() -> u16 {
    // A port free for UDP and TCP at once, as the server needs.
    for _ in 0..20 {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port")
}

#[tokio::test]
async fn the_offline_walkthrough_runs_as_written() {
    let commands = commands();
    assert!(commands.len() >= 8, "{commands:#?}");
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let argv = |command: &str| -> Vec<String> {
        let command = command.replace("127.0.0.1:5300", &addr);
        let mut words: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
        assert_eq!(words.remove(0), "dnsctl", "{command}");
        words
    };

    let serve = &commands[0];
    assert!(serve.starts_with("dnsctl serve "), "{serve}");
    let mut args = argv(serve);
    args.extend(["--listen".to_owned(), addr.clone()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut server = dnsctl(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("serve starts")
        .unwrap()
        .expect("a first line");
    assert!(first.starts_with("serving example.test. on "), "{first}");
    assert!(first.contains(&addr), "{first}");

    let mut discoveries = Vec::new();
    for command in &commands[1..] {
        let args = argv(command);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run_cmd(dnsctl(&args)).await.ok();
        if command.contains(" discover ") {
            discoveries.push(out.stdout.trim_end().to_owned());
        }
        if command.contains(" pick ") {
            assert!(
                out.stdout.contains("example.test."),
                "{command}: {}",
                out.stdout
            );
        }
    }
    assert_eq!(discoveries, expected_discoveries());

    let pid = server.id().unwrap().to_string();
    let killed = tokio::process::Command::new("kill")
        .args(["-s", "TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(30), server.wait())
        .await
        .expect("serve stops on SIGTERM")
        .unwrap();
    assert!(status.success(), "{status}");
    assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("stopped"));
}
