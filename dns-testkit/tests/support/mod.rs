//! Shared by the integration tests: a DNS-SD zone and raw queries that
//! show every header bit and section.

#![allow(dead_code)] // each test binary uses its own part of this module
#![allow(clippy::unwrap_used)] // a failure here is the calling test failing

use std::net::SocketAddr;
use std::time::Duration;

use dns_core::hickory::{name_from_hickory, name_to_hickory, rdata_from_hickory};
use dns_core::{InMemoryProvider, Name, RData, RecordSet, RecordType, Srv, Txt, Zone};
use hickory_proto::op::{Edns, Message, Query};
use hickory_proto::rr::{self as h, Record};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::timeout;

/// Long enough for a loaded CI machine, short enough for a failing test.
pub(crate) const PATIENCE: Duration = Duration::from_secs(5);

pub(crate) fn name(s: &str) -> Name {
    Name::parse(s).unwrap()
}

/// The instance with a space and a dot in its label.
pub(crate) const WEB: &str = r"My\032Web\.v2._http._tcp.example.com.";
/// The instance with UTF-8 and a space in its label.
pub(crate) const PRINTER: &str = "Büro\\032Drucker._http._tcp.example.com.";
/// A plain instance whose SRV set has two targets.
pub(crate) const PLAIN: &str = "plain._http._tcp.example.com.";

pub(crate) fn set(owner: &str, ttl: u32, values: impl IntoIterator<Item = RData>) -> RecordSet {
    RecordSet::new(name(owner), ttl, values).unwrap()
}

pub(crate) fn a(ip: &str) -> RData {
    RData::A(ip.parse().unwrap())
}

pub(crate) fn srv(port: u16, target: &str) -> RData {
    RData::SRV(Srv::new(0, 0, port, name(target)))
}

/// The TXT with a zero octet, a high octet and an empty string in it.
pub(crate) fn binary_txt() -> RData {
    RData::TXT(Txt::new([&b"k=\x00\xff\x01"[..], b"", b"flag"]).unwrap())
}

/// `example.com` with three `_http._tcp` instances, their targets, an
/// empty non-terminal (`b.example.com`) and two CNAMEs.
pub(crate) fn dns_sd_zone() -> (InMemoryProvider, Zone) {
    let provider = InMemoryProvider::new();
    let zone = provider.create_zone(name("example.com")).unwrap();
    let sets = [
        set(
            "_http._tcp.example.com",
            120,
            [
                RData::PTR(name(WEB)),
                RData::PTR(name(PRINTER)),
                RData::PTR(name(PLAIN)),
            ],
        ),
        set(WEB, 120, [srv(80, "Host1.example.com")]),
        set(WEB, 120, [binary_txt()]),
        set(PRINTER, 120, [srv(631, "host2.example.com")]),
        set(PRINTER, 120, [RData::TXT(Txt::empty())]),
        set(
            PLAIN,
            120,
            [
                srv(8080, "host1.example.com"),
                srv(8081, "host2.example.com"),
            ],
        ),
        set("Host1.example.com", 300, [a("192.0.2.1")]),
        set(
            "host1.example.com",
            300,
            [RData::AAAA("2001:db8::1".parse().unwrap())],
        ),
        set("host2.example.com", 300, [a("192.0.2.2"), a("192.0.2.3")]),
        set("www.example.com", 300, [a("192.0.2.80")]),
        set("a.b.example.com", 300, [a("192.0.2.99")]),
        set(
            "alias.example.com",
            300,
            [RData::CNAME(name("www.example.com"))],
        ),
        set(
            "away.example.com",
            300,
            [RData::CNAME(name("www.example.org"))],
        ),
    ];
    for s in sets {
        provider.insert_unchecked(&zone, s).unwrap();
    }
    (provider, zone)
}

/// A query for `name`/`rtype`, with EDNS advertising `payload` if given.
pub(crate) fn query(name: &Name, rtype: RecordType, payload: Option<u16>) -> Message {
    let mut message = Message::query();
    message.add_query(Query::query(
        name_to_hickory(name),
        h::RecordType::from(rtype.code()),
    ));
    if let Some(payload) = payload {
        let mut edns = Edns::new();
        edns.set_max_payload(payload);
        message.set_edns(edns);
    }
    message
}

/// Sends `message` over UDP and returns the raw answer.
pub(crate) async fn exchange_udp_raw(addr: SocketAddr, message: &[u8]) -> Vec<u8> {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    socket.send_to(message, addr).await.unwrap();
    let mut buffer = vec![0; 65_535];
    let len = timeout(PATIENCE, socket.recv(&mut buffer))
        .await
        .expect("no UDP answer")
        .unwrap();
    buffer.truncate(len);
    buffer
}

pub(crate) async fn exchange_udp(addr: SocketAddr, message: &Message) -> Message {
    let raw = exchange_udp_raw(addr, &message.to_vec().unwrap()).await;
    let response = Message::from_vec(&raw).unwrap();
    assert_eq!(response.metadata.id, message.metadata.id);
    response
}

pub(crate) async fn exchange_tcp(addr: SocketAddr, message: &Message) -> Message {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let bytes = message.to_vec().unwrap();
    let len = u16::try_from(bytes.len()).unwrap();
    stream.write_all(&len.to_be_bytes()).await.unwrap();
    stream.write_all(&bytes).await.unwrap();
    let response = timeout(PATIENCE, read_frame(&mut stream))
        .await
        .expect("no TCP answer");
    let response = Message::from_vec(&response).unwrap();
    assert_eq!(response.metadata.id, message.metadata.id);
    response
}

pub(crate) async fn read_frame(stream: &mut TcpStream) -> Vec<u8> {
    let len = stream.read_u16().await.unwrap();
    let mut buffer = vec![0; usize::from(len)];
    stream.read_exact(&mut buffer).await.unwrap();
    buffer
}

/// UDP query without EDNS.
pub(crate) async fn ask(addr: SocketAddr, owner: &str, rtype: RecordType) -> Message {
    exchange_udp(addr, &query(&name(owner), rtype, None)).await
}

/// The records of `records` converted back to this crate's model.
pub(crate) fn values(records: &[Record]) -> Vec<RData> {
    records
        .iter()
        .map(|r| rdata_from_hickory(&r.data).unwrap())
        .collect()
}

/// The owner names of `records`, in presentation form with their case.
pub(crate) fn owners(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .map(|r| name_from_hickory(&r.name).unwrap().to_string())
        .collect()
}

/// (owner in lower case, type) of each record, for comparing sections.
pub(crate) fn keys(records: &[Record]) -> Vec<(String, u16)> {
    records
        .iter()
        .map(|r| {
            (
                name_from_hickory(&r.name)
                    .unwrap()
                    .to_lowercase()
                    .to_string(),
                u16::from(r.record_type()),
            )
        })
        .collect()
}
