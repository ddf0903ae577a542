//! The Route 53 backend against moto, for what moto does like Route 53:
//! zones, CRUD of every type, name and TXT encoding round trips, and
//! listing pagination (moto 5 pages with MaxItems, IsTruncated and
//! NextRecordName/Type and sorts sets like Route 53: reversed labels, then
//! type). Conflicts, batch atomicity and throttling, where moto differs
//! from Route 53 (it accepts a CREATE of an existing set, answers a DELETE
//! with mismatched values with InvalidInput instead of InvalidChangeBatch,
//! and takes malformed TXT and SRV values), are tested against the
//! documented-behaviour fake in `fake.rs`.
//!
//! Each test starts its own moto (so state never leaks between tests) and
//! kills it by PID when done.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly too"
)]

mod support;

use dns_core::{
    Change, DnsProvider, DnsProviderExt, Error, Label, Name, RData, RecordSet, RecordType, Txt,
    conformance,
};
use support::moto::Moto;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance_on_moto() {
    let moto = Moto::start();
    let provider = moto.provider(|b| b).await;
    let zone = Moto::create_zone(&provider, "conformance.test.").await;
    let p: &dyn DnsProvider = &provider;
    conformance::zones(p, &zone).await;
    conformance::every_type_crud(p, &zone).await;
    conformance::add_remove_semantics(p, &zone).await;
    conformance::remove_last_value_deletes_set(p, &zone).await;
    let soa = provider
        .list_record_sets(&zone)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.record_type() == RecordType::SOA)
        .expect("moto seeds an SOA at the apex");
    conformance::unknown_types_survive(p, &zone, &soa).await;
    conformance::txt_round_trip(p, &zone).await;
    conformance::instance_names(p, &zone).await;
    conformance::invalid_input_is_refused(p, &zone).await;
    conformance::preconditions(p, &zone).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn listing_pages_past_1200_sets() {
    let moto = Moto::start();
    let provider = moto.provider(|b| b).await;
    let zone = Moto::create_zone(&provider, "large.test.").await;
    conformance::large_zone_listing(&provider, &zone, 1_250).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn small_pages_keep_every_type_of_a_name() {
    // Pages of 7 sets end in the middle of a name's types, so the
    // NextRecordName/NextRecordType hand-over is exercised on every page.
    let moto = Moto::start();
    let provider = moto.provider(|b| b.with_page_size(7)).await;
    let zone = Moto::create_zone(&provider, "pages.test.").await;
    let mut changes = Vec::new();
    for i in 0..20u8 {
        let owner = Name::parse(&format!("h{i:02}.pages.test")).unwrap();
        changes.push(Change::Upsert(
            RecordSet::new(owner.clone(), 60, [RData::A([10, 0, 0, i].into())]).unwrap(),
        ));
        changes.push(Change::Upsert(
            RecordSet::new(
                owner.clone(),
                60,
                [RData::TXT(Txt::from_text(format!("n={i}")))],
            )
            .unwrap(),
        ));
        changes.push(Change::Upsert(
            RecordSet::new(
                owner,
                60,
                [RData::AAAA(format!("2001:db8::{i}").parse().unwrap())],
            )
            .unwrap(),
        ));
    }
    provider.apply(&zone, &changes).await.unwrap();
    let before = provider.requests_sent();
    let listed = provider.list_record_sets(&zone).await.unwrap();
    // 60 sets + SOA + NS = 62 sets in pages of 7.
    assert_eq!(listed.len(), 62);
    assert_eq!(provider.requests_sent() - before, 9);
    for change in &changes {
        let Change::Upsert(set) = change else {
            unreachable!()
        };
        assert!(listed.contains(set), "{set} missing");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn raw_labels_and_wildcards_round_trip() {
    let moto = Moto::start();
    let provider = moto.provider(|b| b).await;
    let zone = Moto::create_zone(&provider, "names.test.").await;
    let apex = zone.name.clone();
    let label = |b: &[u8]| Label::new(b).unwrap();
    let owners = [
        apex.prepend(label(b"*")).unwrap(),
        apex.prepend(label(b"My Web \"quoted\" \\ back")).unwrap(),
        apex.prepend(label("Büro 2.OG".as_bytes())).unwrap(),
        apex.prepend(label(&[0, 1, 0x7f, 0xff, b'.'])).unwrap(),
    ];
    for (i, owner) in owners.iter().enumerate() {
        let target = owner.clone();
        let set = RecordSet::new(
            apex.prepend(label(format!("ptr{i}").as_bytes())).unwrap(),
            60,
            [RData::PTR(target)],
        )
        .unwrap();
        provider
            .add(
                &zone,
                RecordSet::new(owner.clone(), 60, [RData::A([192, 0, 2, 1].into())]).unwrap(),
            )
            .await
            .unwrap();
        provider.add(&zone, set.clone()).await.unwrap();
        let read = provider
            .get_record_set(&zone, set.name(), RecordType::PTR)
            .await
            .unwrap()
            .unwrap();
        let RData::PTR(back) = &read.values()[0] else {
            unreachable!()
        };
        assert_eq!(
            back.labels()[0].as_bytes(),
            owner.labels()[0].as_bytes(),
            "PTR data keeps every octet and its case"
        );
        let a = provider
            .get_record_set(&zone, owner, RecordType::A)
            .await
            .unwrap();
        assert!(a.is_some(), "{owner:#} A readable by its name");
    }
    // The raw listing shows Route 53's escaped form.
    let raw = provider
        .client()
        .list_resource_record_sets()
        .hosted_zone_id(&zone.id)
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = raw
        .resource_record_sets()
        .iter()
        .map(|s| s.name())
        .collect();
    assert!(
        names.iter().any(|n| n.starts_with(r"my\040web")),
        "owner names are sent lower-case with octal escapes: {names:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn zone_ids_with_prefix_and_missing_zones() {
    let moto = Moto::start();
    let provider = moto.provider(|b| b).await;
    let zone = Moto::create_zone(&provider, "ids.test.").await;
    let by_bare = provider.zone_by_id(&zone.id).await.unwrap();
    let by_prefixed = provider
        .zone_by_id(&format!("/hostedzone/{}", zone.id))
        .await
        .unwrap();
    assert_eq!(by_bare, by_prefixed);
    assert_eq!(by_bare.name, zone.name);
    let prefixed = dns_core::Zone::new(format!("/hostedzone/{}", zone.id), zone.name.clone());
    assert!(
        !provider
            .list_record_sets(&prefixed)
            .await
            .unwrap()
            .is_empty()
    );
    let missing = dns_core::Zone::new("ZNOSUCHZONE123", zone.name.clone());
    match provider.list_record_sets(&missing).await {
        Err(Error::ZoneNotFound { zone }) => assert!(zone.contains("ZNOSUCHZONE123")),
        other => panic!("expected ZoneNotFound, got {other:?}"),
    }
    // A private zone with the same apex: find_zone prefers the public one.
    provider
        .client()
        .create_hosted_zone()
        .name("ids.test.")
        .caller_reference("private-ids")
        .hosted_zone_config(
            aws_sdk_route53::types::HostedZoneConfig::builder()
                .private_zone(true)
                .build(),
        )
        .vpc(
            aws_sdk_route53::types::Vpc::builder()
                .vpc_region(aws_sdk_route53::types::VpcRegion::UsEast1)
                .vpc_id("vpc-12345678")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let zones = provider.list_zones().await.unwrap();
    assert_eq!(zones.iter().filter(|z| z.name == zone.name).count(), 2);
    assert!(zones.iter().any(|z| z.private));
    let found = provider.zone_for("www.ids.test").await.unwrap();
    assert!(!found.private);
    assert_eq!(found.id, zone.id);
}
