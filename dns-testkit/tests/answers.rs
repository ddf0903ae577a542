//! What the test server answers: data, negative answers, refusals, and
//! changes made through the provider.

// Helpers outside #[test] functions unwrap too: a failure is the test failing.
#![allow(clippy::unwrap_used)]

mod support;

use dns_core::hickory::name_from_hickory;
use dns_core::{Change, DnsProvider, DnsProviderExt, RData, RecordType, Txt};
use dns_testkit::TestServer;
use hickory_proto::op::{Message, OpCode, Query, ResponseCode};
use hickory_proto::rr::{self as h, rdata as hr};
use support::*;

fn assert_answer(response: &Message) {
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert!(response.metadata.authoritative);
    assert!(!response.metadata.truncation);
    assert!(!response.metadata.recursion_available);
}

/// The single SOA of a negative answer, and its TTL.
fn negative_soa(response: &Message) -> u32 {
    assert!(response.metadata.authoritative);
    assert!(response.answers.is_empty());
    let [soa] = &response.authorities[..] else {
        panic!("authority: {:?}", response.authorities);
    };
    assert!(matches!(soa.data, h::RData::SOA(_)));
    assert_eq!(owners(&response.authorities), ["example.com."]);
    soa.ttl
}

#[tokio::test]
async fn serves_every_dns_sd_type() {
    let (provider, _) = dns_sd_zone();
    let server = TestServer::start(provider).await.unwrap();
    let addr = server.addr();

    let r = ask(addr, "host1.example.com", RecordType::A).await;
    assert_answer(&r);
    assert_eq!(values(&r.answers), [a("192.0.2.1")]);
    assert_eq!(r.answers[0].ttl, 300);
    assert!(r.additionals.is_empty() && r.authorities.is_empty());

    let r = ask(addr, "host1.example.com", RecordType::AAAA).await;
    assert_answer(&r);
    assert_eq!(
        values(&r.answers),
        [RData::AAAA("2001:db8::1".parse().unwrap())]
    );

    let r = ask(addr, "host2.example.com", RecordType::A).await;
    assert_eq!(values(&r.answers), [a("192.0.2.2"), a("192.0.2.3")]);

    let r = ask(addr, PLAIN, RecordType::SRV).await;
    assert_answer(&r);
    assert_eq!(
        values(&r.answers),
        [
            srv(8080, "host1.example.com"),
            srv(8081, "host2.example.com")
        ]
    );

    let r = ask(addr, "_http._tcp.example.com", RecordType::PTR).await;
    assert_answer(&r);
    assert_eq!(r.answers.len(), 3);
    assert_eq!(r.answers[0].ttl, 120);
    let targets: Vec<_> = values(&r.answers);
    for instance in [WEB, PRINTER, PLAIN] {
        assert!(targets.contains(&RData::PTR(name(instance))), "{instance}");
    }
    assert_eq!(server.queries(), 5);
}

#[tokio::test]
async fn instance_names_keep_their_raw_labels() {
    let (provider, _) = dns_sd_zone();
    let server = TestServer::start(provider).await.unwrap();
    let addr = server.addr();

    let r = ask(addr, "_http._tcp.example.com", RecordType::PTR).await;
    let first_labels: Vec<Vec<u8>> = r
        .answers
        .iter()
        .map(|rec| {
            let h::RData::PTR(hr::PTR(target)) = &rec.data else {
                panic!("not a PTR: {rec:?}");
            };
            name_from_hickory(target).unwrap().labels()[0]
                .as_bytes()
                .to_vec()
        })
        .collect();
    assert!(first_labels.contains(&b"My Web.v2".to_vec()));
    assert!(first_labels.contains(&"Büro Drucker".as_bytes().to_vec()));

    // The same names work as owner names.
    let r = ask(addr, WEB, RecordType::SRV).await;
    assert_answer(&r);
    assert_eq!(values(&r.answers), [srv(80, "Host1.example.com")]);
    assert_eq!(
        name_from_hickory(&r.answers[0].name).unwrap().labels()[0].as_bytes(),
        b"My Web.v2"
    );
    let r = ask(addr, PRINTER, RecordType::SRV).await;
    assert_eq!(values(&r.answers), [srv(631, "host2.example.com")]);
}

#[tokio::test]
async fn txt_keeps_binary_octets_and_empty_strings() {
    let (provider, _) = dns_sd_zone();
    let server = TestServer::start(provider).await.unwrap();

    let r = ask(server.addr(), WEB, RecordType::TXT).await;
    assert_answer(&r);
    let h::RData::TXT(txt) = &r.answers[0].data else {
        panic!("not a TXT");
    };
    let strings: Vec<&[u8]> = txt.txt_data.iter().map(|s| &s[..]).collect();
    assert_eq!(strings, [&b"k=\x00\xff\x01"[..], b"", b"flag"]);
    assert_eq!(values(&r.answers), [binary_txt()]);

    let r = ask(server.addr(), PRINTER, RecordType::TXT).await;
    assert_answer(&r);
    assert_eq!(values(&r.answers), [RData::TXT(Txt::empty())]);
    let h::RData::TXT(txt) = &r.answers[0].data else {
        panic!("not a TXT");
    };
    assert_eq!(txt.txt_data.len(), 1);
    assert!(txt.txt_data[0].is_empty());
}

#[tokio::test]
async fn nxdomain_carries_the_soa_with_the_negative_ttl() {
    let (provider, zone) = dns_sd_zone();
    let server = TestServer::start(provider.clone()).await.unwrap();

    let r = ask(server.addr(), "nothing.example.com", RecordType::A).await;
    assert_eq!(r.metadata.response_code, ResponseCode::NXDomain);
    // The new zone's SOA has TTL 3600 and MINIMUM 60.
    assert_eq!(negative_soa(&r), 60);

    // And the TTL when it is the smaller one.
    let soa = RData::parse(
        RecordType::SOA,
        "ns1.invalid. hostmaster.example.com. 2 3600 600 604800 900",
    )
    .unwrap();
    provider
        .insert_unchecked(&zone, set("example.com", 30, [soa]))
        .unwrap();
    let r = ask(server.addr(), "nothing.example.com", RecordType::A).await;
    assert_eq!(r.metadata.response_code, ResponseCode::NXDomain);
    assert_eq!(negative_soa(&r), 30);
}

#[tokio::test]
async fn nodata_and_empty_non_terminals() {
    let (provider, _) = dns_sd_zone();
    let server = TestServer::start(provider).await.unwrap();
    let addr = server.addr();

    let r = ask(addr, "www.example.com", RecordType::AAAA).await;
    assert_eq!(r.metadata.response_code, ResponseCode::NoError);
    assert_eq!(negative_soa(&r), 60);

    // b.example.com has no sets but a.b.example.com exists below it.
    for ent in ["b.example.com", "_tcp.example.com"] {
        let r = ask(addr, ent, RecordType::A).await;
        assert_eq!(r.metadata.response_code, ResponseCode::NoError, "{ent}");
        assert_eq!(negative_soa(&r), 60);
    }
    let r = ask(addr, "c.b.example.com", RecordType::A).await;
    assert_eq!(r.metadata.response_code, ResponseCode::NXDomain);
}

#[tokio::test]
async fn names_outside_the_zones_are_refused() {
    let (provider, _) = dns_sd_zone();
    let server = TestServer::start(provider.clone()).await.unwrap();

    for outside in ["www.example.org", "com", "xexample.com"] {
        let r = ask(server.addr(), outside, RecordType::A).await;
        assert_eq!(r.metadata.response_code, ResponseCode::Refused, "{outside}");
        assert!(!r.metadata.authoritative);
        assert!(r.answers.is_empty() && r.authorities.is_empty());
    }

    // A zone deleted from the provider is no longer served.
    assert!(provider.delete_zone(&name("example.com")));
    let r = ask(server.addr(), "www.example.com", RecordType::A).await;
    assert_eq!(r.metadata.response_code, ResponseCode::Refused);
}

#[tokio::test]
async fn query_names_match_without_case() {
    let (provider, _) = dns_sd_zone();
    let server = TestServer::start(provider).await.unwrap();

    let r = ask(server.addr(), "WWW.Example.COM", RecordType::A).await;
    assert_answer(&r);
    assert_eq!(values(&r.answers), [a("192.0.2.80")]);
    // The answer's owner is the name as asked, as servers that compress
    // it against the question do.
    assert_eq!(owners(&r.answers), ["WWW.Example.COM."]);

    let r = ask(
        server.addr(),
        r"MY\032WEB\.V2._HTTP._TCP.EXAMPLE.COM",
        RecordType::SRV,
    )
    .await;
    assert_eq!(values(&r.answers), [srv(80, "Host1.example.com")]);
}

#[tokio::test]
async fn cnames_are_followed_inside_the_zones() {
    let (provider, _) = dns_sd_zone();
    let server = TestServer::start(provider).await.unwrap();

    let r = ask(server.addr(), "alias.example.com", RecordType::A).await;
    assert_answer(&r);
    assert_eq!(
        values(&r.answers),
        [RData::CNAME(name("www.example.com")), a("192.0.2.80")]
    );
    assert_eq!(
        owners(&r.answers),
        ["alias.example.com.", "www.example.com."]
    );

    // Only the CNAME when its target is elsewhere.
    let r = ask(server.addr(), "away.example.com", RecordType::A).await;
    assert_answer(&r);
    assert_eq!(values(&r.answers), [RData::CNAME(name("www.example.org"))]);

    // NODATA at the target keeps the CNAME and adds the SOA.
    let r = ask(server.addr(), "alias.example.com", RecordType::TXT).await;
    assert_eq!(r.metadata.response_code, ResponseCode::NoError);
    assert_eq!(values(&r.answers), [RData::CNAME(name("www.example.com"))]);
    assert_eq!(r.authorities.len(), 1);

    // Asking for the CNAME itself does not follow it.
    let r = ask(server.addr(), "alias.example.com", RecordType::CNAME).await;
    assert_eq!(values(&r.answers), [RData::CNAME(name("www.example.com"))]);
}

#[tokio::test]
async fn changes_through_the_provider_show_on_the_next_query() {
    let (provider, zone) = dns_sd_zone();
    let server = TestServer::start(provider.clone()).await.unwrap();
    let addr = server.addr();

    let r = ask(addr, "new.example.com", RecordType::A).await;
    assert_eq!(r.metadata.response_code, ResponseCode::NXDomain);

    provider
        .upsert(&zone, set("new.example.com", 60, [a("198.51.100.1")]))
        .await
        .unwrap();
    let r = ask(addr, "new.example.com", RecordType::A).await;
    assert_eq!(values(&r.answers), [a("198.51.100.1")]);

    provider
        .apply(
            &zone,
            &[
                Change::Add(set("new.example.com", 60, [a("198.51.100.2")])),
                Change::Delete {
                    name: name("www.example.com"),
                    rtype: RecordType::A,
                },
            ],
        )
        .await
        .unwrap();
    let r = ask(addr, "new.example.com", RecordType::A).await;
    assert_eq!(values(&r.answers), [a("198.51.100.1"), a("198.51.100.2")]);
    let r = ask(addr, "www.example.com", RecordType::A).await;
    assert_eq!(r.metadata.response_code, ResponseCode::NXDomain);
}

#[tokio::test]
async fn tcp_answers_the_same() {
    let (provider, _) = dns_sd_zone();
    let server = TestServer::start(provider).await.unwrap();

    let q = query(&name("_http._tcp.example.com"), RecordType::PTR, None);
    let r = exchange_tcp(server.addr(), &q).await;
    assert_answer(&r);
    assert_eq!(r.answers.len(), 3);
    let r = exchange_tcp(
        server.addr(),
        &query(&name("nothing.example.com"), RecordType::A, None),
    )
    .await;
    assert_eq!(r.metadata.response_code, ResponseCode::NXDomain);
    assert_eq!(server.queries(), 2);
}

#[tokio::test]
async fn edns_is_echoed_with_at_least_512() {
    let (provider, _) = dns_sd_zone();
    let server = TestServer::start(provider).await.unwrap();
    let www = name("www.example.com");

    let r = exchange_udp(server.addr(), &query(&www, RecordType::A, Some(1232))).await;
    assert_answer(&r);
    assert_eq!(r.edns.as_ref().map(|e| e.max_payload()), Some(1232));

    let r = exchange_udp(server.addr(), &query(&www, RecordType::A, Some(100))).await;
    assert_eq!(r.edns.as_ref().map(|e| e.max_payload()), Some(512));

    let r = exchange_udp(server.addr(), &query(&www, RecordType::A, None)).await;
    assert!(r.edns.is_none());

    // An EDNS version the server does not speak.
    let mut q = query(&www, RecordType::A, Some(1232));
    if let Some(edns) = q.edns.as_mut() {
        edns.set_version(1);
    }
    let r = exchange_udp(server.addr(), &q).await;
    // BADVERS and BADSIG share code 16; hickory reads it back as BADSIG.
    assert_eq!(
        u16::from(r.metadata.response_code),
        u16::from(ResponseCode::BADVERS)
    );
    assert!(r.answers.is_empty());
}

#[tokio::test]
async fn other_opcodes_and_malformed_requests() {
    let (provider, _) = dns_sd_zone();
    let server = TestServer::start(provider).await.unwrap();
    let www = name("www.example.com");

    let mut q = query(&www, RecordType::A, None);
    q.metadata.op_code = OpCode::Status;
    let r = exchange_udp(server.addr(), &q).await;
    assert_eq!(r.metadata.response_code, ResponseCode::NotImp);

    let mut q = query(&www, RecordType::A, None);
    q.add_query(Query::query(
        dns_core::hickory::name_to_hickory(&name("host1.example.com")),
        h::RecordType::A,
    ));
    let r = exchange_udp(server.addr(), &q).await;
    assert_eq!(r.metadata.response_code, ResponseCode::FormErr);
    assert!(r.answers.is_empty());

    // A question cut short: the header says one, the name never ends.
    let mut raw = query(&www, RecordType::A, None).to_vec().unwrap();
    raw.truncate(12 + 5);
    let r = Message::from_vec(&exchange_udp_raw(server.addr(), &raw).await).unwrap();
    assert_eq!(r.metadata.response_code, ResponseCode::FormErr);
}

#[tokio::test]
async fn a_hickory_resolver_resolves_through_it() {
    use hickory_resolver::Resolver;
    use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
    use hickory_resolver::net::runtime::TokioRuntimeProvider;

    let (provider, _) = dns_sd_zone();
    let server = TestServer::start(provider).await.unwrap();
    let mut udp = ConnectionConfig::udp();
    udp.port = server.addr().port();
    let mut tcp = ConnectionConfig::tcp();
    tcp.port = server.addr().port();
    let config = ResolverConfig::from_name_servers(vec![NameServerConfig::new(
        server.addr().ip(),
        true,
        vec![udp, tcp],
    )]);
    let resolver = Resolver::builder_with_config(config, TokioRuntimeProvider::default())
        .build()
        .unwrap();

    let lookup = resolver
        .lookup(
            dns_core::hickory::name_to_hickory(&name("_http._tcp.example.com")),
            h::RecordType::PTR,
        )
        .await
        .unwrap();
    assert_eq!(lookup.answers().len(), 3);
    let lookup = resolver
        .lookup(
            dns_core::hickory::name_to_hickory(&name(WEB)),
            h::RecordType::SRV,
        )
        .await
        .unwrap();
    assert_eq!(values(lookup.answers()), [srv(80, "Host1.example.com")]);
    let missing = resolver
        .lookup(
            dns_core::hickory::name_to_hickory(&name("nothing.example.com")),
            h::RecordType::A,
        )
        .await
        .unwrap_err();
    assert!(missing.is_nx_domain(), "{missing}");
}
