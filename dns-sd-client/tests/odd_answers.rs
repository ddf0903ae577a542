//! Answers that do not fit what was asked: what discovery ignores or
//! rewrites (see docs/troubleshooting.md, "Answers discovery ignores or
//! rewrites").
#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly too"
)]

mod support;

use dns_core::{RData as DRData, RecordType as DType, ServiceType};
use dns_sd_client::Error;
use dns_testkit::hostile::{Answer, Reply};
use hickory_proto::rr::RecordType;
use hickory_proto::rr::rdata::SRV;
use hickory_proto::rr::{RData, Record};
use support::{Zone, a, client, cname, dn, hn, ptr, srv, txt};

fn x_tcp() -> ServiceType {
    "_x._tcp".parse().unwrap()
}

fn ip(s: &str) -> DRData {
    DRData::A(s.parse().unwrap())
}

#[tokio::test]
async fn additional_records_are_kept_only_for_the_questions_asked_next() {
    let zone = Zone::default();
    let service = "_x._tcp.example.com";
    let inst = "i._x._tcp.example.com";
    let answer = Answer::new()
        .with_answer(ptr(service, hn(inst), 60))
        .with_answer(ptr(service, hn("example.com"), 60))
        // What the client asks next: kept.
        .with_additional(srv(inst, 80, "h.example.com", 60))
        .with_additional(txt(inst, 60))
        .with_additional(a("h.example.com", [192, 0, 2, 1], 60))
        // Under the domain, but nothing here leads to these: dropped.
        .with_additional(a("unrelated.example.com", [198, 51, 100, 6], 60))
        .with_additional(srv("other._x._tcp.example.com", 80, "h.example.com", 60))
        .with_additional(srv("example.com", 80, "h.example.com", 60));
    zone.reply(service, RecordType::PTR, vec![Reply::Answer(answer)]);
    zone.set(
        "unrelated.example.com",
        RecordType::A,
        vec![a("unrelated.example.com", [192, 0, 2, 50], 60)],
    );
    let server = zone.serve().await;
    let client = client(&server);

    let found = client
        .discover(&x_tcp(), &dn(&hn("example.com")))
        .await
        .unwrap();
    assert_eq!(found.instances.len(), 1);
    assert_eq!(found.instances[0].targets[0].addresses.len(), 1);
    assert_eq!(server.count(&hn(inst), RecordType::SRV), 0);
    assert_eq!(server.count(&hn(inst), RecordType::TXT), 0);
    assert_eq!(server.count(&hn("h.example.com"), RecordType::A), 0);

    let got = client
        .lookup(&dn(&hn("unrelated.example.com")), DType::A)
        .await
        .unwrap();
    assert_eq!(got, vec![ip("192.0.2.50")], "the server's own answer");
    for owner in ["other._x._tcp.example.com", "example.com"] {
        let err = client.resolve(&dn(&hn(owner))).await.unwrap_err();
        assert!(matches!(err, Error::NotFound { .. }), "{owner}: {err}");
        assert_eq!(server.count(&hn(owner), RecordType::SRV), 1, "{owner}");
    }
}

#[tokio::test]
async fn answer_records_owned_by_other_names_are_ignored() {
    let zone = Zone::default();
    zone.set(
        "h.example.com",
        RecordType::A,
        vec![
            a("h.example.com", [192, 0, 2, 1], 60),
            a("evil.example.com", [198, 51, 100, 6], 60),
        ],
    );
    let inst = "i._x._tcp.example.com";
    zone.set(
        inst,
        RecordType::SRV,
        vec![srv("evil._x._tcp.example.com", 80, "h.example.com", 60)],
    );
    let server = zone.serve().await;
    let client = client(&server);
    let got = client
        .lookup(&dn(&hn("h.example.com")), DType::A)
        .await
        .unwrap();
    assert_eq!(got, vec![ip("192.0.2.1")]);
    let err = client.resolve(&dn(&hn(inst))).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
}

#[tokio::test]
async fn a_cname_loop_ends_in_an_error_or_an_empty_answer() {
    let zone = Zone::default();
    let looping = |owner: &str| {
        vec![
            cname(owner, "b.example.com", 60),
            cname("b.example.com", owner, 60),
        ]
    };
    zone.set("a.example.com", RecordType::A, looping("a.example.com"));
    let inst = "i._x._tcp.example.com";
    zone.set(inst, RecordType::SRV, looping(inst));
    zone.set(inst, RecordType::CNAME, looping(inst));
    zone.set(
        "b.example.com",
        RecordType::SRV,
        looping(inst)[1..].to_vec(),
    );
    zone.set(
        "b.example.com",
        RecordType::CNAME,
        looping(inst)[1..].to_vec(),
    );
    let server = zone.serve().await;
    let client = client(&server);

    // For SRV this crate follows the links itself and sees the loop.
    let err = client.resolve(&dn(&hn(inst))).await.unwrap_err();
    assert!(
        matches!(&err, Error::Transport { message, .. } if message.contains("loop")),
        "{err}"
    );
    // For other types hickory follows them, gives up after its bound of
    // eight and reports no records, which is not cached.
    for _ in 0..2 {
        let got = client
            .lookup(&dn(&hn("a.example.com")), DType::A)
            .await
            .unwrap();
        assert!(got.is_empty());
    }
    let asked = server.count(&hn("a.example.com"), RecordType::A);
    assert!((2..=20).contains(&asked), "{asked} questions");
}

#[tokio::test]
async fn a_chain_longer_than_eight_links_is_an_error() {
    let zone = Zone::default();
    let mut records: Vec<Record> = (0..10)
        .map(|i| {
            cname(
                &format!("c{i}.example.com"),
                &format!("c{}.example.com", i + 1),
                60,
            )
        })
        .collect();
    records.push(a("c10.example.com", [192, 0, 2, 1], 60));
    zone.set("c0.example.com", RecordType::A, records);
    let server = zone.serve().await;
    let err = client(&server)
        .lookup(&dn(&hn("c0.example.com")), DType::A)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Transport { message, .. } if message.contains("more than 8")),
        "{err}"
    );
}

#[tokio::test]
async fn a_chain_leaving_the_zone_is_followed_but_filed_only_under_the_question() {
    let zone = Zone::default();
    zone.set(
        "x.example.com",
        RecordType::A,
        vec![
            cname("x.example.com", "y.other.org", 60),
            a("y.other.org", [192, 0, 2, 7], 60),
        ],
    );
    zone.set(
        "y.other.org",
        RecordType::A,
        vec![a("y.other.org", [192, 0, 2, 8], 60)],
    );
    let server = zone.serve().await;
    let client = client(&server);
    let got = client
        .lookup(&dn(&hn("x.example.com")), DType::A)
        .await
        .unwrap();
    assert_eq!(got, vec![ip("192.0.2.7")]);
    let got = client
        .lookup(&dn(&hn("y.other.org")), DType::A)
        .await
        .unwrap();
    assert_eq!(got, vec![ip("192.0.2.8")]);
    assert_eq!(server.count(&hn("y.other.org"), RecordType::A), 1);
}

fn srv_full(owner: &str, priority: u16, port: u16, target: &str) -> Record {
    let target = if target == "." {
        hickory_proto::rr::Name::root()
    } else {
        hn(target)
    };
    Record::from_rdata(
        hn(owner),
        60,
        RData::SRV(SRV::new(priority, 10, port, target)),
    )
}

#[tokio::test]
async fn srv_records_that_cannot_work_are_dropped() {
    let zone = Zone::default();
    let mixed = "mixed._x._tcp.example.com";
    zone.set(
        mixed,
        RecordType::SRV,
        vec![
            srv_full(mixed, 0, 80, mixed),
            srv_full(mixed, 0, 0, "zero.example.com"),
            srv_full(mixed, 0, 0, "."),
            srv_full(mixed, 5, 8080, "good.example.com"),
        ],
    );
    let selfish = "self._x._tcp.example.com";
    zone.set(
        selfish,
        RecordType::SRV,
        vec![srv_full(selfish, 0, 80, selfish)],
    );
    zone.set(
        selfish,
        RecordType::A,
        vec![a(selfish, [198, 51, 100, 6], 60)],
    );
    let dots = "dots._x._tcp.example.com";
    zone.set(
        dots,
        RecordType::SRV,
        vec![srv_full(dots, 0, 0, "."), srv_full(dots, 1, 0, ".")],
    );
    let server = zone.serve().await;
    let client = client(&server);

    let m = client.resolve(&dn(&hn(mixed))).await.unwrap();
    let targets: Vec<(String, u16)> = m
        .targets
        .iter()
        .map(|t| (t.host().to_string(), t.port()))
        .collect();
    assert_eq!(targets, vec![("good.example.com.".to_owned(), 8080)]);
    assert!(!m.is_unavailable());
    assert_eq!(server.count(&hn("zero.example.com"), RecordType::A), 0);

    let err = client.resolve(&dn(&hn(selfish))).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    assert_eq!(
        server.count(&hn(selfish), RecordType::A),
        0,
        "no fallback to the owner's A"
    );

    let d = client.resolve(&dn(&hn(dots))).await.unwrap();
    assert!(d.is_unavailable());
}
