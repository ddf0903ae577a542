//! RFC 2136 updates and AXFR against the server, over real TCP, with
//! messages built by hickory: who may write, prerequisites, atomicity,
//! multi-message signed transfers, and zones kept on disk.
#![allow(clippy::unwrap_used, reason = "tests")]

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use dns_core::{InMemoryProvider, Name, RData, RecordType};
use dns_server::{UpdatePolicy, ZoneServer, ZoneStore};
use hickory_proto::op::{Message, ResponseCode, update_message};
use hickory_proto::rr::rdata::tsig::TsigAlgorithm;
use hickory_proto::rr::{self as h, TSigner};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

fn hn(s: &str) -> h::Name {
    h::Name::from_ascii(s).unwrap()
}

fn key(name: &str, secret: &[u8]) -> TSigner {
    TSigner::new(secret.to_vec(), TsigAlgorithm::HmacSha256, hn(name), 300).unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn a_set(name: &str, ips: &[&str]) -> h::RecordSet {
    let mut set = h::RecordSet::new(hn(name), h::RecordType::A, 60);
    for ip in ips {
        set.insert(
            h::Record::from_rdata(hn(name), 60, h::RData::A(ip.parse().unwrap())),
            0,
        );
    }
    set
}

/// Sends one message over TCP and reads answers until `done` says stop.
async fn exchange(
    addr: SocketAddr,
    mut message: Message,
    signer: Option<&TSigner>,
    verify: bool,
    mut done: impl FnMut(&[u8]) -> bool,
) -> Vec<Vec<u8>> {
    let mut verifier = None;
    if let Some(signer) = signer {
        let (tsig, v) = signer.sign_message(&message, now()).unwrap();
        message.set_signature(tsig);
        verifier = v.filter(|_| verify);
    }
    let bytes = message.to_vec().unwrap();
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_u16(u16::try_from(bytes.len()).unwrap())
        .await
        .unwrap();
    tcp.write_all(&bytes).await.unwrap();
    let mut answers = Vec::new();
    loop {
        let len = tcp.read_u16().await.unwrap();
        let mut buf = vec![0; usize::from(len)];
        tcp.read_exact(&mut buf).await.unwrap();
        if let Some(v) = verifier.as_mut() {
            v.verify(&buf)
                .expect("every answer verifies against the chain");
        }
        let stop = done(&buf);
        answers.push(buf);
        if stop {
            return answers;
        }
    }
}

/// One request and its answer, which must verify when it was signed.
async fn one(addr: SocketAddr, message: Message, signer: Option<&TSigner>) -> Message {
    let answers = exchange(addr, message, signer, true, |_| true).await;
    Message::from_vec(&answers[0]).unwrap()
}

/// One request signed with a key the server does not accept: the error
/// answer carries an unsigned TSIG record (RFC 8945 5.2.1, 5.2.2).
async fn rejected(addr: SocketAddr, message: Message, signer: &TSigner) -> Message {
    let answers = exchange(addr, message, Some(signer), false, |_| true).await;
    Message::from_vec(&answers[0]).unwrap()
}

async fn server(policy: Option<UpdatePolicy>) -> (ZoneServer, InMemoryProvider) {
    let provider = InMemoryProvider::new();
    provider
        .create_zone(Name::parse("example.test").unwrap())
        .unwrap();
    let mut builder = ZoneServer::builder(provider.clone());
    if let Some(policy) = policy {
        builder = builder.with_updates(policy);
    }
    (builder.start().await.unwrap(), provider)
}

fn www(provider: &InMemoryProvider) -> Option<Vec<RData>> {
    let zone = Name::parse("example.test").unwrap();
    provider
        .lookup(
            &zone,
            &Name::parse("www.example.test").unwrap(),
            RecordType::A,
        )
        .map(|s| s.values().to_vec())
}

#[tokio::test]
async fn without_a_policy_updates_are_not_implemented() {
    let (server, provider) = server(None).await;
    let add = update_message::append(
        a_set("www.example.test.", &["192.0.2.1"]),
        hn("example.test."),
        false,
        false,
    );
    let answer = one(server.addr(), add, None).await;
    assert_eq!(answer.response_code, ResponseCode::NotImp);
    assert_eq!(www(&provider), None);
}

#[tokio::test]
async fn loopback_clients_update_without_a_key() {
    let (server, provider) = server(Some(UpdatePolicy::loopback())).await;
    let add = update_message::append(
        a_set("www.example.test.", &["192.0.2.1", "192.0.2.2"]),
        hn("example.test."),
        false,
        false,
    );
    assert_eq!(
        one(server.addr(), add, None).await.response_code,
        ResponseCode::NoError
    );
    assert_eq!(www(&provider).unwrap().len(), 2);
    let remove = update_message::delete_by_rdata(
        a_set("www.example.test.", &["192.0.2.1"]),
        hn("example.test."),
        false,
    );
    assert_eq!(
        one(server.addr(), remove, None).await.response_code,
        ResponseCode::NoError
    );
    assert_eq!(
        www(&provider).unwrap(),
        [RData::A("192.0.2.2".parse().unwrap())]
    );
    // A zone the server does not serve.
    let elsewhere = update_message::append(
        a_set("www.other.test.", &["192.0.2.1"]),
        hn("other.test."),
        false,
        false,
    );
    assert_eq!(
        one(server.addr(), elsewhere, None).await.response_code,
        ResponseCode::NotAuth
    );
}

#[tokio::test]
async fn with_keys_only_signed_updates_with_a_known_key_are_applied() {
    let good = key("update-key.", SECRET);
    let (server, provider) = server(Some(UpdatePolicy::loopback().with_key(good.clone()))).await;
    let add = || {
        update_message::append(
            a_set("www.example.test.", &["192.0.2.1"]),
            hn("example.test."),
            false,
            false,
        )
    };

    assert_eq!(
        one(server.addr(), add(), None).await.response_code,
        ResponseCode::Refused
    );
    let unknown = key("other-key.", SECRET);
    assert_eq!(
        rejected(server.addr(), add(), &unknown).await.response_code,
        ResponseCode::NotAuth
    );
    let wrong_secret = key("update-key.", b"not-the-secret-not-the-secret-xx");
    assert_eq!(
        rejected(server.addr(), add(), &wrong_secret)
            .await
            .response_code,
        ResponseCode::NotAuth
    );
    assert_eq!(www(&provider), None, "nothing changed");

    // The answer to a signed update is signed: the exchange verifies it.
    let answer = one(server.addr(), add(), Some(&good)).await;
    assert_eq!(answer.response_code, ResponseCode::NoError);
    assert!(answer.signature().is_some());
    assert_eq!(www(&provider).unwrap().len(), 1);
}

#[tokio::test]
async fn prerequisites_make_the_update_all_or_nothing() {
    let (server, provider) = server(Some(UpdatePolicy::loopback())).await;
    let zone = hn("example.test.");
    let create = || {
        update_message::create(
            a_set("www.example.test.", &["192.0.2.1"]),
            zone.clone(),
            false,
        )
    };
    assert_eq!(
        one(server.addr(), create(), None).await.response_code,
        ResponseCode::NoError
    );
    // "Set does not exist" no longer holds.
    assert_eq!(
        one(server.addr(), create(), None).await.response_code,
        ResponseCode::YXRRSet
    );
    // A compare-and-swap from a stale read changes nothing.
    let stale = update_message::compare_and_swap(
        a_set("www.example.test.", &["192.0.2.9"]),
        a_set("www.example.test.", &["192.0.2.3"]),
        zone.clone(),
        false,
    );
    assert_eq!(
        one(server.addr(), stale, None).await.response_code,
        ResponseCode::NXRRSet
    );
    assert_eq!(
        www(&provider).unwrap(),
        [RData::A("192.0.2.1".parse().unwrap())]
    );
    let fresh = update_message::compare_and_swap(
        a_set("www.example.test.", &["192.0.2.1"]),
        a_set("www.example.test.", &["192.0.2.3"]),
        zone,
        false,
    );
    assert_eq!(
        one(server.addr(), fresh, None).await.response_code,
        ResponseCode::NoError
    );
    assert_eq!(
        www(&provider).unwrap(),
        [RData::A("192.0.2.3".parse().unwrap())]
    );
}

#[tokio::test]
async fn a_signed_transfer_of_a_large_zone_is_complete_and_every_message_verifies() {
    let signer = key("xfr-key.", SECRET);
    let (server, provider) = server(Some(UpdatePolicy::loopback().with_key(signer.clone()))).await;
    let zone = provider
        .zone_of(&Name::parse("example.test").unwrap())
        .unwrap();
    for i in 0..3_000u32 {
        let name = Name::parse(&format!("host-{i}.example.test")).unwrap();
        let ip = std::net::Ipv4Addr::from(0x0a00_0000 + i);
        provider
            .insert_unchecked(
                &zone,
                dns_core::RecordSet::new(name, 60, [RData::A(ip)]).unwrap(),
            )
            .unwrap();
    }
    let mut soas = 0;
    let answers = exchange(
        server.addr(),
        update_message::zone_transfer(hn("example.test."), None),
        Some(&signer),
        true,
        |bytes| {
            let m = Message::from_vec(bytes).unwrap();
            soas += m
                .answers
                .iter()
                .filter(|r| r.record_type() == h::RecordType::SOA)
                .count();
            soas >= 2 || m.response_code != ResponseCode::NoError
        },
    )
    .await;
    assert!(answers.len() > 1, "a zone this size takes several messages");
    let records: Vec<h::Record> = answers
        .iter()
        .flat_map(|b| Message::from_vec(b).unwrap().answers)
        .collect();
    assert_eq!(records.first().unwrap().record_type(), h::RecordType::SOA);
    assert_eq!(records.last().unwrap().record_type(), h::RecordType::SOA);
    let a = records
        .iter()
        .filter(|r| r.record_type() == h::RecordType::A)
        .count();
    assert_eq!(a, 3_000);
    // Unsigned, the same transfer is refused.
    let refused = one(
        server.addr(),
        update_message::zone_transfer(hn("example.test."), None),
        None,
    )
    .await;
    assert_eq!(refused.response_code, ResponseCode::Refused);
}

#[tokio::test]
async fn updated_zones_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!("dns-server-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let zone = Name::parse("example.test").unwrap();
    let store = ZoneStore::open(&dir).unwrap();
    let provider = InMemoryProvider::new();
    store.load_or_create(&provider, &zone).unwrap();
    let server = ZoneServer::builder(provider.clone())
        .with_updates(UpdatePolicy::loopback())
        .with_store(store.clone())
        .start()
        .await
        .unwrap();
    let add = update_message::append(
        a_set("www.example.test.", &["192.0.2.7"]),
        hn("example.test."),
        false,
        false,
    );
    assert_eq!(
        one(server.addr(), add, None).await.response_code,
        ResponseCode::NoError
    );
    server.stop().await;

    let restarted = InMemoryProvider::new();
    store.load_or_create(&restarted, &zone).unwrap();
    assert_eq!(
        www(&restarted).unwrap(),
        [RData::A("192.0.2.7".parse().unwrap())]
    );
    // The SOA and NS came back as they were.
    let soa = restarted.lookup(&zone, &zone, RecordType::SOA).unwrap();
    assert_eq!(soa, provider.lookup(&zone, &zone, RecordType::SOA).unwrap());
    // A file that is not a zone is an error naming it, not an empty zone.
    std::fs::write(store.path(&zone), "[{\"name\": 1}]").unwrap();
    let e = store
        .load_or_create(&InMemoryProvider::new(), &zone)
        .unwrap_err();
    assert!(e.to_string().contains("example.test.json"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_transfer_of_twenty_thousand_records_is_complete() {
    let (server, provider) = server(Some(UpdatePolicy::loopback())).await;
    let zone = provider
        .zone_of(&Name::parse("example.test").unwrap())
        .unwrap();
    // With a TXT of 100 octets beside each address, the zone takes more
    // messages than a TCP connection queues responses by default.
    for i in 0..20_000u32 {
        let name = Name::parse(&format!("host-{i}.example.test")).unwrap();
        let ip = std::net::Ipv4Addr::from(0x0a00_0000 + i);
        provider
            .insert_unchecked(
                &zone,
                dns_core::RecordSet::new(name.clone(), 60, [RData::A(ip)]).unwrap(),
            )
            .unwrap();
        let txt = dns_core::Txt::from_text("x".repeat(100));
        provider
            .insert_unchecked(
                &zone,
                dns_core::RecordSet::new(name, 60, [RData::TXT(txt)]).unwrap(),
            )
            .unwrap();
    }
    let mut soas = 0;
    let answers = exchange(
        server.addr(),
        update_message::zone_transfer(hn("example.test."), None),
        None,
        false,
        |bytes| {
            let m = Message::from_vec(bytes).unwrap();
            soas += m
                .answers
                .iter()
                .filter(|r| r.record_type() == h::RecordType::SOA)
                .count();
            soas >= 2 || m.response_code != ResponseCode::NoError
        },
    )
    .await;
    let a = answers
        .iter()
        .flat_map(|b| Message::from_vec(b).unwrap().answers)
        .filter(|r| r.record_type() == h::RecordType::A)
        .count();
    assert_eq!(a, 20_000);
}
