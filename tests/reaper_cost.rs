//! What one reaper pass over healthy services costs on each provider,
//! for 100 and 1,000 targets: one listing call (the provider's pages
//! underneath) and no write. Prints the figures docs/performance.md
//! quotes: `cargo test -p dns-e2e --test reaper_cost -- --nocapture`.

use std::sync::Arc;

use async_trait::async_trait;
use dns_cloudflare::{CloudflareBuilder, RequestBudget};
use dns_core::{Change, DnsProvider, Name, RData, RecordSet, ServiceInstance, Target, Zone};
use dns_e2e::Peer;
use dns_sd_registry::{Check, Endpoint, HealthCheck, Reaper, ServiceRegistry};
use dns_testkit::cloudflare::FakeCloudflare;

/// Every target alive, without a server: the cost measured is the
/// provider's.
#[derive(Debug)]
struct Alive;

#[async_trait]
impl HealthCheck for Alive {
    async fn check(&self, _: &Endpoint) -> Result<(), String> {
        Ok(())
    }
}

/// Publishes `n` targets of `_svc._tcp`: `n / 10` instances of ten
/// targets each (Route 53 holds at most 400 values in one set, so a
/// service's PTR set cannot list 1,000 instances), in batches of 100 sets.
async fn publish(p: &Arc<dyn DnsProvider>, zone: &Zone, n: usize) {
    let mut sets: Vec<RecordSet> = Vec::new();
    let mut ptrs = Vec::new();
    for i in 0..n / 10 {
        let mut instance = ServiceInstance::new(
            &format!("i{i}"),
            "_svc._tcp".parse().expect("type"),
            zone.name.clone(),
        )
        .expect("instance")
        .with_ttl(300);
        for t in 0..10 {
            let k = i * 10 + t;
            let host = Name::parse(&format!("h{k}.{}", zone.name)).expect("host");
            let ip = std::net::Ipv4Addr::new(10, 0, (k / 250) as u8, (k % 250) as u8);
            instance = instance.with_target(Target::new(host, 8080).with_address(ip.into()));
        }
        let records = instance.records();
        sets.extend(records.addresses);
        sets.extend(records.srv);
        sets.extend(records.txt);
        ptrs.push(RData::PTR(instance.name().clone()));
    }
    let service = Name::parse(&format!("_svc._tcp.{}", zone.name)).expect("service");
    sets.push(RecordSet::new(service, 300, ptrs).expect("ptr"));
    for chunk in sets.chunks(100) {
        let changes: Vec<Change> = chunk.iter().cloned().map(Change::Add).collect();
        p.apply(zone, &changes).await.expect("publishing");
    }
}

async fn pass(p: &Arc<dyn DnsProvider>, zone: &Zone, n: usize) -> usize {
    let reaper = Reaper::new(ServiceRegistry::new(p.clone()).with_zone(zone.clone()))
        .with_service(Name::parse(&format!("_svc._tcp.{}", zone.name)).expect("service"))
        .with_check(Check::custom(Alive))
        .with_failures(3);
    let report = reaper.pass().await.expect("a pass");
    assert_eq!(report.services[0].checked, n);
    assert_eq!(report.removed(), 0);
    report.requests
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_pass_costs_one_listing_on_every_provider() {
    for n in [100, 1_000] {
        let r53 = dns_testkit::route53::FakeRoute53::start().await;
        let id = r53.create_zone("cost.test.", false);
        let provider: Arc<dyn DnsProvider> = Arc::new(
            dns_route53::Route53Builder::new()
                .with_endpoint_url(r53.endpoint())
                .with_credentials("AKIDE2ETEST", "e2e-test-secret")
                .build()
                .await
                .expect("provider"),
        );
        let zone = Zone::new(id, Name::parse("cost.test.").expect("apex"));
        publish(&provider, &zone, n).await;
        r53.reset_counts();
        let calls = pass(&provider, &zone, n).await;
        let counts = r53.requests();
        assert_eq!((calls, counts.change_resource_record_sets), (1, 0));
        println!(
            "route53 (fake): {n} targets: {calls} listing call, {} ListResourceRecordSets pages",
            counts.list_resource_record_sets
        );

        let peer = Peer::rfc2136_server("cost.test.", 1).await;
        publish(peer.provider(), &peer.zone, n).await;
        let calls = pass(peer.provider(), &peer.zone, n).await;
        assert_eq!(calls, 1);
        println!("rfc2136 (zone server): {n} targets: {calls} transfer");

        let fake = FakeCloudflare::start().await;
        let id = fake.add_zone("cost.example");
        let cf: Arc<dyn DnsProvider> = Arc::new(
            CloudflareBuilder::new()
                .with_token(fake.token())
                .with_base_url(fake.uri())
                .with_allow_http(true)
                .with_request_budget(RequestBudget::unlimited())
                .build()
                .expect("provider"),
        );
        let zone = Zone::new(id, Name::parse("cost.example").expect("apex"));
        publish(&cf, &zone, n).await;
        fake.clear_log();
        let calls = pass(&cf, &zone, n).await;
        let http = fake.request_count();
        let writes = fake.requests().iter().filter(|r| r.method != "GET").count();
        assert_eq!((calls, writes), (1, 0));
        println!("cloudflare (fake): {n} targets: {calls} listing call, {http} HTTP requests");
    }
}
