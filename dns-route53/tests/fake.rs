//! The Route 53 backend against `FakeRoute53`, a stateful fake that follows
//! Route 53's documented behaviour where moto does not: CREATE of an
//! existing set fails, DELETE must match exactly, batches are all or
//! nothing, limits are enforced, and a share of requests can be throttled.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly too"
)]

mod support;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use dns_core::{
    Change, DnsProvider, DnsProviderExt, Error, Name, RData, RecordSet, RecordType, Srv,
    conformance,
};
use dns_route53::{Route53Builder, Routing};
use dns_testkit::route53::{BatchOutcome, FakeAlias, FakeRecordSet, FakeRoute53};
use support::fake::{fake_with_zone, fast_retry, provider};

fn name(s: &str) -> Name {
    Name::parse(s).unwrap()
}

fn a(i: u32) -> RData {
    RData::A(std::net::Ipv4Addr::from(0x0a00_0000 + i))
}

fn srv(port: u16) -> RData {
    RData::SRV(Srv::new(0, 10, port, name(&format!("h{port}.fake.test"))))
}

/// No set in the fake holds a value twice.
fn assert_no_duplicates(fake: &FakeRoute53, zone_id: &str) {
    for set in fake.record_sets(zone_id) {
        let distinct: HashSet<&String> = set.values.iter().collect();
        assert_eq!(
            distinct.len(),
            set.values.len(),
            "duplicate values in {set:?}"
        );
    }
}

async fn providers(fake: &FakeRoute53, n: usize) -> Vec<Arc<dyn DnsProvider>> {
    let mut out: Vec<Arc<dyn DnsProvider>> = Vec::new();
    for _ in 0..n {
        out.push(Arc::new(
            provider(fake, |b| b.with_max_cas_attempts(30)).await,
        ));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn whole_conformance_suite_with_50_separate_providers() {
    let (fake, zone) = fake_with_zone("conformance.test.").await;
    fake.set_latency(Duration::from_millis(2));
    let all = providers(&fake, 50).await;
    let client = format!("{:?}", provider(&fake, |b| b).await.client());
    let counted = fake.clone();
    let config = conformance::Config::default()
        .with_request_counter(move || usize::try_from(counted.requests().total).unwrap())
        .with_secret("fake-test-secret-do-not-log")
        .with_shown(format!(
            "{:?}",
            dns_route53::Route53Builder::new().with_session_credentials(
                "AKID",
                "fake-test-secret-do-not-log",
                "session-tok-1"
            )
        ))
        .with_secret("session-tok-1")
        .with_shown(client)
        .with_faults(Arc::new(fake.clone()));
    conformance::run_all(&all, &zone, &config).await;
    // The registry's concurrency check (moved out of the provider suite with
    // the registry) drives writers into each other's compare-and-swaps.
    dns_sd_registry::suite::concurrent_registrations(&all, &zone, 50).await;
    assert_no_duplicates(&fake, &zone.id);
    let rejected = fake
        .batches()
        .iter()
        .filter(|b| matches!(&b.outcome, BatchOutcome::Rejected { code, .. } if code == "InvalidChangeBatch"))
        .count();
    assert!(
        rejected > 0,
        "the concurrent phase should have met conflicts"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn registrations_complete_with_30_percent_throttled() {
    let (fake, zone) = fake_with_zone("throttled.test.").await;
    fake.set_seed(7);
    fake.set_throttle_share(0.3);
    fake.set_latency(Duration::from_millis(2));
    // The suite's own listings are not retried above the SDK: with 30% of
    // requests throttled, 5 SDK attempts still fail one request in 400, so
    // give the SDK 10 (one in 170,000).
    let mut all: Vec<Arc<dyn DnsProvider>> = Vec::new();
    for _ in 0..50 {
        all.push(Arc::new(
            provider(&fake, |b| b.with_retry(fast_retry(10))).await,
        ));
    }
    dns_sd_registry::suite::concurrent_registrations(&all, &zone, 50).await;
    let counts = fake.requests();
    assert!(
        counts.throttled > 50,
        "throttling was exercised: {counts:?}"
    );
    assert_no_duplicates(&fake, &zone.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn prior_request_not_complete_is_retried() {
    let (fake, zone) = fake_with_zone("busy.test.").await;
    fake.set_seed(3);
    fake.set_prior_request_share(0.5);
    let p = provider(&fake, |b| b.with_retry(fast_retry(10))).await;
    for i in 0..10 {
        p.add(
            &zone,
            RecordSet::new(name("www.busy.test"), 60, [a(i)]).unwrap(),
        )
        .await
        .unwrap();
    }
    let set = p
        .get_record_set(&zone, &name("www.busy.test"), RecordType::A)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(set.len(), 10);
    assert!(fake.batches().iter().any(|b| matches!(&b.outcome, BatchOutcome::Rejected { code, .. } if code == "PriorRequestNotComplete")));

    // With retries exhausted the error says so and is retryable.
    fake.set_prior_request_share(1.0);
    let once = provider(&fake, |b| b.with_retry(fast_retry(1))).await;
    let err = once
        .add(
            &zone,
            RecordSet::new(name("www.busy.test"), 60, [a(99)]).unwrap(),
        )
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(
        matches!(&err, Error::Provider { code: Some(c), request_id: Some(_), .. } if c == "PriorRequestNotComplete"),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn throttling_is_rate_limited_and_retryable() {
    let (fake, zone) = fake_with_zone("slow.test.").await;
    fake.set_throttle_share(1.0);
    let p = provider(&fake, |b| b.with_retry(fast_retry(2))).await;
    let err = p.list_record_sets(&zone).await.unwrap_err();
    assert!(matches!(err.root(), Error::RateLimited { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert!(err.to_string().contains("request id"), "{err}");
    assert_eq!(fake.requests().throttled, 2, "the SDK retried once");
    assert_eq!(err.attempts(), 2, "the error says it was retried: {err}");
    assert!(err.to_string().ends_with("(after 2 attempts)"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_writers_into_one_srv_set_lose_nothing() {
    let (fake, zone) = fake_with_zone("fake.test.").await;
    fake.set_latency(Duration::from_millis(3));
    let owner = name("_svc._tcp.fake.test");
    let mut tasks = tokio::task::JoinSet::new();
    for (i, p) in providers(&fake, 50).await.into_iter().enumerate() {
        let zone = zone.clone();
        let owner = owner.clone();
        tasks.spawn(async move {
            let port = 8000 + u16::try_from(i).unwrap();
            let set = RecordSet::new(owner, 60, [srv(port)]).unwrap();
            p.apply(&zone, &[Change::Add(set)]).await
        });
    }
    let mut requests = 0;
    while let Some(done) = tasks.join_next().await {
        requests += done.unwrap().unwrap().requests;
    }
    let p = provider(&fake, |b| b).await;
    let set = p
        .get_record_set(&zone, &owner, RecordType::SRV)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(set.len(), 50, "every writer's value is present");
    assert_no_duplicates(&fake, &zone.id);
    assert!(
        requests > 100,
        "contention cost re-reads and retries ({requests} requests)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn uncontended_add_and_remove_cost_one_read_and_one_batch() {
    let (fake, zone) = fake_with_zone("cost.test.").await;
    let p = provider(&fake, |b| b).await;
    let owner = name("_svc._tcp.cost.test");
    p.add(
        &zone,
        RecordSet::new(owner.clone(), 60, [srv(1), srv(2)]).unwrap(),
    )
    .await
    .unwrap();
    fake.reset_counts();
    let before = p.requests_sent();
    let report = p
        .add(&zone, RecordSet::new(owner.clone(), 60, [srv(3)]).unwrap())
        .await
        .unwrap();
    assert_eq!(
        p.requests_sent() - before,
        2,
        "the provider counts its calls"
    );
    let counts = fake.requests();
    assert_eq!(
        (
            counts.list_resource_record_sets,
            counts.change_resource_record_sets
        ),
        (1, 1)
    );
    assert_eq!(report.requests, 2);
    assert!(report.atomic);
    assert_eq!(report.change_ids.len(), 1);
    let batch = &fake.batches()[0];
    let actions: Vec<&str> = batch.changes.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(actions, ["DELETE", "CREATE"], "a compare-and-swap");
    fake.reset_counts();
    p.remove(&zone, RecordSet::new(owner.clone(), 60, [srv(3)]).unwrap())
        .await
        .unwrap();
    let counts = fake.requests();
    assert_eq!(
        (
            counts.list_resource_record_sets,
            counts.change_resource_record_sets
        ),
        (1, 1)
    );
    // Adding what is there already sends no change at all.
    fake.reset_counts();
    let report = p
        .add(&zone, RecordSet::new(owner, 60, [srv(1)]).unwrap())
        .await
        .unwrap();
    assert_eq!(fake.requests().change_resource_record_sets, 0);
    assert!(report.change_ids.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_registration_reads_one_page() {
    // Six sets far apart in the zone's order, read in one listing page.
    let (fake, _zone) = fake_with_zone("reg.test.").await;
    let p = provider(&fake, |b| b).await;
    let registry = dns_sd_registry::ServiceRegistry::new(Arc::new(p.clone()));
    let instance = |i: u8| {
        dns_core::ServiceInstance::new(
            &format!("web {i}"),
            "_http._tcp".parse().unwrap(),
            name("reg.test"),
        )
        .unwrap()
        .with_target(
            dns_core::Target::new(name(&format!("host-{i}.reg.test")), 8080)
                .with_address(std::net::IpAddr::V4([10, 0, 0, i].into())),
        )
        .with_subtype("_printer".parse().unwrap())
        // Stated metadata: a registration without TXT would also read the
        // TXT set after its batch (to yield to, or stand in for, another
        // host's TXT: Route 53 has no conditional write), one more listing.
        .with_txt(dns_core::TxtProperties::new().with("v", "1").unwrap())
    };
    for i in 0..3 {
        registry.register(&instance(i)).await.unwrap();
    }
    fake.reset_counts();
    registry.register(&instance(7)).await.unwrap();
    let c = fake.requests();
    assert_eq!(
        (c.list_resource_record_sets, c.change_resource_record_sets),
        (2, 1),
        "the registry's own SRV read, one page for the batch's sets, one batch: {c:?}"
    );
    fake.reset_counts();
    registry.deregister(&instance(7)).await.unwrap();
    let c = fake.requests();
    // Without atomic preconditions the registry checks afterwards whether
    // someone joined the instance (SRV) or the service (PTR) meanwhile.
    assert_eq!(
        (c.list_resource_record_sets, c.change_resource_record_sets),
        (4, 1),
        "SRV read, one page for the batch, one batch, SRV and PTR re-checks: {c:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_batch_applies_nothing_and_keeps_every_message() {
    let (fake, zone) = fake_with_zone("atomic.test.").await;
    let p = provider(&fake, |b| b).await;
    p.add(
        &zone,
        RecordSet::new(name("clash.atomic.test"), 60, [a(1)]).unwrap(),
    )
    .await
    .unwrap();
    // Already there: no write needed, and none made, so the error below is
    // the batch's own, not a partial application.
    let kept = RecordSet::new(name("kept.atomic.test"), 60, [a(3)]).unwrap();
    p.add(&zone, kept.clone()).await.unwrap();
    let before = fake.record_sets(&zone.id);
    let err = p
        .apply(
            &zone,
            &[
                Change::Add(kept),
                Change::Add(RecordSet::new(name("first.atomic.test"), 60, [a(2)]).unwrap()),
                Change::Upsert(
                    RecordSet::new(
                        name("clash.atomic.test"),
                        60,
                        [RData::CNAME(name("elsewhere.test"))],
                    )
                    .unwrap(),
                ),
            ],
        )
        .await
        .unwrap_err();
    assert_eq!(
        fake.record_sets(&zone.id),
        before,
        "nothing of the batch applied"
    );
    match &err {
        Error::Provider {
            code: Some(code),
            message,
            request_id: Some(_),
            retryable: false,
            ..
        } => {
            assert_eq!(code, "InvalidChangeBatch");
            assert!(message.contains("CNAME"), "{message}");
        }
        other => panic!("expected the InvalidChangeBatch error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn large_applies_split_at_the_limits() {
    let (fake, zone) = fake_with_zone("split.test.").await;
    let p = provider(&fake, |b| b).await;
    let creates = |n: u32, offset: u32| -> Vec<Change> {
        (0..n)
            .map(|i| {
                Change::Upsert(
                    RecordSet::new(name(&format!("h{i:05}.split.test")), 300, [a(i + offset)])
                        .unwrap(),
                )
            })
            .collect()
    };
    let report = p.apply(&zone, &creates(1_000, 0)).await.unwrap();
    assert!(report.atomic);
    assert_eq!(
        report.change_ids.len(),
        1,
        "exactly 1,000 records fit one request"
    );
    fake.reset_counts();
    let report = p.apply(&zone, &creates(2_500, 0)).await.unwrap();
    assert!(!report.atomic);
    let accepted: Vec<usize> = fake
        .batches()
        .iter()
        .filter(|b| b.outcome.is_accepted())
        .map(|b| b.record_elements)
        .collect();
    assert_eq!(
        accepted,
        [1_000, 500],
        "the first 1,000 were there already; 1,500 new need two requests"
    );
    // 600 UPSERTs of existing sets count 1,200 records: two requests.
    fake.reset_counts();
    let report = p.apply(&zone, &creates(600, 50_000)).await.unwrap();
    let accepted: Vec<usize> = fake
        .batches()
        .iter()
        .filter(|b| b.outcome.is_accepted())
        .map(|b| b.record_elements)
        .collect();
    assert_eq!(accepted, [1_000, 200]);
    assert_eq!(report.change_ids.len(), 2);
    assert!(
        fake.batches().iter().all(|b| b.outcome.is_accepted()),
        "no request broke a limit"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn alias_and_routing_sets_are_listed_but_never_touched() {
    let (fake, zone) = fake_with_zone("alias.test.").await;
    fake.insert(
        &zone.id,
        FakeRecordSet::alias(
            "alias.test.",
            "A",
            FakeAlias::new("Z2FDTNDATAQYW2", "d111111abcdef8.cloudfront.net.", false),
        ),
    );
    for (id, weight, ip) in [("blue", 70, "192.0.2.1"), ("green", 30, "192.0.2.2")] {
        let mut set = FakeRecordSet::simple("api.alias.test.", "A", 60, [ip]);
        set.set_identifier = Some(id.into());
        set.weight = Some(weight);
        fake.insert(&zone.id, set);
    }
    let p = provider(&fake, |b| b).await;
    let portable = p.list_record_sets(&zone).await.unwrap();
    assert!(
        portable.iter().all(|s| s.record_type() != RecordType::A),
        "alias and weighted sets are not portable: {portable:?}"
    );
    let native = p.list_native_record_sets(&zone).await.unwrap();
    let alias = native.iter().find(|s| s.alias.is_some()).unwrap();
    assert_eq!(
        alias.alias.as_ref().unwrap().dns_name,
        name("d111111abcdef8.cloudfront.net")
    );
    let weights: Vec<&Routing> = native
        .iter()
        .filter(|s| s.set_identifier.is_some())
        .map(|s| &s.routing)
        .collect();
    assert_eq!(
        weights,
        [
            &Routing::Weighted { weight: 70 },
            &Routing::Weighted { weight: 30 }
        ]
    );

    let before = fake.record_sets(&zone.id);
    for (owner, change) in [
        ("alias.test", "add"),
        ("api.alias.test", "add"),
        ("alias.test", "upsert"),
    ] {
        let set = RecordSet::new(name(owner), 60, [a(5)]).unwrap();
        let c = if change == "add" {
            Change::Add(set)
        } else {
            Change::Upsert(set)
        };
        let err = p.apply(&zone, &[c]).await.unwrap_err();
        assert!(
            matches!(err, Error::Unsupported { .. }),
            "{owner} {change}: {err:?}"
        );
        assert!(err.to_string().contains("set"), "{err}");
    }
    for owner in ["alias.test", "api.alias.test"] {
        p.delete(&zone, name(owner), RecordType::A).await.unwrap();
        p.remove(&zone, RecordSet::new(name(owner), 60, [a(5)]).unwrap())
            .await
            .unwrap();
    }
    assert_eq!(
        fake.record_sets(&zone.id),
        before,
        "portable changes left them alone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn auth_failures_and_missing_zones() {
    let (fake, zone) = fake_with_zone("auth.test.").await;
    let p = provider(&fake, |b| b.with_retry(fast_retry(1))).await;
    fake.set_auth_failure(true);
    let err = p.list_zones().await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    assert!(!err.is_retryable());
    fake.set_auth_failure(false);
    let missing = dns_core::Zone::new("ZNOSUCHZONE1234", zone.name.clone());
    assert!(matches!(
        p.list_record_sets(&missing).await,
        Err(Error::ZoneNotFound { .. })
    ));
    assert!(matches!(
        p.add(
            &missing,
            RecordSet::new(name("www.auth.test"), 60, [a(1)]).unwrap()
        )
        .await,
        Err(Error::ZoneNotFound { .. })
    ));
    // No credentials at all: refused when building.
    let none = dns_route53::Route53Builder::new()
        .with_endpoint_url(fake.endpoint())
        .build()
        .await;
    assert!(matches!(none, Err(Error::Auth { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn waiting_for_insync() {
    let (fake, zone) = fake_with_zone("wait.test.").await;
    fake.set_insync_after(2);
    let p = provider(&fake, |b| b).await;
    let report = p
        .add(
            &zone,
            RecordSet::new(name("www.wait.test"), 60, [a(1)]).unwrap(),
        )
        .await
        .unwrap();
    let id = &report.change_ids[0];
    fake.reset_counts();
    p.wait_with_backoff(id, Duration::from_secs(5), Duration::from_millis(10))
        .await
        .unwrap();
    assert_eq!(fake.requests().get_change, 3, "PENDING twice, then INSYNC");
    fake.set_insync_after(1_000);
    let report = p
        .add(
            &zone,
            RecordSet::new(name("www.wait.test"), 60, [a(2)]).unwrap(),
        )
        .await
        .unwrap();
    let err = p
        .wait_with_backoff(
            &report.change_ids[0],
            Duration::from_millis(100),
            Duration::from_millis(10),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not INSYNC"), "{err}");

    // The interval doubles: polls at 0, 0.1, 0.3, 0.7 and (the deadline)
    // 1 s; fewer if the machine is slow, never more.
    fake.reset_counts();
    p.wait_with_backoff(
        &report.change_ids[0],
        Duration::from_secs(1),
        Duration::from_millis(100),
    )
    .await
    .unwrap_err();
    let polls = fake.requests().get_change;
    assert!((2..=5).contains(&polls), "{polls} polls");

    // The plain wait polls once a second: a 300 ms timeout ends after the
    // poll at the deadline.
    fake.reset_counts();
    let err = p
        .wait_until_in_sync(&report.change_ids[0], Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert_eq!(fake.requests().get_change, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_split_apply_that_fails_says_which_changes_took_effect() {
    let (fake, zone) = fake_with_zone("split.test.").await;
    let p = provider(&fake, |b| b).await;
    // 1,500 single-value sets, then a CNAME beside the last A: the planner
    // packs 1,000 records into the first batch and the rest, CNAME
    // included, into the second, which Route 53 refuses.
    let mut changes: Vec<Change> = (0..1_500u32)
        .map(|i| {
            Change::Add(RecordSet::new(name(&format!("h{i}.split.test")), 60, [a(i)]).unwrap())
        })
        .collect();
    changes.push(Change::Upsert(
        RecordSet::new(
            name("h1499.split.test"),
            60,
            [RData::CNAME(name("elsewhere.split.test"))],
        )
        .unwrap(),
    ));
    // A change that is already true needs no batch: it counts as applied.
    let kept = RecordSet::new(name("kept.split.test"), 60, [a(7)]).unwrap();
    p.add(&zone, kept.clone()).await.unwrap();
    changes.push(Change::Add(kept));
    fake.reset_counts();
    let err = p.apply(&zone, &changes).await.unwrap_err();
    let applied = err.applied().expect("a partial failure").to_vec();
    let expected: Vec<usize> = (0..1_000).chain([1_501]).collect();
    assert_eq!(applied, expected, "{err}");
    match &err {
        Error::PartiallyApplied { total, report, .. } => {
            assert_eq!(*total, 1_502);
            assert_eq!(report.change_ids.len(), 1, "one batch went through");
            assert!(!report.atomic);
        }
        other => panic!("expected PartiallyApplied, got {other:?}"),
    }
    assert!(!err.is_retryable(), "the CNAME clash stays: {err}");
    let batches = fake.batches();
    assert_eq!(batches.len(), 2);
    assert!(matches!(batches[0].outcome, BatchOutcome::Accepted { .. }));
    assert!(matches!(batches[1].outcome, BatchOutcome::Rejected { .. }));
    // The fake holds exactly what the error says.
    let names: HashSet<String> = fake
        .record_sets(&zone.id)
        .into_iter()
        .filter(|s| s.rtype == "A" && s.name != "kept.split.test.")
        .map(|s| s.name)
        .collect();
    assert_eq!(names.len(), 1_000);
    assert!(names.contains("h999.split.test.") && !names.contains("h1000.split.test."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_persistent_5xx_costs_one_request_per_attempt_of_the_first_read() {
    let (fake, zone) = fake_with_zone("down.test.").await;
    let p = provider(&fake, |b| {
        b.with_retry(
            Route53Builder::default_retry()
                .with_initial_backoff(Duration::from_millis(5))
                .with_max_backoff(Duration::from_millis(20)),
        )
    })
    .await;
    let instance = name("web._http._tcp.down.test");
    let registration = [
        Change::Add(
            RecordSet::new(
                name("_http._tcp.down.test"),
                60,
                [RData::PTR(instance.clone())],
            )
            .unwrap(),
        ),
        Change::Upsert(RecordSet::new(instance.clone(), 60, [srv(8080)]).unwrap()),
        Change::Add(RecordSet::new(name("host.down.test"), 60, [a(1)]).unwrap()),
    ];
    fake.set_server_error_share(1.0);
    fake.reset_counts();
    let err = p.apply(&zone, &registration).await.unwrap_err();
    let counts = fake.requests();
    // The default policy: 5 attempts of the read that plans the batch; the
    // batch itself is never sent.
    assert_eq!(err.attempts(), 5, "{err}");
    assert!(err.is_retryable());
    assert_eq!(counts.total, 5, "{counts:?}");
    assert_eq!(counts.change_resource_record_sets, 0);
}

/// `list_zones` follows the markers past Route 53's 100 zones per page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zones_are_listed_past_the_first_page() {
    let (fake, _zone) = fake_with_zone("z0.test.").await;
    for i in 1..150 {
        fake.create_zone(&format!("z{i}.test."), false);
    }
    let p = provider(&fake, |b| b).await;
    let before = p.requests_sent();
    let zones: HashSet<String> = p
        .list_zones()
        .await
        .unwrap()
        .iter()
        .map(|z| z.name.to_string())
        .collect();
    assert_eq!(zones.len(), 150);
    assert!(zones.contains("z0.test.") && zones.contains("z149.test."));
    assert_eq!(p.requests_sent() - before, 2, "two pages");
}

/// Name and capabilities, and `validate` refusing what Route 53 would,
/// without a request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_provider_says_about_itself() {
    let (fake, zone) = fake_with_zone("self.test.").await;
    let p = provider(&fake, |b| b).await;
    assert_eq!(p.provider_name(), "route53");
    let caps = p.capabilities();
    assert!(caps.atomic_batches && !caps.preconditions && caps.raw_labels);
    assert_eq!(caps.max_records_per_request, Some(1_000));
    assert!(caps.record_types.contains(&RecordType::CAA));

    let many = RecordSet::new(name("many.self.test"), 60, (0..401).map(a)).unwrap();
    let err = p.validate(&zone, &[Change::Add(many)]).unwrap_err();
    assert!(err.to_string().contains("401 values"), "{err}");
    let foreign = RecordSet::new(name("www.elsewhere.test"), 60, [a(1)]).unwrap();
    assert!(p.validate(&zone, &[Change::Add(foreign)]).is_err());
    assert_eq!(p.requests_sent(), 0);
}
