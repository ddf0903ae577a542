//! The registry suite (every join/leave rule of `dns_sd_registry`) over
//! every provider the workspace has: the in-memory reference, Route 53
//! (documented-behaviour fake), Cloudflare (fake behind Prism, every
//! exchange checked against the official schema) and moto.

use dns_e2e::Peer;
use dns_sd_registry::suite;

fn assert_clean(peer: &Peer) {
    let violations = peer.violations();
    assert!(
        violations.is_empty(),
        "{}: schema violations: {violations:#?}",
        peer.name
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_rule_on_memory() {
    let peer = Peer::memory("rules.test.", 20);
    suite::run_all(&peer.providers, &peer.zone, &suite::Config::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_rule_on_route53() {
    let peer = Peer::route53_fake("rules.test.", 20).await;
    suite::run_all(&peer.providers, &peer.zone, &suite::Config::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_rule_on_cloudflare_through_prism() {
    let peer = Peer::cloudflare_prism("rules.example", 20).await;
    suite::run_all(&peer.providers, &peer.zone, &suite::Config::default()).await;
    assert_clean(&peer);
}

/// RFC 2136 has real prerequisites: the registry's guarded path, checked
/// by the server itself, with 20 writers.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_rule_on_rfc2136_against_the_zone_server() {
    let peer = Peer::rfc2136_server("rules.test.", 20).await;
    assert!(peer.provider().capabilities().preconditions);
    suite::run_all(&peer.providers, &peer.zone, &suite::Config::default()).await;
}

/// moto does what Route 53 does for simple writes, but its change journal
/// still holds a set that was deleted, so the third compare-and-swap of one
/// set (CREATE, then DELETE + CREATE twice) is refused with "already
/// exists" (moto pull request 9105, open). The Route 53 backend's `Add` and
/// `Remove` are exactly such swaps, so on moto only the rules whose sets
/// change at most twice run here; the documented-behaviour fake above runs
/// all of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rules_moto_can_hold_on_moto() {
    let peer = Peer::moto("rules.test.", 1).await;
    let p = peer.provider();
    suite::shared_host_keeps_its_address(p, &peer.zone).await;
}

/// One retry layer, measured end to end: a registration and a
/// deregistration through the registry against a provider that answers
/// every request with a 5xx cost exactly the provider's attempts of the
/// first call (the default policies: Route 53 5, Cloudflare 8), send no
/// write, and come back retryable, saying how often they were tried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_persistent_5xx_costs_one_calls_attempts_through_the_registry() {
    use std::sync::Arc;
    use std::time::Duration;

    use dns_cloudflare::{CloudflareBuilder, RequestBudget};
    use dns_core::{Name, RetryPolicy, ServiceInstance, Target, TxtProperties, Zone};
    use dns_route53::Route53Builder;
    use dns_sd_registry::ServiceRegistry;
    use dns_testkit::cloudflare::FakeCloudflare;
    use dns_testkit::route53::FakeRoute53;

    let web = |domain: &str| {
        let domain = Name::parse(domain).expect("domain");
        ServiceInstance::new("web", "_http._tcp".parse().expect("type"), domain.clone())
            .expect("instance")
            .with_target(
                Target::new(Name::parse_relative("h1", &domain).expect("host"), 80)
                    .with_address("192.0.2.1".parse().expect("ip")),
            )
            .with_txt(TxtProperties::new().with("v", "1").expect("txt"))
    };
    // The default policies, with their waits shortened (attempts unchanged).
    let fast = |policy: RetryPolicy| {
        policy
            .with_initial_backoff(Duration::from_millis(5))
            .with_max_backoff(Duration::from_millis(20))
    };

    let r53 = FakeRoute53::start().await;
    let id = r53.create_zone("down.test.", false);
    let provider = Route53Builder::new()
        .with_endpoint_url(r53.endpoint())
        .with_credentials("AKIDE2ETEST", "e2e-test-secret")
        .with_retry(fast(Route53Builder::default_retry()))
        .build()
        .await
        .expect("provider");
    let zone = Zone::new(id, Name::parse("down.test").expect("apex"));
    let registry = ServiceRegistry::new(Arc::new(provider)).with_zone(zone);
    r53.set_server_error_share(1.0);
    for leaving in [false, true] {
        r53.reset_counts();
        let instance = web("down.test");
        let err = if leaving {
            registry.deregister(&instance).await
        } else {
            registry.register(&instance).await
        }
        .expect_err("every request fails");
        let counts = r53.requests();
        assert_eq!(err.attempts(), 5, "route53: {err}");
        assert!(err.is_retryable(), "route53: {err}");
        assert_eq!(counts.total, 5, "route53 (leaving: {leaving}): {counts:?}");
        assert_eq!(
            counts.change_resource_record_sets, 0,
            "no write may be sent"
        );
    }

    let cf = FakeCloudflare::start().await;
    let id = cf.add_zone("down.example");
    let provider = CloudflareBuilder::new()
        .with_token(cf.token())
        .with_base_url(cf.uri())
        .with_allow_http(true)
        .with_request_budget(RequestBudget::unlimited())
        .with_retry(fast(RetryPolicy::default()))
        .build()
        .expect("provider");
    let zone = Zone::new(id, Name::parse("down.example").expect("apex"));
    let registry = ServiceRegistry::new(Arc::new(provider)).with_zone(zone);
    cf.set_server_errors(1.0);
    for leaving in [false, true] {
        let before = cf.request_count();
        let instance = web("down.example");
        let err = if leaving {
            registry.deregister(&instance).await
        } else {
            registry.register(&instance).await
        }
        .expect_err("every request fails");
        assert_eq!(err.attempts(), 8, "cloudflare: {err}");
        assert!(err.is_retryable(), "cloudflare: {err}");
        let sent: Vec<String> = cf.requests()[before..]
            .iter()
            .map(|r| r.method.clone())
            .collect();
        assert_eq!(sent.len(), 8, "cloudflare (leaving: {leaving}): {sent:?}");
        assert!(
            sent.iter().all(|m| m == "GET"),
            "no write may be sent: {sent:?}"
        );
    }
}
