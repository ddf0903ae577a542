//! A tonic channel balanced over the instances of a DNS-SD service: three
//! gRPC health servers on 127.0.0.1 are registered as `_grpc._tcp`
//! instances in a zone served from memory; the channel spreads health
//! checks over all three; one instance is deregistered, and once its
//! endpoint is removed it gets no more calls. Offline, a few seconds:
//!
//! ```text
//! cargo run -p dns-sd-client --example tonic_balance --features tonic
//! ```
#![allow(clippy::print_stdout, reason = "an example prints its results")]

use std::error::Error;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use dns_core::{InMemoryProvider, Name, ServiceInstance, ServiceType, Target};
use dns_sd_client::{
    DnsSdClient, EndpointKey, EndpointOptions, WatchOptions, feed_channel, http_endpoint,
};
use dns_sd_registry::ServiceRegistry;
use dns_testkit::TestServer;
use futures::StreamExt;
use tokio::sync::mpsc;
use tonic::transport::{Channel, Server};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use tower::discover::Change;

const NODES: usize = 3;
const CALLS: usize = 60;
/// Only guards against a hang: everything below happens within a second
/// or two of TTLs.
const PATIENCE: Duration = Duration::from_secs(20);

// One thread: the feeding task hands a change to the channel in the same
// turn as it tells `main` about it, so `main` never calls ahead of a Remove.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    // 1. Three gRPC servers, each counting the health checks it answers.
    let mut calls = Vec::new();
    let mut ports = Vec::new();
    for _ in 0..NODES {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        ports.push(listener.local_addr()?.port());
        let count = Arc::new(AtomicUsize::new(0));
        calls.push(Arc::clone(&count));
        let (_reporter, health) = tonic_health::server::health_reporter();
        let counted = tonic::service::interceptor::InterceptedService::new(health, move |req| {
            count.fetch_add(1, Ordering::Relaxed);
            Ok(req)
        });
        let incoming = tonic::transport::server::TcpIncoming::from(listener);
        tokio::spawn(
            Server::builder()
                .add_service(counted)
                .serve_with_incoming(incoming),
        );
    }

    // 2. A zone in memory, served over DNS on 127.0.0.1, with the servers
    //    registered as instances (1 s TTLs, so a leaving one shows soon).
    let memory = InMemoryProvider::new();
    let domain = Name::parse("example.test")?;
    memory.create_zone(domain.clone())?;
    let dns = TestServer::start(memory.clone()).await?;
    let registry = ServiceRegistry::new(Arc::new(memory.clone()));
    let grpc: ServiceType = "_grpc._tcp".parse()?;
    let mut instances = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let host = Name::parse(&format!("node-{i}.example.test"))?;
        let instance = ServiceInstance::new(&format!("node {i}"), grpc.clone(), domain.clone())?
            .with_target(Target::new(host, *port).with_address("127.0.0.1".parse()?))
            .with_ttl(1);
        registry.register(&instance).await?;
        instances.push(instance);
    }

    // 3. The discovery stream feeds a balanced channel; the changes are
    //    also copied here, so the example knows when the channel has them.
    let client = DnsSdClient::with_name_servers([dns.addr()])?;
    let watch = WatchOptions::default().with_min_interval(Duration::from_millis(200));
    let endpoints =
        client.discover_endpoints(&grpc, &domain, EndpointOptions::default().with_watch(watch))?;
    let (seen_tx, mut seen) = mpsc::unbounded_channel::<Change<EndpointKey, ()>>();
    let endpoints = endpoints.inspect(move |change| {
        // The error type is Infallible: every item is a change.
        if let Ok(change) = change {
            let copy = match change {
                Change::Insert(key, _) => Change::Insert(key.clone(), ()),
                Change::Remove(key) => Change::Remove(key.clone()),
            };
            let _ = seen_tx.send(copy);
        }
    });
    let (channel, sender) = Channel::balance_channel(16);
    let feeder = tokio::spawn(feed_channel(endpoints, sender, http_endpoint));

    let mut inserted = 0;
    while inserted < NODES {
        if let Change::Insert(key, ()) = next_change(&mut seen).await? {
            println!("inserted {}:{}", key.host(), key.port());
            inserted += 1;
        }
    }

    // 4. Health checks over the channel reach every server.
    check(&channel, CALLS).await?;
    let before: Vec<usize> = calls.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    println!("calls per server: {before:?}");
    assert!(
        before.iter().all(|&n| n > 0),
        "every server is called: {before:?}"
    );

    // 5. One instance leaves; once its endpoint is removed it gets nothing.
    let gone = 1;
    registry.deregister(&instances[gone]).await?;
    loop {
        if let Change::Remove(key) = next_change(&mut seen).await? {
            println!("removed {}:{}", key.host(), key.port());
            assert_eq!(key.port(), ports[gone]);
            break;
        }
    }
    check(&channel, CALLS).await?;
    let after: Vec<usize> = calls.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    println!("calls per server: {after:?}");
    for (i, (b, a)) in before.iter().zip(&after).enumerate() {
        if i == gone {
            assert_eq!(a, b, "the removed server got calls");
        } else {
            assert!(a > b, "server {i} got no calls after the removal");
        }
    }
    drop(channel);
    feeder.await?;
    println!("ok");
    Ok(())
}

async fn next_change(
    seen: &mut mpsc::UnboundedReceiver<Change<EndpointKey, ()>>,
) -> Result<Change<EndpointKey, ()>, Box<dyn Error>> {
    tokio::time::timeout(PATIENCE, seen.recv())
        .await?
        .ok_or_else(|| "the discovery stream ended".into())
}

async fn check(channel: &Channel, calls: usize) -> Result<(), Box<dyn Error>> {
    let mut health = HealthClient::new(channel.clone());
    for _ in 0..calls {
        let request = HealthCheckRequest {
            service: String::new(),
        };
        tokio::time::timeout(PATIENCE, health.check(request)).await??;
    }
    Ok(())
}
