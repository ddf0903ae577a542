//! Plan and apply on the in-memory provider: ownership, policies, safety
//! rules, normalisation, ordering, several providers.
#![allow(clippy::unwrap_used, reason = "tests")]

use std::sync::Arc;

use dns_core::{
    Capabilities, Change, DnsProvider, InMemoryProvider, Name, RData, RecordSet, RecordType, Zone,
};
use dns_sync::{
    DesiredZone, Destination, Filter, LeftAlone, Policy, Refusal, Step, SyncError, SyncOptions,
    apply, apply_all, plan, plan_all,
};

fn name(s: &str) -> Name {
    Name::parse(s).unwrap()
}

fn a(n: &str, ip: &str) -> RecordSet {
    RecordSet::new(name(n), 300, [RData::A(ip.parse().unwrap())]).unwrap()
}

fn memory(caps: Capabilities) -> (InMemoryProvider, Destination) {
    let memory = InMemoryProvider::with_capabilities(caps);
    let zone = memory.create_zone(name("example.com")).unwrap();
    (memory.clone(), Destination::new(Arc::new(memory), zone))
}

fn desired(sets: impl IntoIterator<Item = RecordSet>) -> DesiredZone {
    let mut zone = DesiredZone::new(name("example.com"));
    for s in sets {
        zone.add_set(s).unwrap();
    }
    zone
}

fn opts(owner: &str) -> SyncOptions {
    SyncOptions::new(owner.parse().unwrap())
}

async fn sync(d: &Destination, want: &DesiredZone, o: &SyncOptions) -> dns_sync::Applied {
    apply(plan(d, want, o).await.unwrap()).await.unwrap()
}

#[tokio::test]
async fn a_second_plan_after_apply_is_empty_and_planning_never_writes() {
    let (mem, d) = memory(Capabilities::default());
    let want = desired([
        a("www.example.com", "192.0.2.1"),
        a("api.example.com", "192.0.2.2"),
    ]);
    let before = mem.requests();
    let first = plan(&d, &want, &opts("cp")).await.unwrap();
    assert_eq!(mem.requests(), before + 1, "planning only lists the zone");
    assert_eq!(first.steps().len(), 2);
    assert!(first.is_guarded());
    apply(first).await.unwrap();
    let again = plan(&d, &want, &opts("cp")).await.unwrap();
    assert!(again.is_empty(), "{again}");
    assert_eq!(again.owned(), 2);
}

#[tokio::test]
async fn sets_of_other_owners_and_unmarked_sets_are_left_alone_and_reported() {
    let (mem, d) = memory(Capabilities::default());
    mem.insert_unchecked(&d.zone, a("hand.example.com", "192.0.2.9"))
        .unwrap();
    sync(
        &d,
        &desired([a("theirs.example.com", "192.0.2.8")]),
        &opts("other"),
    )
    .await;
    let want = desired([
        a("hand.example.com", "192.0.2.1"),
        a("theirs.example.com", "192.0.2.1"),
    ]);
    let p = plan(&d, &want, &opts("cp")).await.unwrap();
    assert!(p.steps().is_empty(), "{p}");
    assert!(
        matches!(&p.left_alone()[0], LeftAlone::Unowned { set } if set.name() == &name("hand.example.com"))
    );
    assert!(
        matches!(&p.left_alone()[1], LeftAlone::OtherOwner { owner, .. } if owner.as_str() == "other")
    );
    // An empty desired state of ours deletes nothing of theirs either.
    let p = plan(&d, &desired([]), &opts("cp")).await.unwrap();
    assert!(p.is_empty(), "{p}");
    let zone = &d.zone.name;
    assert!(
        mem.lookup(zone, &name("hand.example.com"), RecordType::A)
            .is_some()
    );
    // Adopting takes the unmarked set, never the other owner's.
    let p = plan(&d, &want, &opts("cp").with_adopt(true)).await.unwrap();
    assert_eq!(p.steps().len(), 1, "{p}");
    apply(p).await.unwrap();
    let ip = |n: &str| mem.lookup(zone, &name(n), RecordType::A).unwrap().values()[0].to_string();
    assert_eq!(
        (ip("hand.example.com"), ip("theirs.example.com")),
        ("192.0.2.1".into(), "192.0.2.8".into())
    );
    assert!(
        plan(&d, &want, &opts("cp"))
            .await
            .unwrap()
            .steps()
            .is_empty()
    );
}

#[tokio::test]
async fn owned_sets_no_longer_desired_are_deleted_and_their_markers_released() {
    let (mem, d) = memory(Capabilities::default());
    sync(
        &d,
        &desired([
            a("a.example.com", "192.0.2.1"),
            a("b.example.com", "192.0.2.2"),
        ]),
        &opts("cp"),
    )
    .await;
    let p = plan(&d, &desired([a("a.example.com", "192.0.2.1")]), &opts("cp"))
        .await
        .unwrap();
    assert!(
        matches!(p.steps(), [Step::Delete(s)] if s.name() == &name("b.example.com")),
        "{p}"
    );
    apply(p).await.unwrap();
    let marker = dns_sync::marker_name(&name("b.example.com"), &d.zone.name).unwrap();
    assert!(
        mem.lookup(&d.zone.name, &marker, RecordType::TXT).is_none(),
        "marker released"
    );
}

#[tokio::test]
async fn a_type_change_replaces_the_set_deleting_before_creating_and_the_marker_follows() {
    let (mem, d) = memory(Capabilities::default());
    sync(&d, &desired([a("x.example.com", "192.0.2.1")]), &opts("cp")).await;
    let cname = RecordSet::new(
        name("x.example.com"),
        300,
        [RData::CNAME(name("y.example.com"))],
    )
    .unwrap();
    let p = plan(&d, &desired([cname.clone()]), &opts("cp"))
        .await
        .unwrap();
    assert!(
        matches!(p.steps(), [Step::Delete(_), Step::Create(_)]),
        "{p}"
    );
    apply(p).await.unwrap();
    assert_eq!(
        mem.lookup(&d.zone.name, &name("x.example.com"), RecordType::CNAME),
        Some(cname.clone())
    );
    assert!(
        plan(&d, &desired([cname]), &opts("cp"))
            .await
            .unwrap()
            .is_empty()
    );
    let marker = dns_sync::marker_name(&name("x.example.com"), &d.zone.name).unwrap();
    let value = mem
        .lookup(&d.zone.name, &marker, RecordType::TXT)
        .unwrap()
        .values()[0]
        .to_string();
    assert!(value.contains("types=CNAME "), "{value}");
}

#[tokio::test]
async fn a_cname_beside_data_that_stays_is_withheld() {
    let (mem, d) = memory(Capabilities::default());
    mem.insert_unchecked(&d.zone, a("x.example.com", "192.0.2.1"))
        .unwrap();
    let cname = RecordSet::new(
        name("x.example.com"),
        300,
        [RData::CNAME(name("y.example.com"))],
    )
    .unwrap();
    let p = plan(&d, &desired([cname]), &opts("cp")).await.unwrap();
    assert!(p.steps().is_empty());
    assert!(
        matches!(&p.left_alone()[0], LeftAlone::CnameConflict { .. }),
        "{p}"
    );
}

#[tokio::test]
async fn policies_withhold_updates_and_deletes() {
    let (_, d) = memory(Capabilities::default());
    sync(
        &d,
        &desired([
            a("a.example.com", "192.0.2.1"),
            a("b.example.com", "192.0.2.2"),
        ]),
        &opts("cp"),
    )
    .await;
    let want = desired([
        a("a.example.com", "192.0.2.7"),
        a("c.example.com", "192.0.2.3"),
    ]);
    let count = |p: &dns_sync::Plan| {
        let c = |f: fn(&Step) -> bool| p.steps().iter().filter(|s| f(s)).count();
        (
            c(|s| matches!(s, Step::Create(_))),
            c(|s| matches!(s, Step::Update { .. })),
            c(|s| matches!(s, Step::Delete(_))),
        )
    };
    assert_eq!(
        count(&plan(&d, &want, &opts("cp")).await.unwrap()),
        (1, 1, 1)
    );
    let upsert = plan(&d, &want, &opts("cp").with_policy(Policy::UpsertOnly))
        .await
        .unwrap();
    assert_eq!(count(&upsert), (1, 1, 0));
    assert!(matches!(
        &upsert.left_alone()[0],
        LeftAlone::Policy {
            step: Step::Delete(_)
        }
    ));
    assert_eq!(
        count(
            &plan(&d, &want, &opts("cp").with_policy(Policy::CreateOnly))
                .await
                .unwrap()
        ),
        (1, 0, 0)
    );
}

#[tokio::test]
async fn filters_keep_sets_out_of_the_plan() {
    let (_, d) = memory(Capabilities::default());
    let mx = RecordSet::new(
        name("example.com"),
        300,
        [RData::parse(RecordType::MX, "10 mx.example.com.").unwrap()],
    )
    .unwrap();
    let want = desired([
        a("web.svc.example.com", "192.0.2.1"),
        a("www.example.com", "192.0.2.1"),
        mx,
    ]);
    let only_svc = opts("cp").with_filter(Filter::default().include("*.svc"));
    assert_eq!(plan(&d, &want, &only_svc).await.unwrap().steps().len(), 1);
    let no_mx = opts("cp").with_filter(Filter::default().exclude_type(RecordType::MX));
    sync(&d, &want, &no_mx).await;
    // Excluded sets are not deleted when they leave the desired state either.
    let p = plan(
        &d,
        &desired([]),
        &opts("cp")
            .with_filter(Filter::default().exclude("**"))
            .with_force(true),
    )
    .await
    .unwrap();
    assert!(p.steps().is_empty(), "{p}");
}

#[tokio::test]
async fn too_many_changes_are_refused_naming_the_numbers_unless_forced() {
    let (mem, d) = memory(Capabilities::default());
    let sets: Vec<RecordSet> = (0..10)
        .map(|i| a(&format!("h{i}.example.com"), "192.0.2.1"))
        .collect();
    sync(&d, &desired(sets.clone()), &opts("cp")).await;
    // 3 of 10 is at the threshold: allowed.
    let changed = |n: usize| {
        desired(sets.iter().enumerate().map(|(i, s)| {
            if i < n {
                s.clone().with_ttl(60)
            } else {
                s.clone()
            }
        }))
    };
    assert!(
        plan(&d, &changed(3), &opts("cp"))
            .await
            .unwrap()
            .refusals()
            .is_empty()
    );
    let p = plan(&d, &changed(4), &opts("cp")).await.unwrap();
    assert_eq!(
        p.refusals(),
        [Refusal::TooManyChanges {
            updates: 4,
            deletes: 0,
            owned: 10,
            threshold_percent: 30
        }]
    );
    let before = mem.requests();
    let e = apply(p).await.unwrap_err();
    assert!(
        e.to_string()
            .contains("update 4 and delete 0 of the 10 owned sets (40.0%"),
        "{e}"
    );
    assert!(matches!(e, SyncError::Refused { .. }));
    assert_eq!(mem.requests(), before, "a refused plan sends nothing");
    apply(
        plan(&d, &changed(4), &opts("cp").with_force(true))
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    // Below ten owned sets the share is not checked.
    let (_, small) = memory(Capabilities::default());
    sync(&small, &desired(sets[..9].to_vec()), &opts("cp")).await;
    assert!(
        plan(&small, &desired(sets[..1].to_vec()), &opts("cp"))
            .await
            .unwrap()
            .refusals()
            .is_empty()
    );
}

#[tokio::test]
async fn an_empty_desired_state_with_owned_sets_is_refused() {
    let (_, d) = memory(Capabilities::default());
    sync(&d, &desired([a("a.example.com", "192.0.2.1")]), &opts("cp")).await;
    let p = plan(&d, &desired([]), &opts("cp")).await.unwrap();
    assert_eq!(p.refusals(), [Refusal::EmptyDesiredState { owned: 1 }]);
    let e = apply(p).await.unwrap_err();
    assert!(
        e.to_string().contains("would delete all 1 owned sets"),
        "{e}"
    );
}

#[tokio::test]
async fn an_apex_ns_change_is_refused() {
    let (_, d) = memory(Capabilities::default());
    let ns = RecordSet::new(
        name("example.com"),
        300,
        [RData::NS(name("ns9.example.net"))],
    )
    .unwrap();
    let p = plan(&d, &desired([ns]), &opts("cp").with_adopt(true))
        .await
        .unwrap();
    assert_eq!(
        p.refusals(),
        [Refusal::ApexChange {
            rtype: RecordType::NS
        }],
        "{p}"
    );
}

#[tokio::test]
async fn ttls_are_clamped_into_the_provider_range_and_reported() {
    let (_, d) = memory(Capabilities::default().with_ttl_range(60..=86_400));
    let want = desired([a("a.example.com", "192.0.2.1").with_ttl(5)]);
    let p = plan(&d, &want, &opts("cp")).await.unwrap();
    assert_eq!(p.ttl_adjustments()[0].1.planned, 60);
    apply(p).await.unwrap();
    assert!(plan(&d, &want, &opts("cp")).await.unwrap().is_empty());
}

#[tokio::test]
async fn sets_the_provider_cannot_store_are_reported_not_sent() {
    let (_, d) =
        memory(Capabilities::default().with_record_types([RecordType::A, RecordType::TXT]));
    let mx = RecordSet::new(
        name("example.com"),
        300,
        [RData::parse(RecordType::MX, "10 mx.example.com.").unwrap()],
    )
    .unwrap();
    let p = plan(
        &d,
        &desired([mx, a("a.example.com", "192.0.2.1")]),
        &opts("cp"),
    )
    .await
    .unwrap();
    assert_eq!(p.steps().len(), 1);
    assert!(
        matches!(&p.left_alone()[0], LeftAlone::Unstorable { reason, .. } if reason.contains("MX")),
        "{p}"
    );
}

#[tokio::test]
async fn several_providers_get_their_own_plans_and_one_failing_does_not_stop_the_others() {
    let (mem, good) = memory(Capabilities::default());
    let other = InMemoryProvider::new();
    // A zone the provider does not host: its plan fails.
    let broken = Destination::new(Arc::new(other), Zone::new("nope", name("example.com")));
    let want = desired([a("a.example.com", "192.0.2.1")]);
    let plans = plan_all(&[broken, good.clone()], &want, &opts("cp")).await;
    assert!(matches!(plans[0], Err(SyncError::Provider { .. })));
    let ok: Vec<_> = plans.into_iter().filter_map(Result::ok).collect();
    let results = apply_all(ok).await;
    assert!(results[0].is_ok());
    assert!(
        mem.lookup(&good.zone.name, &name("a.example.com"), RecordType::A)
            .is_some()
    );
}

#[tokio::test]
async fn a_guarded_batch_fails_whole_when_the_zone_changed_since_the_plan() {
    let (mem, d) = memory(Capabilities::default());
    let p = plan(&d, &desired([a("a.example.com", "192.0.2.1")]), &opts("cp"))
        .await
        .unwrap();
    assert!(p.changes().iter().any(|c| matches!(c, Change::Require(_))));
    mem.apply(&d.zone, &[Change::Upsert(a("a.example.com", "192.0.2.66"))])
        .await
        .unwrap();
    let e = apply(p).await.unwrap_err();
    assert!(
        matches!(&e, SyncError::Provider { source, .. } if matches!(**source, dns_core::Error::PreconditionFailed { .. })),
        "{e}"
    );
    let ip = mem
        .lookup(&d.zone.name, &name("a.example.com"), RecordType::A)
        .unwrap();
    assert_eq!(
        ip.values()[0].to_string(),
        "192.0.2.66",
        "the other writer's update survives"
    );
}

fn ns(owner: &str, target: &str, ttl: u32) -> RecordSet {
    RecordSet::new(name(owner), ttl, [RData::NS(name(target))]).unwrap()
}

/// The apex rule is about the apex's own SOA and NS, and about a real
/// change to them: a delegation below the apex, an apex A record, or the
/// apex NS restated exactly are not refused; the same NS with another TTL
/// is.
#[tokio::test]
async fn the_apex_rule_refuses_real_apex_changes_only() {
    let (mem, d) = memory(Capabilities::default());
    let apex_ns = mem
        .lookup(&d.zone.name, &name("example.com"), RecordType::NS)
        .expect("the zone's own NS");
    let want = desired([
        apex_ns.clone(),
        ns("sub.example.com", "ns1.sub.example.net", 300),
        a("example.com", "192.0.2.1"),
    ]);
    let p = plan(&d, &want, &opts("cp")).await.unwrap();
    assert!(p.refusals().is_empty(), "{p}");
    assert_eq!(p.steps().len(), 2, "the delegation and the apex A: {p}");
    apply(p).await.unwrap();

    // Deleting an owned delegation and an owned apex A is no apex change.
    let p = plan(&d, &desired([apex_ns.clone()]), &opts("cp"))
        .await
        .unwrap();
    assert_eq!(p.steps().len(), 2, "{p}");
    assert!(p.refusals().is_empty(), "{p}");

    let retimed = apex_ns.clone().with_ttl(apex_ns.ttl() + 60);
    let p = plan(&d, &desired([retimed]), &opts("cp").with_adopt(true))
        .await
        .unwrap();
    assert!(
        p.refusals().contains(&Refusal::ApexChange {
            rtype: RecordType::NS
        }),
        "a new TTL on the apex NS is an apex change: {p}"
    );
}

/// An apex NS the owner holds a marker for (written by hand, or on a
/// provider that lets apex NS be written) and no longer wants would be
/// deleted: refused like any other apex change.
#[tokio::test]
async fn deleting_an_owned_apex_ns_is_refused() {
    let (mem, d) = memory(Capabilities::default());
    let apex = name("example.com");
    let marker = dns_sync::Marker {
        owner: "cp".parse().unwrap(),
        name: apex.clone(),
        types: [RecordType::NS].into(),
    };
    let at = dns_sync::marker_name(&apex, &apex).unwrap();
    mem.insert_unchecked(
        &d.zone,
        RecordSet::new(at, dns_sync::MARKER_TTL, [marker.to_rdata()]).unwrap(),
    )
    .unwrap();
    let p = plan(
        &d,
        &desired([a("www.example.com", "192.0.2.1")]),
        &opts("cp"),
    )
    .await
    .unwrap();
    assert_eq!(p.owned(), 1, "{p}");
    assert!(
        p.refusals().contains(&Refusal::ApexChange {
            rtype: RecordType::NS
        }),
        "{p}"
    );
}

/// Adopting an unmarked set that already holds the desired values writes
/// its marker only, and from then on the set is owned.
#[tokio::test]
async fn adopting_an_identical_set_writes_only_its_marker() {
    let (mem, d) = memory(Capabilities::default());
    mem.insert_unchecked(&d.zone, a("hand.example.com", "192.0.2.9"))
        .unwrap();
    let want = desired([a("hand.example.com", "192.0.2.9")]);
    let p = plan(&d, &want, &opts("cp").with_adopt(true)).await.unwrap();
    assert!(p.steps().is_empty(), "no set changes: {p}");
    assert!(!p.is_empty(), "the adoption itself is a change: {p}");
    assert!(
        p.changes()
            .iter()
            .all(|c| matches!(c, Change::Add(s) if s.record_type() == RecordType::TXT)),
        "only a marker is written: {:?}",
        p.changes()
    );
    apply(p).await.unwrap();
    let again = plan(&d, &want, &opts("cp")).await.unwrap();
    assert!(again.is_empty(), "{again}");
    assert_eq!(again.owned(), 1);
    // Owned now: no longer desired, it is deleted.
    let p = plan(&d, &desired([a("x.example.com", "192.0.2.1")]), &opts("cp"))
        .await
        .unwrap();
    assert!(
        p.steps()
            .iter()
            .any(|s| matches!(s, Step::Delete(s) if s.name() == &name("hand.example.com"))),
        "{p}"
    );
}

/// A batch is guarded only when the provider checks preconditions and the
/// whole batch, guards included, fits one request; the boundary is exact.
#[tokio::test]
async fn a_batch_is_guarded_only_when_the_provider_can_and_it_fits_one_request() {
    let want = desired([a("a.example.com", "192.0.2.1")]);
    let (_, d) = memory(Capabilities::default().with_preconditions(false));
    let p = plan(&d, &want, &opts("cp")).await.unwrap();
    assert!(!p.is_guarded(), "{p}");
    assert!(!p.changes().iter().any(|c| matches!(c, Change::Require(_))));

    // One create: its marker (1 record), the set (1) and its guard (1).
    let fits = |max: usize| async move {
        let (_, d) = memory(Capabilities::default().with_max_records_per_request(Some(max)));
        plan(&d, &desired([a("a.example.com", "192.0.2.1")]), &opts("cp"))
            .await
            .unwrap()
    };
    let p = fits(3).await;
    assert!(p.is_guarded(), "three records fit a limit of three: {p}");
    assert_eq!(p.changes().len(), 3);
    let p = fits(2).await;
    assert!(!p.is_guarded(), "three records do not fit two: {p}");
    assert!(!p.changes().iter().any(|c| matches!(c, Change::Require(_))));
}

/// What people read: one line per step, values and TTL included.
#[tokio::test]
async fn a_plan_prints_one_line_per_step() {
    let (_, d) = memory(Capabilities::default());
    sync(
        &d,
        &desired([a("old.example.com", "192.0.2.7")]),
        &opts("cp"),
    )
    .await;
    let p = plan(
        &d,
        &desired([a("new.example.com", "192.0.2.1")]),
        &opts("cp"),
    )
    .await
    .unwrap();
    let text = p.to_string();
    assert!(text.starts_with("example.com. on memory:\n"), "{text}");
    assert!(
        text.contains("  create new.example.com. A 300 [192.0.2.1]\n"),
        "{text}"
    );
    assert!(
        text.contains("  delete old.example.com. A 300 [192.0.2.7]\n"),
        "{text}"
    );
}

/// The in-memory provider with another `validate`: one that accepts
/// anything (the plan must still follow the capabilities), or one that
/// refuses guards the capabilities promise (the plan must drop them).
#[derive(Debug)]
struct OtherValidate(InMemoryProvider, fn(&[Change]) -> dns_core::Result<()>);

#[async_trait::async_trait]
impl DnsProvider for OtherValidate {
    fn provider_name(&self) -> &str {
        "other-validate"
    }
    fn capabilities(&self) -> Capabilities {
        self.0.capabilities()
    }
    async fn list_zones(&self) -> dns_core::Result<Vec<Zone>> {
        self.0.list_zones().await
    }
    async fn list_record_sets(&self, zone: &Zone) -> dns_core::Result<Vec<RecordSet>> {
        self.0.list_record_sets(zone).await
    }
    async fn apply_validated(
        &self,
        zone: &Zone,
        changes: &[Change],
    ) -> dns_core::Result<dns_core::ApplyReport> {
        self.0.apply_validated(zone, changes).await
    }
    fn validate(&self, _: &Zone, changes: &[Change]) -> dns_core::Result<()> {
        (self.1)(changes)
    }
}

#[tokio::test]
async fn guards_follow_the_capabilities_even_when_validate_would_take_them() {
    let lax = |caps: Capabilities| {
        let memory = InMemoryProvider::with_capabilities(caps);
        let zone = memory.create_zone(name("example.com")).unwrap();
        let provider = OtherValidate(memory.clone(), |_| Ok(()));
        (memory, Destination::new(Arc::new(provider), zone))
    };
    let one = desired([a("a.example.com", "192.0.2.1")]);
    let (_, d) = lax(Capabilities::default().with_preconditions(false));
    assert!(!plan(&d, &one, &opts("cp")).await.unwrap().is_guarded());
    // Marker + set + guard = 3 records.
    let (_, d) = lax(Capabilities::default().with_max_records_per_request(Some(2)));
    assert!(!plan(&d, &one, &opts("cp")).await.unwrap().is_guarded());
    let (_, d) = lax(Capabilities::default().with_max_records_per_request(Some(3)));
    assert!(plan(&d, &one, &opts("cp")).await.unwrap().is_guarded());
    // Nothing but an adoption (a marker): no step to guard.
    let (mem, d) = lax(Capabilities::default());
    mem.insert_unchecked(&d.zone, a("a.example.com", "192.0.2.1"))
        .unwrap();
    let p = plan(&d, &one, &opts("cp").with_adopt(true)).await.unwrap();
    assert!(p.steps().is_empty() && !p.is_empty(), "{p}");
    assert!(!p.is_guarded(), "{p}");
}

#[tokio::test]
async fn guards_the_provider_refuses_are_dropped_and_the_rest_applies() {
    let memory = InMemoryProvider::new();
    let zone = memory.create_zone(name("example.com")).unwrap();
    let no_guards = OtherValidate(memory.clone(), |changes| {
        if changes.iter().any(|c| matches!(c, Change::Require(_))) {
            Err(dns_core::Error::InvalidInput("no guards here".into()))
        } else {
            Ok(())
        }
    });
    let d = Destination::new(Arc::new(no_guards), zone);
    let want = desired([a("a.example.com", "192.0.2.1")]);
    let p = plan(&d, &want, &opts("cp")).await.unwrap();
    assert!(!p.is_guarded(), "{p}");
    assert_eq!(
        p.changes().len(),
        2,
        "the marker and the set: {:?}",
        p.changes()
    );
    assert!(!p.changes().iter().any(|c| matches!(c, Change::Require(_))));
    apply(p).await.unwrap();
    assert!(plan(&d, &want, &opts("cp")).await.unwrap().is_empty());
}
