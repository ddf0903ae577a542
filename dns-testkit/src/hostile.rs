//! [`HostileServer`]: a DNS responder on localhost that answers each
//! question the way a test script says, including ways no honest server
//! would: garbage, cut-off messages, compression-pointer loops, wrong
//! message IDs, silence, and well-formed records with hostile content.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};

use hickory_proto::op::{Message, OpCode, ResponseCode};
use hickory_proto::rr::{Name, Record, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use crate::querylog::Transport;

/// The largest datagram read; DNS over UDP never needs more.
const MAX_DATAGRAM: usize = 65_535;

/// One question the responder received.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Question {
    /// The name asked about, as the client spelled it.
    pub name: Name,
    /// The type asked for.
    pub record_type: RecordType,
    /// How it arrived.
    pub transport: Transport,
}

/// The sections of a response; the responder adds the header and the
/// question.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct Answer {
    answers: Vec<Record>,
    authorities: Vec<Record>,
    additionals: Vec<Record>,
    rcode: ResponseCode,
    truncated: bool,
}

impl Answer {
    /// An empty NOERROR answer (NODATA until records are added).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a record to the answer section.
    pub fn with_answer(mut self, record: Record) -> Self {
        self.answers.push(record);
        self
    }

    /// Adds a record to the authority section (an SOA makes a negative
    /// answer cacheable, RFC 2308).
    pub fn with_authority(mut self, record: Record) -> Self {
        self.authorities.push(record);
        self
    }

    /// Adds a record to the additional section.
    pub fn with_additional(mut self, record: Record) -> Self {
        self.additionals.push(record);
        self
    }

    /// Sets the response code (NXDOMAIN, SERVFAIL...).
    pub fn with_rcode(mut self, rcode: ResponseCode) -> Self {
        self.rcode = rcode;
        self
    }

    /// Sets the TC bit, which sends a UDP client to TCP.
    pub fn with_truncation(mut self, truncated: bool) -> Self {
        self.truncated = truncated;
        self
    }

    /// The response to `query` (ID, opcode and RD taken from it), encoded.
    fn encode(&self, query: &Message) -> io::Result<Vec<u8>> {
        let mut response = self.message(query);
        response.add_answers(self.answers.iter().cloned());
        response.add_authorities(self.authorities.iter().cloned());
        response.add_additionals(self.additionals.iter().cloned());
        response.to_vec().map_err(io::Error::other)
    }

    /// The header and question of the response, without records.
    fn message(&self, query: &Message) -> Message {
        let mut response = Message::response(query.metadata.id, OpCode::Query);
        response.metadata.recursion_desired = query.metadata.recursion_desired;
        response.metadata.authoritative = true;
        response.metadata.truncation = self.truncated;
        response.metadata.response_code = self.rcode;
        response.add_queries(query.queries.iter().cloned());
        response
    }
}

/// What the responder sends for one question. A script returns a list of
/// them, sent in order; an empty list means no answer at all.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Reply {
    /// A well-formed response.
    Answer(Answer),
    /// The same response with another message ID, as an off-path attacker
    /// guessing IDs would send.
    WrongId(Answer),
    /// The response cut after this many bytes (over TCP the length prefix
    /// says that many too, so the message itself is short).
    Cut(Answer, usize),
    /// These bytes, as they are.
    Bytes(Vec<u8>),
    /// A response with one answer record whose owner name is a compression
    /// pointer to itself: a parser that follows it without a bound never
    /// stops.
    PointerLoop,
}

impl Reply {
    /// The bytes to send, or `None` when the response cannot be encoded
    /// (then nothing is sent, as a broken server would).
    fn bytes(&self, query: &Message) -> Option<Vec<u8>> {
        let encoded = match self {
            Self::Answer(answer) => answer.encode(query),
            Self::WrongId(answer) => answer.encode(query).map(|mut bytes| {
                let id = query.metadata.id.wrapping_add(1).to_be_bytes();
                bytes[..2].copy_from_slice(&id);
                bytes
            }),
            Self::Cut(answer, len) => answer.encode(query).map(|mut bytes| {
                bytes.truncate(*len);
                bytes
            }),
            Self::Bytes(bytes) => Ok(bytes.clone()),
            Self::PointerLoop => pointer_loop(query),
        };
        encoded
            .inspect_err(|error| warn!(%error, "cannot encode the scripted reply"))
            .ok()
    }
}

/// Deliberately malformed bytes: an answer count of one and an owner name
/// that points at its own offset.
fn pointer_loop(query: &Message) -> io::Result<Vec<u8>> {
    let mut bytes = Answer::new()
        .message(query)
        .to_vec()
        .map_err(io::Error::other)?;
    let offset = u16::try_from(bytes.len())
        .ok()
        .filter(|o| *o < 0x4000)
        .ok_or_else(|| io::Error::other("question too long for a pointer"))?;
    bytes[6..8].copy_from_slice(&1u16.to_be_bytes());
    bytes.extend_from_slice(&(0xC000 | offset).to_be_bytes());
    // Type A, class IN, TTL 60, four bytes of address.
    bytes.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
    Ok(bytes)
}

/// The function that decides each reply.
type Script = dyn Fn(&Question) -> Vec<Reply> + Send + Sync;

/// Shared between the server handle and its tasks.
struct Shared {
    script: Box<Script>,
    log: Mutex<Vec<Question>>,
}

impl Shared {
    fn log(&self) -> MutexGuard<'_, Vec<Question>> {
        // Each update is one push, so a panic elsewhere leaves it whole.
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The replies to one message, or nothing when it is not a query with
    /// one question (those are dropped, counted nowhere).
    fn replies(&self, request: &[u8], transport: Transport) -> Vec<Vec<u8>> {
        let Ok(query) = Message::from_vec(request) else {
            debug!("ignoring an unreadable message");
            return Vec::new();
        };
        let Some(q) = query.queries.first() else {
            return Vec::new();
        };
        let question = Question {
            name: q.name().clone(),
            record_type: q.query_type(),
            transport,
        };
        self.log().push(question.clone());
        (self.script)(&question)
            .iter()
            .filter_map(|reply| reply.bytes(&query))
            .collect()
    }
}

/// A DNS responder on the loopback interface (UDP and TCP on one port)
/// whose every reply comes from a script, for testing how a client copes
/// with servers that lie, break or stay silent.
///
/// The script sees each question and returns the [`Reply`]s to send. It
/// can build well-formed answers with hostile content (records for other
/// names, control characters in labels, TTLs with the top bit set) as
/// hickory records in an [`Answer`], or choose broken messages. Messages
/// that are not readable queries get no reply.
///
/// ```
/// use dns_testkit::hostile::{Answer, HostileServer, Reply};
/// use hickory_proto::rr::{Name, RData, Record, rdata::A};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let server = HostileServer::start(|q| {
///     // A TTL with the top bit set: RFC 2181 says it counts as zero.
///     let a = Record::from_rdata(q.name.clone(), 1 << 31, RData::A(A::new(192, 0, 2, 1)));
///     vec![Reply::Answer(Answer::new().with_answer(a))]
/// })
/// .await?;
/// assert!(server.addr().ip().is_loopback());
/// assert!(server.questions().is_empty());
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub struct HostileServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

impl HostileServer {
    /// Starts on a free port of 127.0.0.1 with this script.
    ///
    /// # Errors
    ///
    /// When the sockets cannot be bound.
    pub async fn start(
        script: impl Fn(&Question) -> Vec<Reply> + Send + Sync + 'static,
    ) -> io::Result<Self> {
        let (udp, tcp) =
            dns_server::bind_udp_and_tcp(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
        let addr = udp.local_addr()?;
        let shared = Arc::new(Shared {
            script: Box::new(script),
            log: Mutex::new(Vec::new()),
        });
        let tasks = vec![
            tokio::spawn(serve_udp(udp, shared.clone())),
            tokio::spawn(serve_tcp(tcp, shared.clone())),
        ];
        debug!(%addr, "hostile server started");
        Ok(Self {
            addr,
            shared,
            tasks,
        })
    }

    /// The address both transports listen on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every question received so far, in order.
    pub fn questions(&self) -> Vec<Question> {
        self.shared.log().clone()
    }

    /// How many questions of this type were asked about this name (names
    /// compare ignoring ASCII case, as in DNS).
    pub fn count(&self, name: &Name, record_type: RecordType) -> usize {
        self.shared
            .log()
            .iter()
            .filter(|q| q.record_type == record_type && q.name.eq_ignore_root(name))
            .count()
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl fmt::Debug for HostileServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostileServer")
            .field("addr", &self.addr)
            .field("questions", &self.shared.log().len())
            .finish_non_exhaustive()
    }
}

async fn serve_udp(socket: UdpSocket, shared: Arc<Shared>) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let (len, peer) = match socket.recv_from(&mut buf).await {
            Ok(got) => got,
            Err(error) => {
                // A previous reply's ICMP "port unreachable" lands here on
                // some systems; the socket is still usable.
                debug!(%error, "UDP receive failed");
                continue;
            }
        };
        for reply in shared.replies(&buf[..len], Transport::Udp) {
            if let Err(error) = socket.send_to(&reply, peer).await {
                debug!(%error, %peer, "UDP send failed");
            }
        }
    }
}

async fn serve_tcp(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                // Ends when the client closes or the runtime shuts down.
                tokio::spawn(serve_connection(stream, shared.clone()));
            }
            Err(error) => debug!(%error, "TCP accept failed"),
        }
    }
}

async fn serve_connection(mut stream: TcpStream, shared: Arc<Shared>) {
    loop {
        let Ok(len) = stream.read_u16().await else {
            return;
        };
        let mut request = vec![0u8; usize::from(len)];
        if stream.read_exact(&mut request).await.is_err() {
            return;
        }
        for reply in shared.replies(&request, Transport::Tcp) {
            let Ok(len) = u16::try_from(reply.len()) else {
                warn!(len = reply.len(), "reply too long for TCP framing");
                continue;
            };
            let mut framed = len.to_be_bytes().to_vec();
            framed.extend_from_slice(&reply);
            if stream.write_all(&framed).await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use hickory_proto::op::Query;

    use super::*;

    fn query_for(name: &str) -> Message {
        let mut q = Message::query();
        q.metadata.id = 0x1234;
        q.add_query(Query::query(
            Name::from_ascii(name).unwrap_or_else(|_| Name::root()),
            RecordType::A,
        ));
        q
    }

    #[test]
    fn wrong_id_differs_only_in_the_id() {
        let query = query_for("a.example.");
        let right = Reply::Answer(Answer::new())
            .bytes(&query)
            .unwrap_or_default();
        let wrong = Reply::WrongId(Answer::new())
            .bytes(&query)
            .unwrap_or_default();
        assert_eq!(&right[..2], &[0x12, 0x34]);
        assert_eq!(&wrong[..2], &[0x12, 0x35]);
        assert_eq!(right[2..], wrong[2..]);
    }

    #[test]
    fn the_pointer_loop_is_unreadable() {
        let bytes = Reply::PointerLoop
            .bytes(&query_for("a.example."))
            .unwrap_or_default();
        assert!(bytes.len() > 12);
        assert!(Message::from_vec(&bytes).is_err());
    }

    #[test]
    fn a_cut_reply_is_short_and_unreadable() {
        let query = query_for("a.example.");
        let bytes = Reply::Cut(Answer::new(), 7)
            .bytes(&query)
            .unwrap_or_default();
        assert_eq!(bytes.len(), 7);
        assert!(Message::from_vec(&bytes).is_err());
    }
}
