//! A CNAME beside other data on the server: servers ignore such an added
//! record silently (RFC 2136 3.4.2.2); the backend's prerequisites make
//! the whole UPDATE fail instead, and nothing changes.
#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

mod support;

use dns_core::{Change, DnsProvider, Error, Name, RData, RecordSet, RecordType};
use dns_testkit::authoritative::Flavor;

async fn clashes_fail_the_update(flavor: Flavor) {
    let server = support::start(flavor);
    let provider = support::provider(&server);
    let zone = support::zone();
    let name = |s: &str| Name::parse(&format!("{s}.{}", support::ZONE)).unwrap();
    let a = RecordSet::new(name("both"), 60, [RData::A([192, 0, 2, 1].into())]).unwrap();
    let cname = RecordSet::new(name("both"), 60, [RData::CNAME(name("target"))]).unwrap();
    let witness = RecordSet::new(name("witness"), 60, [RData::A([192, 0, 2, 2].into())]).unwrap();
    let conflict =
        |e: &Error| matches!(e, Error::Provider { code: Some(c), .. } if c == "CnameConflict");

    provider
        .apply(&zone, &[Change::Add(a.clone())])
        .await
        .unwrap();
    let error = provider
        .apply(
            &zone,
            &[Change::Add(witness.clone()), Change::Upsert(cname.clone())],
        )
        .await
        .unwrap_err();
    assert!(
        conflict(&error),
        "{flavor:?}: a CNAME beside an A: {error:?}"
    );
    assert!(!error.is_retryable());
    assert!(
        provider
            .get_record_set(&zone, witness.name(), RecordType::A)
            .await
            .unwrap()
            .is_none(),
        "{flavor:?}: the failed batch applied its other change"
    );

    // The other way round: an A added at a CNAME.
    provider
        .apply(
            &zone,
            &[
                Change::Delete {
                    name: name("both"),
                    rtype: RecordType::A,
                },
                Change::Upsert(cname),
            ],
        )
        .await
        .unwrap();
    let error = provider.apply(&zone, &[Change::Add(a)]).await.unwrap_err();
    assert!(
        conflict(&error),
        "{flavor:?}: an A beside a CNAME: {error:?}"
    );
    assert!(
        provider
            .get_record_set(&zone, &name("both"), RecordType::A)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cname_clashes_fail_the_update_on_bind() {
    clashes_fail_the_update(Flavor::Bind9).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cname_clashes_fail_the_update_on_knot() {
    clashes_fail_the_update(Flavor::Knot).await;
}
