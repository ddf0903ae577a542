//! Names on real servers: raw instance labels (spaces, dots, UTF-8, mixed
//! case) go over the wire unchanged, and Knot's lower-casing of names
//! inside RDATA does not stop `Remove` or `Require` from matching.
#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

mod support;

use dns_core::{
    Change, DnsProvider, Error, Label, Name, Precondition, RData, RecordSet, RecordType, Txt,
};
use dns_testkit::authoritative::Flavor;

async fn raw_labels_and_case(flavor: Flavor) {
    let server = support::start(flavor);
    let provider = support::provider(&server);
    let zone = support::zone();
    let service = Name::parse(&format!("_ipp._tcp.{}", support::ZONE)).unwrap();
    let instance = service
        .prepend(Label::new("Büro Printer.2 (3rd Floor)".as_bytes()).unwrap())
        .unwrap();
    let ptr = RecordSet::new(service.clone(), 60, [RData::PTR(instance.clone())]).unwrap();
    // TXT, not A: BIND's check-names refuses an address record whose
    // owner is not a host name.
    let a = RecordSet::new(
        instance.clone(),
        60,
        [RData::TXT(Txt::from_text("rp=ipp/print"))],
    )
    .unwrap();
    provider
        .apply(&zone, &[Change::Add(ptr.clone()), Change::Add(a)])
        .await
        .unwrap();

    // Every octet arrives; BIND keeps the case of the owner and of PTR
    // data, Knot lower-cases both (ASCII letters only).
    let listed = provider.list_record_sets(&zone).await.unwrap();
    let owner = listed
        .iter()
        .find(|s| s.record_type() == RecordType::TXT && s.name() == &instance)
        .expect("the instance's TXT set is listed");
    let read = provider
        .get_record_set(&zone, &service, RecordType::PTR)
        .await
        .unwrap()
        .unwrap();
    let RData::PTR(target) = &read.values()[0] else {
        unreachable!()
    };
    let expected: &[u8] = match flavor {
        Flavor::Bind9 => "Büro Printer.2 (3rd Floor)".as_bytes(),
        _ => "büro printer.2 (3rd floor)".as_bytes(),
    };
    assert_eq!(
        owner.name().labels()[0].as_bytes(),
        expected,
        "{flavor:?} owner"
    );
    assert_eq!(
        target.labels()[0].as_bytes(),
        expected,
        "{flavor:?} PTR data"
    );
    assert_eq!(
        target, &instance,
        "names compare without regard to ASCII case"
    );

    // A Require with the original case holds, one with another value fails.
    let other = RecordSet::new(
        service.clone(),
        60,
        [RData::PTR(
            service.prepend(Label::new("x").unwrap()).unwrap(),
        )],
    )
    .unwrap();
    let marker = RecordSet::new(
        Name::parse(&format!("marker.{}", support::ZONE)).unwrap(),
        60,
        [RData::A([192, 0, 2, 6].into())],
    )
    .unwrap();
    provider
        .apply(
            &zone,
            &[
                Change::Require(Precondition::exactly(&ptr)),
                Change::Add(marker.clone()),
            ],
        )
        .await
        .unwrap();
    assert!(matches!(
        provider
            .apply(
                &zone,
                &[
                    Change::Require(Precondition::exactly(&other)),
                    Change::Delete {
                        name: marker.name().clone(),
                        rtype: RecordType::A
                    }
                ]
            )
            .await,
        Err(Error::PreconditionFailed { .. })
    ));
    // Remove with the original case removes the lower-cased value.
    provider.apply(&zone, &[Change::Remove(ptr)]).await.unwrap();
    assert!(
        provider
            .get_record_set(&zone, &service, RecordType::PTR)
            .await
            .unwrap()
            .is_none(),
        "{flavor:?}: Remove did not match the stored value"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_labels_and_case_on_bind() {
    raw_labels_and_case(Flavor::Bind9).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_labels_and_case_on_knot() {
    raw_labels_and_case(Flavor::Knot).await;
}
