//! [`DelayProxy`]: a DNS proxy that delays and records every query.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use dns_core::hickory::{name_from_hickory, record_type_from_hickory};
use dns_core::{Name, RecordType};
use hickory_proto::op::{Header, Query};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{Mutex, Notify, oneshot};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::{Instant, sleep, timeout, timeout_at};
use tracing::debug;

use crate::querylog::{QueryLog, QueryLogEntry, Ticket, Transport};

/// How long the upstream has to answer before the query is given up.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest DNS message (a UDP datagram or a TCP frame).
const MAX_MESSAGE: usize = 65_535;

/// A DNS proxy on the loopback interface (UDP and TCP on one port) that
/// holds every query for a fixed delay before forwarding it to an upstream
/// server, and records what it saw.
///
/// Its log tells how many round trips a client needed, independently of
/// wall time: each query gets a *wave*, 1 + the largest wave among the
/// queries whose answers had already gone back when it arrived. Queries a
/// client sends together share a wave; a query that needed an earlier
/// answer comes a wave later. [`DelayProxy::round_trips`] is the largest
/// wave: the length of the client's critical path.
///
/// UDP queries go upstream over UDP, TCP queries over TCP: each client
/// connection gets one upstream connection, its messages pipelined on it
/// (each delayed on its own), so pipelined queries are answered as their
/// answers arrive. A query the upstream does not answer within 5 seconds
/// is dropped (UDP) or closes its connection (TCP).
///
/// ```
/// use std::time::Duration;
/// use dns_core::InMemoryProvider;
/// use dns_testkit::{DelayProxy, TestServer};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let server = TestServer::start(InMemoryProvider::new()).await?;
/// let proxy = DelayProxy::start(server.addr(), Duration::from_millis(20)).await?;
/// // Point the client under test at `proxy.addr()`, then:
/// assert_eq!(proxy.queries(), 0);
/// assert_eq!(proxy.round_trips(), 0);
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub struct DelayProxy {
    addr: SocketAddr,
    config: Arc<Config>,
    tasks: Vec<JoinHandle<()>>,
}

struct Config {
    upstream: SocketAddr,
    delay: Duration,
    log: QueryLog,
    /// TCP connections accepted from clients.
    connections: std::sync::atomic::AtomicU64,
}

impl DelayProxy {
    /// Starts a proxy on a free port of 127.0.0.1 in front of `upstream`,
    /// holding each query for `delay`.
    ///
    /// # Errors
    ///
    /// When the sockets cannot be bound.
    pub async fn start(upstream: SocketAddr, delay: Duration) -> io::Result<Self> {
        let (udp, tcp) =
            dns_server::bind_udp_and_tcp(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
        let addr = udp.local_addr()?;
        let config = Arc::new(Config {
            upstream,
            delay,
            log: QueryLog::default(),
            connections: std::sync::atomic::AtomicU64::new(0),
        });
        let tasks = vec![
            tokio::spawn(serve_udp(Arc::new(udp), config.clone())),
            tokio::spawn(serve_tcp(tcp, config.clone())),
        ];
        debug!(%addr, %upstream, ?delay, "delay proxy started");
        Ok(Self {
            addr,
            config,
            tasks,
        })
    }

    /// The address both transports listen on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server queries are forwarded to.
    pub fn upstream(&self) -> SocketAddr {
        self.config.upstream
    }

    /// The delay added to each query.
    pub fn delay(&self) -> Duration {
        self.config.delay
    }

    /// Messages received since the start or the last [`DelayProxy::reset`]
    /// (including any whose question could not be read, which are
    /// forwarded but not logged).
    pub fn queries(&self) -> u64 {
        self.config.log.queries()
    }

    /// TCP connections clients opened to the proxy since it started.
    pub fn tcp_connections(&self) -> u64 {
        self.config
            .connections
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The queries received, in order of arrival, with their waves.
    pub fn log(&self) -> Vec<QueryLogEntry> {
        self.config.log.entries()
    }

    /// The largest wave in the log: the round trips on the client's
    /// critical path (0 without queries).
    pub fn round_trips(&self) -> usize {
        self.config.log.round_trips()
    }

    /// Clears the count and the log; answers to queries received before
    /// are no longer recorded.
    pub fn reset(&self) {
        self.config.log.reset();
    }

    /// Stops the proxy and waits until its sockets are closed.
    pub async fn stop(mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
            // Only the cancellation is expected: nothing to report.
            let _ = task.await;
        }
    }
}

impl Drop for DelayProxy {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl fmt::Debug for DelayProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DelayProxy")
            .field("addr", &self.addr)
            .field("upstream", &self.config.upstream)
            .field("delay", &self.config.delay)
            .field("queries", &self.queries())
            .finish_non_exhaustive()
    }
}

/// The first question of a message, read without the rest of it.
fn question(message: &[u8]) -> Option<(Name, RecordType)> {
    let mut decoder = BinDecoder::new(message);
    let header = Header::read(&mut decoder).ok()?;
    if header.counts.queries == 0 {
        return None;
    }
    let query = Query::read(&mut decoder).ok()?;
    let name = name_from_hickory(query.name()).ok()?;
    Some((name, record_type_from_hickory(query.query_type())))
}

/// Whether `reply` answers `query` (same message ID).
fn answers(reply: &[u8], query: &[u8]) -> bool {
    reply.len() >= 2 && query.len() >= 2 && reply[..2] == query[..2]
}

// Tasks live in the `JoinSet` of the task that spawned them, so aborting
// the two listening tasks drops, and so aborts, everything below them.

async fn serve_udp(socket: Arc<UdpSocket>, config: Arc<Config>) {
    let mut tasks = JoinSet::new();
    let mut buffer = vec![0; MAX_MESSAGE];
    loop {
        let (len, client) = match socket.recv_from(&mut buffer).await {
            Ok(received) => received,
            Err(error) => {
                // Errors here concern one datagram (or a previous send), not the socket.
                debug!(%error, "proxy: UDP receive failed");
                continue;
            }
        };
        let query = buffer[..len].to_vec();
        let ticket = config.log.received(question(&query), Transport::Udp);
        tasks.spawn(forward_udp(
            socket.clone(),
            client,
            query,
            ticket,
            config.clone(),
        ));
        while tasks.try_join_next().is_some() {}
    }
}

async fn forward_udp(
    socket: Arc<UdpSocket>,
    client: SocketAddr,
    query: Vec<u8>,
    ticket: Option<Ticket>,
    config: Arc<Config>,
) {
    sleep(config.delay).await;
    let reply = match exchange_udp(config.upstream, &query).await {
        Ok(reply) => reply,
        Err(error) => {
            debug!(%error, upstream = %config.upstream, "proxy: no UDP answer, dropping the query");
            return;
        }
    };
    let sent = config
        .log
        .send(ticket, || match socket.try_send_to(&reply, client) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
            Err(e) => Err(e),
        });
    let result = match sent {
        Ok(true) => Ok(()),
        Ok(false) => socket.send_to(&reply, client).await.map(|_| {
            config.log.answered(ticket);
        }),
        Err(error) => Err(error),
    };
    if let Err(error) = result {
        debug!(%error, %client, "proxy: UDP answer not sent");
    }
}

async fn exchange_udp(upstream: SocketAddr, query: &[u8]) -> io::Result<Vec<u8>> {
    let local = match upstream {
        SocketAddr::V4(_) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        SocketAddr::V6(_) => SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)),
    };
    let socket = UdpSocket::bind(local).await?;
    socket.connect(upstream).await?;
    socket.send(query).await?;
    let deadline = Instant::now() + UPSTREAM_TIMEOUT;
    let mut buffer = vec![0; MAX_MESSAGE];
    loop {
        let len = timeout_at(deadline, socket.recv(&mut buffer))
            .await
            .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
        if answers(&buffer[..len], query) {
            buffer.truncate(len);
            return Ok(buffer);
        }
    }
}

async fn serve_tcp(listener: TcpListener, config: Arc<Config>) {
    let mut connections = JoinSet::new();
    loop {
        match listener.accept().await {
            Ok((stream, client)) => {
                config
                    .connections
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                // As DNS clients and servers do: a pipelined answer must not
                // wait for the acknowledgement of the one before it.
                if let Err(error) = stream.set_nodelay(true) {
                    debug!(%error, "proxy: TCP_NODELAY not set");
                }
                connections.spawn(serve_connection(stream, client, config.clone()));
            }
            Err(error) => debug!(%error, "proxy: TCP accept failed"),
        }
        while connections.try_join_next().is_some() {}
    }
}

/// One client connection: each message is forwarded on its own (over the
/// connection's one upstream connection), and the answers share the write
/// half in the order they come back.
async fn serve_connection(stream: TcpStream, client: SocketAddr, config: Arc<Config>) {
    let (mut reader, writer) = stream.into_split();
    let writer = Arc::new(Mutex::new(writer));
    let upstream = Arc::new(Upstream::new(config.upstream));
    let close = Arc::new(Notify::new());
    let mut tasks = JoinSet::new();
    loop {
        let message = tokio::select! {
            message = read_frame(&mut reader) => message,
            () = close.notified() => {
                // An upstream failure: close now, without the other answers.
                tasks.abort_all();
                break;
            }
        };
        match message {
            Ok(Some(query)) => {
                let ticket = config.log.received(question(&query), Transport::Tcp);
                tasks.spawn(forward_tcp(
                    query,
                    ticket,
                    upstream.clone(),
                    writer.clone(),
                    close.clone(),
                    config.clone(),
                ));
                while tasks.try_join_next().is_some() {}
            }
            Ok(None) => {
                // The client has sent everything: it still reads the
                // answers to what is in flight.
                while tasks.join_next().await.is_some() {}
                break;
            }
            Err(error) => {
                debug!(%error, %client, "proxy: TCP read failed");
                tasks.abort_all();
                break;
            }
        }
    }
    while tasks.join_next().await.is_some() {}
    // Best effort: the client may be gone already.
    let _ = writer.lock().await.shutdown().await;
}

async fn forward_tcp(
    query: Vec<u8>,
    ticket: Option<Ticket>,
    upstream: Arc<Upstream>,
    writer: Arc<Mutex<OwnedWriteHalf>>,
    close: Arc<Notify>,
    config: Arc<Config>,
) {
    sleep(config.delay).await;
    let reply = match upstream.exchange(&query).await {
        Ok(reply) => reply,
        Err(UpstreamError::Io(error)) => {
            debug!(%error, upstream = %config.upstream, "proxy: TCP upstream failed, closing");
            close.notify_one();
            return;
        }
        Err(UpstreamError::Timeout) => {
            debug!(upstream = %config.upstream, "proxy: no TCP answer, closing");
            close.notify_one();
            return;
        }
    };
    let Some(frame) = frame(&reply) else {
        close.notify_one();
        return;
    };
    let mut writer = writer.lock().await;
    let mut written = 0;
    let sent = config.log.send(ticket, || {
        loop {
            match writer.try_write(&frame[written..]) {
                Ok(n) => {
                    written += n;
                    if written == frame.len() {
                        break Ok(true);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break Ok(false),
                Err(e) => break Err(e),
            }
        }
    });
    let result = match sent {
        Ok(true) => Ok(()),
        Ok(false) => writer.write_all(&frame[written..]).await.map(|()| {
            config.log.answered(ticket);
        }),
        Err(error) => Err(error),
    };
    if let Err(error) = result {
        debug!(%error, "proxy: TCP answer not sent, closing");
        close.notify_one();
    }
}

/// The upstream side of one client connection: one TCP connection to the
/// server, opened with the first message, queries pipelined on it and
/// answers matched to them by message ID (RFC 7766 section 6.2.1), as a
/// client's own connection would be. A connection per message would be
/// no model of a client, and servers refuse them: BIND's listen queue
/// holds 10 connections, and each refused one costs a second.
struct Upstream {
    addr: SocketAddr,
    writer: Mutex<Option<OwnedWriteHalf>>,
    waiting: Arc<StdMutex<HashMap<u16, oneshot::Sender<Vec<u8>>>>>,
    reader: StdMutex<Option<JoinHandle<()>>>,
}

impl Upstream {
    fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            writer: Mutex::new(None),
            waiting: Arc::default(),
            reader: StdMutex::new(None),
        }
    }

    /// Sends `query` and waits for the answer with its ID, for at most
    /// [`UPSTREAM_TIMEOUT`].
    async fn exchange(&self, query: &[u8]) -> Result<Vec<u8>, UpstreamError> {
        let id = match query {
            [a, b, ..] => u16::from_be_bytes([*a, *b]),
            _ => return Err(UpstreamError::Io(io::Error::other("message too short"))),
        };
        let (sender, answer) = oneshot::channel();
        if lock(&self.waiting).insert(id, sender).is_some() {
            return Err(UpstreamError::Io(io::Error::other(
                "two queries in flight with one ID",
            )));
        }
        let result = timeout(UPSTREAM_TIMEOUT, async {
            self.send(query).await?;
            answer
                .await
                .map_err(|_| io::Error::from(io::ErrorKind::UnexpectedEof))
        })
        .await;
        lock(&self.waiting).remove(&id);
        match result {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(error)) => Err(UpstreamError::Io(error)),
            Err(_) => Err(UpstreamError::Timeout),
        }
    }

    async fn send(&self, query: &[u8]) -> io::Result<()> {
        let frame = frame(query).ok_or_else(|| io::Error::other("message too long for TCP"))?;
        let mut writer = self.writer.lock().await;
        if writer.is_none() {
            let stream = TcpStream::connect(self.addr).await?;
            stream.set_nodelay(true)?;
            let (reader, half) = stream.into_split();
            *writer = Some(half);
            *lock(&self.reader) = Some(tokio::spawn(read_answers(reader, self.waiting.clone())));
        }
        match writer.as_mut() {
            Some(half) => half.write_all(&frame).await,
            None => Err(io::Error::from(io::ErrorKind::NotConnected)),
        }
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        if let Some(task) = lock(&self.reader).take() {
            task.abort();
        }
    }
}

/// Hands each answer to the query with its ID; at the end of the stream,
/// every query still waiting fails.
async fn read_answers(
    mut reader: OwnedReadHalf,
    waiting: Arc<StdMutex<HashMap<u16, oneshot::Sender<Vec<u8>>>>>,
) {
    // As the server's client: acknowledge each answer at once, or a server
    // that leaves Nagle's algorithm on (BIND) holds the next pipelined
    // answer up to 40 ms for this side's delayed acknowledgement.
    let acknowledge_at_once = |reader: &OwnedReadHalf| {
        #[cfg(target_os = "linux")]
        {
            let stream: &TcpStream = reader.as_ref();
            let _ = socket2::SockRef::from(stream).set_tcp_quickack(true);
        }
        #[cfg(not(target_os = "linux"))]
        let _ = reader;
    };
    acknowledge_at_once(&reader);
    while let Ok(Some(reply)) = read_frame(&mut reader).await {
        acknowledge_at_once(&reader);
        let [a, b, ..] = reply[..] else { continue };
        if let Some(sender) = lock(&waiting).remove(&u16::from_be_bytes([a, b])) {
            // The query may have timed out meanwhile: nobody to tell.
            let _ = sender.send(reply);
        }
    }
    lock(&waiting).clear();
}

/// Why a query got no answer from upstream.
enum UpstreamError {
    Io(io::Error),
    Timeout,
}

fn lock<T>(mutex: &StdMutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `message` with its two-octet length prefix.
fn frame(message: &[u8]) -> Option<Vec<u8>> {
    let len = u16::try_from(message.len()).ok()?;
    let mut frame = Vec::with_capacity(message.len() + 2);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(message);
    Some(frame)
}

/// The next length-prefixed message, or `None` at a clean end of stream.
async fn read_frame(reader: &mut OwnedReadHalf) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0; 2];
    match reader.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let mut message = vec![0; usize::from(u16::from_be_bytes(len))];
    reader.read_exact(&mut message).await?;
    Ok(Some(message))
}
