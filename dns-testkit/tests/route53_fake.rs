#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly on what must succeed"
)]
//! The Route 53 fake, driven through the real `aws-sdk-route53` client.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_route53::Client;
use aws_sdk_route53::config::retry::RetryConfig;
use aws_sdk_route53::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_route53::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_route53::operation::RequestId;
use aws_sdk_route53::operation::change_resource_record_sets::{
    ChangeResourceRecordSetsError, ChangeResourceRecordSetsOutput,
};
use aws_sdk_route53::operation::list_resource_record_sets::ListResourceRecordSetsOutput;
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ChangeStatus, ResourceRecord, ResourceRecordSet,
    ResourceRecordSetFailover, RrType,
};
use dns_testkit::route53::{BatchOutcome, FakeAlias, FakeRecordSet, FakeRoute53};

type ChangeResult = Result<ChangeResourceRecordSetsOutput, SdkError<ChangeResourceRecordSetsError>>;

fn client(fake: &FakeRoute53) -> Client {
    let config = aws_sdk_route53::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .endpoint_url(fake.endpoint())
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

async fn setup() -> (FakeRoute53, Client, String) {
    let fake = FakeRoute53::start().await;
    let zone = fake.create_zone("example.com", false);
    let client = client(&fake);
    (fake, client, zone)
}

fn rrset(name: &str, rtype: &str, ttl: i64, values: &[&str]) -> ResourceRecordSet {
    let mut builder = ResourceRecordSet::builder()
        .name(name)
        .r#type(RrType::from(rtype))
        .ttl(ttl);
    for value in values {
        builder =
            builder.resource_records(ResourceRecord::builder().value(*value).build().unwrap());
    }
    builder.build().unwrap()
}

fn change(action: ChangeAction, set: ResourceRecordSet) -> Change {
    Change::builder()
        .action(action)
        .resource_record_set(set)
        .build()
        .unwrap()
}

fn create(name: &str, rtype: &str, ttl: i64, values: &[&str]) -> Change {
    change(ChangeAction::Create, rrset(name, rtype, ttl, values))
}

fn delete(name: &str, rtype: &str, ttl: i64, values: &[&str]) -> Change {
    change(ChangeAction::Delete, rrset(name, rtype, ttl, values))
}

fn upsert(name: &str, rtype: &str, ttl: i64, values: &[&str]) -> Change {
    change(ChangeAction::Upsert, rrset(name, rtype, ttl, values))
}

async fn submit(
    client: &Client,
    zone: &str,
    changes: impl IntoIterator<Item = Change>,
) -> ChangeResult {
    let batch = ChangeBatch::builder()
        .set_changes(Some(changes.into_iter().collect()))
        .build()
        .unwrap();
    client
        .change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(batch)
        .send()
        .await
}

/// Submits a batch that must be accepted.
async fn apply(
    client: &Client,
    zone: &str,
    changes: impl IntoIterator<Item = Change>,
) -> ChangeResourceRecordSetsOutput {
    submit(client, zone, changes).await.unwrap()
}

/// Submits a batch that must be refused with `InvalidChangeBatch`, and
/// returns the error's messages.
async fn refused(
    client: &Client,
    zone: &str,
    changes: impl IntoIterator<Item = Change>,
) -> Vec<String> {
    batch_messages(submit(client, zone, changes).await)
}

/// The messages of an `InvalidChangeBatch` error (panics on anything else).
fn batch_messages(result: ChangeResult) -> Vec<String> {
    match result.unwrap_err().into_service_error() {
        ChangeResourceRecordSetsError::InvalidChangeBatch(e) => e.messages().to_vec(),
        other => panic!("expected InvalidChangeBatch, got {other:?}"),
    }
}

/// Every set of a zone, in one page (for zones of at most 300 sets).
async fn list_all(client: &Client, zone: &str) -> ListResourceRecordSetsOutput {
    client
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .send()
        .await
        .unwrap()
}

/// At most `max` sets, from the first at or after `name` (and `rtype`).
async fn page_from(
    client: &Client,
    zone: &str,
    name: &str,
    rtype: Option<RrType>,
    max: i32,
) -> ListResourceRecordSetsOutput {
    client
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .start_record_name(name)
        .set_start_record_type(rtype)
        .max_items(max)
        .send()
        .await
        .unwrap()
}

/// The code and message of any error.
fn code_of<E: ProvideErrorMetadata>(error: &E) -> (String, String) {
    (
        error.code().unwrap_or_default().to_owned(),
        error.message().unwrap_or_default().to_owned(),
    )
}

/// (name, type, values) of the fake's sets, excluding the apex SOA and NS.
fn contents(fake: &FakeRoute53, zone: &str) -> Vec<(String, String, Vec<String>)> {
    fake.record_sets(zone)
        .into_iter()
        .filter(|s| !(s.name == "example.com." && (s.rtype == "SOA" || s.rtype == "NS")))
        .map(|s| (s.name, s.rtype, s.values))
        .collect()
}

fn entry(name: &str, rtype: &str, values: &[&str]) -> (String, String, Vec<String>) {
    (
        name.to_owned(),
        rtype.to_owned(),
        values.iter().map(|v| (*v).to_owned()).collect(),
    )
}

#[tokio::test]
async fn zones_are_listed_in_pages_of_100() {
    let fake = FakeRoute53::start().await;
    let client = client(&fake);
    let mut created = BTreeSet::new();
    for i in 0..150_usize {
        created.insert(fake.create_zone(&format!("zone{i}.example"), i.is_multiple_of(3)));
    }
    assert_eq!(created.len(), 150);
    assert!(created.iter().all(|id| {
        id.len() == 14
            && id.starts_with('Z')
            && id
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    }));

    let first = client.list_hosted_zones().send().await.unwrap();
    assert_eq!(first.hosted_zones().len(), 100);
    assert!(first.is_truncated());
    assert_eq!(first.max_items(), 100);
    let marker = first.next_marker().unwrap();
    let second = client
        .list_hosted_zones()
        .marker(marker)
        .send()
        .await
        .unwrap();
    assert_eq!(second.hosted_zones().len(), 50);
    assert!(!second.is_truncated());
    assert_eq!(second.next_marker(), None);

    let mut seen = BTreeSet::new();
    for zone in first.hosted_zones().iter().chain(second.hosted_zones()) {
        let id = zone.id().strip_prefix("/hostedzone/").unwrap();
        assert!(seen.insert(id.to_owned()), "zone {id} listed twice");
        let number: usize = zone
            .name()
            .strip_prefix("zone")
            .unwrap()
            .strip_suffix(".example.")
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            zone.config().unwrap().private_zone(),
            number.is_multiple_of(3)
        );
        assert_eq!(zone.resource_record_set_count(), Some(2));
        assert!(!zone.caller_reference().is_empty());
    }
    assert_eq!(seen, created);

    // maxitems is honoured, and the SDK's paginator walks every page.
    let small = client
        .list_hosted_zones()
        .max_items(7)
        .send()
        .await
        .unwrap();
    assert_eq!(small.hosted_zones().len(), 7);
    let all: Vec<_> = client
        .list_hosted_zones()
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await;
    assert_eq!(all.len(), 150);
    assert_eq!(fake.requests().list_hosted_zones, 3 + 2);

    // GetHostedZone and ListHostedZonesByName.
    let some = created.iter().next().unwrap();
    let got = client.get_hosted_zone().id(some).send().await.unwrap();
    assert_eq!(
        got.hosted_zone().unwrap().id(),
        format!("/hostedzone/{some}")
    );
    let private = got.hosted_zone().unwrap().config().unwrap().private_zone();
    assert_eq!(got.delegation_set().is_some(), !private);
    assert_eq!(got.vpcs().is_empty(), !private);
    if let Some(delegation) = got.delegation_set() {
        assert_eq!(delegation.name_servers().len(), 4);
    }
    let by_name = client
        .list_hosted_zones_by_name()
        .dns_name("zone42.example")
        .max_items(2)
        .send()
        .await
        .unwrap();
    let names: Vec<_> = by_name.hosted_zones().iter().map(|z| z.name()).collect();
    assert_eq!(names, ["zone42.example.", "zone43.example."]);
    assert!(by_name.is_truncated());
    assert_eq!(by_name.next_dns_name(), Some("zone44.example."));
}

#[tokio::test]
async fn record_sets_are_sorted_by_reversed_name_and_paged_by_300() {
    let (fake, client, zone) = setup().await;
    let mut changes = Vec::new();
    for i in 0..690 {
        changes.push(create(
            &format!("h{i}.example.com"),
            "A",
            60,
            &["192.0.2.1"],
        ));
    }
    // Names whose reversed form sorts differently from the plain form.
    for (name, rtype) in [
        ("a.b.example.com", "TXT"),
        ("b.a.example.com", "TXT"),
        ("a-b.example.com", "TXT"),
        ("x.a.example.com", "TXT"),
        ("zz.example.com", "TXT"),
        ("zz.example.com", "MX"),
        ("zz.example.com", "AAAA"),
        ("_sip._tcp.example.com", "TXT"),
        ("www.example.com", "TXT"),
        ("WWW.Example.com", "A"),
    ] {
        let value = match rtype {
            "TXT" => "\"x\"",
            "MX" => "10 mail.example.com",
            "AAAA" => "2001:db8::1",
            _ => "192.0.2.9",
        };
        changes.push(create(name, rtype, 60, &[value]));
    }
    apply(&client, &zone, changes).await;

    let mut pages = Vec::new();
    let mut listed = Vec::new();
    let mut next: Option<(String, RrType, Option<String>)> = None;
    loop {
        let mut request = client
            .list_resource_record_sets()
            .hosted_zone_id(&zone)
            .max_items(1000);
        if let Some((name, rtype, identifier)) = next.take() {
            request = request
                .start_record_name(name)
                .start_record_type(rtype)
                .set_start_record_identifier(identifier);
        }
        let page = request.send().await.unwrap();
        pages.push(page.resource_record_sets().len());
        assert_eq!(page.max_items(), 300);
        listed.extend(
            page.resource_record_sets()
                .iter()
                .map(|s| (s.name().to_owned(), s.r#type().as_str().to_owned())),
        );
        if !page.is_truncated() {
            break;
        }
        next = Some((
            page.next_record_name().unwrap().to_owned(),
            page.next_record_type().unwrap().clone(),
            page.next_record_identifier().map(str::to_owned),
        ));
    }
    assert_eq!(pages, [300, 300, 102]);

    let mut expected = listed.clone();
    expected.sort_by_key(|(name, rtype)| {
        let labels: Vec<&str> = name.trim_end_matches('.').split('.').rev().collect();
        (format!("{}.", labels.join(".")), rtype.clone())
    });
    assert_eq!(listed, expected);
    assert_eq!(listed.len(), 702);
    let unique: BTreeSet<_> = listed.iter().collect();
    assert_eq!(unique.len(), 702);
    // Spot checks of the reversed-label order.
    let position = |name: &str, rtype: &str| {
        listed
            .iter()
            .position(|e| e.0 == name && e.1 == rtype)
            .unwrap()
    };
    assert_eq!(position("example.com.", "NS"), 0);
    assert_eq!(position("example.com.", "SOA"), 1);
    assert!(position("b.a.example.com.", "TXT") < position("a.b.example.com.", "TXT"));
    // Compared as strings: `com.example.a-b.` < `com.example.a.x.` since '-' < '.'.
    assert!(position("a-b.example.com.", "TXT") < position("x.a.example.com.", "TXT"));
    assert!(position("zz.example.com.", "AAAA") < position("zz.example.com.", "MX"));
    assert!(position("www.example.com.", "A") < position("www.example.com.", "TXT"));
    let from_fake: Vec<_> = fake
        .record_sets(&zone)
        .into_iter()
        .map(|s| (s.name, s.rtype))
        .collect();
    assert_eq!(from_fake, listed);

    // Starting points: a name alone, a name and type, a name that does not exist.
    let page = page_from(&client, &zone, "zz.example.com", Some(RrType::Mx), 2).await;
    let got: Vec<_> = page
        .resource_record_sets()
        .iter()
        .map(|s| s.r#type().as_str())
        .collect();
    assert_eq!(got, ["MX", "TXT"]);
    let page = page_from(&client, &zone, "h5zz.example.com", None, 1).await;
    assert_eq!(page.resource_record_sets()[0].name(), "h6.example.com.");

    // A type without a name is refused.
    let error = client
        .list_resource_record_sets()
        .hosted_zone_id(&zone)
        .start_record_type(RrType::A)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code_of(&error).0, "InvalidInput");
    assert!(error.is_invalid_input());
}

#[tokio::test]
async fn create_of_an_existing_set_fails_and_changes_nothing() {
    let (fake, client, zone) = setup().await;
    apply(
        &client,
        &zone,
        [create("x.example.com", "A", 300, &["192.0.2.1"])],
    )
    .await;
    let result = submit(
        &client,
        &zone,
        [create("x.example.com", "A", 60, &["192.0.2.2"])],
    )
    .await;
    let error = result.unwrap_err().into_service_error();
    let ChangeResourceRecordSetsError::InvalidChangeBatch(batch) = &error else {
        panic!("expected InvalidChangeBatch, got {error:?}");
    };
    let message = "Tried to create resource record set [name='x.example.com.', type='A'] but it already exists";
    assert_eq!(batch.messages(), [message]);
    assert_eq!(batch.message(), Some(format!("[{message}]").as_str()));
    assert_eq!(error.code(), Some("InvalidChangeBatch"));
    assert_eq!(
        contents(&fake, &zone),
        [entry("x.example.com.", "A", &["192.0.2.1"])]
    );
    assert_eq!(fake.record_sets(&zone)[2].ttl, Some(300));

    let counts = fake.requests();
    assert_eq!(counts.change_resource_record_sets, 2);
    assert_eq!(counts.changes_accepted, 1);
    assert_eq!(counts.changes_rejected, 1);
    let log = fake.batches();
    assert_eq!(log.len(), 2);
    assert!(log[0].outcome.is_accepted());
    assert_eq!(
        log[1].outcome,
        BatchOutcome::Rejected {
            code: "InvalidChangeBatch".to_owned(),
            messages: vec![message.to_owned()],
        }
    );
    assert_eq!(log[1].changes[0].action, "CREATE");
    assert_eq!(log[1].changes[0].name, "x.example.com");
    assert_eq!(log[1].changes[0].values, ["192.0.2.2"]);
}

#[tokio::test]
async fn delete_must_repeat_the_set_exactly() {
    let (fake, client, zone) = setup().await;
    apply(
        &client,
        &zone,
        [create(
            "x.example.com",
            "A",
            300,
            &["192.0.2.1", "192.0.2.2"],
        )],
    )
    .await;

    let mismatch = "Tried to delete resource record set [name='x.example.com.', type='A'] but the values provided do not match the current values";
    for wrong in [
        delete("x.example.com", "A", 60, &["192.0.2.1", "192.0.2.2"]),
        delete("x.example.com", "A", 300, &["192.0.2.1"]),
        delete("x.example.com", "A", 300, &["192.0.2.1", "192.0.2.3"]),
        delete(
            "x.example.com",
            "A",
            300,
            &["192.0.2.1", "192.0.2.2", "192.0.2.3"],
        ),
    ] {
        assert_eq!(refused(&client, &zone, [wrong]).await, [mismatch]);
    }
    let missing = "Tried to delete resource record set [name='y.example.com.', type='A'] but it was not found";
    let messages = refused(
        &client,
        &zone,
        [delete("y.example.com", "A", 300, &["192.0.2.1"])],
    )
    .await;
    assert_eq!(messages, [missing]);
    let wrong_type = refused(
        &client,
        &zone,
        [delete("x.example.com", "AAAA", 300, &["2001:db8::1"])],
    )
    .await;
    assert_eq!(
        wrong_type,
        [
            "Tried to delete resource record set [name='x.example.com.', type='AAAA'] but it was not found"
        ]
    );

    // Deleting the same set twice in one batch fails, and the first delete
    // is not applied either.
    let twice = vec![
        delete("x.example.com", "A", 300, &["192.0.2.1", "192.0.2.2"]),
        delete("x.example.com", "A", 300, &["192.0.2.1", "192.0.2.2"]),
    ];
    assert_eq!(
        refused(&client, &zone, twice).await,
        [
            "Tried to delete resource record set [name='x.example.com.', type='A'] but it was not found"
        ]
    );
    assert_eq!(
        contents(&fake, &zone),
        [entry("x.example.com.", "A", &["192.0.2.1", "192.0.2.2"])]
    );

    // Values in another order, and another spelling of the name, match.
    apply(
        &client,
        &zone,
        [delete(
            "X.Example.COM.",
            "A",
            300,
            &["192.0.2.2", "192.0.2.1"],
        )],
    )
    .await;
    assert!(contents(&fake, &zone).is_empty());
}

#[tokio::test]
async fn delete_and_create_in_one_batch_swap_atomically() {
    let (fake, client, zone) = setup().await;
    apply(
        &client,
        &zone,
        [create("x.example.com", "TXT", 300, &["\"v1\""])],
    )
    .await;
    let swap = vec![
        delete("x.example.com", "TXT", 300, &["\"v1\""]),
        create("x.example.com", "TXT", 300, &["\"v2\""]),
    ];
    apply(&client, &zone, swap).await;
    assert_eq!(
        contents(&fake, &zone),
        [entry("x.example.com.", "TXT", &["\"v2\""])]
    );

    // The same swap again fails: the DELETE no longer matches, so the
    // CREATE fails too (the set exists), and nothing changes.
    let stale = vec![
        delete("x.example.com", "TXT", 300, &["\"v1\""]),
        create("x.example.com", "TXT", 300, &["\"v3\""]),
    ];
    let messages = refused(&client, &zone, stale).await;
    assert_eq!(
        messages,
        [
            "Tried to delete resource record set [name='x.example.com.', type='TXT'] but the values provided do not match the current values",
            "Tried to create resource record set [name='x.example.com.', type='TXT'] but it already exists",
        ]
    );
    assert_eq!(
        contents(&fake, &zone),
        [entry("x.example.com.", "TXT", &["\"v2\""])]
    );
}

#[tokio::test]
async fn a_batch_applies_whole_or_not_at_all() {
    let (fake, client, zone) = setup().await;
    apply(
        &client,
        &zone,
        [create("c.example.com", "A", 60, &["192.0.2.3"])],
    )
    .await;
    let batch = vec![
        create("a.example.com", "A", 60, &["192.0.2.1"]),
        upsert("b.example.com", "A", 60, &["192.0.2.2"]),
        create("c.example.com", "A", 60, &["192.0.2.9"]),
    ];
    let messages = refused(&client, &zone, batch).await;
    assert_eq!(
        messages,
        [
            "Tried to create resource record set [name='c.example.com.', type='A'] but it already exists"
        ]
    );
    assert_eq!(
        contents(&fake, &zone),
        [entry("c.example.com.", "A", &["192.0.2.3"])]
    );

    // Every failing change contributes its own message, in order.
    let batch = vec![
        create("a.example.com", "A", 60, &["not-an-address"]),
        create("ok.example.com", "A", 60, &["192.0.2.1"]),
        create("b.other.com", "A", 60, &["192.0.2.1"]),
        create("c.example.com", "A", 60, &["192.0.2.1"]),
    ];
    let messages = refused(&client, &zone, batch).await;
    assert_eq!(
        messages,
        [
            "Invalid Resource Record: FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with 'not-an-address'",
            "RRSet with DNS name b.other.com. is not permitted in zone example.com.",
            "Tried to create resource record set [name='c.example.com.', type='A'] but it already exists",
        ]
    );
    assert_eq!(
        contents(&fake, &zone),
        [entry("c.example.com.", "A", &["192.0.2.3"])]
    );
}

fn a_values(count: usize, offset: usize) -> Vec<String> {
    (offset..offset + count)
        .map(|i| format!("10.{}.{}.{}", i / 65_536, i / 256 % 256, i % 256))
        .collect()
}

fn set_of(name: &str, values: &[String]) -> ResourceRecordSet {
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    rrset(name, "A", 60, &refs)
}

#[tokio::test]
async fn a_request_holds_at_most_1000_records() {
    let (fake, client, zone) = setup().await;
    let records = "Number of records limit of 1000 exceeded.";

    // 10 x 100 = 1,000 elements: accepted. One more: refused.
    let mut batch: Vec<Change> = (0..10)
        .map(|i| {
            change(
                ChangeAction::Create,
                set_of(&format!("r{i}.example.com"), &a_values(100, i * 100)),
            )
        })
        .collect();
    let mut over = batch.clone();
    over.push(create("extra.example.com", "A", 60, &["192.0.2.1"]));
    assert_eq!(refused(&client, &zone, over).await, [records]);
    assert!(contents(&fake, &zone).is_empty());
    apply(&client, &zone, std::mem::take(&mut batch)).await;
    assert_eq!(contents(&fake, &zone).len(), 10);

    // UPSERT counts twice: 500 values are 1,000 elements, 501 are too many.
    let upserts = |count: usize| -> Vec<Change> {
        let values = a_values(count, 5000);
        values
            .chunks(100)
            .enumerate()
            .map(|(i, chunk)| {
                change(
                    ChangeAction::Upsert,
                    set_of(&format!("u{i}.example.com"), chunk),
                )
            })
            .collect()
    };
    assert_eq!(refused(&client, &zone, upserts(501)).await, [records]);
    apply(&client, &zone, upserts(500)).await;

    let log = fake.batches();
    let elements: Vec<_> = log.iter().map(|b| b.record_elements).collect();
    assert_eq!(elements, [1001, 1000, 1002, 1000]);
    let accepted: Vec<_> = log.iter().map(|b| b.outcome.is_accepted()).collect();
    assert_eq!(accepted, [false, true, false, true]);
}

/// A TXT value of exactly `len` (256 or 257) characters: one quoted string
/// starting with `tag`.
fn txt_value(tag: usize, len: usize) -> String {
    let head = format!("{tag:04}");
    format!("\"{head}{}\"", "a".repeat(len - 2 - head.len()))
}

#[tokio::test]
async fn a_request_holds_at_most_32000_value_characters() {
    let (fake, client, zone) = setup().await;
    let values: Vec<String> = (0..125).map(|i| txt_value(i, 256)).collect();
    assert_eq!(values.iter().map(String::len).sum::<usize>(), 32_000);
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();

    let mut longer = values.clone();
    longer[0] = txt_value(0, 257);
    let longer_refs: Vec<&str> = longer.iter().map(String::as_str).collect();
    let messages = refused(
        &client,
        &zone,
        [create("t.example.com", "TXT", 60, &longer_refs)],
    )
    .await;
    assert_eq!(messages, ["Number of characters limit of 32000 exceeded."]);
    assert!(contents(&fake, &zone).is_empty());

    apply(&client, &zone, [create("t.example.com", "TXT", 60, &refs)]).await;
    assert_eq!(contents(&fake, &zone)[0].2.len(), 125);

    // UPSERT counts the characters twice.
    let half: Vec<&str> = refs[..63].to_vec();
    let messages = refused(&client, &zone, [upsert("t.example.com", "TXT", 60, &half)]).await;
    assert_eq!(messages, ["Number of characters limit of 32000 exceeded."]);
    apply(
        &client,
        &zone,
        [upsert("t.example.com", "TXT", 60, &refs[..62])],
    )
    .await;
    let chars: Vec<_> = fake.batches().iter().map(|b| b.value_chars).collect();
    assert_eq!(chars, [32_001, 32_000, 32_256, 31_744]);
}

#[tokio::test]
async fn txt_values_must_be_quoted_strings_of_at_most_255_octets() {
    let (fake, client, zone) = setup().await;
    let messages = refused(
        &client,
        &zone,
        [create("t.example.com", "TXT", 60, &["hello world"])],
    )
    .await;
    assert_eq!(
        messages,
        [
            "Invalid Resource Record: FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with 'hello world'"
        ]
    );
    let long = format!("\"{}\"", "x".repeat(256));
    let messages = refused(
        &client,
        &zone,
        [create("t.example.com", "TXT", 60, &[&long])],
    )
    .await;
    assert_eq!(
        messages,
        [format!(
            "Invalid Resource Record: FATAL problem: CharacterStringTooLong (Value is too long) encountered with '{long}'"
        )]
    );
    assert!(contents(&fake, &zone).is_empty());

    // Longer text split into strings of at most 255 is fine, as are escapes.
    let split = format!("\"{}\" \"{}\"", "x".repeat(255), "y".repeat(255));
    let escaped = "\"say \\\"hi\\\" \\\\ caf\\303\\251\"";
    apply(
        &client,
        &zone,
        [create("t.example.com", "TXT", 60, &[&split, escaped])],
    )
    .await;
    assert_eq!(contents(&fake, &zone)[0].2, [split.as_str(), escaped]);

    // Other types are checked too.
    let messages = refused(
        &client,
        &zone,
        [
            create("s.example.com", "SRV", 60, &["10 5 80"]),
            create("s6.example.com", "AAAA", 60, &["192.0.2.1"]),
            create("m.example.com", "MX", 60, &["10 mail.example.com"]),
        ],
    )
    .await;
    assert_eq!(messages.len(), 2);
    assert!(messages[0].contains("encountered with '10 5 80'"));
    assert!(messages[1].contains("AAAARRDATAIllegalIPv6Address"));
}

#[tokio::test]
async fn cname_cannot_share_its_name() {
    let (fake, client, zone) = setup().await;
    apply(
        &client,
        &zone,
        [
            create("x.example.com", "A", 60, &["192.0.2.1"]),
            create("y.example.com", "CNAME", 60, &["target.example.net"]),
        ],
    )
    .await;
    let messages = refused(
        &client,
        &zone,
        [create(
            "x.example.com",
            "CNAME",
            60,
            &["target.example.net"],
        )],
    )
    .await;
    assert_eq!(
        messages,
        [
            "RRSet of type CNAME with DNS name x.example.com. is not permitted as it conflicts with other records with the same DNS name in zone example.com."
        ]
    );
    let messages = refused(
        &client,
        &zone,
        [upsert("y.example.com", "TXT", 60, &["\"t\""])],
    )
    .await;
    assert_eq!(
        messages,
        [
            "RRSet of type TXT with DNS name y.example.com. is not permitted because a conflicting RRSet of type CNAME with the same DNS name already exists in zone example.com."
        ]
    );
    let messages = refused(
        &client,
        &zone,
        [create(
            "z.example.com",
            "CNAME",
            60,
            &["a.example.net", "b.example.net"],
        )],
    )
    .await;
    assert_eq!(messages.len(), 1);

    // Replacing the A with a CNAME in one batch is fine; so is an UPSERT of
    // the CNAME itself.
    apply(
        &client,
        &zone,
        [
            delete("x.example.com", "A", 60, &["192.0.2.1"]),
            create("x.example.com", "CNAME", 60, &["target.example.net"]),
            upsert("y.example.com", "CNAME", 300, &["other.example.net"]),
        ],
    )
    .await;
    assert_eq!(
        contents(&fake, &zone),
        [
            entry("x.example.com.", "CNAME", &["target.example.net"]),
            entry("y.example.com.", "CNAME", &["other.example.net"]),
        ]
    );
}

#[tokio::test]
async fn names_are_lower_cased_and_octal_escaped() {
    let (fake, client, zone) = setup().await;
    apply(
        &client,
        &zone,
        [
            create("*.example.com", "TXT", 60, &["\"wild\""]),
            create(
                "My Printer._ipp._tcp.Example.COM",
                "SRV",
                60,
                &["0 0 631 printer.example.com."],
            ),
            create("café.example.com", "A", 60, &["192.0.2.1"]),
            create("\\052.sub.example.com.", "A", 60, &["192.0.2.2"]),
        ],
    )
    .await;
    let listed = list_all(&client, &zone).await;
    let names: Vec<_> = listed
        .resource_record_sets()
        .iter()
        .map(|s| s.name().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "example.com.",
            "example.com.",
            "\\052.example.com.",
            "my\\040printer._ipp._tcp.example.com.",
            "caf\\303\\251.example.com.",
            "\\052.sub.example.com.",
        ]
    );

    // The listed (escaped) names address the same sets.
    let deletes: Vec<Change> = listed.resource_record_sets()[2..]
        .iter()
        .map(|s| change(ChangeAction::Delete, s.clone()))
        .collect();
    apply(&client, &zone, deletes).await;
    assert!(contents(&fake, &zone).is_empty());

    // A start name is canonicalized the same way.
    apply(
        &client,
        &zone,
        [create("Café.example.com", "A", 60, &["192.0.2.1"])],
    )
    .await;
    let page = page_from(&client, &zone, "CAFÉ.example.com", Some(RrType::A), 1).await;
    assert_eq!(
        page.resource_record_sets()[0].name(),
        "caf\\303\\251.example.com."
    );

    // Names outside the zone, and labels over 63 octets, are refused.
    let label = "a".repeat(64);
    let messages = refused(
        &client,
        &zone,
        [
            create("x.example.org", "A", 60, &["192.0.2.1"]),
            create("xexample.com", "A", 60, &["192.0.2.1"]),
            create(&format!("{label}.example.com"), "A", 60, &["192.0.2.1"]),
        ],
    )
    .await;
    assert_eq!(
        messages,
        [
            "RRSet with DNS name x.example.org. is not permitted in zone example.com.".to_owned(),
            "RRSet with DNS name xexample.com. is not permitted in zone example.com.".to_owned(),
            format!(
                "FATAL problem: DomainLabelTooLong (Domain label is too long) encountered with '{label}'"
            ),
        ]
    );
}

#[tokio::test]
async fn throttling_is_http_400_and_changes_nothing() {
    let (fake, client, zone) = setup().await;
    fake.set_throttle_share(1.0);
    let error = submit(
        &client,
        &zone,
        [create("x.example.com", "A", 60, &["192.0.2.1"])],
    )
    .await
    .unwrap_err();
    assert_eq!(error.raw_response().unwrap().status().as_u16(), 400);
    let error = error.into_service_error();
    assert_eq!(
        code_of(&error),
        ("Throttling".to_owned(), "Rate exceeded".to_owned())
    );
    assert!(error.request_id().is_some());
    let error = client
        .list_hosted_zones()
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(error.code(), Some("Throttling"));
    let error = client
        .get_change()
        .id("C123")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(error.code(), Some("Throttling"));

    fake.set_throttle_share(0.0);
    assert!(contents(&fake, &zone).is_empty());
    let counts = fake.requests();
    assert_eq!(
        (counts.throttled, counts.total, counts.changes_rejected),
        (3, 3, 1)
    );
    let log = fake.batches();
    assert!(matches!(&log[0].outcome, BatchOutcome::Rejected { code, .. } if code == "Throttling"));

    // A seeded share is repeatable.
    let pattern = |seed| {
        let fake = fake.clone();
        let client = client.clone();
        async move {
            fake.set_seed(seed);
            fake.set_throttle_share(0.5);
            let mut out = Vec::new();
            for _ in 0..20 {
                out.push(client.list_hosted_zones().send().await.is_ok());
            }
            fake.set_throttle_share(0.0);
            out
        }
    };
    let first = pattern(7).await;
    assert_eq!(first, pattern(7).await);
    assert!(first.contains(&true) && first.contains(&false));
}

#[tokio::test]
async fn prior_request_not_complete_refuses_changes_only() {
    let (fake, client, zone) = setup().await;
    fake.set_prior_request_share(1.0);
    let error = submit(
        &client,
        &zone,
        [create("x.example.com", "A", 60, &["192.0.2.1"])],
    )
    .await
    .unwrap_err();
    assert_eq!(error.raw_response().unwrap().status().as_u16(), 400);
    let error = error.into_service_error();
    assert!(error.is_prior_request_not_complete());
    assert_eq!(error.code(), Some("PriorRequestNotComplete"));
    list_all(&client, &zone).await;
    assert!(contents(&fake, &zone).is_empty());
    fake.set_prior_request_share(0.0);
    apply(
        &client,
        &zone,
        [create("x.example.com", "A", 60, &["192.0.2.1"])],
    )
    .await;
    assert_eq!(contents(&fake, &zone).len(), 1);
}

#[tokio::test]
async fn auth_failure_is_403_invalid_client_token_id() {
    let (fake, client, zone) = setup().await;
    fake.set_auth_failure(true);
    let error = client
        .list_resource_record_sets()
        .hosted_zone_id(&zone)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.raw_response().unwrap().status().as_u16(), 403);
    let error = error.into_service_error();
    assert_eq!(
        code_of(&error),
        (
            "InvalidClientTokenId".to_owned(),
            "The security token included in the request is invalid.".to_owned()
        )
    );
    fake.set_auth_failure(false);
    list_all(&client, &zone).await;
    assert_eq!(fake.requests().auth_failures, 1);
}

#[tokio::test]
async fn unknown_zones_and_changes_are_404() {
    let (_fake, client, _zone) = setup().await;
    let error = client
        .get_hosted_zone()
        .id("ZNOTHERE")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.raw_response().unwrap().status().as_u16(), 404);
    assert!(error.into_service_error().is_no_such_hosted_zone());
    let error = client
        .list_resource_record_sets()
        .hosted_zone_id("/hostedzone/ZNOTHERE")
        .send()
        .await
        .unwrap_err();
    let error = error.into_service_error();
    assert!(error.is_no_such_hosted_zone());
    assert_eq!(
        error.message(),
        Some("No hosted zone found with ID: ZNOTHERE")
    );
    let result = submit(
        &client,
        "ZNOTHERE",
        [create("x.example.com", "A", 60, &["192.0.2.1"])],
    )
    .await;
    assert!(
        result
            .unwrap_err()
            .into_service_error()
            .is_no_such_hosted_zone()
    );
    let error = client
        .get_change()
        .id("CNOTHERE")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_no_such_change());
}

#[tokio::test]
async fn changes_are_pending_then_insync() {
    let (fake, client, zone) = setup().await;
    let batch = ChangeBatch::builder()
        .comment("first")
        .changes(create("x.example.com", "A", 60, &["192.0.2.1"]))
        .build()
        .unwrap();
    let out = client
        .change_resource_record_sets()
        .hosted_zone_id(&zone)
        .change_batch(batch)
        .send()
        .await
        .unwrap();
    let info = out.change_info().unwrap();
    assert_eq!(info.status(), &ChangeStatus::Pending);
    assert_eq!(info.comment(), Some("first"));
    assert!(info.submitted_at().secs() > 1_700_000_000);
    let id = info.id().to_owned();
    assert!(id.starts_with("/change/C") && id.len() == 22, "{id}");
    assert!(out.request_id().is_some());

    let poll = |id: String| {
        let client = client.clone();
        async move {
            client
                .get_change()
                .id(id)
                .send()
                .await
                .unwrap()
                .change_info()
                .unwrap()
                .status()
                .clone()
        }
    };
    assert_eq!(poll(id.clone()).await, ChangeStatus::Pending);
    assert_eq!(poll(id.clone()).await, ChangeStatus::Insync);
    assert_eq!(poll(id).await, ChangeStatus::Insync);

    fake.set_insync_after(3);
    let out = apply(
        &client,
        &zone,
        [create("y.example.com", "A", 60, &["192.0.2.1"])],
    )
    .await;
    let id = out.change_info().unwrap().id().to_owned();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(poll(id.clone()).await);
    }
    assert_eq!(
        statuses,
        [
            ChangeStatus::Pending,
            ChangeStatus::Pending,
            ChangeStatus::Pending,
            ChangeStatus::Insync
        ]
    );
    assert_eq!(fake.requests().get_change, 7);
    assert_eq!(
        fake.batches()[1].outcome,
        BatchOutcome::Accepted { change_id: id }
    );
}

#[tokio::test]
async fn seeded_alias_and_routing_sets_are_listed_with_their_fields() {
    let (fake, client, zone) = setup().await;
    let elb = FakeAlias::new(
        "Z35SXDOTRQ7X7K",
        "Dualstack.My-ELB-1.us-east-1.elb.amazonaws.com",
        true,
    );
    fake.insert(&zone, FakeRecordSet::alias("example.com", "A", elb));
    for (id, weight, value) in [("blue", 70, "192.0.2.1"), ("green", 30, "192.0.2.2")] {
        let mut set = FakeRecordSet::simple("w.example.com", "A", 60, [value]);
        set.set_identifier = Some(id.to_owned());
        set.weight = Some(weight);
        fake.insert(&zone, set);
    }
    let mut primary = FakeRecordSet::simple("f.example.com", "A", 30, ["192.0.2.3"]);
    primary.set_identifier = Some("primary".to_owned());
    primary.failover = Some("PRIMARY".to_owned());
    primary.health_check_id = Some("0f1e2d3c-0000-4000-8000-000000000000".to_owned());
    fake.insert(&zone, primary);
    let mut latency = FakeRecordSet::simple("l.example.com", "A", 60, ["192.0.2.4"]);
    latency.set_identifier = Some("use1".to_owned());
    latency.region = Some("us-east-1".to_owned());
    fake.insert(&zone, latency);
    let mut multi = FakeRecordSet::simple("m.example.com", "A", 60, ["192.0.2.5"]);
    multi.set_identifier = Some("m1".to_owned());
    multi.multi_value_answer = Some(true);
    fake.insert(&zone, multi);

    let listed = list_all(&client, &zone).await;
    let sets = listed.resource_record_sets();
    let alias = &sets[0];
    assert_eq!((alias.name(), alias.r#type()), ("example.com.", &RrType::A));
    assert_eq!(alias.ttl(), None);
    assert!(alias.resource_records().is_empty());
    let target = alias.alias_target().unwrap();
    assert_eq!(target.hosted_zone_id(), "Z35SXDOTRQ7X7K");
    assert_eq!(
        target.dns_name(),
        "dualstack.my-elb-1.us-east-1.elb.amazonaws.com."
    );
    assert!(target.evaluate_target_health());

    let find = |name: &str| sets.iter().filter(|s| s.name() == name).collect::<Vec<_>>();
    let failover = find("f.example.com.")[0];
    assert_eq!(
        failover.failover(),
        Some(&ResourceRecordSetFailover::Primary)
    );
    assert_eq!(
        failover.health_check_id(),
        Some("0f1e2d3c-0000-4000-8000-000000000000")
    );
    assert_eq!(
        find("l.example.com.")[0].region().unwrap().as_str(),
        "us-east-1"
    );
    assert_eq!(find("m.example.com.")[0].multi_value_answer(), Some(true));
    let weighted = find("w.example.com.");
    let got: Vec<_> = weighted
        .iter()
        .map(|s| (s.set_identifier().unwrap(), s.weight().unwrap()))
        .collect();
    assert_eq!(got, [("blue", 70), ("green", 30)]);

    // Paging inside a group of weighted sets uses the identifier.
    let page = page_from(&client, &zone, "w.example.com", Some(RrType::A), 1).await;
    assert_eq!(
        page.resource_record_sets()[0].set_identifier(),
        Some("blue")
    );
    assert_eq!(page.next_record_identifier(), Some("green"));

    // A simple set cannot join the weighted group, nor a weighted set a
    // simple one.
    let messages = refused(
        &client,
        &zone,
        [create("w.example.com", "A", 60, &["192.0.2.9"])],
    )
    .await;
    assert_eq!(
        messages,
        [
            "RRSet with DNS name w.example.com., type A cannot be created as weighted sets exist with the same name and type."
        ]
    );
    let mut weighted_x = rrset("x.example.com", "A", 60, &["192.0.2.1"]);
    weighted_x.set_identifier = Some("one".to_owned());
    weighted_x.weight = Some(1);
    let messages = refused(
        &client,
        &zone,
        [
            create("x.example.com", "A", 60, &["192.0.2.1"]),
            change(ChangeAction::Create, weighted_x),
        ],
    )
    .await;
    assert_eq!(
        messages,
        [
            "RRSet with DNS name x.example.com., type A, SetIdentifier one cannot be created as a non-weighted set exists with the same name and type."
        ]
    );

    // DELETE must repeat the routing fields: the listed sets delete as they are,
    // a changed weight does not.
    let mut wrong = weighted[0].clone();
    wrong.weight = Some(71);
    let messages = refused(&client, &zone, [change(ChangeAction::Delete, wrong)]).await;
    assert_eq!(
        messages,
        [
            "Tried to delete resource record set [name='w.example.com.', type='A', set-identifier='blue'] but the values provided do not match the current values"
        ]
    );
    let deletes: Vec<Change> = sets
        .iter()
        .map(|s| change(ChangeAction::Delete, s.clone()))
        .collect();
    assert_eq!(
        (sets[1].r#type(), sets[2].r#type()),
        (&RrType::Ns, &RrType::Soa)
    );
    apply(&client, &zone, deletes[3..].to_vec()).await;
    apply(&client, &zone, [deletes[0].clone()]).await;
    assert_eq!(fake.record_sets(&zone).len(), 2);
    // The apex SOA and NS cannot go.
    let messages = refused(&client, &zone, [deletes[1].clone()]).await;
    assert_eq!(
        messages,
        ["A HostedZone must contain at least one NS record for the zone itself."]
    );
}

#[tokio::test]
async fn invalid_input_for_malformed_changes() {
    let (_fake, client, zone) = setup().await;
    let no_ttl = ResourceRecordSet::builder()
        .name("x.example.com")
        .r#type(RrType::A)
        .resource_records(
            ResourceRecord::builder()
                .value("192.0.2.1")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let error = submit(&client, &zone, [change(ChangeAction::Create, no_ttl)])
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_invalid_input());
    assert_eq!(
        error.message(),
        Some(
            "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with [Action=CREATE, Name=x.example.com, Type=A, SetIdentifier=null]"
        )
    );
    let error = submit(
        &client,
        &zone,
        [create("x.example.com", "A", -1, &["192.0.2.1"])],
    )
    .await
    .unwrap_err();
    assert!(error.into_service_error().is_invalid_input());
    let long = format!("\"{}\"", "a".repeat(3999));
    let error = submit(
        &client,
        &zone,
        [create("x.example.com", "TXT", 60, &[&long])],
    )
    .await
    .unwrap_err();
    assert!(error.into_service_error().is_invalid_input());
}

#[tokio::test]
async fn the_live_error_shape_has_only_the_joined_message() {
    let (fake, client, zone) = setup().await;
    fake.set_modelled_error_messages(false);
    let result = submit(
        &client,
        &zone,
        [
            delete("a.example.com", "A", 60, &["192.0.2.1"]),
            delete("b.example.com", "A", 60, &["192.0.2.1"]),
        ],
    )
    .await;
    let error = result.unwrap_err().into_service_error();
    let ChangeResourceRecordSetsError::InvalidChangeBatch(batch) = &error else {
        panic!("expected InvalidChangeBatch, got {error:?}");
    };
    assert!(batch.messages().is_empty());
    assert_eq!(
        batch.message(),
        Some(
            "[Tried to delete resource record set [name='a.example.com.', type='A'] but it was not found, Tried to delete resource record set [name='b.example.com.', type='A'] but it was not found]"
        )
    );
    let first = batch.request_id().unwrap().to_owned();
    let again = submit(
        &client,
        &zone,
        [delete("a.example.com", "A", 60, &["192.0.2.1"])],
    )
    .await;
    let again = again.unwrap_err().into_service_error();
    assert_ne!(again.request_id().unwrap(), first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_swaps_conflict_but_stay_consistent() {
    let (fake, client, zone) = setup().await;
    apply(
        &client,
        &zone,
        [create("swap.example.com", "TXT", 60, &["\"v0\""])],
    )
    .await;
    fake.set_latency(Duration::from_millis(40));
    fake.reset_counts();

    let mut tasks = Vec::new();
    for task in 1..=20 {
        let client = client.clone();
        let zone = zone.clone();
        tasks.push(tokio::spawn(async move {
            let page = page_from(&client, &zone, "swap.example.com", Some(RrType::Txt), 1).await;
            let current = page.resource_record_sets()[0].resource_records()[0]
                .value()
                .to_owned();
            let next = format!("\"v{task}\"");
            let swap = vec![
                delete("swap.example.com", "TXT", 60, &[&current]),
                create("swap.example.com", "TXT", 60, &[&next]),
            ];
            match submit(&client, &zone, swap).await {
                Ok(_) => true,
                Err(error) => {
                    let messages = batch_messages(Err(error));
                    assert_eq!(messages.len(), 2, "{messages:?}");
                    assert!(messages[0].contains("do not match the current values"));
                    assert!(messages[1].contains("already exists"));
                    false
                }
            }
        }));
    }
    let mut wins = 0;
    for task in tasks {
        if task.await.unwrap() {
            wins += 1;
        }
    }
    assert!(wins >= 1);
    assert!(wins < 20, "every swap won: the requests did not race");

    let log = fake.batches();
    assert_eq!(log.len(), 20);
    let accepted: Vec<_> = log.iter().filter(|b| b.outcome.is_accepted()).collect();
    assert_eq!(accepted.len(), wins);
    // Each accepted swap deleted exactly what the one before it created.
    let mut value = "\"v0\"".to_owned();
    for batch in &accepted {
        assert_eq!(batch.changes[0].values, [value.clone()]);
        value.clone_from(&batch.changes[1].values[0]);
    }
    assert_eq!(
        contents(&fake, &zone),
        [entry("swap.example.com.", "TXT", &[&value])]
    );
    let counts = fake.requests();
    assert_eq!(counts.list_resource_record_sets, 20);
    assert_eq!(counts.changes_accepted + counts.changes_rejected, 20);
}

#[tokio::test]
async fn server_errors_are_http_500_and_change_nothing() {
    let (fake, client, zone) = setup().await;
    fake.set_server_error_share(1.0);
    let error = submit(
        &client,
        &zone,
        [create("x.example.com", "A", 60, &["192.0.2.1"])],
    )
    .await
    .unwrap_err();
    assert_eq!(error.raw_response().unwrap().status().as_u16(), 500);
    assert_eq!(error.into_service_error().code(), Some("InternalFailure"));
    fake.set_server_error_share(0.0);
    assert!(contents(&fake, &zone).is_empty());
    let counts = fake.requests();
    assert_eq!((counts.server_errors, counts.total), (1, 1));
}

#[tokio::test]
async fn a_lost_answer_is_a_503_for_a_change_that_was_made() {
    let (fake, client, zone) = setup().await;
    fake.lose_next_answers(1);
    let error = submit(
        &client,
        &zone,
        [create("x.example.com", "A", 60, &["192.0.2.1"])],
    )
    .await
    .unwrap_err();
    assert_eq!(error.raw_response().unwrap().status().as_u16(), 503);
    // The change was made, and the log says so.
    assert_eq!(contents(&fake, &zone).len(), 1);
    assert!(matches!(
        fake.batches()[0].outcome,
        BatchOutcome::Accepted { .. }
    ));
    // Only the next one: the one after is answered normally.
    submit(
        &client,
        &zone,
        [create("y.example.com", "A", 60, &["192.0.2.2"])],
    )
    .await
    .unwrap();
    let counts = fake.requests();
    assert_eq!((counts.lost_answers, counts.changes_accepted), (1, 2));
}
