//! RFC 2181 section 8: a TTL with the top bit set counts as 0, so nothing
//! carrying one is kept, wherever in the answer it sits. Each test asks
//! twice in a row: a second question at the server means nothing was
//! cached.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly too"
)]

mod support;

use std::time::Duration;

use dns_core::ServiceType;
use dns_sd_client::WatchOptions;
use dns_testkit::hostile::{Answer, Reply};
use futures::StreamExt;
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;
use support::{TOP_BIT, Zone, a, client, cname, dn, hn, ptr, soa, srv, txt};

fn x_tcp() -> ServiceType {
    "_x._tcp".parse().unwrap()
}

#[tokio::test]
async fn answers_with_top_bit_ttls_are_not_cached() {
    for ttl in [TOP_BIT, u32::MAX] {
        let zone = Zone::default();
        zone.set(
            "h.example.com",
            RecordType::A,
            vec![a("h.example.com", [192, 0, 2, 1], ttl)],
        );
        let server = zone.serve().await;
        let client = client(&server);
        for _ in 0..2 {
            let got = client
                .lookup(&dn(&hn("h.example.com")), dns_core::RecordType::A)
                .await
                .unwrap();
            assert_eq!(got.len(), 1);
        }
        assert_eq!(
            server.count(&hn("h.example.com"), RecordType::A),
            2,
            "{ttl}"
        );
    }
}

#[tokio::test]
async fn a_top_bit_ttl_among_normal_ones_makes_the_set_uncacheable() {
    let zone = Zone::default();
    zone.set(
        "h.example.com",
        RecordType::A,
        vec![
            a("h.example.com", [192, 0, 2, 1], 300),
            a("h.example.com", [192, 0, 2, 2], TOP_BIT),
        ],
    );
    let server = zone.serve().await;
    let client = client(&server);
    for _ in 0..2 {
        client
            .lookup(&dn(&hn("h.example.com")), dns_core::RecordType::A)
            .await
            .unwrap();
    }
    assert_eq!(server.count(&hn("h.example.com"), RecordType::A), 2);
}

#[tokio::test]
async fn additional_records_with_top_bit_ttls_are_not_filed() {
    let zone = Zone::default();
    let service = "_x._tcp.example.com";
    let inst = "i._x._tcp.example.com";
    let answer = Answer::new()
        .with_answer(ptr(service, hn(inst), 60))
        .with_additional(srv(inst, 80, "h.example.com", TOP_BIT))
        .with_additional(txt(inst, u32::MAX))
        .with_additional(a("h.example.com", [192, 0, 2, 1], TOP_BIT));
    zone.reply(service, RecordType::PTR, vec![Reply::Answer(answer)]);
    zone.set(
        inst,
        RecordType::SRV,
        vec![srv(inst, 80, "h.example.com", 60)],
    );
    zone.set(inst, RecordType::TXT, vec![txt(inst, 60)]);
    zone.set(
        "h.example.com",
        RecordType::A,
        vec![a("h.example.com", [192, 0, 2, 1], 60)],
    );
    let server = zone.serve().await;
    let found = client(&server)
        .discover(&x_tcp(), &dn(&hn("example.com")))
        .await
        .unwrap();
    assert_eq!(found.instances.len(), 1);
    // What came as additionals with a zero TTL had to be asked for.
    assert_eq!(server.count(&hn(inst), RecordType::SRV), 1);
    assert_eq!(server.count(&hn(inst), RecordType::TXT), 1);
    assert_eq!(server.count(&hn("h.example.com"), RecordType::A), 1);
}

#[tokio::test]
async fn a_top_bit_ttl_on_a_cname_link_makes_the_answer_uncacheable() {
    let zone = Zone::default();
    zone.set(
        "alias.example.com",
        RecordType::A,
        vec![
            cname("alias.example.com", "real.example.com", TOP_BIT),
            a("real.example.com", [192, 0, 2, 7], 300),
        ],
    );
    let server = zone.serve().await;
    let client = client(&server);
    for _ in 0..2 {
        let got = client
            .lookup(&dn(&hn("alias.example.com")), dns_core::RecordType::A)
            .await
            .unwrap();
        assert_eq!(got, vec![dns_core::RData::A("192.0.2.7".parse().unwrap())]);
    }
    assert_eq!(server.count(&hn("alias.example.com"), RecordType::A), 2);
}

#[tokio::test]
async fn negative_answers_with_top_bit_soa_ttls_are_not_cached() {
    // RFC 2308: the negative TTL is the lower of the SOA's TTL and its
    // MINIMUM field; either with the top bit set counts as 0.
    for (ttl, minimum) in [(TOP_BIT, TOP_BIT), (60, TOP_BIT), (u32::MAX, 60)] {
        let zone = Zone::default();
        let nx = Answer::new()
            .with_rcode(ResponseCode::NXDomain)
            .with_authority(soa(ttl, minimum));
        zone.reply("gone.example.com", RecordType::A, vec![Reply::Answer(nx)]);
        let nodata = Answer::new().with_authority(soa(ttl, minimum));
        zone.reply(
            "h.example.com",
            RecordType::AAAA,
            vec![Reply::Answer(nodata)],
        );
        let server = zone.serve().await;
        let client = client(&server);
        for _ in 0..2 {
            for (name, rtype) in [
                ("gone.example.com", dns_core::RecordType::A),
                ("h.example.com", dns_core::RecordType::AAAA),
            ] {
                let got = client.lookup(&dn(&hn(name)), rtype).await.unwrap();
                assert!(got.is_empty());
            }
        }
        let asked = (
            server.count(&hn("gone.example.com"), RecordType::A),
            server.count(&hn("h.example.com"), RecordType::AAAA),
        );
        assert_eq!(asked, (2, 2), "SOA TTL {ttl}, MINIMUM {minimum}");
    }
}

#[tokio::test]
async fn watch_asks_again_at_its_minimum_interval_when_ttls_have_the_top_bit() {
    let zone = Zone::default();
    let service = "_x._tcp.example.com";
    let inst = "i._x._tcp.example.com";
    zone.set(
        service,
        RecordType::PTR,
        vec![ptr(service, hn(inst), TOP_BIT)],
    );
    zone.set(
        inst,
        RecordType::SRV,
        vec![srv(inst, 80, "h.example.com", TOP_BIT)],
    );
    zone.set(inst, RecordType::TXT, vec![txt(inst, TOP_BIT)]);
    zone.set(
        "h.example.com",
        RecordType::A,
        vec![a("h.example.com", [192, 0, 2, 1], TOP_BIT)],
    );
    let server = zone.serve().await;
    // The default maximum interval is an hour: with the TTLs taken as 2^31
    // seconds (or clamped to a day) the watcher would sleep that long.
    let options = WatchOptions::default().with_min_interval(Duration::from_millis(20));
    let events = client(&server)
        .watch_with(&x_tcp(), &dn(&hn("example.com")), options)
        .unwrap();
    // Nothing changes, so the stream yields only the first Added; driving
    // it for a while lets the watcher poll as often as it wants.
    let driven = tokio::time::timeout(Duration::from_secs(2), events.collect::<Vec<_>>()).await;
    assert!(driven.is_err(), "the stream never ends by itself");
    let polls = server.count(&hn(service), RecordType::PTR);
    assert!(polls >= 3, "{polls} PTR questions");
}
