//! The reaper and refresh suite on the in-memory provider, with and
//! without preconditions; and the probes that need a real server (an HTTP
//! check with a path, a slow but alive target).
#![allow(clippy::unwrap_used, reason = "tests")]

use std::sync::Arc;
use std::time::Duration;

use dns_core::{
    Capabilities, Change, DnsProvider, InMemoryProvider, Name, RData, RecordSet, RecordType,
    ServiceInstance, Target,
};
use dns_sd_registry::{Check, Reaper, ServiceRegistry, reaper_suite};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_reaper_rule_on_memory_with_preconditions() {
    let memory = InMemoryProvider::new();
    let zone = memory
        .create_zone(Name::parse("reap.test").unwrap())
        .unwrap();
    let provider: Arc<dyn DnsProvider> = Arc::new(memory);
    assert!(provider.capabilities().preconditions);
    reaper_suite::run_all(&provider, &zone).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_reaper_rule_on_memory_without_preconditions() {
    let memory = InMemoryProvider::with_capabilities(
        Capabilities::default()
            .with_preconditions(false)
            .with_atomic_batches(false),
    );
    let zone = memory
        .create_zone(Name::parse("reap.test").unwrap())
        .unwrap();
    let provider: Arc<dyn DnsProvider> = Arc::new(memory);
    reaper_suite::run_all(&provider, &zone).await;
}

/// An HTTP server on 127.0.0.1 answering every request with `status`
/// after `delay`, counting the paths asked for.
async fn http_server(status: u16, delay: Duration) -> (u16, Arc<std::sync::Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let paths = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = paths.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = stream.read(&mut buf).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).into_owned();
                let path = request.split_whitespace().nth(1).unwrap_or("").to_owned();
                seen.lock().unwrap().push(path);
                tokio::time::sleep(delay).await;
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
                let _ = stream.write_all(reply.as_bytes()).await;
            });
        }
    });
    (port, paths)
}

async fn two_targets(ports: [u16; 2]) -> (InMemoryProvider, Reaper) {
    let memory = InMemoryProvider::new();
    let zone = memory
        .create_zone(Name::parse("example.com").unwrap())
        .unwrap();
    let registry = ServiceRegistry::new(Arc::new(memory.clone())).with_zone(zone);
    for (i, port) in ports.into_iter().enumerate() {
        let instance = ServiceInstance::new(
            &format!("web{i}"),
            "_http._tcp".parse().unwrap(),
            Name::parse("example.com").unwrap(),
        )
        .unwrap()
        .with_target(
            Target::new(Name::parse(&format!("h{i}.example.com")).unwrap(), port)
                .with_address("127.0.0.1".parse().unwrap()),
        );
        registry.register(&instance).await.unwrap();
    }
    let reaper = Reaper::new(registry)
        .with_service(Name::parse("_http._tcp.example.com").unwrap())
        .with_failures(2)
        .with_interval(Duration::from_millis(20));
    (memory, reaper)
}

/// The HTTP check asks for the path on the target's port and keeps a 2xx
/// answer; a 503 counts as dead.
#[tokio::test]
async fn the_http_check_gets_the_path_and_wants_2xx() {
    let (ok, ok_paths) = http_server(204, Duration::ZERO).await;
    let (failing, _) = http_server(503, Duration::ZERO).await;
    let (_memory, reaper) = two_targets([ok, failing]).await;
    let reaper = reaper.with_check(Check::http("/healthz", false).unwrap());
    let report = reaper.pass().await.unwrap();
    let service = &report.services[0];
    assert_eq!((service.checked, service.dead), (2, 1));
    assert_eq!(service.removed[0].srv.port, failing);
    assert!(
        service.removed[0].error.contains("503"),
        "{}",
        service.removed[0].error
    );
    assert_eq!(
        ok_paths.lock().unwrap().first().map(String::as_str),
        Some("/healthz")
    );
}

/// A slow but alive target (answers after 1.5 s, timeout 2 s) is never
/// removed.
#[tokio::test]
async fn a_slow_but_alive_target_is_kept() {
    let (slow, _) = http_server(200, Duration::from_millis(1_500)).await;
    let gone = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (_memory, reaper) = two_targets([slow, gone]).await;
    let reaper = reaper
        .with_check(Check::http("/", false).unwrap())
        .with_timeout(Duration::from_secs(2));
    let report = reaper.pass().await.unwrap();
    let service = &report.services[0];
    assert_eq!(service.dead, 1, "{service:?}");
    assert_eq!(service.removed.len(), 1);
    assert_eq!(
        service.removed[0].srv.port, gone,
        "only the closed port goes"
    );
}

/// A port nothing listens on (bound, then released).
async fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Registers `label` of `service` with one target `host:port` (at
/// 127.0.0.1 when `host` is in the zone; a host outside it gets no
/// address records).
async fn join(registry: &ServiceRegistry, service: &str, label: &str, host: &str, port: u16) {
    let host = Name::parse(host).unwrap();
    let mut target = Target::new(host.clone(), port);
    if host.is_subdomain_of(&Name::parse("example.com").unwrap()) {
        target = target.with_address("127.0.0.1".parse().unwrap());
    }
    let instance = ServiceInstance::new(
        label,
        service.parse().unwrap(),
        Name::parse("example.com").unwrap(),
    )
    .unwrap()
    .with_target(target);
    registry.register(&instance).await.unwrap();
}

fn example_registry() -> (InMemoryProvider, ServiceRegistry) {
    let memory = InMemoryProvider::new();
    let zone = memory
        .create_zone(Name::parse("example.com").unwrap())
        .unwrap();
    let registry = ServiceRegistry::new(Arc::new(memory.clone())).with_zone(zone);
    (memory, registry)
}

/// `with_every_service_in` finds each service type the domain lists, and a
/// service named twice (by type listing and by name) is reaped once.
#[tokio::test]
async fn every_listed_service_is_reaped_once() {
    let (_memory, registry) = example_registry();
    let live = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = live.local_addr().unwrap().port();
    for service in ["_http._tcp", "_ssh._tcp"] {
        join(&registry, service, "up", "up.example.com", port).await;
        join(
            &registry,
            service,
            "down",
            "down.example.com",
            closed_port().await,
        )
        .await;
    }
    let domain = Name::parse("example.com").unwrap();
    let reaper = Reaper::new(registry)
        .with_every_service_in(domain.clone())
        .with_every_service_in(domain)
        .with_service(Name::parse("_http._tcp.example.com").unwrap())
        .with_failures(1);
    let report = reaper.pass().await.unwrap();
    let mut names: Vec<String> = report
        .services
        .iter()
        .map(|s| s.service.to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["_http._tcp.example.com.", "_ssh._tcp.example.com."]);
    for service in &report.services {
        assert_eq!(
            (service.checked, service.removed.len()),
            (2, 1),
            "{service:?}"
        );
    }
}

/// One host and port shared by two services is probed once per pass; the
/// same host on another port is a different endpoint.
#[tokio::test]
async fn a_shared_endpoint_is_probed_once() {
    let (_memory, registry) = example_registry();
    let (port, paths) = http_server(200, Duration::ZERO).await;
    let closed = closed_port().await;
    join(&registry, "_http._tcp", "a", "h1.example.com", port).await;
    join(&registry, "_alt._tcp", "b", "h1.example.com", port).await;
    join(&registry, "_alt._tcp", "c", "h1.example.com", closed).await;
    let reaper = Reaper::new(registry)
        .with_service(Name::parse("_http._tcp.example.com").unwrap())
        .with_service(Name::parse("_alt._tcp.example.com").unwrap())
        .with_check(Check::http("/", false).unwrap())
        .with_failures(1);
    let report = reaper.pass().await.unwrap();
    assert_eq!(paths.lock().unwrap().len(), 1, "one probe of h1:{port}");
    assert_eq!(report.removed(), 1, "{report:?}");
    assert_eq!(report.services[1].removed[0].srv.port, closed);
}

/// A target outside the zone is found through the system resolver
/// (`localhost`), once per host.
#[tokio::test]
async fn a_target_outside_the_zone_is_probed_at_its_system_addresses() {
    let (_memory, registry) = example_registry();
    let live = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = live.local_addr().unwrap().port();
    join(&registry, "_http._tcp", "up", "localhost", port).await;
    join(
        &registry,
        "_http._tcp",
        "down",
        "localhost",
        closed_port().await,
    )
    .await;
    let reaper = Reaper::new(registry)
        .with_service(Name::parse("_http._tcp.example.com").unwrap())
        .with_failures(1);
    let report = reaper.pass().await.unwrap();
    let service = &report.services[0];
    assert_eq!((service.checked, service.dead), (2, 1), "{service:?}");
    assert_ne!(service.removed[0].srv.port, port, "the live one stays");
}

/// The interval separates probes of a failing target; it is not waited
/// before the first one.
#[tokio::test]
async fn the_interval_is_between_probes_only() {
    let (_memory, registry) = example_registry();
    join(
        &registry,
        "_http._tcp",
        "down",
        "down.example.com",
        closed_port().await,
    )
    .await;
    let reaper = Reaper::new(registry)
        .with_service(Name::parse("_http._tcp.example.com").unwrap())
        .with_allow_empty(true)
        .with_dry_run(true);
    // One probe, an interval of an hour: the pass must not wait at all.
    let once = reaper
        .with_failures(1)
        .with_interval(Duration::from_secs(3600));
    let report = tokio::time::timeout(Duration::from_secs(120), once.pass())
        .await
        .expect("the interval was waited before the first probe")
        .unwrap();
    assert_eq!(report.services[0].dead, 1);
    // Two probes: the interval between them is waited.
    let twice = once
        .with_failures(2)
        .with_interval(Duration::from_millis(400));
    let started = std::time::Instant::now();
    let report = twice.pass().await.unwrap();
    assert_eq!(report.services[0].dead, 1);
    assert!(started.elapsed() >= Duration::from_millis(400));
}

/// The removal limit is a maximum, not a bound never reached: with 4
/// targets and 50%, two dead go.
#[tokio::test]
async fn exactly_the_removal_limit_may_go() {
    let (_memory, registry) = example_registry();
    let live = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = live.local_addr().unwrap().port();
    join(&registry, "_http._tcp", "a", "a.example.com", port).await;
    join(&registry, "_http._tcp", "b", "b.example.com", port).await;
    join(
        &registry,
        "_http._tcp",
        "c",
        "c.example.com",
        closed_port().await,
    )
    .await;
    join(
        &registry,
        "_http._tcp",
        "d",
        "d.example.com",
        closed_port().await,
    )
    .await;
    let reaper = Reaper::new(registry)
        .with_service(Name::parse("_http._tcp.example.com").unwrap())
        .with_max_remove_percent(50)
        .with_failures(1);
    assert_eq!(reaper.removal_limit(4), 2);
    let report = reaper.pass().await.unwrap();
    let service = &report.services[0];
    assert!(service.refused.is_none(), "{service:?}");
    assert_eq!(service.removed.len(), 2);
}

/// Two hosts on the same port: each is probed at its own address, and the
/// dead one is removed with its own (not the other host's) addresses.
#[tokio::test]
async fn hosts_sharing_a_port_keep_their_own_addresses() {
    let (memory, registry) = example_registry();
    let live = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = live.local_addr().unwrap().port();
    for (label, host, ip) in [
        ("a", "h1.example.com", "127.0.0.1"),
        ("b", "h2.example.com", "127.0.0.2"),
    ] {
        let instance = ServiceInstance::new(
            label,
            "_http._tcp".parse().unwrap(),
            Name::parse("example.com").unwrap(),
        )
        .unwrap()
        .with_target(
            Target::new(Name::parse(host).unwrap(), port).with_address(ip.parse().unwrap()),
        );
        registry.register(&instance).await.unwrap();
    }
    let before = memory.requests();
    let reaper = Reaper::new(registry)
        .with_service(Name::parse("_http._tcp.example.com").unwrap())
        .with_failures(1);
    let report = reaper.pass().await.unwrap();
    let service = &report.services[0];
    assert_eq!((service.checked, service.dead), (2, 1), "{service:?}");
    assert_eq!(service.removed.len(), 1, "{service:?}");
    assert_eq!(
        service.removed[0].srv.target,
        Name::parse("h2.example.com").unwrap()
    );
    assert!(service.changed.is_empty(), "{service:?}");
    assert_eq!(
        report.requests,
        memory.requests() - before,
        "every call counted once"
    );
}

/// Instances are what the service's PTR lists directly below it: a
/// subtype's PTR is not a second copy of the instance, the subtype goes
/// with a removed target, and a PTR value elsewhere is left alone.
#[tokio::test]
async fn instances_subtypes_and_foreign_ptr_values() {
    let (memory, registry) = example_registry();
    let zone = registry
        .zone_for(&Name::parse("example.com").unwrap())
        .await
        .unwrap();
    let dead = closed_port().await;
    let printer = ServiceInstance::new(
        "printer",
        "_http._tcp".parse().unwrap(),
        Name::parse("example.com").unwrap(),
    )
    .unwrap()
    .with_subtype(dns_core::Label::new("_printer").unwrap())
    .with_target(
        Target::new(Name::parse("p.example.com").unwrap(), dead)
            .with_address("127.0.0.1".parse().unwrap()),
    );
    registry.register(&printer).await.unwrap();
    let live = TcpListener::bind("127.0.0.1:0").await.unwrap();
    join(
        &registry,
        "_http._tcp",
        "up",
        "up.example.com",
        live.local_addr().unwrap().port(),
    )
    .await;
    // A PTR value of the service naming something deeper, with a dead SRV.
    let deeper = Name::parse("x.y._http._tcp.example.com").unwrap();
    memory
        .apply(
            &zone,
            &[
                Change::Add(
                    RecordSet::new(
                        Name::parse("_http._tcp.example.com").unwrap(),
                        60,
                        [RData::PTR(deeper.clone())],
                    )
                    .unwrap(),
                ),
                Change::Upsert(
                    RecordSet::new(
                        deeper.clone(),
                        60,
                        [RData::SRV(dns_core::Srv::new(
                            0,
                            0,
                            dead,
                            Name::parse("p.example.com").unwrap(),
                        ))],
                    )
                    .unwrap(),
                ),
            ],
        )
        .await
        .unwrap();
    let reaper = Reaper::new(registry)
        .with_service(Name::parse("_http._tcp.example.com").unwrap())
        .with_failures(1);
    let report = reaper.pass().await.unwrap();
    let service = &report.services[0];
    assert_eq!(service.checked, 2, "printer and up, once each: {service:?}");
    assert_eq!(service.removed.len(), 1, "{service:?}");
    let sub = Name::parse("_printer._sub._http._tcp.example.com").unwrap();
    assert!(
        memory.lookup(&zone.name, &sub, RecordType::PTR).is_none(),
        "the subtype PTR stayed behind"
    );
    assert!(
        memory
            .lookup(&zone.name, &deeper, RecordType::SRV)
            .is_some(),
        "not an instance of the service"
    );
}

/// A host with only an IPv6 address is probed there.
#[tokio::test]
async fn an_ipv6_only_host_is_probed_at_its_address() {
    let (_memory, registry) = example_registry();
    let live = TcpListener::bind("[::1]:0").await.expect("IPv6 loopback");
    let instance = ServiceInstance::new(
        "v6",
        "_http._tcp".parse().unwrap(),
        Name::parse("example.com").unwrap(),
    )
    .unwrap()
    .with_target(
        Target::new(
            Name::parse("v6.example.com").unwrap(),
            live.local_addr().unwrap().port(),
        )
        .with_address("::1".parse().unwrap()),
    );
    registry.register(&instance).await.unwrap();
    join(
        &registry,
        "_http._tcp",
        "other",
        "other.example.com",
        live.local_addr().unwrap().port(),
    )
    .await;
    let reaper = Reaper::new(registry)
        .with_service(Name::parse("_http._tcp.example.com").unwrap())
        .with_failures(1);
    let report = reaper.pass().await.unwrap();
    let service = &report.services[0];
    assert_eq!(
        service.dead, 1,
        "only the IPv4 host, whose port is closed on 127.0.0.1: {service:?}"
    );
    assert_eq!(
        service.removed[0].srv.target,
        Name::parse("other.example.com").unwrap()
    );
}

/// Several services of one zone cost one listing; a service with nothing
/// registered is reported, not refused (there is no last target to keep).
#[tokio::test]
async fn one_listing_per_zone_and_an_empty_service_is_not_refused() {
    let (memory, registry) = example_registry();
    let live = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = live.local_addr().unwrap().port();
    join(&registry, "_http._tcp", "web", "web.example.com", port).await;
    join(&registry, "_ssh._tcp", "box", "box.example.com", port).await;
    let before = memory.requests();
    let reaper = Reaper::new(registry)
        .with_service(Name::parse("_http._tcp.example.com").unwrap())
        .with_service(Name::parse("_ssh._tcp.example.com").unwrap())
        .with_service(Name::parse("_ftp._tcp.example.com").unwrap())
        .with_failures(1);
    let report = reaper.pass().await.unwrap();
    assert_eq!(report.requests, 1, "one listing: {report:?}");
    assert_eq!(memory.requests() - before, 1);
    assert_eq!(report.services.len(), 3);
    for service in &report.services {
        assert!(service.refused.is_none(), "{service:?}");
        assert!(service.removed.is_empty(), "{service:?}");
    }
    let ftp = &report.services[2];
    assert_eq!((ftp.checked, ftp.dead), (0, 0), "{ftp:?}");
}
