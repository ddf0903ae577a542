//! Property: for generated zones on the in-memory provider, applying a
//! plan and planning again gives an empty plan.
#![allow(clippy::unwrap_used, reason = "tests")]

use std::sync::Arc;

use dns_core::{DnsProvider, InMemoryProvider, Name, RData, RecordSet, RecordType};
use dns_sync::{DesiredZone, Destination, SyncOptions, apply, plan};
use proptest::prelude::*;

/// A set at one of a few names (so types collide, CNAMEs included).
fn set() -> impl Strategy<Value = RecordSet> {
    let names = prop::sample::select(vec!["a", "b", "c", "_x._tcp", "@"]);
    let kinds = prop::sample::select(vec![
        RecordType::A,
        RecordType::TXT,
        RecordType::CNAME,
        RecordType::MX,
    ]);
    (names, kinds, 0u32..100_000, 1u8..4).prop_map(|(n, t, ttl, v)| {
        let name = Name::parse_relative(n, &Name::parse("example.com").unwrap()).unwrap();
        let values: Vec<RData> = (0..if t == RecordType::CNAME { 1 } else { v })
            .map(|i| match t {
                RecordType::A => RData::A([192, 0, 2, i].into()),
                RecordType::TXT => {
                    RData::TXT(dns_core::Txt::from_text(format!("v{i}{}", "x".repeat(300))))
                }
                RecordType::CNAME => RData::CNAME(Name::parse("target.example.net").unwrap()),
                _ => RData::parse(t, &format!("{i} mx{i}.example.net.")).unwrap(),
            })
            .collect();
        RecordSet::new(name, ttl, values).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn apply_then_plan_again_is_empty(
        existing in prop::collection::vec(set(), 0..6),
        wanted in prop::collection::vec(set(), 0..8),
        adopt in any::<bool>(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let memory = InMemoryProvider::new();
            let zone = memory.create_zone(Name::parse("example.com").unwrap()).unwrap();
            for s in existing {
                // Unmarked sets someone else wrote (CNAME rule kept by the provider).
                let _ = memory.apply(&zone, &[dns_core::Change::Upsert(s)]).await;
            }
            let mut desired = DesiredZone::new(zone.name.clone());
            for s in wanted {
                let _ = desired.add_set(s);
            }
            let d = Destination::new(Arc::new(memory.clone()), zone.clone());
            let options = SyncOptions::new("cp".parse().unwrap()).with_adopt(adopt).with_force(true);
            let first = plan(&d, &desired, &options).await.unwrap();
            let skipped: Vec<_> = first.left_alone().iter().map(|l| format!("{l:?}")).collect();
            apply(first).await.unwrap();
            // Every desired set not reported as left alone is now exactly in the zone.
            for want in desired.sets() {
                let shown = format!("{:?}", want.name());
                if skipped.iter().any(|l| l.contains(&shown)) {
                    continue;
                }
                let got = memory.lookup(&zone.name, want.name(), want.record_type());
                prop_assert!(got.as_ref().is_some_and(|g| g.ttl() == want.ttl() && g.same_values(want.values())), "{want} vs {got:?}");
            }
            let again = plan(&d, &desired, &options).await.unwrap();
            prop_assert!(again.is_empty(), "{}", again);
            Ok(())
        })?;
    }
}
