//! The provider conformance suite for the RFC 2136 backend against the
//! `dns-server` zone server (what `dnsctl serve` runs): the client and the
//! server of this workspace agree with each other on every rule the
//! contract states, as both agree with BIND and Knot in their own tests.

use dns_core::conformance;
use dns_e2e::Peer;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_conformance_suite_passes() {
    let peer = Peer::rfc2136_server("conformance.test.", 8).await;
    conformance::run_all(&peer.providers, &peer.zone, &conformance::Config::default()).await;
}
