//! DNS-SD discovery at scale, side by side with other clients.
//!
//! BIND 9 serves `_http._tcp.example.test` with N instances (`i0` to `i<N-1>`,
//! SRV port 8000+i on `host-i`, TXT `n=i`, one A record per host, no AAAA)
//! behind a [`DelayProxy`] that holds every query 5 ms. For each N, every
//! client discovers the service once per round, the clients interleaved
//! (A, B, C, A, B, C, ...), so a slow moment of the machine falls on all of
//! them alike.
//!
//! Every client, ours included, runs as its own process with the same
//! command line, `CLIENT SERVER_IP PORT SERVICE_NAME N RUNS`, and measures
//! itself: the clock starts just before its first question and stops when
//! it has the whole answer (the PTR set, SRV and TXT of each instance, the
//! addresses of each target), so interpreter start-up, building the
//! resolver and printing are outside it. For each run a client prints a line
//! `r PORT ADDRESS INSTANCE-LABEL` per address found, then
//! `ELAPSED_MS RESOLVED`. The harness checks those lines, not the count: a
//! run counts only when every one of the N instances came back with its
//! port (8000+i) and its address. Any other run is a failed run, reported
//! with the client's error output; the table still prints, and the bench
//! then exits non-zero.
//!
//! The clients:
//! - `ours`: this benchmark's own executable, started again with
//!   `SCALE_BENCH_CLIENT=ours`: a fresh `DnsSdClient` per run (cache size
//!   0) on a multi-thread tokio runtime, `discover`.
//! - `dnspython-seq` and `dnspython-async`: `benches/peers/discover_seq.py`
//!   and `discover_async.py` run by the Python in `BENCH_PYTHON` (a venv
//!   with dnspython; `scripts/discovery-bench.sh` makes it). Required.
//! - `go`: the program built from `benches/peers/discover.go`, at the
//!   path in `BENCH_GO_CLIENT`. Optional: without it the bench says so
//!   and runs without Go.
//!
//! Per client the table also gives the queries the proxy received against
//! the distinct questions among them, by name, type and transport (the
//! difference is resends; asking again over TCP after a truncated UDP
//! answer is a new question, not a resend), summed over the rounds, and the
//! growth of `RcvbufErrors` in `/proc/net/snmp` during its runs: UDP
//! datagrams dropped because a socket's receive buffer was full. That
//! counter is machine-wide (the client's, the proxy's and BIND's sockets,
//! and anything else running), not the client's alone. A query dropped
//! that way at the proxy's socket never reaches the proxy's log, so the
//! client's resend of it counts there as a first question: resends the
//! proxy sees are only those whose first copy it received.
//!
//! ```text
//! scripts/discovery-bench.sh                       # N = 10, 50, 200, 1000, 2000; 10 rounds
//! BENCH_N=10,50 BENCH_RUNS=3 scripts/discovery-bench.sh
//! BENCH_N=10 BENCH_RUNS=1 BENCH_EXPECT_MORE=1 scripts/discovery-bench.sh  # the check's self-test
//! ```
//!
//! `BENCH_EXPECT_MORE=k` makes the check expect N + k instances while the
//! zone has N: every run of every client must then fail (and the bench
//! exit non-zero), which shows the check catches a missing instance.
#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a benchmark fails loudly and prints its figures"
)]

use std::collections::{BTreeSet, HashSet};
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use dns_core::{Name, ServiceType};
use dns_sd_client::DnsSdClient;
use dns_testkit::DelayProxy;
use dns_testkit::authoritative::{AuthServer, Flavor, TestZone};
use tokio::runtime::Runtime;

const DELAY: Duration = Duration::from_millis(5);
const SERVICE: &str = "_http._tcp.example.test";
/// Instance names are short (`i1999`): BIND 9.18 holds at most 64 KiB of
/// uncompressed RDATA in one RRset, and `i1999._http._tcp.example.test.`
/// takes 31 octets, so 2,000 fit (`Instance 1999` would stop at 1,600).
const DEFAULT_N: &[usize] = &[10, 50, 200, 1000, 2000];
const DEFAULT_RUNS: usize = 10;
/// A run that takes longer than this is killed and counted as failed (the
/// sequential client needs about 52 s at N = 2000).
const RUN_TIMEOUT: Duration = Duration::from_secs(300);

fn main() -> ExitCode {
    if std::env::var("SCALE_BENCH_CLIENT").as_deref() == Ok("ours") {
        run_ours();
        return ExitCode::SUCCESS;
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing
    // of the kind and only wants to know the bench builds and starts.
    if !std::env::args().any(|a| a == "--bench") {
        println!("scale: run with `cargo bench --bench scale` (see scripts/discovery-bench.sh)");
        return ExitCode::SUCCESS;
    }
    harness()
}

// ---------------------------------------------------------------- ours

/// The client side of `ours`: same command line and output as the peers.
fn run_ours() {
    let args: Vec<String> = std::env::args().collect();
    let [_, ip, port, service, _n, runs] = &args[..] else {
        panic!("usage: SCALE_BENCH_CLIENT=ours scale SERVER_IP PORT SERVICE_NAME N RUNS");
    };
    let server = SocketAddr::new(ip.parse().unwrap(), port.parse().unwrap());
    let (service, domain) = ServiceType::split_name(&Name::parse(service).unwrap()).unwrap();
    let rt = Runtime::new().unwrap();
    for _ in 0..runs.parse::<usize>().unwrap() {
        let client = rt.block_on(async {
            DnsSdClient::builder()
                .with_name_server(server)
                .with_cache_size(0)
                .with_max_in_flight(
                    std::env::var("BENCH_INFLIGHT")
                        .ok()
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(dns_sd_client::DEFAULT_MAX_IN_FLIGHT),
                )
                .build()
                .unwrap()
        });
        let start = Instant::now();
        let found = rt.block_on(client.discover(&service, &domain));
        let elapsed = start.elapsed();
        let mut out = String::new();
        let mut resolved = 0;
        match found {
            Ok(found) => {
                for failure in &found.failures {
                    eprintln!(
                        "lookup failed: {} {:?}: {}",
                        failure.name, failure.record_type, failure.error
                    );
                }
                for instance in &found.instances {
                    let label = instance
                        .instance_label()
                        .map(|l| format!("{l:#}"))
                        .unwrap_or_default();
                    let mut any = false;
                    for target in &instance.targets {
                        for addr in target.socket_addrs() {
                            any = true;
                            out.push_str(&format!("r {} {} {label}\n", target.port(), addr.ip()));
                        }
                    }
                    resolved += usize::from(any);
                }
            }
            Err(error) => eprintln!("error: {error}"),
        }
        print!("{out}");
        println!("{:.3} {resolved}", elapsed.as_secs_f64() * 1000.0);
        drop(client);
    }
}

// ------------------------------------------------------------- harness

#[derive(Debug)]
struct Client {
    name: &'static str,
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(&'static str, &'static str)>,
}

#[derive(Debug, Default)]
struct Tally {
    times_ms: Vec<f64>,
    failed: Vec<String>,
    queries: u64,
    distinct: u64,
    rcvbuf_errors: u64,
}

fn harness() -> ExitCode {
    let ns = env_list("BENCH_N").unwrap_or_else(|| DEFAULT_N.to_vec());
    let runs = env_list("BENCH_RUNS")
        .and_then(|r| r.first().copied())
        .unwrap_or(DEFAULT_RUNS);
    let clients = match clients() {
        Ok(clients) => only(clients),
        Err(error) => {
            eprintln!("scale: {error}");
            return ExitCode::FAILURE;
        }
    };
    if !Path::new("/usr/sbin/named").is_file() {
        eprintln!(
            "scale: BIND 9 (/usr/sbin/named) is not installed; run scripts/discovery-bench.sh"
        );
        return ExitCode::FAILURE;
    }
    println!(
        "DNS-SD discovery of N instances from BIND 9 behind a {} ms proxy; {runs} interleaved rounds per N",
        DELAY.as_millis()
    );
    println!(
        "clients: {}",
        clients
            .iter()
            .map(|c| c.name)
            .collect::<Vec<_>>()
            .join(", ")
    );
    // A self-test of the answer check: expect more instances than the zone
    // has, so that every client's every run must fail.
    let expect_more = env_list("BENCH_EXPECT_MORE")
        .and_then(|e| e.first().copied())
        .unwrap_or(0);
    if expect_more > 0 {
        println!("self-test: expecting N + {expect_more} instances, so every run must fail");
    }
    let rt = Runtime::new().unwrap();
    let mut any_failed = false;
    for &n in &ns {
        let bind = AuthServer::start(
            Flavor::Bind9,
            &[],
            &[TestZone::new("example.test").with_records(&zone_records(n))],
        );
        if let Err(log) = zone_loaded(&bind) {
            eprintln!("scale: N={n}: BIND did not load the zone:\n{log}");
            return ExitCode::FAILURE;
        }
        let proxy = rt.block_on(DelayProxy::start(bind.addr(), DELAY)).unwrap();
        let mut tallies: Vec<Tally> = clients.iter().map(|_| Tally::default()).collect();
        let started = Instant::now();
        for round in 0..runs {
            for (client, tally) in clients.iter().zip(&mut tallies) {
                proxy.reset();
                let before = rcvbuf_errors();
                let outcome = run_once(client, proxy.addr(), n, n + expect_more);
                tally.rcvbuf_errors += rcvbuf_errors().saturating_sub(before);
                let log = proxy.log();
                tally.queries += proxy.queries();
                tally.distinct += log
                    .iter()
                    .map(|e| {
                        let name = e.name.to_string().to_ascii_lowercase();
                        (name, e.record_type, e.transport)
                    })
                    .collect::<HashSet<_>>()
                    .len() as u64;
                match outcome {
                    Ok(ms) => tally.times_ms.push(ms),
                    Err(why) => {
                        eprintln!(
                            "FAILED RUN: N={n} round {} client {}: {why}",
                            round + 1,
                            client.name
                        );
                        tally.failed.push(why);
                    }
                }
            }
        }
        print_table(n, runs, &clients, &tallies, started.elapsed());
        any_failed |= tallies.iter().any(|t| !t.failed.is_empty());
        rt.block_on(proxy.stop());
        drop(bind);
    }
    if any_failed {
        eprintln!("scale: some runs failed (see FAILED RUN above): their times are not counted");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// The clients named in `BENCH_CLIENTS` (all by default), for a quick
/// look at some of them; the peers are still required to be installed.
fn only(clients: Vec<Client>) -> Vec<Client> {
    let Ok(wanted) = std::env::var("BENCH_CLIENTS") else {
        return clients;
    };
    let wanted: Vec<&str> = wanted.split(',').map(str::trim).collect();
    for w in &wanted {
        assert!(
            clients.iter().any(|c| c.name == *w),
            "BENCH_CLIENTS: no client {w}"
        );
    }
    clients
        .into_iter()
        .filter(|c| wanted.contains(&c.name))
        .collect()
}

/// Waits until BIND says whether it loaded the zone (it is ready, for the
/// peer harness, once it answers on TCP, which it does without the zone).
fn zone_loaded(bind: &AuthServer) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let log = bind.log();
        if log.contains("zone example.test/IN: loaded serial") {
            return Ok(());
        }
        if log.contains("zone example.test/IN: not loaded") || Instant::now() > deadline {
            let lines: Vec<&str> = log.lines().filter(|l| l.contains("example.test")).collect();
            return Err(lines.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn env_list(var: &str) -> Option<Vec<usize>> {
    let value = std::env::var(var).ok()?;
    Some(
        value
            .split(',')
            .map(|s| {
                s.trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("{var}={value}: numbers separated by commas"))
            })
            .collect(),
    )
}

fn clients() -> Result<Vec<Client>, String> {
    let peers = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peers");
    let mut clients = vec![Client {
        name: "ours",
        program: std::env::current_exe().map_err(|e| e.to_string())?,
        args: vec![],
        env: vec![("SCALE_BENCH_CLIENT", "ours")],
    }];
    let python = std::env::var("BENCH_PYTHON").map_err(|_| {
        "BENCH_PYTHON is not set: it names a Python with dnspython; run scripts/discovery-bench.sh"
            .to_owned()
    })?;
    let check = Command::new(&python)
        .args(["-c", "import dns.asyncresolver, dns.resolver"])
        .status()
        .map_err(|e| format!("BENCH_PYTHON={python}: {e}"))?;
    if !check.success() {
        return Err(format!("BENCH_PYTHON={python} cannot import dnspython"));
    }
    for (name, script) in [
        ("dnspython-seq", "discover_seq.py"),
        ("dnspython-async", "discover_async.py"),
    ] {
        clients.push(Client {
            name,
            program: PathBuf::from(&python),
            args: vec![peers.join(script).display().to_string()],
            env: vec![],
        });
    }
    match std::env::var("BENCH_GO_CLIENT") {
        Ok(go) if Path::new(&go).is_file() => clients.push(Client {
            name: "go",
            program: PathBuf::from(go),
            args: vec![],
            env: vec![],
        }),
        Ok(go) => println!("note: BENCH_GO_CLIENT={go} is not a file: running without Go"),
        Err(_) => {
            println!("note: BENCH_GO_CLIENT is not set (no Go toolchain): running without Go");
        }
    }
    Ok(clients)
}

/// The zone: PTR, SRV and TXT per instance, one A per host, no AAAA.
fn zone_records(n: usize) -> String {
    let mut zone = String::new();
    for i in 0..n {
        zone.push_str(&format!(
            "_http._tcp PTR i{i}._http._tcp\n\
             i{i}._http._tcp SRV 0 0 {} host-{i}\n\
             i{i}._http._tcp TXT \"n={i}\"\n\
             host-{i} A {}\n",
            port_of(i),
            address_of(i)
        ));
    }
    zone
}

fn port_of(i: usize) -> u16 {
    u16::try_from(8000 + i).unwrap()
}

fn address_of(i: usize) -> Ipv4Addr {
    let i = u32::try_from(i + 1).unwrap();
    Ipv4Addr::from(0x0a00_0000 | i)
}

/// One run of one client: its own time, once its answer checks out.
/// `n` instances are served, `expected` must come back (the same but in
/// the check's self-test).
fn run_once(client: &Client, proxy: SocketAddr, n: usize, expected: usize) -> Result<f64, String> {
    let mut command = Command::new(&client.program);
    command
        .args(&client.args)
        .args([
            proxy.ip().to_string(),
            proxy.port().to_string(),
            SERVICE.to_owned(),
            n.to_string(),
            "1".to_owned(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in &client.env {
        command.env(key, value);
    }
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", client.program.display()))?;
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).map(|_| s)
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).map(|_| s)
    });
    let deadline = Instant::now() + RUN_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(status);
        }
        if Instant::now() > deadline {
            // Our own child, by its handle.
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let out = out.join().unwrap().map_err(|e| e.to_string())?;
    let err = err.join().unwrap().map_err(|e| e.to_string())?;
    let tail = |s: &str| {
        let lines: Vec<&str> = s.lines().collect();
        lines[lines.len().saturating_sub(5)..].join(" | ")
    };
    let Some(status) = status else {
        return Err(format!(
            "killed after {} s; stderr: {}",
            RUN_TIMEOUT.as_secs(),
            tail(&err)
        ));
    };
    if !status.success() {
        return Err(format!("exited with {status}; stderr: {}", tail(&err)));
    }
    let (ms, reported) = out
        .lines()
        .rev()
        .find(|l| !l.starts_with("r "))
        .and_then(|l| {
            let (ms, count) = l.split_once(' ')?;
            Some((ms.parse::<f64>().ok()?, count.trim().parse::<usize>().ok()?))
        })
        .ok_or_else(|| format!("no `ELAPSED_MS RESOLVED` line; stderr: {}", tail(&err)))?;
    check_answer(&out, expected).map_err(|why| {
        format!(
            "{why} (client reported {reported} resolved, {ms:.0} ms); stderr: {}",
            tail(&err)
        )
    })?;
    Ok(ms)
}

/// Every instance 0..n with port 8000+i and address 10.x.y.z (i+1), and
/// nothing else.
fn check_answer(out: &str, n: usize) -> Result<(), String> {
    let mut good = BTreeSet::new();
    for line in out.lines().filter_map(|l| l.strip_prefix("r ")) {
        let mut parts = line.splitn(3, ' ');
        let (Some(port), Some(addr), Some(label)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(format!("malformed line `r {line}`"));
        };
        let i: usize = label
            .strip_prefix('i')
            .and_then(|rest| rest.parse().ok())
            .filter(|&i| i < n)
            .ok_or_else(|| format!("unexpected instance `{label}`"))?;
        let port: u16 = port
            .parse()
            .map_err(|_| format!("bad port in `r {line}`"))?;
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("bad address in `r {line}`"))?;
        if port != port_of(i) || addr != IpAddr::V4(address_of(i)) {
            return Err(format!(
                "instance {i}: got {addr} port {port}, want {} port {}",
                address_of(i),
                port_of(i)
            ));
        }
        good.insert(i);
    }
    if good.len() != n {
        let missing: Vec<usize> = (0..n).filter(|i| !good.contains(i)).take(5).collect();
        return Err(format!(
            "{} of {n} instances resolved with port and address; missing e.g. {missing:?}",
            good.len()
        ));
    }
    Ok(())
}

/// `Udp: ... RcvbufErrors` of /proc/net/snmp (machine-wide).
fn rcvbuf_errors() -> u64 {
    let snmp = std::fs::read_to_string("/proc/net/snmp").unwrap_or_default();
    let mut udp = snmp.lines().filter(|l| l.starts_with("Udp:"));
    let (Some(header), Some(values)) = (udp.next(), udp.next()) else {
        return 0;
    };
    header
        .split_whitespace()
        .zip(values.split_whitespace())
        .find(|(h, _)| *h == "RcvbufErrors")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
}

fn median(sorted: &[f64]) -> f64 {
    let k = sorted.len();
    if k % 2 == 1 {
        sorted[k / 2]
    } else {
        (sorted[k / 2 - 1] + sorted[k / 2]) / 2.0
    }
}

fn print_table(n: usize, runs: usize, clients: &[Client], tallies: &[Tally], took: Duration) {
    println!("\nN = {n} ({runs} rounds, {:.0} s)", took.as_secs_f64());
    println!(
        "{:<16} {:>6} {:>10} {:>10} {:>10} {:>8} {:>9} {:>9} {:>9} {:>8} {:>8}",
        "client",
        "ok",
        "median ms",
        "min ms",
        "max ms",
        "max/min",
        "vs ours",
        "queries",
        "distinct",
        "resends",
        "rcvbuf"
    );
    let ours = {
        let mut t = tallies[0].times_ms.clone();
        t.sort_by(f64::total_cmp);
        (!t.is_empty()).then(|| median(&t))
    };
    for (client, tally) in clients.iter().zip(tallies) {
        let mut t = tally.times_ms.clone();
        t.sort_by(f64::total_cmp);
        let ok = format!("{}/{}", t.len(), t.len() + tally.failed.len());
        let resends = tally.queries.saturating_sub(tally.distinct);
        let figures = if t.is_empty() {
            format!("{:>10} {:>10} {:>10} {:>8} {:>9}", "-", "-", "-", "-", "-")
        } else {
            let (med, min, max) = (median(&t), t[0], t[t.len() - 1]);
            let ratio = ours.map_or_else(|| "-".to_owned(), |o| format!("{:.2}x", med / o));
            format!(
                "{med:>10.1} {min:>10.1} {max:>10.1} {:>8.2} {ratio:>9}",
                max / min
            )
        };
        println!(
            "{:<16} {ok:>6} {figures} {:>9} {:>9} {resends:>9} {:>8}",
            client.name, tally.queries, tally.distinct, tally.rcvbuf_errors
        );
    }
}
