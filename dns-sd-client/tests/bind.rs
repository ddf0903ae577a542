//! The client against a server nobody here wrote: BIND 9, serving a DNS-SD
//! zone written by dns-core's own zone-file output, case preserved, updated
//! with RFC 2136 (nsupdate) while a watcher runs.
//!
//! Needs `named` and `nsupdate` (Debian: bind9, bind9-utils,
//! bind9-dnsutils); `scripts/test.sh` installs them. Each test starts its own
//! `named` on a free port and stops it by PID when done. A missing `named`
//! fails the tests: they never pass without their peer.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly too"
)]

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dns_core::{Name, RData, RecordSet, RecordType, ServiceType, Srv, Txt, TxtProperties};
use dns_sd_client::{DnsSdClient, WatchEvent, WatchOptions};
use futures::StreamExt;

const ZONE: &str = "dnssd.test.";
/// Test-only TSIG secret: the `named.conf` written
/// below declares it as `update-key` and `nsupdate` signs with it; it
/// protects nothing outside this throwaway server.
const TSIG: &str = "hmac-sha256:update-key:SahZkVRj0h0GCUYua7tKGF+iP4vAF9OEN/uJXMHsCQs=";

fn name(s: &str) -> Name {
    Name::parse_relative(s, &Name::parse(ZONE).unwrap()).unwrap()
}

/// A `named` process serving one zone, killed (by its PID) on drop.
struct Bind {
    child: Child,
    addr: SocketAddr,
    dir: PathBuf,
}

impl Bind {
    fn start(sets: &[RecordSet]) -> Self {
        let port = free_port();
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("bind-{port}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut zone = String::new();
        for set in sets {
            zone.push_str(&set.to_string());
        }
        std::fs::write(dir.join("zone.db"), zone).unwrap();
        let secret = TSIG.rsplit(':').next().unwrap();
        let conf = format!(
            r#"key "update-key" {{ algorithm hmac-sha256; secret "{secret}"; }};
options {{
    directory "{dir}";
    pid-file "{dir}/named.pid";
    session-keyfile "{dir}/session.key";
    managed-keys-directory "{dir}";
    listen-on port {port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
    notify no;
    max-records-per-type 0;
}};
controls {{ }};
zone "{ZONE}" {{ type primary; file "zone.db"; allow-update {{ key "update-key"; }}; }};
"#,
            dir = dir.display()
        );
        std::fs::write(dir.join("named.conf"), conf).unwrap();
        let log = std::fs::File::create(dir.join("named.log")).unwrap();
        let child = Command::new(named())
            .arg("-g")
            .arg("-c")
            .arg(dir.join("named.conf"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("could not start named: {e}"));
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        Self { child, addr, dir }
    }

    async fn ready(&mut self) {
        let probe = DnsSdClient::builder()
            .with_name_server(self.addr)
            .with_timeout(Duration::from_millis(200))
            .with_attempts(1)
            .with_cache_size(0)
            .build()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("named exited ({status}):\n{}", self.log());
            }
            let apex = Name::parse(ZONE).unwrap();
            if probe
                .lookup(&apex, RecordType::SOA)
                .await
                .is_ok_and(|records| !records.is_empty())
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "named never answered:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("named.log")).unwrap_or_default()
    }

    /// Sends an RFC 2136 update signed with the test key.
    fn nsupdate(&self, commands: &str) {
        let script = format!(
            "server 127.0.0.1 {}\nzone {ZONE}\n{commands}\nsend\n",
            self.addr.port()
        );
        let mut child = Command::new("nsupdate")
            .arg("-y")
            .arg(TSIG)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("nsupdate (bind9-dnsutils) must be installed: run scripts/test.sh");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "nsupdate failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Bind {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Keep the log of a failed test; a passing one leaves nothing behind.
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn named() -> PathBuf {
    for dir in ["/usr/sbin", "/usr/bin", "/usr/local/sbin"] {
        let p = PathBuf::from(dir).join("named");
        if p.exists() {
            return p;
        }
    }
    panic!(
        "BIND's `named` is not installed: run scripts/test.sh, or apt-get install bind9 bind9-utils bind9-dnsutils"
    );
}

/// A port free for both UDP and TCP right now.
fn free_port() -> u16 {
    loop {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

fn set(owner: &str, ttl: u32, values: impl IntoIterator<Item = RData>) -> RecordSet {
    RecordSet::new(name(owner), ttl, values).unwrap()
}

fn srv(prio: u16, weight: u16, port: u16, host: &str) -> RData {
    RData::SRV(Srv::new(prio, weight, port, name(host)))
}

fn a(ip: &str) -> RData {
    RData::A(ip.parse().unwrap())
}

/// The zone: three `_http._tcp` instances with awkward names, one
/// `_ldap._tcp` deliberately unavailable, and 100 `_big._tcp` instances (BIND 9.18 refuses more than 100 records of one type by default; 100 is still 3 kB, far over the UDP limit).
fn zone() -> Vec<RecordSet> {
    let soa = RData::parse(
        RecordType::SOA,
        "ns1.dnssd.test. hostmaster.dnssd.test. 1 3600 600 86400 1",
    )
    .unwrap();
    let web = r"My\032Web._http._tcp";
    let buero = r"B\195\188ro\0322\.OG._http._tcp";
    let mut sets = vec![
        set("@", 300, [soa]),
        set("@", 300, [RData::NS(name("ns1"))]),
        set("ns1", 300, [a("127.0.0.1")]),
        set(
            "_services._dns-sd._udp",
            1,
            [
                RData::PTR(name("_http._tcp")),
                RData::PTR(name("_big._tcp")),
            ],
        ),
        set(
            "_http._tcp",
            1,
            [RData::PTR(name(web)), RData::PTR(name(buero))],
        ),
        set(
            web,
            1,
            [srv(0, 10, 8080, "host"), srv(0, 30, 8081, "host2")],
        ),
        set(
            web,
            1,
            [RData::TXT(
                Txt::new([&b"path=/"[..], b"txtvers=1", b"secure"]).unwrap(),
            )],
        ),
        set(buero, 1, [srv(1, 0, 631, "Printer-Host")]),
        set(buero, 1, [RData::TXT(Txt::empty())]),
        set("host", 1, [a("192.0.2.10")]),
        set("host", 1, [RData::AAAA("2001:db8::10".parse().unwrap())]),
        set("host2", 1, [a("192.0.2.11")]),
        set("Printer-Host", 1, [a("192.0.2.12")]),
        set(
            "_ldap._tcp",
            1,
            [RData::SRV(Srv::new(0, 0, 0, Name::root()))],
        ),
    ];
    let big: Vec<RData> = (0..100)
        .map(|i| RData::PTR(name(&format!("Instance\\032number\\032{i:03}._big._tcp"))))
        .collect();
    sets.push(set("_big._tcp", 1, big));
    sets
}

fn client(bind: &Bind) -> DnsSdClient {
    DnsSdClient::builder()
        .with_name_server(bind.addr)
        .with_timeout(Duration::from_secs(2))
        .build()
        .unwrap()
}

fn http() -> ServiceType {
    "_http._tcp".parse().unwrap()
}

#[tokio::test]
async fn browse_resolve_discover_against_bind() {
    let mut bind = Bind::start(&zone());
    bind.ready().await;
    let c = client(&bind);
    let domain = Name::parse(ZONE).unwrap();

    let mut types = c.enumerate(&domain).await.unwrap();
    types.sort();
    assert_eq!(types, vec![name("_big._tcp"), name("_http._tcp")]);

    let names = c.browse(&http(), &domain).await.unwrap();
    let labels: Vec<&[u8]> = names.iter().map(|n| n.labels()[0].as_bytes()).collect();
    assert!(
        labels.contains(&&b"My Web"[..]),
        "BIND keeps case and spaces: {names:?}"
    );
    assert!(labels.contains(&"Büro 2.OG".as_bytes()), "{names:?}");

    let web = c.resolve(&name(r"My\032Web._http._tcp")).await.unwrap();
    assert_eq!(web.instance_label().unwrap().as_bytes(), b"My Web");
    assert_eq!(web.targets.len(), 2);
    assert_eq!(web.targets[0].port(), 8080);
    let mut addrs = web.targets[0].addresses.clone();
    addrs.sort();
    assert_eq!(
        addrs,
        vec![
            "192.0.2.10".parse::<std::net::IpAddr>().unwrap(),
            "2001:db8::10".parse().unwrap()
        ]
    );
    assert_eq!(web.txt.get_str("path"), Some("/"));
    assert!(web.txt.contains_key("secure"));
    assert_eq!(
        web.txt,
        TxtProperties::new()
            .with("path", "/")
            .unwrap()
            .with("txtvers", "1")
            .unwrap()
            .with_flag("secure")
            .unwrap()
    );

    let found = c.discover(&http(), &domain).await.unwrap();
    assert!(found.is_complete(), "{:?}", found.failures);
    assert_eq!(found.instances.len(), 2);
    let buero = found.instance("Büro 2.OG").unwrap();
    assert_eq!(
        buero.targets[0].host().to_string(),
        "Printer-Host.dnssd.test."
    );
    assert_eq!(
        buero.targets[0].addresses,
        vec!["192.0.2.12".parse::<std::net::IpAddr>().unwrap()]
    );
    assert!(buero.txt.is_empty());

    let ldap = c.resolve(&name("_ldap._tcp")).await.unwrap();
    assert!(ldap.is_unavailable());
}

#[tokio::test]
async fn tcp_fallback_against_bind() {
    let mut bind = Bind::start(&zone());
    bind.ready().await;
    // The proxy's log says which transport each question came over.
    let proxy = dns_testkit::DelayProxy::start(bind.addr, Duration::ZERO)
        .await
        .unwrap();
    let domain = Name::parse(ZONE).unwrap();
    for edns in [false, true] {
        proxy.reset();
        let c = DnsSdClient::builder()
            .with_name_server(proxy.addr())
            .with_edns(edns)
            .with_browse_over_tcp(false)
            .build()
            .unwrap();
        let names = c
            .browse(&"_big._tcp".parse().unwrap(), &domain)
            .await
            .unwrap();
        assert_eq!(names.len(), 100, "edns {edns}");
        assert!(
            names
                .iter()
                .any(|n| n.labels()[0].as_bytes() == b"Instance number 099")
        );
        // Asked over UDP first, truncated (3 kB), then again over TCP.
        let transports: Vec<dns_testkit::Transport> =
            proxy.log().iter().map(|q| q.transport).collect();
        assert_eq!(
            transports,
            [dns_testkit::Transport::Udp, dns_testkit::Transport::Tcp],
            "edns {edns}"
        );
    }
}

#[tokio::test]
async fn nsupdate_shows_up_in_watch() {
    let mut bind = Bind::start(&zone());
    bind.ready().await;
    let c = client(&bind);
    let domain = Name::parse(ZONE).unwrap();
    let options = WatchOptions::default().with_min_interval(Duration::from_millis(200));
    let mut events = Box::pin(c.watch_with(&http(), &domain, options).unwrap());
    let mut initial = Vec::new();
    for _ in 0..2 {
        match tokio::time::timeout(Duration::from_secs(10), events.next()).await {
            Ok(Some(Ok(WatchEvent::Added(i)))) => initial.push(i.name),
            other => panic!("{other:?}"),
        }
    }
    bind.nsupdate(
        "update add _http._tcp.dnssd.test. 1 IN PTR Printer._http._tcp.dnssd.test.\n\
         update add Printer._http._tcp.dnssd.test. 1 IN SRV 0 0 631 host.dnssd.test.\n\
         update add Printer._http._tcp.dnssd.test. 1 IN TXT \"rp=ipp/print\"",
    );
    match tokio::time::timeout(Duration::from_secs(10), events.next()).await {
        Ok(Some(Ok(WatchEvent::Added(i)))) => {
            assert_eq!(i.name, name("Printer._http._tcp"));
            assert_eq!(i.txt.get_str("rp"), Some("ipp/print"));
            assert_eq!(i.targets[0].port(), 631);
            assert_eq!(i.targets[0].addresses.len(), 2);
        }
        other => panic!("expected the added printer: {other:?}"),
    }
    bind.nsupdate("update delete Printer._http._tcp.dnssd.test. SRV");
    match tokio::time::timeout(Duration::from_secs(10), events.next()).await {
        Ok(Some(Ok(WatchEvent::Removed(i)))) => assert_eq!(i.name, name("Printer._http._tcp")),
        other => panic!("expected the printer removed: {other:?}"),
    }
}

/// `_scale._tcp`: 998 instances on IPv4-only hosts, one on a dual-stack host
/// and one on a host with 60 AAAA records (more than a UDP answer's
/// additional section could carry).
fn scale_zone() -> Vec<RecordSet> {
    let soa = RData::parse(
        RecordType::SOA,
        "ns1.dnssd.test. hostmaster.dnssd.test. 1 3600 600 86400 1",
    )
    .unwrap();
    let mut sets = vec![
        set("@", 300, [soa]),
        set("@", 300, [RData::NS(name("ns1"))]),
        set("ns1", 300, [a("127.0.0.1")]),
    ];
    let mut ptrs = Vec::new();
    for i in 0..1000u16 {
        let instance = format!("i{i}._scale._tcp");
        let host = format!("h{i}");
        ptrs.push(RData::PTR(name(&instance)));
        sets.push(set(&instance, 60, [srv(0, 0, 9000 + i, &host)]));
        sets.push(set(
            &instance,
            60,
            [RData::TXT(Txt::new([format!("n={i}").as_bytes()]).unwrap())],
        ));
        sets.push(set(
            &host,
            60,
            [a(&format!("10.0.{}.{}", i / 250, i % 250 + 1))],
        ));
    }
    sets.push(set(
        "h998",
        60,
        [RData::AAAA("2001:db8::98".parse().unwrap())],
    ));
    let many: Vec<RData> = (1..=60u16)
        .map(|i| RData::AAAA(format!("2001:db8:41::{i:x}").parse().unwrap()))
        .collect();
    sets.push(set("h999", 60, many));
    sets.push(set("_scale._tcp", 60, ptrs));
    sets
}

/// Concurrent queries at the proxy at most, from its log.
fn most_in_flight(log: &[dns_testkit::QueryLogEntry]) -> usize {
    log.iter()
        .map(|q| {
            log.iter()
                .filter(|o| o.received <= q.received && o.answered.is_none_or(|a| a > q.received))
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// A large wave is pipelined over TCP, whose small authoritative answers
/// bring every address of their targets: BIND adds them (RFC 6763 section
/// 12.2), so no address question is asked, IPv6 addresses included. The
/// wave goes 192 questions at a time on 8 connections, each opened by one
/// question alone while the others meant for it go over UDP, with no
/// connection opened twice and no question resent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_service_costs_no_address_question_over_tcp_against_bind() {
    const QUESTIONS: usize = 2 * 1000;
    let mut bind = Bind::start(&scale_zone());
    bind.ready().await;
    let proxy = dns_testkit::DelayProxy::start(bind.addr, Duration::from_millis(5))
        .await
        .unwrap();
    let discover = |client: DnsSdClient| async move {
        let found = client
            .discover(&"_scale._tcp".parse().unwrap(), &Name::parse(ZONE).unwrap())
            .await
            .unwrap();
        assert!(found.is_complete(), "{:?}", found.failures);
        assert_eq!(found.instances.len(), 1000);
        found
    };
    let builder = || {
        DnsSdClient::builder()
            .with_name_server(proxy.addr())
            .with_timeout(Duration::from_secs(2))
            .with_cache_size(0)
    };
    let distinct = |log: &[dns_testkit::QueryLogEntry]| {
        log.iter()
            .map(|q| (q.name.clone(), q.record_type))
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };

    let client = builder().build().unwrap();
    discover(client.clone()).await;
    // One connection per lane, each opened once. Without lanes, a burst of
    // more than 32 questions on one connection is taken by hickory for a
    // broken connection, and every later question opens its own.
    assert!(
        proxy.tcp_connections() <= 8,
        "{} connections",
        proxy.tcp_connections()
    );
    let log = proxy.log();
    assert_eq!(log.len(), distinct(&log), "no question resent");

    proxy.reset();
    let opened = proxy.tcp_connections();
    let found = discover(client).await;
    let v6 = |label: &str| {
        found.instance(label).unwrap().targets[0]
            .addresses
            .iter()
            .filter(|a| a.is_ipv6())
            .count()
    };
    assert_eq!((v6("i0"), v6("i998"), v6("i999")), (0, 1, 60));
    assert_eq!(found.instance("i7").unwrap().targets[0].port(), 9007);
    let log = proxy.log();
    let of = |t: RecordType| log.iter().filter(|q| q.record_type == t).count();
    assert_eq!((of(RecordType::SRV), of(RecordType::TXT)), (1000, 1000));
    assert_eq!(
        of(RecordType::A) + of(RecordType::AAAA),
        0,
        "address questions"
    );
    assert!(
        log.iter()
            .all(|q| q.transport == dns_testkit::Transport::Tcp),
        "every question over TCP once the connections are open"
    );
    assert_eq!(proxy.tcp_connections(), opened, "the connections are kept");
    // 192 questions in flight (8 connections of 24), no more; round trips
    // say little here: a slot freed by a quick answer starts a chain of
    // its own.
    assert!(
        (150..=192).contains(&most_in_flight(&log)),
        "{} at most in flight",
        most_in_flight(&log)
    );

    // The in-flight bound holds on the wire, and still nothing is lost.
    proxy.reset();
    discover(builder().with_max_in_flight(64).build().unwrap()).await;
    let log = proxy.log();
    assert_eq!(log.len(), distinct(&log), "no question resent");
    assert!(most_in_flight(&log) <= 64, "{}", most_in_flight(&log));
    assert!(
        proxy.round_trips() > QUESTIONS / 64,
        "{}",
        proxy.round_trips()
    );

    // Straight to BIND, without the proxy in between.
    let direct = DnsSdClient::builder()
        .with_name_server(bind.addr)
        .with_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let found = discover(direct).await;
    assert_eq!(
        found.instance("i999").unwrap().targets[0].addresses.len(),
        61
    );
}
