//! The reaper and refresh suite (`dns_sd_registry::reaper_suite`) over
//! every provider: the in-memory reference, the Route 53 and Cloudflare
//! fakes (Cloudflare through Prism, every exchange checked against the
//! official schema) and RFC 2136 against the zone server and BIND 9.

use dns_e2e::Peer;
use dns_sd_registry::reaper_suite;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reaper_rules_on_memory() {
    let peer = Peer::memory("reap.test.", 1);
    reaper_suite::run_all(peer.provider(), &peer.zone).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reaper_rules_on_route53() {
    let peer = Peer::route53_fake("reap.test.", 1).await;
    reaper_suite::run_all(peer.provider(), &peer.zone).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reaper_rules_on_cloudflare_through_prism() {
    let peer = Peer::cloudflare_prism("reap.example", 1).await;
    reaper_suite::run_all(peer.provider(), &peer.zone).await;
    let violations = peer.violations();
    assert!(violations.is_empty(), "schema violations: {violations:#?}");
}

/// RFC 2136: removals are guarded by real prerequisites, checked by the
/// server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reaper_rules_on_rfc2136_against_the_zone_server() {
    let peer = Peer::rfc2136_server("reap.test.", 1).await;
    assert!(peer.provider().capabilities().preconditions);
    reaper_suite::run_all(peer.provider(), &peer.zone).await;
}

/// RFC 2136 against BIND 9: a real server's prerequisites guard removals.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reaper_rules_on_bind() {
    let peer = Peer::bind9("reap.test.", 1);
    reaper_suite::run_all(peer.provider(), &peer.zone).await;
}
