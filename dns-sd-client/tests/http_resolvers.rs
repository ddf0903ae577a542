//! `SrvResolver` end to end: a zone served over real DNS on localhost,
//! small HTTP/1.1 servers on localhost that answer with their own names,
//! and reqwest and hyper-util's legacy client connecting through the
//! resolver. No external network.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly too"
)]

use std::error::Error as StdError;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use dns_core::{
    InMemoryProvider, Name, RData, RecordSet, ServiceInstance, ServiceType, Srv, Target, Zone,
};
use dns_sd_client::{DnsSdClient, Error, FallThrough, NoAddressReason, SrvResolver};
use dns_sd_registry::ServiceRegistry;
use dns_testkit::TestServer;
use http_body_util::BodyExt;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const DOMAIN: &str = "example.test";

fn name(s: &str) -> Name {
    Name::parse(s).unwrap()
}

fn http() -> ServiceType {
    "_http._tcp".parse().unwrap()
}

/// An HTTP/1.1 server on 127.0.0.1 answering every request with `name`.
/// `Connection: close` keeps the clients from pooling, so each request
/// resolves and connects anew.
async fn web_server(name: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{name}",
                    name.len()
                );
                let _ = stream.write_all(reply.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    port
}

/// A port nothing listens on: bound, then released (connections there are
/// refused).
async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

struct Fixture {
    memory: InMemoryProvider,
    zone: Zone,
    domain: Name,
    server: TestServer,
    registry: ServiceRegistry,
}

impl Fixture {
    async fn new() -> Self {
        let memory = InMemoryProvider::new();
        let domain = name(DOMAIN);
        let zone = memory.create_zone(domain.clone()).unwrap();
        let server = TestServer::start(memory.clone()).await.unwrap();
        let registry = ServiceRegistry::new(Arc::new(memory.clone()));
        Self {
            memory,
            zone,
            domain,
            server,
            registry,
        }
    }

    /// Registers an `_http._tcp` instance with one target on 127.0.0.1.
    async fn register(
        &self,
        label: &str,
        host: &str,
        port: u16,
        priority: u16,
        weight: u16,
    ) -> ServiceInstance {
        let instance = ServiceInstance::new(label, http(), self.domain.clone())
            .unwrap()
            .with_target(
                Target::new(name(host), port)
                    .with_priority(priority)
                    .with_weight(weight)
                    .with_address("127.0.0.1".parse().unwrap()),
            );
        self.registry.register(&instance).await.unwrap();
        instance
    }

    fn seed(&self, owner: &str, data: RData) {
        let set = RecordSet::new(name(owner), 60, [data]).unwrap();
        self.memory.insert_unchecked(&self.zone, set).unwrap();
    }

    fn resolver(&self) -> SrvResolver {
        let client = DnsSdClient::builder()
            .with_name_server(self.server.addr())
            .with_timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        SrvResolver::new(client)
    }

    /// primary (priority 0) and "Backup Server" (priority 10), each on its
    /// own port; the primary's server runs only when `primary_up`. The
    /// backup's name sorts first, so only ordering by priority puts the
    /// primary ahead of it.
    async fn primary_and_backup(&self, primary_up: bool) -> (u16, u16) {
        let primary_port = if primary_up {
            web_server("primary").await
        } else {
            closed_port().await
        };
        let backup_port = web_server("backup").await;
        self.register("primary", "primary.example.test", primary_port, 0, 1)
            .await;
        self.register("Backup Server", "backup.example.test", backup_port, 10, 1)
            .await;
        (primary_port, backup_port)
    }
}

fn reqwest_client(resolver: SrvResolver) -> reqwest::Client {
    reqwest::Client::builder()
        .dns_resolver(resolver)
        .no_proxy()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

async fn get(client: &reqwest::Client, url: &str) -> Result<String, reqwest::Error> {
    client.get(url).send().await?.text().await
}

fn hyper_client(resolver: SrvResolver) -> HyperClient<HttpConnector<SrvResolver>, String> {
    HyperClient::builder(TokioExecutor::new())
        .pool_max_idle_per_host(0)
        .build(HttpConnector::new_with_resolver(resolver))
}

async fn hyper_get(
    client: &HyperClient<HttpConnector<SrvResolver>, String>,
    url: &str,
) -> Result<String, Box<dyn StdError + Send + Sync>> {
    let response = client.get(url.parse()?).await?;
    let body = response.into_body().collect().await?.to_bytes();
    Ok(String::from_utf8(body.to_vec())?)
}

/// This crate's error somewhere in an error's source chain.
fn dns_sd_error<'a>(mut error: &'a (dyn StdError + 'static)) -> Option<&'a Error> {
    loop {
        if let Some(found) = error.downcast_ref::<Error>() {
            return Some(found);
        }
        error = error.source()?;
    }
}

#[tokio::test]
async fn reqwest_service_url_without_port_reaches_srv_port() {
    let f = Fixture::new().await;
    f.primary_and_backup(true).await;
    let client = reqwest_client(f.resolver());
    // Priority 0 comes first every time, on its own port (not 80).
    for _ in 0..5 {
        assert_eq!(
            get(&client, "http://_http._tcp.example.test/")
                .await
                .unwrap(),
            "primary"
        );
    }
}

#[tokio::test]
async fn reqwest_fails_over_to_next_priority_when_first_is_down() {
    let f = Fixture::new().await;
    let (primary_port, backup_port) = f.primary_and_backup(false).await;
    let resolver = f.resolver();
    // The order given to reqwest still starts with the dead primary...
    let addrs = resolver
        .resolve_host("_http._tcp.example.test")
        .await
        .unwrap();
    let ports: Vec<u16> = addrs.iter().map(SocketAddr::port).collect();
    assert_eq!(ports, [primary_port, backup_port]);
    // ...and reqwest moves on to backup when primary refuses the connection.
    let client = reqwest_client(resolver);
    assert_eq!(
        get(&client, "http://_http._tcp.example.test/")
            .await
            .unwrap(),
        "backup"
    );
}

#[tokio::test]
async fn reqwest_explicit_url_port_wins_over_srv_port() {
    let f = Fixture::new().await;
    let (_, backup_port) = f.primary_and_backup(true).await;
    let client = reqwest_client(f.resolver());
    // primary's address (first by priority) with the URL's port: backup's server.
    let url = format!("http://_http._tcp.example.test:{backup_port}/");
    assert_eq!(get(&client, &url).await.unwrap(), "backup");
}

#[tokio::test]
async fn reqwest_plain_host_falls_through_to_system_resolver() {
    let f = Fixture::new().await;
    f.primary_and_backup(true).await;
    let port = web_server("plain").await;
    let resolver = f.resolver();
    // /etc/hosts knows localhost; port 0 lets reqwest apply the URL's port.
    let addrs = resolver.resolve_host("localhost").await.unwrap();
    assert!(!addrs.is_empty());
    assert!(addrs.iter().all(|a| a.port() == 0 && a.ip().is_loopback()));
    let client = reqwest_client(resolver);
    let url = format!("http://localhost:{port}/");
    assert_eq!(get(&client, &url).await.unwrap(), "plain");
}

#[tokio::test]
async fn fall_through_to_the_client_uses_its_name_servers() {
    let f = Fixture::new().await;
    let port = web_server("plain").await;
    f.seed("web.example.test", RData::A("127.0.0.1".parse().unwrap()));
    let resolver = f.resolver().with_fall_through(FallThrough::Client);
    assert_eq!(
        resolver.resolve_host("web.example.test").await.unwrap(),
        ["127.0.0.1:0".parse::<SocketAddr>().unwrap()]
    );
    let client = reqwest_client(resolver);
    let url = format!("http://web.example.test:{port}/");
    assert_eq!(get(&client, &url).await.unwrap(), "plain");
}

#[tokio::test]
async fn reqwest_alias_reaches_the_instance_it_names() {
    let f = Fixture::new().await;
    f.primary_and_backup(true).await;
    // "Backup Server" has a space: no URL host can spell it, an alias can.
    let backup = name("Backup\\032Server._http._tcp.example.test");
    let resolver = f.resolver().with_alias("API.Internal", backup);
    let client = reqwest_client(resolver);
    // The backup although the primary has the lower priority: the alias
    // names the backup.
    assert_eq!(
        get(&client, "http://api.internal/").await.unwrap(),
        "backup"
    );
}

#[tokio::test]
async fn host_shaped_instance_name_resolves_as_instance() {
    let f = Fixture::new().await;
    f.primary_and_backup(true).await;
    let client = reqwest_client(f.resolver());
    assert_eq!(
        get(&client, "http://primary._http._tcp.example.test/")
            .await
            .unwrap(),
        "primary"
    );
}

#[tokio::test]
async fn plain_srv_records_without_ptr_work() {
    let f = Fixture::new().await;
    let port = web_server("legacy").await;
    let srv = Srv::new(5, 1, port, name("legacy.example.test"));
    f.seed("_legacy._tcp.example.test", RData::SRV(srv));
    f.seed(
        "legacy.example.test",
        RData::A("127.0.0.1".parse().unwrap()),
    );
    let client = reqwest_client(f.resolver());
    assert_eq!(
        get(&client, "http://_legacy._tcp.example.test/")
            .await
            .unwrap(),
        "legacy"
    );
}

#[tokio::test]
async fn reqwest_unknown_service_is_an_error_naming_it() {
    let f = Fixture::new().await;
    f.primary_and_backup(true).await;
    let resolver = f.resolver();
    let error = resolver
        .resolve_host("_nope._tcp.example.test")
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            Error::NoAddress { name: n, reason: NoAddressReason::NoInstances }
                if *n == name("_nope._tcp.example.test")
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("_nope._tcp.example.test"));

    let client = reqwest_client(resolver);
    let error = get(&client, "http://_nope._tcp.example.test/")
        .await
        .unwrap_err();
    assert!(error.is_connect(), "{error:?}");
    let inner = dns_sd_error(&error).expect("the resolver's error is the source");
    assert!(
        inner.to_string().contains("_nope._tcp.example.test"),
        "{inner}"
    );
}

#[tokio::test]
async fn deliberately_unavailable_service_is_an_error() {
    let f = Fixture::new().await;
    let dot = Srv::new(0, 0, 0, Name::root());
    f.seed("_gone._tcp.example.test", RData::SRV(dot));
    let error = f
        .resolver()
        .resolve_host("_gone._tcp.example.test")
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::NoAddress {
                reason: NoAddressReason::Unavailable,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn hyper_util_service_url_reaches_srv_port_and_fails_over() {
    let f = Fixture::new().await;
    f.primary_and_backup(false).await;
    let client = hyper_client(f.resolver());
    assert_eq!(
        hyper_get(&client, "http://_http._tcp.example.test/")
            .await
            .unwrap(),
        "backup"
    );
}

#[tokio::test]
async fn hyper_util_srv_port_plain_host_and_unknown_service() {
    let f = Fixture::new().await;
    let (_, backup_port) = f.primary_and_backup(true).await;
    let plain = web_server("plain").await;
    let client = hyper_client(f.resolver());
    assert_eq!(
        hyper_get(&client, "http://_http._tcp.example.test/")
            .await
            .unwrap(),
        "primary"
    );
    let explicit = format!("http://_http._tcp.example.test:{backup_port}/");
    assert_eq!(hyper_get(&client, &explicit).await.unwrap(), "backup");
    let local = format!("http://localhost:{plain}/");
    assert_eq!(hyper_get(&client, &local).await.unwrap(), "plain");

    let error = hyper_get(&client, "http://_nope._tcp.example.test/")
        .await
        .unwrap_err();
    let inner = dns_sd_error(error.as_ref()).expect("the resolver's error is the source");
    assert!(
        inner.to_string().contains("_nope._tcp.example.test"),
        "{inner}"
    );
}

/// The first address's share follows the SRV weights: 6000 seeded draws
/// through the resolver (DNS answered once, then from the cache).
#[tokio::test]
async fn first_address_share_follows_srv_weights() {
    const DRAWS: usize = 6_000;
    let f = Fixture::new().await;
    let weights = [(6001u16, 60u16), (6002, 30), (6003, 10)];
    for (port, weight) in weights {
        let host = format!("w{port}.example.test");
        f.register(&format!("w{port}"), &host, port, 0, weight)
            .await;
    }
    f.register("backup", "backup.example.test", 6009, 1, 100)
        .await;
    let resolver = f.resolver();
    let mut rng = StdRng::seed_from_u64(2782);
    let mut firsts = [0usize; 3];
    for _ in 0..DRAWS {
        let addrs = resolver
            .resolve_host_with("_http._tcp.example.test", &mut rng)
            .await
            .unwrap();
        let ports: Vec<u16> = addrs.iter().map(SocketAddr::port).collect();
        assert_eq!(ports.len(), 4);
        // Priority first: the backup's heavy weight never lifts it.
        assert_eq!(ports[3], 6009, "{ports:?}");
        let i = weights.iter().position(|(p, _)| *p == ports[0]).unwrap();
        firsts[i] += 1;
    }
    let total: f64 = weights.iter().map(|(_, w)| f64::from(*w)).sum();
    for ((_, weight), count) in weights.iter().zip(firsts) {
        let p = f64::from(*weight) / total;
        let observed = count as f64 / DRAWS as f64;
        // Five standard deviations of a binomial share: a correct order
        // fails this about once in 1.7 million seeds; a uniform or
        // unweighted one misses by 20+ deviations.
        let tolerance = 5.0 * (p * (1.0 - p) / DRAWS as f64).sqrt();
        assert!(
            (observed - p).abs() <= tolerance,
            "weight {weight}: first {observed:.4} of the time, expected {p:.4} ± {tolerance:.4}"
        );
    }
    // The cache answered all but the first discovery.
    assert!(resolver.client().cache_stats().hits > 0);
}
