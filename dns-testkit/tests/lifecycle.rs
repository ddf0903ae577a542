//! Starting and stopping: ports, options, and no server left behind.

// Helpers outside #[test] functions unwrap too: a failure is the test failing.
#![allow(clippy::unwrap_used)]

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use dns_core::RecordType;
use dns_testkit::TestServer;
use hickory_proto::op::ResponseCode;
use support::*;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::time::{sleep, timeout};

/// Whether anything still answers a UDP query at `addr` (briefly).
async fn udp_answers(addr: SocketAddr) -> bool {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let q = query(&name("www.example.com"), RecordType::A, None);
    socket.send_to(&q.to_vec().unwrap(), addr).await.unwrap();
    let mut buffer = [0; 512];
    matches!(
        timeout(Duration::from_millis(300), socket.recv(&mut buffer)).await,
        Ok(Ok(_))
    )
}

/// Waits until `addr` refuses TCP connections (the listener is gone).
async fn tcp_closed(addr: SocketAddr) -> bool {
    for _ in 0..50 {
        if TcpStream::connect(addr).await.is_err() {
            return true;
        }
        sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn dropping_the_server_stops_it() {
    let (provider, _) = dns_sd_zone();
    let server = TestServer::start(provider).await.unwrap();
    let addr = server.addr();
    assert!(udp_answers(addr).await);
    drop(server);
    assert!(tcp_closed(addr).await);
    assert!(!udp_answers(addr).await);
}

#[tokio::test]
async fn stop_releases_the_port() {
    let (provider, _) = dns_sd_zone();
    let server = TestServer::start(provider.clone()).await.unwrap();
    let addr = server.addr();
    // An open connection must not keep the server alive.
    let _open = TcpStream::connect(addr).await.unwrap();
    timeout(PATIENCE, server.stop()).await.expect("stop hangs");
    // The same port can be served again at once.
    let again = TestServer::builder(provider)
        .with_address(addr)
        .start()
        .await
        .unwrap();
    assert_eq!(again.addr(), addr);
    let r = ask(addr, "www.example.com", RecordType::A).await;
    assert_eq!(r.metadata.response_code, ResponseCode::NoError);
    assert_eq!(again.queries(), 1);
}

#[tokio::test]
async fn udp_and_tcp_share_the_port_and_the_count() {
    let (provider, _) = dns_sd_zone();
    let server = TestServer::start(provider).await.unwrap();
    assert!(server.addr().ip().is_loopback());
    assert_ne!(server.addr().port(), 0);
    let q = query(&name("www.example.com"), RecordType::A, None);
    exchange_udp(server.addr(), &q).await;
    exchange_tcp(server.addr(), &q).await;
    exchange_tcp(server.addr(), &q).await;
    assert_eq!(server.queries(), 3);
    assert!(format!("{server:?}").contains("queries: 3"));
}

#[tokio::test]
async fn a_busy_fixed_port_is_an_error() {
    let (provider, _) = dns_sd_zone();
    let taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = taken.local_addr().unwrap();
    let result = TestServer::builder(provider)
        .with_address(addr)
        .start()
        .await;
    // The port's own error, not just any failure to start.
    let error = result.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::AddrInUse, "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_connections_carry_several_queries() {
    use tokio::io::AsyncWriteExt;
    let (provider, _) = dns_sd_zone();
    let server = TestServer::start(provider).await.unwrap();
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    let questions = [
        query(&name("www.example.com"), RecordType::A, None),
        query(&name("nothing.example.com"), RecordType::A, None),
    ];
    for q in &questions {
        let bytes = q.to_vec().unwrap();
        let len = u16::try_from(bytes.len()).unwrap();
        stream.write_all(&len.to_be_bytes()).await.unwrap();
        stream.write_all(&bytes).await.unwrap();
    }
    let mut codes = Vec::new();
    for _ in &questions {
        let raw = timeout(PATIENCE, read_frame(&mut stream)).await.unwrap();
        let r = hickory_proto::op::Message::from_vec(&raw).unwrap();
        let q = questions
            .iter()
            .position(|q| q.metadata.id == r.metadata.id)
            .unwrap();
        codes.push((q, r.metadata.response_code));
    }
    codes.sort_by_key(|(q, _)| *q);
    assert_eq!(
        codes,
        [(0, ResponseCode::NoError), (1, ResponseCode::NXDomain)]
    );
}
