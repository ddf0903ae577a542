//! RFC 6763 additional records, UDP truncation, and servers that
//! lower-case names inside record data.

// Helpers outside #[test] functions unwrap too: a failure is the test failing.
#![allow(clippy::unwrap_used)]

mod support;

use dns_core::hickory::name_from_hickory;
use dns_core::{InMemoryProvider, RData, RecordType, Txt};
use dns_testkit::TestServer;
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{self as h, rdata as hr};
use support::*;

fn sorted(mut keys: Vec<(String, u16)>) -> Vec<(String, u16)> {
    keys.sort();
    keys
}

fn key(owner: &str, rtype: RecordType) -> (String, u16) {
    (name(owner).to_lowercase().to_string(), rtype.code())
}

#[tokio::test]
async fn ptr_answers_carry_srv_txt_and_every_target_address() {
    let (provider, _) = dns_sd_zone();
    let server = TestServer::builder(provider)
        .with_additionals(true)
        .start()
        .await
        .unwrap();
    let q = query(&name("_http._tcp.example.com"), RecordType::PTR, Some(4096));
    let r = exchange_udp(server.addr(), &q).await;
    assert_eq!(r.metadata.response_code, ResponseCode::NoError);
    assert!(!r.metadata.truncation);
    assert_eq!(r.answers.len(), 3);

    let expected = sorted(vec![
        key(WEB, RecordType::SRV),
        key(WEB, RecordType::TXT),
        key(PRINTER, RecordType::SRV),
        key(PRINTER, RecordType::TXT),
        key(PLAIN, RecordType::SRV),
        key(PLAIN, RecordType::SRV),
        // host1 (A and AAAA) and host2 (two A), each once although three
        // SRV records point at them.
        key("host1.example.com", RecordType::A),
        key("host1.example.com", RecordType::AAAA),
        key("host2.example.com", RecordType::A),
        key("host2.example.com", RecordType::A),
    ]);
    assert_eq!(sorted(keys(&r.additionals)), expected);
    let txt = r
        .additionals
        .iter()
        .find(|rec| {
            rec.record_type() == h::RecordType::TXT
                && name_from_hickory(&rec.name).unwrap() == name(WEB)
        })
        .unwrap();
    assert_eq!(values(std::slice::from_ref(txt)), [binary_txt()]);
}

#[tokio::test]
async fn srv_answers_carry_the_address_of_every_target() {
    let (provider, _) = dns_sd_zone();
    let server = TestServer::builder(provider)
        .with_additionals(true)
        .start()
        .await
        .unwrap();
    let r = ask(server.addr(), PLAIN, RecordType::SRV).await;
    assert_eq!(r.answers.len(), 2);
    let expected = sorted(vec![
        key("host1.example.com", RecordType::A),
        key("host1.example.com", RecordType::AAAA),
        key("host2.example.com", RecordType::A),
        key("host2.example.com", RecordType::A),
    ]);
    assert_eq!(sorted(keys(&r.additionals)), expected);
    assert_eq!(
        values(&r.additionals)
            .into_iter()
            .filter(|v| matches!(v, RData::A(_)))
            .count(),
        3
    );
}

#[tokio::test]
async fn no_additionals_by_default() {
    let (provider, _) = dns_sd_zone();
    let server = TestServer::start(provider).await.unwrap();
    let r = ask(server.addr(), "_http._tcp.example.com", RecordType::PTR).await;
    assert_eq!(r.answers.len(), 3);
    assert!(r.additionals.is_empty());
    let r = ask(server.addr(), PLAIN, RecordType::SRV).await;
    assert_eq!(r.answers.len(), 2);
    assert!(r.additionals.is_empty());
}

#[tokio::test]
async fn additionals_never_repeat_an_answer() {
    let (provider, zone) = dns_sd_zone();
    // An SRV whose target is its own owner: its address set is asked for,
    // and must appear once, in the answer section only if asked.
    provider
        .insert_unchecked(&zone, set("self.example.com", 60, [a("192.0.2.50")]))
        .unwrap();
    provider
        .insert_unchecked(
            &zone,
            set("self.example.com", 60, [srv(1, "self.example.com")]),
        )
        .unwrap();
    let server = TestServer::builder(provider)
        .with_additionals(true)
        .start()
        .await
        .unwrap();
    let r = ask(server.addr(), "self.example.com", RecordType::SRV).await;
    assert_eq!(keys(&r.answers), [key("self.example.com", RecordType::SRV)]);
    assert_eq!(
        keys(&r.additionals),
        [key("self.example.com", RecordType::A)]
    );
}

/// `count` instances of `_many._tcp.example.com`.
fn many_instances(count: usize, txt_len: usize) -> InMemoryProvider {
    let provider = InMemoryProvider::new();
    let zone = provider.create_zone(name("example.com")).unwrap();
    let instances: Vec<String> = (0..count)
        .map(|i| format!("instance-{i:03}._many._tcp.example.com"))
        .collect();
    provider
        .insert_unchecked(
            &zone,
            set(
                "_many._tcp.example.com",
                120,
                instances.iter().map(|i| RData::PTR(name(i))),
            ),
        )
        .unwrap();
    for (i, instance) in instances.iter().enumerate() {
        let host = format!("host-{i:03}.example.com");
        provider
            .insert_unchecked(&zone, set(instance, 120, [srv(80, &host)]))
            .unwrap();
        let txt = Txt::new([vec![b'x'; txt_len]]).unwrap();
        provider
            .insert_unchecked(&zone, set(instance, 120, [RData::TXT(txt)]))
            .unwrap();
        provider
            .insert_unchecked(&zone, set(&host, 120, [a("192.0.2.1")]))
            .unwrap();
    }
    provider
}

#[tokio::test]
async fn answers_too_big_for_udp_set_tc_and_come_whole_over_tcp() {
    let server = TestServer::builder(many_instances(150, 1))
        .with_additionals(true)
        .start()
        .await
        .unwrap();
    let q = query(&name("_many._tcp.example.com"), RecordType::PTR, None);
    let raw = exchange_udp_raw(server.addr(), &q.to_vec().unwrap()).await;
    assert!(raw.len() <= 512, "{} octets", raw.len());
    let r = hickory_proto::op::Message::from_vec(&raw).unwrap();
    assert!(r.metadata.truncation);
    assert!(r.answers.len() < 150);
    assert!(r.additionals.is_empty());

    let r = exchange_tcp(server.addr(), &q).await;
    assert!(!r.metadata.truncation);
    assert_eq!(r.answers.len(), 150);
    // SRV, TXT and A for each instance.
    assert_eq!(r.additionals.len(), 450);
}

#[tokio::test]
async fn additionals_that_do_not_fit_are_left_out_without_tc() {
    let server = TestServer::builder(many_instances(4, 120))
        .with_additionals(true)
        .start()
        .await
        .unwrap();
    let q = query(&name("_many._tcp.example.com"), RecordType::PTR, None);
    let raw = exchange_udp_raw(server.addr(), &q.to_vec().unwrap()).await;
    assert!(raw.len() <= 512, "{} octets", raw.len());
    let udp = hickory_proto::op::Message::from_vec(&raw).unwrap();
    assert!(!udp.metadata.truncation);
    assert_eq!(udp.answers.len(), 4);
    let all = exchange_tcp(server.addr(), &q).await;
    assert_eq!(all.additionals.len(), 12);
    assert!(!udp.additionals.is_empty(), "as many as fit are kept");
    assert!(udp.additionals.len() < all.additionals.len());
    // What is kept is a prefix of whole sets.
    assert_eq!(
        keys(&udp.additionals),
        keys(&all.additionals)[..udp.additionals.len()]
    );

    // With room (EDNS), everything comes over UDP too.
    let q = query(&name("_many._tcp.example.com"), RecordType::PTR, Some(4096));
    let r = exchange_udp(server.addr(), &q).await;
    assert!(!r.metadata.truncation);
    assert_eq!(r.additionals.len(), 12);
    assert_eq!(r.edns.as_ref().map(|e| e.max_payload()), Some(4096));
}

fn ptr_targets(records: &[hickory_proto::rr::Record]) -> Vec<String> {
    records
        .iter()
        .filter_map(|r| match &r.data {
            h::RData::PTR(hr::PTR(target)) => Some(name_from_hickory(target).unwrap().to_string()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn rdata_names_can_be_lower_cased_like_knot() {
    let (provider, _) = dns_sd_zone();
    let keeps = TestServer::start(provider.clone()).await.unwrap();
    let lowers = TestServer::builder(provider)
        .with_lowercase_rdata_names(true)
        .with_additionals(true)
        .start()
        .await
        .unwrap();

    let r = ask(keeps.addr(), "_http._tcp.example.com", RecordType::PTR).await;
    assert!(ptr_targets(&r.answers).contains(&WEB.to_owned()));

    let r = ask(lowers.addr(), "_http._tcp.example.com", RecordType::PTR).await;
    let targets = ptr_targets(&r.answers);
    assert!(
        targets.contains(&r"my\032web\.v2._http._tcp.example.com.".to_owned()),
        "{targets:?}"
    );
    assert!(!targets.contains(&WEB.to_owned()));
    // Non-ASCII octets are left alone, as a DNS server's case folding does.
    let printer = name(PRINTER).to_lowercase().to_string();
    assert!(targets.contains(&printer), "{targets:?} {printer}");

    // SRV targets too, in answers and additionals.
    let r = ask(lowers.addr(), WEB, RecordType::SRV).await;
    let h::RData::SRV(srv) = &r.answers[0].data else {
        panic!("not an SRV");
    };
    assert_eq!(
        name_from_hickory(&srv.target).unwrap().to_string(),
        "host1.example.com."
    );
    let r = ask(keeps.addr(), WEB, RecordType::SRV).await;
    let h::RData::SRV(srv) = &r.answers[0].data else {
        panic!("not an SRV");
    };
    assert_eq!(
        name_from_hickory(&srv.target).unwrap().to_string(),
        "Host1.example.com."
    );
}
