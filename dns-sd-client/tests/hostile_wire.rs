//! Broken and forged messages from the server: the client never panics or
//! hangs past its own timeouts, fails with a typed error, and never takes
//! an answer whose message ID does not match its question.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly too"
)]

mod support;

use dns_core::RecordType as DType;
use dns_sd_client::Error;
use dns_testkit::hostile::{Answer, Reply};
use hickory_proto::rr::RecordType;
use support::{Zone, a, client, dn, hn};

fn good() -> Answer {
    Answer::new().with_answer(a("h.example.com", [192, 0, 2, 1], 60))
}

fn forged() -> Answer {
    Answer::new().with_answer(a("h.example.com", [198, 51, 100, 6], 60))
}

async fn lookup_with(replies: Vec<Reply>) -> (Result<Vec<dns_core::RData>, Error>, usize) {
    let zone = Zone::default();
    zone.reply("h.example.com", RecordType::A, replies);
    let server = zone.serve().await;
    let result = client(&server)
        .lookup(&dn(&hn("h.example.com")), DType::A)
        .await;
    (result, server.count(&hn("h.example.com"), RecordType::A))
}

fn assert_failed_typed(result: &Result<Vec<dns_core::RData>, Error>, what: &str) {
    match result {
        Err(e @ (Error::Timeout { .. } | Error::Transport { .. })) => {
            assert!(e.is_retryable(), "{what}: {e}");
        }
        other => panic!("{what}: {other:?}"),
    }
}

#[tokio::test]
async fn unreadable_replies_fail_with_a_typed_error() {
    let cases: Vec<(&str, Vec<Reply>)> = vec![
        (
            "garbage",
            vec![Reply::Bytes(b"\xde\xad\xbe\xef not dns".to_vec())],
        ),
        ("empty datagram", vec![Reply::Bytes(Vec::new())]),
        ("cut after the header", vec![Reply::Cut(good(), 12)]),
        ("cut inside the answer", vec![Reply::Cut(good(), 40)]),
        ("compression-pointer loop", vec![Reply::PointerLoop]),
        ("silence", Vec::new()),
    ];
    for (what, replies) in cases {
        let (result, asked) = lookup_with(replies).await;
        assert_failed_typed(&result, what);
        assert!(asked >= 1, "{what}");
    }
}

#[tokio::test]
async fn a_reply_with_the_wrong_id_is_not_taken() {
    // Alone it is as good as no reply.
    let (result, _) = lookup_with(vec![Reply::WrongId(forged())]).await;
    assert_failed_typed(&result, "wrong ID");
    // Before the real reply, the real one wins.
    let (result, _) = lookup_with(vec![Reply::WrongId(forged()), Reply::Answer(good())]).await;
    assert_eq!(
        result.unwrap(),
        vec![dns_core::RData::A("192.0.2.1".parse().unwrap())]
    );
}

#[tokio::test]
async fn a_truncated_udp_reply_is_asked_again_over_tcp() {
    let server = dns_testkit::hostile::HostileServer::start(|q| {
        let over_udp = q.transport == dns_testkit::Transport::Udp;
        vec![Reply::Answer(if over_udp {
            forged().with_truncation(true)
        } else {
            good()
        })]
    })
    .await
    .unwrap();
    let got = client(&server)
        .lookup(&dn(&hn("h.example.com")), DType::A)
        .await
        .unwrap();
    assert_eq!(got, vec![dns_core::RData::A("192.0.2.1".parse().unwrap())]);
    let transports: Vec<_> = server.questions().iter().map(|q| q.transport).collect();
    assert_eq!(
        transports,
        [dns_testkit::Transport::Udp, dns_testkit::Transport::Tcp]
    );
}

#[tokio::test]
async fn discovery_survives_a_server_that_breaks_every_second_answer() {
    let zone = Zone::default();
    let service = "_x._tcp.example.com";
    let inst = "i._x._tcp.example.com";
    zone.set(
        service,
        RecordType::PTR,
        vec![support::ptr(service, hn(inst), 60)],
    );
    zone.reply(inst, RecordType::SRV, vec![Reply::PointerLoop]);
    zone.reply(inst, RecordType::TXT, vec![Reply::Bytes(vec![0; 3])]);
    let server = zone.serve().await;
    let found = client(&server)
        .discover(&"_x._tcp".parse().unwrap(), &dn(&hn("example.com")))
        .await
        .unwrap();
    assert!(found.instances.is_empty());
    let failed: Vec<_> = found.failures.iter().map(|f| f.record_type).collect();
    assert_eq!(failed, [DType::SRV]);
}
