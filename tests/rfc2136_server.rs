//! The provider conformance suite for the RFC 2136 backend against the
//! `dns-server` zone server (what `dnsctl serve` runs): the client and the
//! server of this workspace agree with each other on every rule the
//! contract states, as both agree with BIND and Knot in their own tests.

#![allow(clippy::unwrap_used, reason = "tests")]

use dns_core::conformance;
use dns_e2e::Peer;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_conformance_suite_passes() {
    let peer = Peer::rfc2136_server("conformance.test.", 8).await;
    conformance::run_all(&peer.providers, &peer.zone, &conformance::Config::default()).await;
}

/// A zone of 20,000 records lists completely through the backend's signed
/// AXFR: many messages, each verified.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_zone_lists_completely_through_a_signed_transfer() {
    use dns_core::{DnsProvider, InMemoryProvider, Name, RData, RecordSet};
    let memory = InMemoryProvider::new();
    let apex = Name::parse("large.test").unwrap();
    let zone = memory.create_zone(apex.clone()).unwrap();
    for i in 0..20_000u32 {
        let name = Name::parse(&format!("host-{i}.large.test")).unwrap();
        let ip = std::net::Ipv4Addr::from(0x0a00_0000 + i);
        memory
            .insert_unchecked(&zone, RecordSet::new(name, 60, [RData::A(ip)]).unwrap())
            .unwrap();
    }
    let key = dns_rfc2136::TsigKey::new(
        Name::parse("big-key").unwrap(),
        dns_rfc2136::TsigAlgorithm::HmacSha256,
        "c2VjcmV0LWZvci1lMmUtdGVzdHMtb25seS1kby1ub3QtdXNl",
    )
    .unwrap();
    let server = dns_server::ZoneServer::builder(memory)
        .with_updates(dns_server::UpdatePolicy::loopback().with_key(key.signer().unwrap()))
        .start()
        .await
        .unwrap();
    let provider = dns_rfc2136::Rfc2136Builder::new(server.addr())
        .with_zone(apex)
        .with_tsig_key(key)
        .build()
        .unwrap();
    let sets = provider.list_record_sets(&zone).await.unwrap();
    assert_eq!(sets.len(), 20_002, "20,000 A sets, the SOA and the NS");
}
