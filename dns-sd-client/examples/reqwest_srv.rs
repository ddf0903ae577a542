//! reqwest reaching a DNS-SD service by name: a zone held in memory and
//! served over real DNS on localhost, two instances of `_http._tcp` (a
//! primary and a backup, each a tiny HTTP server on its own port), and a
//! reqwest client whose resolver is `SrvResolver`. The URL names the
//! service and no port; the SRV records choose the server and the port.
//! Runs offline:
//!
//! ```text
//! cargo run -p dns-sd-client --example reqwest_srv --features reqwest
//! ```
#![allow(clippy::print_stdout, reason = "an example prints its results")]

use std::error::Error;
use std::sync::Arc;

use dns_core::{InMemoryProvider, Name, ServiceInstance, ServiceType, Target};
use dns_sd_client::{DnsSdClient, SrvResolver};
use dns_sd_registry::ServiceRegistry;
use dns_testkit::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

const URL: &str = "http://_http._tcp.example.test/";

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // 1. A zone in memory, served on 127.0.0.1.
    let memory = InMemoryProvider::new();
    let domain = Name::parse("example.test")?;
    memory.create_zone(domain.clone())?;
    let dns = TestServer::start(memory.clone()).await?;

    // 2. Two backends on ports of their own, registered as instances: the
    //    primary at priority 0, the backup at priority 10.
    let (primary_port, primary) = web_server("primary").await?;
    let (backup_port, _backup) = web_server("backup").await?;
    let registry = ServiceRegistry::new(Arc::new(memory.clone()));
    let http: ServiceType = "_http._tcp".parse()?;
    for (label, host, port, priority) in [
        ("api primary", "primary.example.test", primary_port, 0),
        ("api backup", "backup.example.test", backup_port, 10),
    ] {
        let instance = ServiceInstance::new(label, http.clone(), domain.clone())?.with_target(
            Target::new(Name::parse(host)?, port)
                .with_priority(priority)
                .with_address("127.0.0.1".parse()?),
        );
        registry.register(&instance).await?;
    }

    // 3. reqwest with the DNS-SD resolver. "backup.api" is an alias for the
    //    backup instance, whose name holds a space no URL host can.
    let resolver = SrvResolver::new(DnsSdClient::with_name_servers([dns.addr()])?).with_alias(
        "backup.api",
        Name::parse("api\\032backup._http._tcp.example.test")?,
    );
    let client = reqwest::Client::builder()
        .dns_resolver(resolver)
        .no_proxy()
        .build()?;

    // 4. The service URL reaches the primary, on its SRV port.
    let body = client.get(URL).send().await?.text().await?;
    println!("GET {URL} -> {body} (SRV port {primary_port})");
    assert_eq!(body, "primary");

    // 5. The primary goes down: the next connection falls over to the
    //    backup, the next address in RFC 2782 order.
    primary.abort();
    let _ = primary.await;
    let body = client.get(URL).send().await?.text().await?;
    println!("primary down: GET {URL} -> {body} (SRV port {backup_port})");
    assert_eq!(body, "backup");

    // 6. The alias reaches the backup directly.
    let body = client
        .get("http://backup.api/")
        .send()
        .await?
        .text()
        .await?;
    println!("GET http://backup.api/ -> {body}");
    assert_eq!(body, "backup");

    dns.stop().await;
    Ok(())
}

/// An HTTP/1.1 server on 127.0.0.1 answering every request with `name`.
/// `Connection: close` keeps reqwest from reusing a connection, so every
/// request resolves and connects anew; aborting the task closes the port.
async fn web_server(name: &'static str) -> std::io::Result<(u16, JoinHandle<()>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let task = tokio::spawn(async move {
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
                // The client may have gone; nothing to do about it here.
                let _ = stream.write_all(reply.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    Ok((port, task))
}
