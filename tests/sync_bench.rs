//! A 10,000-set desired zone planned and applied on memory, the Route 53
//! fake, the Cloudflare fake and the RFC 2136 zone server: the requests
//! each apply sends, checked against the least its provider's limits
//! allow, and the plan times (printed, never bounded). Prints the figures
//! docs/performance.md quotes:
//! `cargo test -p dns-e2e --test sync_bench -- --nocapture`
//! (a debug build, as CI runs it).

use std::sync::Arc;
use std::time::{Duration, Instant};

use dns_cloudflare::{CloudflareBuilder, RequestBudget};
use dns_core::{Change, DnsProvider, InMemoryProvider, Name, RData, RecordSet, RecordType, Zone};
use dns_sync::{DesiredZone, Destination, SyncOptions, apply, plan};
use dns_testkit::cloudflare::FakeCloudflare;
use dns_testkit::route53::FakeRoute53;

const SETS: usize = 10_000;

fn desired(apex: &Name) -> DesiredZone {
    let mut zone = DesiredZone::new(apex.clone());
    for i in 0..SETS {
        let ip = std::net::Ipv4Addr::new(10, 0, (i / 250) as u8, (i % 250) as u8);
        let set = RecordSet::new(
            Name::parse_relative(&format!("h{i}.bench"), apex).expect("name"),
            300,
            [RData::A(ip)],
        )
        .expect("set");
        zone.add_set(set).expect("desired");
    }
    zone
}

/// What one provider's run measured.
#[derive(Debug)]
struct Figures {
    first_plan: Duration,
    apply: Duration,
    second_plan: Duration,
    changes: usize,
    records: usize,
    requests: usize,
}

/// Plans (empty zone), applies, plans again (must be empty), the second
/// time through `reread` when given (the same zone read another way).
async fn run(
    provider: Arc<dyn DnsProvider>,
    zone: Zone,
    reread: Option<Arc<dyn DnsProvider>>,
) -> (Figures, Vec<Change>) {
    let want = desired(&zone.name);
    let options = SyncOptions::new("bench".parse().expect("owner"));
    let d = Destination::new(provider, zone);
    let started = Instant::now();
    let first = plan(&d, &want, &options).await.expect("first plan");
    let first_plan = started.elapsed();
    assert_eq!(first.steps().len(), SETS, "every set is a create");
    let changes = first.changes().to_vec();
    let started = Instant::now();
    let applied = apply(first).await.expect("apply");
    let apply_time = started.elapsed();
    let started = Instant::now();
    let again = match reread {
        Some(p) => Destination::new(p, d.zone.clone()),
        None => d,
    };
    let second = plan(&again, &want, &options).await.expect("second plan");
    let second_plan = started.elapsed();
    assert!(
        second.is_empty(),
        "second plan not empty: {} steps",
        second.steps().len()
    );
    assert_eq!(second.owned(), SETS);
    let figures = Figures {
        first_plan,
        apply: apply_time,
        second_plan,
        changes: changes.len(),
        records: changes.iter().map(Change::record_count).sum(),
        requests: applied.requests,
    };
    (figures, changes)
}

fn ceil_div(a: usize, b: usize) -> usize {
    a.div_ceil(b)
}

/// Route 53: 1,000 `ResourceRecord` elements and 32,000 value characters
/// per request, an UPSERT counting twice in both.
fn route53_minimum(changes: &[Change]) -> usize {
    let weight = |c: &Change| if matches!(c, Change::Upsert(_)) { 2 } else { 1 };
    let records: usize = changes.iter().map(|c| weight(c) * c.record_count()).sum();
    let chars: usize = changes
        .iter()
        .map(|c| {
            weight(c)
                * c.values()
                    .iter()
                    .map(|v| v.to_string().len())
                    .sum::<usize>()
        })
        .sum();
    ceil_div(records, 1_000).max(ceil_div(chars, 32_000))
}

/// RFC 2136: 65,535 octets per UPDATE, counted as the backend counts
/// them, names in full (hickory compresses only within the first 16 KiB of
/// a message): per record its owner, 10 octets of type, class, TTL and
/// length, and its data (A 4 octets, TXT its strings with their lengths);
/// an UPSERT also deletes the set first, one more record without data;
/// every write carries the prerequisite "no CNAME at this name" (a CNAME
/// write: "none of the 8 types beside it"), without which a server ignores
/// a clashing write and reports success (RFC 2136 3.4.2.2).
fn rfc2136_minimum(changes: &[Change]) -> usize {
    let record = |owner: &Name, v: &RData| {
        owner.wire_len()
            + 10
            + match v {
                RData::A(_) => 4,
                RData::TXT(t) => t.wire_len(),
                other => other.to_string().len(),
            }
    };
    let octets: usize = changes
        .iter()
        .map(|c| match c {
            Change::Upsert(s) | Change::Add(s) | Change::Remove(s) => {
                let empty = s.name().wire_len() + 10;
                let delete = if matches!(c, Change::Upsert(_)) {
                    empty
                } else {
                    0
                };
                let guards = match c {
                    Change::Remove(_) => 0,
                    _ if s.record_type() == RecordType::CNAME => 8 * empty,
                    _ => empty,
                };
                delete
                    + guards
                    + s.values()
                        .iter()
                        .map(|v| record(s.name(), v))
                        .sum::<usize>()
            }
            Change::Delete { name, .. } => name.wire_len() + 10,
            _ => 0,
        })
        .sum();
    ceil_div(octets, 65_535)
}

fn show(provider: &str, f: &Figures, minimum: usize, extra: &str) {
    #[allow(clippy::print_stdout, reason = "the figures are the output")]
    {
        println!(
            "{provider}: {SETS} sets, {} changes ({} records): first plan {:?}, apply {:?} \
             in {} requests (limit-bound minimum {minimum}){extra}, second plan {:?} (empty)",
            f.changes, f.records, f.first_plan, f.apply, f.requests, f.second_plan
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_sets_apply_within_the_limit_bound_request_minimum() {
    // Memory: no request limit, so one request.
    let memory = InMemoryProvider::new();
    let zone = memory
        .create_zone(Name::parse("bench.test.").expect("apex"))
        .expect("zone");
    let (f, _) = run(Arc::new(memory), zone, None).await;
    show("memory", &f, 1, "");
    assert_eq!(f.requests, 1, "memory");

    // Route 53 (fake, no latency): the backend's own count and the fake's.
    let r53 = FakeRoute53::start().await;
    let id = r53.create_zone("bench.test.", false);
    let provider = dns_route53::Route53Builder::new()
        .with_endpoint_url(r53.endpoint())
        .with_credentials("AKIDE2ETEST", "e2e-test-secret")
        .build()
        .await
        .expect("provider");
    let (f, changes) = run(
        Arc::new(provider),
        Zone::new(id, Name::parse("bench.test.").expect("apex")),
        None,
    )
    .await;
    let minimum = route53_minimum(&changes);
    let counts = r53.requests();
    let pages = format!(
        ", {} of them ChangeResourceRecordSets, {} ListResourceRecordSets pages in all",
        counts.change_resource_record_sets, counts.list_resource_record_sets
    );
    show("route53 (fake)", &f, minimum, &pages);
    // The backend's count includes the reads its compare-and-swap needs;
    // the limits bound the writes.
    let writes = usize::try_from(counts.change_resource_record_sets).expect("small");
    assert!(
        writes <= minimum + minimum / 10 + 1,
        "route53: {writes} ChangeResourceRecordSets for a minimum of {minimum}"
    );

    // Cloudflare (fake, without Prism: the schema is checked in
    // sync_rules; here only the count matters): 200 operations per batch.
    let fake = FakeCloudflare::start().await;
    let id = fake.add_zone("bench.example");
    let provider = CloudflareBuilder::new()
        .with_token(fake.token())
        .with_base_url(fake.uri())
        .with_allow_http(true)
        .with_request_budget(RequestBudget::unlimited())
        .build()
        .expect("provider");
    let (f, changes) = run(
        Arc::new(provider),
        Zone::new(id, Name::parse("bench.example").expect("apex")),
        None,
    )
    .await;
    let minimum = ceil_div(changes.iter().map(Change::record_count).sum(), 200);
    let log = fake.requests();
    let writes = log.iter().filter(|r| r.method != "GET").count();
    let extra = format!(", {} HTTP requests in all ({writes} writes)", log.len());
    show("cloudflare (fake)", &f, minimum, &extra);
    assert!(
        writes <= minimum + minimum / 10 + 1,
        "cloudflare: {writes} writes for a minimum of {minimum}"
    );

    // RFC 2136 against the zone server, TSIG-signed; both plans read the
    // zone by AXFR (20,000 records).
    let memory = InMemoryProvider::new();
    let apex = Name::parse("bench.test.").expect("apex");
    let zone = memory.create_zone(apex.clone()).expect("zone");
    let key = dns_rfc2136::TsigKey::new(
        Name::parse("bench-key").expect("key name"),
        dns_rfc2136::TsigAlgorithm::HmacSha256,
        "c2VjcmV0LWZvci1iZW5jaC10ZXN0cy1vbmx5LWRvLW5vdC11c2U=",
    )
    .expect("key");
    let server = dns_server::ZoneServer::builder(memory)
        .with_updates(dns_server::UpdatePolicy::loopback().with_key(key.signer().expect("signer")))
        .start()
        .await
        .expect("zone server");
    let provider = dns_rfc2136::Rfc2136Builder::new(server.addr())
        .with_zone(apex)
        .with_tsig_key(key)
        .build()
        .expect("provider");
    let (f, changes) = run(Arc::new(provider), zone, None).await;
    let minimum = rfc2136_minimum(&changes);
    show("rfc2136 (zone server)", &f, minimum, "");
    // The backend's split is greedy and keeps 1 KiB per message for the
    // header and TSIG: the same slack as the HTTP providers.
    assert!(
        f.requests <= minimum + minimum / 10 + 1,
        "rfc2136: {} UPDATEs for a minimum of {minimum}",
        f.requests
    );
}
