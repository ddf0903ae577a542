//! The reaper and refresh suite on the in-memory provider, with and
//! without preconditions; and the probes that need a real server (an HTTP
//! check with a path, a slow but alive target).
#![allow(clippy::unwrap_used, reason = "tests")]

use std::sync::Arc;
use std::time::Duration;

use dns_core::{Capabilities, DnsProvider, InMemoryProvider, Name, ServiceInstance, Target};
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
