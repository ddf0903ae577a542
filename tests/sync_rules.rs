//! `dns_sync` end to end on every provider the workspace has: the
//! in-memory reference, Route 53 (documented-behaviour fake and moto),
//! Cloudflare (fake behind Prism, every exchange checked against the
//! official schema), RFC 2136 against the zone server and against BIND 9.
//!
//! Each check below runs as its own owner under its own names, so the
//! checks share one zone (one server start per provider) without one
//! check's sets counting towards another's plan.

use std::collections::BTreeSet;

use dns_core::{Change, Name, RData, RecordSet, RecordType, Txt};
use dns_e2e::Peer;
use dns_sync::{
    DesiredZone, Destination, LeftAlone, Policy, Refusal, Step, SyncError, SyncOptions, apply, plan,
};

type Key = (Name, RecordType);

fn name(apex: &Name, relative: &str) -> Name {
    Name::parse_relative(relative, apex).expect("name")
}

fn set(apex: &Name, relative: &str, ttl: u32, rtype: RecordType, values: &[&str]) -> RecordSet {
    let values = values
        .iter()
        .map(|v| RData::parse(rtype, &v.replace("$APEX", &apex.to_string())).expect("rdata"));
    RecordSet::new(name(apex, relative), ttl, values).expect("set")
}

fn desired(apex: &Name, sets: impl IntoIterator<Item = RecordSet>) -> DesiredZone {
    let mut zone = DesiredZone::new(apex.clone());
    for s in sets {
        zone.add_set(s).expect("desired set");
    }
    zone
}

fn owner(id: &str) -> SyncOptions {
    SyncOptions::new(id.parse().expect("owner id"))
}

fn destination(peer: &Peer) -> Destination {
    Destination::new(peer.provider().clone(), peer.zone.clone())
}

fn key(set: &RecordSet) -> Key {
    (set.name().to_lowercase(), set.record_type())
}

/// The zone as comparable lines (name, type, TTL, sorted values).
async fn snapshot(peer: &Peer) -> Vec<String> {
    let mut lines: Vec<String> = peer
        .provider()
        .list_record_sets(&peer.zone)
        .await
        .expect("listing the zone")
        .iter()
        .map(line)
        .collect();
    lines.sort();
    lines
}

fn line(s: &RecordSet) -> String {
    let mut values: Vec<String> = s.values().iter().map(ToString::to_string).collect();
    values.sort();
    format!(
        "{} {} {} [{}]",
        s.name().to_lowercase(),
        s.record_type(),
        s.ttl(),
        values.join(", ")
    )
}

fn unstorable(p: &dns_sync::Plan) -> BTreeSet<Key> {
    p.left_alone()
        .iter()
        .filter_map(|l| match l {
            LeftAlone::Unstorable { set, .. } => Some(key(set)),
            _ => None,
        })
        .collect()
}

/// (creates, updates, deletes) of a plan.
fn counts(p: &dns_sync::Plan) -> (usize, usize, usize) {
    let c = |f: fn(&Step) -> bool| p.steps().iter().filter(|s| f(s)).count();
    (
        c(|s| matches!(s, Step::Create(_))),
        c(|s| matches!(s, Step::Update { .. })),
        c(|s| matches!(s, Step::Delete(_))),
    )
}

/// Plans and applies, expecting no refusal.
async fn sync(peer: &Peer, want: &DesiredZone, options: &SyncOptions) {
    let p = plan(&destination(peer), want, options)
        .await
        .unwrap_or_else(|e| panic!("{}: plan: {e}", peer.name));
    assert!(p.refusals().is_empty(), "{}: {p}", peer.name);
    apply(p)
        .await
        .unwrap_or_else(|e| panic!("{}: apply: {e}", peer.name));
}

fn is_cloudflare(peer: &Peer) -> bool {
    peer.provider().provider_name() == "cloudflare"
}

/// A zone with every modelled type, a long (300 octets, two strings) and
/// a quoted TXT, a well-formed SRV and one at a plain owner (Cloudflare's
/// SRV owner rule refuses it), a TTL of 10 (below Cloudflare's 30) and a
/// type no provider here models (HINFO): after one apply, a second plan
/// is empty, and what cannot be stored is reported, the same both times.
async fn second_plan_is_empty_for_every_type(peer: &Peer) {
    let apex = &peer.zone.name;
    let long: String = (0..300)
        .map(|i| char::from(b'a' + u8::try_from(i % 26).expect("small")))
        .collect();
    let long_txt = RecordSet::new(
        name(apex, "long.types"),
        300,
        [RData::TXT(Txt::from_text(&long))],
    )
    .expect("long TXT");
    let hinfo = RecordSet::new(
        name(apex, "hinfo.types"),
        300,
        [RData::parse(RecordType::from_code(13), r#""pc" "linux""#).expect("hinfo")],
    )
    .expect("HINFO");
    let want = desired(
        apex,
        [
            set(
                apex,
                "www.types",
                300,
                RecordType::A,
                &["192.0.2.1", "192.0.2.2"],
            ),
            set(apex, "www.types", 300, RecordType::AAAA, &["2001:db8::1"]),
            set(
                apex,
                "alias.types",
                300,
                RecordType::CNAME,
                &["www.types.$APEX"],
            ),
            set(
                apex,
                "types",
                300,
                RecordType::MX,
                &["10 mail.types.$APEX", "20 www.types.$APEX"],
            ),
            set(apex, "mail.types", 300, RecordType::A, &["192.0.2.25"]),
            set(
                apex,
                "delegated.types",
                3600,
                RecordType::NS,
                &["ns1.example.net.", "ns2.example.net."],
            ),
            set(
                apex,
                "ptr.types",
                300,
                RecordType::PTR,
                &["www.types.$APEX"],
            ),
            set(
                apex,
                "_sip._tcp.types",
                300,
                RecordType::SRV,
                &["10 5 5060 www.types.$APEX"],
            ),
            set(
                apex,
                "plain-srv.types",
                300,
                RecordType::SRV,
                &["0 0 80 www.types.$APEX"],
            ),
            set(
                apex,
                "quoted.types",
                300,
                RecordType::TXT,
                &[r#""say \"hi\"" "a second string""#],
            ),
            set(
                apex,
                "types",
                300,
                RecordType::CAA,
                &[r#"0 issue "letsencrypt.org""#],
            ),
            set(apex, "short.types", 10, RecordType::A, &["192.0.2.10"]),
            long_txt.clone(),
            hinfo.clone(),
        ],
    );
    let options = owner("types");
    let d = destination(peer);
    let first = plan(&d, &want, &options).await.expect("first plan");
    assert!(first.refusals().is_empty(), "{}: {first}", peer.name);
    let skipped = unstorable(&first);
    let srv_plain = (name(apex, "plain-srv.types"), RecordType::SRV);
    let mut expected: BTreeSet<Key> = [key(&hinfo)].into();
    if is_cloudflare(peer) {
        expected.insert(srv_plain);
    }
    assert_eq!(skipped, expected, "{}: {first}", peer.name);
    assert_eq!(
        counts(&first),
        (want.sets().len() - skipped.len(), 0, 0),
        "{}: {first}",
        peer.name
    );
    // Every planned TTL is the desired one, or the change is reported.
    for step in first.steps() {
        let Step::Create(planned) = step else {
            continue;
        };
        let wanted = want
            .get(planned.name(), planned.record_type())
            .expect("planned from desired");
        if wanted.ttl() != planned.ttl() {
            assert!(
                first
                    .ttl_adjustments()
                    .iter()
                    .any(|(s, a)| key(s) == key(planned)
                        && a.desired == wanted.ttl()
                        && a.planned == planned.ttl()),
                "{}: TTL change not reported: {first}",
                peer.name
            );
        }
    }
    if is_cloudflare(peer) {
        let short = (name(apex, "short.types"), RecordType::A);
        assert!(
            first
                .ttl_adjustments()
                .iter()
                .any(|(s, a)| key(s) == short && a.desired == 10 && a.planned == 30),
            "{}: {first}",
            peer.name
        );
    }
    let planned: Vec<RecordSet> = first
        .steps()
        .iter()
        .filter_map(|s| match s {
            Step::Create(set) => Some(set.clone()),
            _ => None,
        })
        .collect();
    apply(first).await.expect("apply");

    let second = plan(&d, &want, &options).await.expect("second plan");
    assert!(second.is_empty(), "{}: second plan: {second}", peer.name);
    assert_eq!(unstorable(&second), expected, "{}: {second}", peer.name);
    assert_eq!(second.owned(), planned.len(), "{}: {second}", peer.name);
    let zone = snapshot(peer).await;
    for s in &planned {
        assert!(
            zone.contains(&line(s)),
            "{}: {} not stored as planned: {zone:#?}",
            peer.name,
            line(s)
        );
    }
    // The long TXT keeps its 300 octets whatever strings the provider
    // splits them into.
    let stored = peer
        .provider()
        .list_record_sets(&peer.zone)
        .await
        .expect("listing")
        .into_iter()
        .find(|s| key(s) == key(&long_txt))
        .expect("long TXT stored");
    let RData::TXT(txt) = &stored.values()[0] else {
        panic!("{}: not a TXT: {stored:?}", peer.name);
    };
    assert_eq!(txt.concat(), long.as_bytes(), "{}", peer.name);
}

/// Another owner's set and an unmarked set named by the desired state are
/// reported and untouched; deleting what the owner no longer wants never
/// reaches them.
async fn others_and_unmarked_sets_are_left_alone(peer: &Peer) {
    let apex = &peer.zone.name;
    let a = |rel: &str, ip: &str| set(apex, rel, 300, RecordType::A, &[ip]);
    peer.provider()
        .apply(&peer.zone, &[Change::Upsert(a("hand.own", "192.0.2.9"))])
        .await
        .expect("hand-made set");
    sync(
        peer,
        &desired(apex, [a("theirs.own", "192.0.2.8")]),
        &owner("other"),
    )
    .await;
    let before = snapshot(peer).await;

    let options = owner("mine");
    let want = desired(
        apex,
        [
            a("hand.own", "192.0.2.1"),
            a("theirs.own", "192.0.2.1"),
            a("mine.own", "192.0.2.3"),
        ],
    );
    let d = destination(peer);
    let p = plan(&d, &want, &options).await.expect("plan");
    let touched: Vec<Key> = p
        .steps()
        .iter()
        .map(|s| (s.key().0.clone(), s.key().1))
        .collect();
    assert_eq!(
        touched,
        [(name(apex, "mine.own"), RecordType::A)],
        "{}: {p}",
        peer.name
    );
    let report = |p: &dns_sync::Plan| {
        let mut r: Vec<String> = p
            .left_alone()
            .iter()
            .map(|l| match l {
                LeftAlone::Unowned { set } => format!("unowned {}", line(set)),
                LeftAlone::OtherOwner { set, owner } => format!("{owner} {}", line(set)),
                other => format!("{other:?}"),
            })
            .collect();
        r.sort();
        r
    };
    let expected = vec![
        format!("other {}", line(&a("theirs.own", "192.0.2.8"))),
        format!("unowned {}", line(&a("hand.own", "192.0.2.9"))),
    ];
    assert_eq!(report(&p), expected, "{}: {p}", peer.name);
    apply(p).await.expect("apply");
    let again = plan(&d, &want, &options).await.expect("plan");
    assert!(again.is_empty(), "{}: {again}", peer.name);
    assert_eq!(report(&again), expected, "{}", peer.name);

    // Replacing the owner's set deletes only its own.
    sync(
        peer,
        &desired(apex, [a("mine2.own", "192.0.2.4")]),
        &options,
    )
    .await;
    let after = snapshot(peer).await;
    // The apex SOA is left out: a server bumps its serial on every update.
    for kept in before.iter().filter(|l| !l.contains(" SOA ")) {
        assert!(after.contains(kept), "{}: {kept} was touched", peer.name);
    }
    assert!(
        !after
            .iter()
            .any(|l| l.starts_with(&format!("{} ", name(apex, "mine.own"))))
    );
}

/// create-only creates and withholds the rest; upsert-only updates and
/// withholds the delete; sync deletes; each withheld step is reported.
async fn each_policy_does_what_it_allows(peer: &Peer) {
    let apex = &peer.zone.name;
    let a = |rel: &str, ip: &str| set(apex, rel, 300, RecordType::A, &[ip]);
    let options = owner("pol");
    sync(
        peer,
        &desired(
            apex,
            [
                a("a.pol", "192.0.2.1"),
                a("b.pol", "192.0.2.2"),
                a("c.pol", "192.0.2.3"),
            ],
        ),
        &options,
    )
    .await;
    let want = desired(
        apex,
        [
            a("a.pol", "192.0.2.7"),
            a("b.pol", "192.0.2.2"),
            a("d.pol", "192.0.2.4"),
        ],
    );
    let d = destination(peer);
    let withheld = |p: &dns_sync::Plan| {
        let mut w: Vec<String> = p
            .left_alone()
            .iter()
            .filter_map(|l| match l {
                LeftAlone::Policy { step } => Some(step.to_string()),
                _ => None,
            })
            .collect();
        w.sort();
        w
    };

    let p = plan(&d, &want, &options.clone().with_policy(Policy::CreateOnly))
        .await
        .expect("plan");
    assert_eq!(counts(&p), (1, 0, 0), "{}: {p}", peer.name);
    assert_eq!(withheld(&p).len(), 2, "{}: {p}", peer.name);
    apply(p).await.expect("create-only");
    let zone = snapshot(peer).await;
    assert!(
        zone.contains(&line(&a("a.pol", "192.0.2.1"))),
        "{}: {zone:#?}",
        peer.name
    );
    assert!(
        zone.contains(&line(&a("d.pol", "192.0.2.4"))),
        "{}: {zone:#?}",
        peer.name
    );

    let p = plan(&d, &want, &options.clone().with_policy(Policy::UpsertOnly))
        .await
        .expect("plan");
    assert_eq!(counts(&p), (0, 1, 0), "{}: {p}", peer.name);
    assert_eq!(
        withheld(&p),
        [format!("delete {} A 300 [192.0.2.3]", name(apex, "c.pol"))],
        "{}",
        peer.name
    );
    apply(p).await.expect("upsert-only");
    let zone = snapshot(peer).await;
    assert!(
        zone.contains(&line(&a("a.pol", "192.0.2.7"))),
        "{}: {zone:#?}",
        peer.name
    );
    assert!(
        zone.contains(&line(&a("c.pol", "192.0.2.3"))),
        "{}: {zone:#?}",
        peer.name
    );

    let p = plan(&d, &want, &options).await.expect("plan");
    assert_eq!(counts(&p), (0, 0, 1), "{}: {p}", peer.name);
    assert!(withheld(&p).is_empty(), "{}: {p}", peer.name);
    apply(p).await.expect("sync");
    let zone = snapshot(peer).await;
    assert!(
        !zone.contains(&line(&a("c.pol", "192.0.2.3"))),
        "{}: {zone:#?}",
        peer.name
    );
    assert!(
        plan(&d, &want, &options).await.expect("plan").is_empty(),
        "{}",
        peer.name
    );
}

/// Each safety rule refuses naming its numbers and sends nothing: too many
/// changes (4 of 10 owned sets), an apex NS change, an empty desired
/// state; the first goes through when forced.
async fn each_safety_rule_refuses_and_writes_nothing(peer: &Peer) {
    let apex = &peer.zone.name;
    let options = owner("safe");
    let sets: Vec<RecordSet> = (0..10)
        .map(|i| {
            set(
                apex,
                &format!("h{i}.safe"),
                300,
                RecordType::A,
                &["192.0.2.1"],
            )
        })
        .collect();
    sync(peer, &desired(apex, sets.clone()), &options).await;
    let d = destination(peer);
    let before = snapshot(peer).await;
    let refused = |result: dns_sync::Result<dns_sync::Applied>, expected: &[Refusal]| match result {
        Err(SyncError::Refused { refusals, .. }) => assert_eq!(refusals, expected, "{}", peer.name),
        other => panic!("{}: expected a refusal, got {other:?}", peer.name),
    };

    let changed = desired(
        apex,
        sets.iter().enumerate().map(|(i, s)| {
            if i < 4 {
                s.clone().with_ttl(60)
            } else {
                s.clone()
            }
        }),
    );
    let too_many = [Refusal::TooManyChanges {
        updates: 4,
        deletes: 0,
        owned: 10,
        threshold_percent: 30,
    }];
    let p = plan(&d, &changed, &options).await.expect("plan");
    assert_eq!(p.refusals(), too_many, "{}", peer.name);
    refused(apply(p).await, &too_many);

    let mut apex_ns = desired(apex, sets.clone());
    apex_ns
        .add_set(set(apex, "@", 3600, RecordType::NS, &["ns9.example.net."]))
        .expect("apex NS");
    let p = plan(&d, &apex_ns, &options).await.expect("plan");
    let apex_change = [Refusal::ApexChange {
        rtype: RecordType::NS,
    }];
    assert_eq!(p.refusals(), apex_change, "{}", peer.name);
    refused(apply(p).await, &apex_change);

    let p = plan(&d, &DesiredZone::new(apex.clone()), &options)
        .await
        .expect("plan");
    let empty = Refusal::EmptyDesiredState { owned: 10 };
    assert!(p.refusals().contains(&empty), "{}: {p}", peer.name);
    let all = p.refusals().to_vec();
    refused(apply(p).await, &all);

    assert_eq!(
        snapshot(peer).await,
        before,
        "{}: a refused plan wrote",
        peer.name
    );

    let forced = plan(&d, &changed, &options.clone().with_force(true))
        .await
        .expect("plan");
    assert_eq!(counts(&forced), (0, 4, 0), "{}", peer.name);
    apply(forced).await.expect("forced apply");
    assert!(
        plan(&d, &changed, &options).await.expect("plan").is_empty(),
        "{}",
        peer.name
    );
}

async fn every_check(peer: &Peer) {
    second_plan_is_empty_for_every_type(peer).await;
    others_and_unmarked_sets_are_left_alone(peer).await;
    each_policy_does_what_it_allows(peer).await;
    each_safety_rule_refuses_and_writes_nothing(peer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_on_memory() {
    every_check(&Peer::memory("sync.test.", 1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_on_route53_fake() {
    every_check(&Peer::route53_fake("sync.test.", 1).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_on_cloudflare_through_prism() {
    let peer = Peer::cloudflare_prism("sync.example", 1).await;
    every_check(&peer).await;
    let violations = peer.violations();
    assert!(violations.is_empty(), "schema violations: {violations:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_on_rfc2136_against_the_zone_server() {
    every_check(&Peer::rfc2136_server("sync.test.", 1).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_on_rfc2136_against_bind9() {
    every_check(&Peer::bind9("sync.test.", 1)).await;
}

/// moto refuses the third compare-and-swap of one set (see
/// registry_rules.rs). Every check here fits: the sets are written with
/// UPSERT and DELETE, and each owner marker set (the only sets written
/// with `Add`/`Remove`, which the Route 53 backend sends as swaps) is
/// swapped at most twice (claimed, then released), so the whole list runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_on_moto() {
    every_check(&Peer::moto("sync.test.", 1).await).await;
}

/// A plan too large for one RFC 2136 UPDATE (64 KiB) cannot be guarded
/// (the backend keeps guarded batches to one message, to stay atomic):
/// it is sent unguarded in several messages instead of being refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_larger_than_one_update_applies_unguarded_on_rfc2136() {
    let peer = Peer::rfc2136_server("sync.test.", 1).await;
    let apex = &peer.zone.name;
    let want = desired(
        apex,
        (0..2_000).map(|i| {
            set(
                apex,
                &format!("h{i}.big"),
                300,
                RecordType::A,
                &["192.0.2.1"],
            )
        }),
    );
    let options = owner("big");
    let d = destination(&peer);
    let p = plan(&d, &want, &options).await.expect("plan");
    assert!(!p.is_guarded(), "a guard would need one message");
    let applied = apply(p).await.expect("apply");
    assert!(applied.requests > 1, "{applied:?}");
    assert!(plan(&d, &want, &options).await.expect("plan").is_empty());
}
