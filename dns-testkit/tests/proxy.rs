//! The delay proxy: delay, counting, waves, TCP, and upstream failures.

// Helpers outside #[test] functions unwrap too: a failure is the test failing.
#![allow(clippy::unwrap_used)]

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use dns_core::RecordType;
use dns_testkit::{DelayProxy, TestServer, Transport};
use hickory_proto::op::ResponseCode;
use support::*;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::time::timeout;

const DELAY: Duration = Duration::from_millis(20);

async fn proxied() -> (TestServer, DelayProxy) {
    let (provider, _) = dns_sd_zone();
    let server = TestServer::start(provider).await.unwrap();
    let proxy = DelayProxy::start(server.addr(), DELAY).await.unwrap();
    (server, proxy)
}

async fn ask_all(addr: SocketAddr, owners: &[&str]) {
    let asks = owners.iter().map(|o| {
        let o = (*o).to_owned();
        async move { ask(addr, &o, RecordType::A).await }
    });
    for r in join_all(asks).await {
        assert!(r.metadata.authoritative);
    }
}

/// Runs the futures concurrently (without a dependency for `join_all`).
async fn join_all<F: Future + Send + 'static>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_come_back_after_the_delay() {
    let (server, proxy) = proxied().await;
    let started = Instant::now();
    let r = ask(proxy.addr(), "www.example.com", RecordType::A).await;
    assert!(started.elapsed() >= DELAY);
    assert_eq!(values(&r.answers), [a("192.0.2.80")]);
    assert_eq!((proxy.queries(), server.queries()), (1, 1));

    let [entry] = &proxy.log()[..] else {
        panic!("{:?}", proxy.log());
    };
    assert_eq!(entry.name, name("www.example.com"));
    assert_eq!(entry.record_type, RecordType::A);
    assert_eq!(entry.transport, Transport::Udp);
    assert_eq!(entry.wave, 1);
    let answered = entry.answered.expect("answered");
    assert!(answered.duration_since(entry.received) >= DELAY);
    assert_eq!(proxy.round_trips(), 1);
    assert_eq!(proxy.upstream(), server.addr());
    assert_eq!(proxy.delay(), DELAY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waves_count_the_round_trips_of_the_critical_path() {
    let (_server, proxy) = proxied().await;
    assert_eq!(proxy.round_trips(), 0);

    ask_all(proxy.addr(), &["www.example.com"]).await;
    ask_all(
        proxy.addr(),
        &[
            "host1.example.com",
            "host2.example.com",
            "nothing.example.com",
        ],
    )
    .await;
    ask_all(proxy.addr(), &["www.example.com", "b.example.com"]).await;

    let waves: Vec<usize> = proxy.log().iter().map(|e| e.wave).collect();
    assert_eq!(waves, [1, 2, 2, 2, 3, 3]);
    assert_eq!(proxy.round_trips(), 3);
    assert_eq!(proxy.queries(), 6);

    proxy.reset();
    assert_eq!((proxy.queries(), proxy.round_trips()), (0, 0));
    assert!(proxy.log().is_empty());
    ask_all(proxy.addr(), &["www.example.com", "host1.example.com"]).await;
    assert_eq!(proxy.round_trips(), 1);
    assert_eq!(proxy.queries(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_queries_share_the_delay() {
    let (_server, proxy) = proxied().await;
    let started = Instant::now();
    let owners: Vec<String> = (0..10).map(|i| format!("h{i}.example.com")).collect();
    let owners: Vec<&str> = owners.iter().map(String::as_str).collect();
    ask_all(proxy.addr(), &owners).await;
    // They ran together: every one of them was sent before the first
    // answer came back, which the proxy counts as a single round trip (a
    // wall-clock upper bound would say the same, flakily).
    assert!(started.elapsed() >= DELAY);
    assert_eq!(proxy.round_trips(), 1);
    assert_eq!(proxy.queries(), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_goes_through_pipelined() {
    let (server, proxy) = proxied().await;
    let q = query(&name("_http._tcp.example.com"), RecordType::PTR, None);
    let r = exchange_tcp(proxy.addr(), &q).await;
    assert_eq!(r.answers.len(), 3);

    // Two queries on one connection, written back to back.
    let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
    let questions = [
        query(&name("www.example.com"), RecordType::A, None),
        query(&name("host2.example.com"), RecordType::A, None),
    ];
    for q in &questions {
        let bytes = q.to_vec().unwrap();
        stream
            .write_all(&u16::try_from(bytes.len()).unwrap().to_be_bytes())
            .await
            .unwrap();
        stream.write_all(&bytes).await.unwrap();
    }
    let mut ids = Vec::new();
    for _ in &questions {
        let raw = timeout(PATIENCE, read_frame(&mut stream)).await.unwrap();
        let r = hickory_proto::op::Message::from_vec(&raw).unwrap();
        assert_eq!(r.metadata.response_code, ResponseCode::NoError);
        ids.push(r.metadata.id);
    }
    ids.sort_unstable();
    let mut expected: Vec<u16> = questions.iter().map(|q| q.metadata.id).collect();
    expected.sort_unstable();
    assert_eq!(ids, expected);

    let log = proxy.log();
    assert_eq!(log.len(), 3);
    assert!(log.iter().all(|e| e.transport == Transport::Tcp));
    // The pipelined pair came after the first answer, together.
    assert_eq!(log.iter().map(|e| e.wave).collect::<Vec<_>>(), [1, 2, 2]);
    assert_eq!(server.queries(), 3);
}

/// An upstream that counts its TCP connections and answers each message
/// with the message itself, marked as a response.
async fn echo_upstream() -> (SocketAddr, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = std::sync::Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                use tokio::io::AsyncReadExt;
                while let Ok(len) = stream.read_u16().await {
                    let mut message = vec![0; usize::from(len)];
                    if stream.read_exact(&mut message).await.is_err() {
                        break;
                    }
                    message[2] |= 0x80;
                    let len = u16::try_from(message.len()).unwrap().to_be_bytes();
                    if stream.write_all(&len).await.is_err()
                        || stream.write_all(&message).await.is_err()
                    {
                        break;
                    }
                }
            });
        }
    });
    (addr, accepted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_connection_goes_upstream_as_one_connection() {
    // Pipelined messages share one upstream connection, as they would
    // without the proxy: a connection per message is no model of a client
    // and runs into servers' listen queues.
    let (upstream, accepted) = echo_upstream().await;
    let proxy = DelayProxy::start(upstream, DELAY).await.unwrap();
    let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
    let questions: Vec<_> = (0..20)
        .map(|i| query(&name(&format!("h{i}.example.com")), RecordType::A, None))
        .collect();
    for q in &questions {
        let bytes = q.to_vec().unwrap();
        stream
            .write_all(&u16::try_from(bytes.len()).unwrap().to_be_bytes())
            .await
            .unwrap();
        stream.write_all(&bytes).await.unwrap();
    }
    let mut ids = Vec::new();
    for _ in &questions {
        let raw = timeout(PATIENCE, read_frame(&mut stream)).await.unwrap();
        ids.push(
            hickory_proto::op::Message::from_vec(&raw)
                .unwrap()
                .metadata
                .id,
        );
    }
    ids.sort_unstable();
    let mut expected: Vec<u16> = questions.iter().map(|q| q.metadata.id).collect();
    expected.sort_unstable();
    assert_eq!(ids, expected, "every answer matched to its query");
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_udp_then_tcp_is_two_round_trips() {
    let (provider, zone) = dns_sd_zone();
    let many: Vec<_> = (0..150)
        .map(|i| dns_core::RData::PTR(name(&format!("i{i}._many._tcp.example.com"))))
        .collect();
    provider
        .insert_unchecked(&zone, set("_many._tcp.example.com", 60, many))
        .unwrap();
    let server = TestServer::start(provider).await.unwrap();
    let proxy = DelayProxy::start(server.addr(), DELAY).await.unwrap();
    let q = query(&name("_many._tcp.example.com"), RecordType::PTR, None);
    let r = exchange_udp(proxy.addr(), &q).await;
    assert!(r.metadata.truncation);
    let r = exchange_tcp(proxy.addr(), &q).await;
    assert_eq!(r.answers.len(), 150);
    let transports: Vec<_> = proxy.log().iter().map(|e| (e.transport, e.wave)).collect();
    assert_eq!(transports, [(Transport::Udp, 1), (Transport::Tcp, 2)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_upstream_is_survived() {
    // A UDP socket that never answers, and a TCP port that accepts and
    // then never answers.
    let silent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let upstream = silent.local_addr().unwrap();
    let listener = TcpListener::bind(upstream).await;
    let proxy = DelayProxy::start(upstream, Duration::ZERO).await.unwrap();

    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let q = query(&name("www.example.com"), RecordType::A, None);
    socket
        .send_to(&q.to_vec().unwrap(), proxy.addr())
        .await
        .unwrap();
    let mut buffer = [0; 512];
    assert!(
        timeout(Duration::from_millis(300), socket.recv(&mut buffer))
            .await
            .is_err()
    );
    let [entry] = &proxy.log()[..] else {
        panic!("{:?}", proxy.log());
    };
    assert!(entry.answered.is_none());
    assert_eq!(proxy.round_trips(), 1);
    drop(listener);
    assert!(format!("{proxy:?}").contains("queries: 1"));
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_to_a_dead_upstream_closes_the_connection() {
    // Nothing listens on the upstream's TCP port.
    let upstream = {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap()
    };
    let proxy = DelayProxy::start(upstream, Duration::ZERO).await.unwrap();
    let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
    let bytes = query(&name("www.example.com"), RecordType::A, None)
        .to_vec()
        .unwrap();
    stream
        .write_all(&u16::try_from(bytes.len()).unwrap().to_be_bytes())
        .await
        .unwrap();
    stream.write_all(&bytes).await.unwrap();
    let mut rest = Vec::new();
    let read = timeout(
        PATIENCE,
        tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut rest),
    )
    .await
    .expect("connection left open");
    assert!(read.is_err() || rest.is_empty());
    assert_eq!(proxy.queries(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_proxy_stops_it() {
    let (_server, proxy) = proxied().await;
    let addr = proxy.addr();
    ask_all(addr, &["www.example.com"]).await;
    drop(proxy);
    let mut closed = false;
    for _ in 0..50 {
        if TcpStream::connect(addr).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(closed);
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let q = query(&name("www.example.com"), RecordType::A, None);
    socket.send_to(&q.to_vec().unwrap(), addr).await.unwrap();
    let mut buffer = [0; 512];
    let answered = timeout(Duration::from_millis(300), socket.recv(&mut buffer)).await;
    assert!(!matches!(answered, Ok(Ok(_))));
}
