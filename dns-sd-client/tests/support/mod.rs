//! A zone scripted on dns-testkit's hostile responder: each (name, type)
//! gets the replies a test chooses, everything else NXDOMAIN with an SOA.
#![allow(dead_code, reason = "each test file uses its own part of the helpers")]
#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly too"
)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dns_sd_client::DnsSdClient;
use dns_testkit::hostile::{Answer, HostileServer, Reply};
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::rdata::{A, CNAME, PTR, SOA, SRV, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};

/// A TTL with the top bit set: RFC 2181 section 8 says it counts as 0.
pub(crate) const TOP_BIT: u32 = 1 << 31;

/// A hickory name from presentation form (absolute).
pub(crate) fn hn(s: &str) -> Name {
    let mut n = Name::from_ascii(s).unwrap();
    n.set_fqdn(true);
    n
}

/// A name of raw labels (control characters and all).
pub(crate) fn raw(labels: &[&[u8]]) -> Name {
    let mut n = Name::from_labels(labels.iter().copied()).unwrap();
    n.set_fqdn(true);
    n
}

/// The same name in this workspace's model.
pub(crate) fn dn(n: &Name) -> dns_core::Name {
    dns_core::hickory::name_from_hickory(n).unwrap()
}

pub(crate) fn ptr(owner: &str, target: Name, ttl: u32) -> Record {
    Record::from_rdata(hn(owner), ttl, RData::PTR(PTR(target)))
}

pub(crate) fn srv(owner: &str, port: u16, target: &str, ttl: u32) -> Record {
    Record::from_rdata(hn(owner), ttl, RData::SRV(SRV::new(0, 0, port, hn(target))))
}

pub(crate) fn txt(owner: &str, ttl: u32) -> Record {
    Record::from_rdata(hn(owner), ttl, RData::TXT(TXT::new(vec!["v=1".into()])))
}

pub(crate) fn a(owner: &str, ip: [u8; 4], ttl: u32) -> Record {
    let [x, y, z, w] = ip;
    Record::from_rdata(hn(owner), ttl, RData::A(A::new(x, y, z, w)))
}

pub(crate) fn cname(owner: &str, target: &str, ttl: u32) -> Record {
    Record::from_rdata(hn(owner), ttl, RData::CNAME(CNAME(hn(target))))
}

/// The zone's SOA with these TTL and MINIMUM fields.
pub(crate) fn soa(ttl: u32, minimum: u32) -> Record {
    let data = SOA::new(
        hn("ns.example.com"),
        hn("admin.example.com"),
        1,
        3_600,
        600,
        86_400,
        minimum,
    );
    Record::from_rdata(hn("example.com"), ttl, RData::SOA(data))
}

/// The replies scripted for each (lower-cased name, type).
type Replies = HashMap<(String, RecordType), Vec<Reply>>;

/// What the scripted zone answers, changeable while the server runs.
#[derive(Clone, Default)]
pub(crate) struct Zone {
    replies: Arc<Mutex<Replies>>,
}

impl Zone {
    /// Answers (owner, type) with these records in the answer section.
    pub(crate) fn set(&self, owner: &str, rtype: RecordType, records: Vec<Record>) {
        let answer = records.into_iter().fold(Answer::new(), Answer::with_answer);
        self.reply(owner, rtype, vec![Reply::Answer(answer)]);
    }

    /// Answers (owner, type) with exactly these replies.
    pub(crate) fn reply(&self, owner: &str, rtype: RecordType, replies: Vec<Reply>) {
        self.replies
            .lock()
            .unwrap()
            .insert((key(&hn(owner)), rtype), replies);
    }

    fn answer(&self, name: &Name, rtype: RecordType) -> Vec<Reply> {
        self.replies
            .lock()
            .unwrap()
            .get(&(key(name), rtype))
            .cloned()
            .unwrap_or_else(|| {
                vec![Reply::Answer(
                    Answer::new()
                        .with_rcode(ResponseCode::NXDomain)
                        .with_authority(soa(60, 60)),
                )]
            })
    }

    /// A responder serving this zone.
    pub(crate) async fn serve(&self) -> HostileServer {
        let zone = self.clone();
        HostileServer::start(move |q| zone.answer(&q.name, q.record_type))
            .await
            .unwrap()
    }
}

fn key(n: &Name) -> String {
    n.to_lowercase().to_string()
}

/// A client asking only `server`, giving up quickly on silence.
pub(crate) fn client(server: &HostileServer) -> DnsSdClient {
    DnsSdClient::builder()
        .with_name_server(server.addr())
        .with_timeout(Duration::from_millis(400))
        .with_attempts(1)
        .build()
        .unwrap()
}

/// Collects what tracing writes while a test runs.
#[derive(Clone, Default)]
pub(crate) struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// Captures this thread's log events until the guard is dropped.
    pub(crate) fn capture(&self) -> tracing::subscriber::DefaultGuard {
        let logs = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::WARN)
            .with_writer(move || logs.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
