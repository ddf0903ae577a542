//! PTR answers name instances only one label under the service browsed
//! (RFC 6763 section 4.1); every other target is ignored, whatever builds
//! on browsing.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly too"
)]

mod support;

use std::time::Duration;

use dns_core::ServiceType;
use dns_sd_client::{WatchEvent, WatchOptions};
use futures::StreamExt;
use hickory_proto::rr::RecordType;
use support::{Logs, Zone, a, client, dn, hn, ptr, raw, srv, txt};

fn x_tcp() -> ServiceType {
    "_x._tcp".parse().unwrap()
}

fn domain() -> dns_core::Name {
    dn(&hn("example.com"))
}

/// A zone whose PTR set mixes one real instance with targets that are not
/// instances of `_x._tcp.example.com`; each of them resolves, so only the
/// name check can keep them out.
fn zone_with_foreign_targets() -> Zone {
    let zone = Zone::default();
    let service = "_x._tcp.example.com";
    let targets = [
        "good._x._tcp.example.com",
        "evil.other.org",
        "example.com",
        service,
        "deeper.good._x._tcp.example.com",
        "other._y._tcp.example.com",
    ];
    zone.set(
        service,
        RecordType::PTR,
        targets.iter().map(|t| ptr(service, hn(t), 60)).collect(),
    );
    for (i, t) in targets.iter().enumerate() {
        let host = format!("h{i}.example.com");
        zone.set(t, RecordType::SRV, vec![srv(t, 80, &host, 60)]);
        zone.set(t, RecordType::TXT, vec![txt(t, 60)]);
        zone.set(&host, RecordType::A, vec![a(&host, [192, 0, 2, 1], 60)]);
    }
    zone
}

#[tokio::test]
async fn browse_and_discover_keep_only_instances_of_the_service() {
    let zone = zone_with_foreign_targets();
    let server = zone.serve().await;
    let client = client(&server);
    let logs = Logs::default();
    let _guard = logs.capture();

    let names = client.browse(&x_tcp(), &domain()).await.unwrap();
    assert_eq!(names, vec![dn(&hn("good._x._tcp.example.com"))]);

    let found = client.discover(&x_tcp(), &domain()).await.unwrap();
    let instances: Vec<_> = found.instances.iter().map(|i| i.name.clone()).collect();
    assert_eq!(instances, vec![dn(&hn("good._x._tcp.example.com"))]);
    assert!(found.missing.is_empty(), "{:?}", found.missing);
    for foreign in [
        "evil.other.org",
        "example.com",
        "_x._tcp.example.com",
        "deeper.good._x._tcp.example.com",
        "other._y._tcp.example.com",
    ] {
        assert_eq!(server.count(&hn(foreign), RecordType::SRV), 0, "{foreign}");
        assert_eq!(server.count(&hn(foreign), RecordType::TXT), 0, "{foreign}");
    }
    let text = logs.text();
    assert!(text.contains("evil.other.org."), "{text}");
    assert!(text.contains("deeper.good._x._tcp.example.com."), "{text}");
}

#[tokio::test]
async fn subtype_browse_takes_instances_of_the_parent_service() {
    let zone = Zone::default();
    let sub = "_s._sub._x._tcp.example.com";
    zone.set(
        sub,
        RecordType::PTR,
        vec![
            ptr(sub, hn("good._x._tcp.example.com"), 60),
            ptr(sub, hn("one._s._sub._x._tcp.example.com"), 60),
            ptr(sub, hn("evil.other.org"), 60),
        ],
    );
    let server = zone.serve().await;
    let names = client(&server)
        .browse_subtype(&x_tcp(), &"_s".parse().unwrap(), &domain())
        .await
        .unwrap();
    assert_eq!(names, vec![dn(&hn("good._x._tcp.example.com"))]);
}

#[tokio::test]
async fn control_characters_in_instance_labels_are_ignored_and_logged_escaped() {
    let zone = Zone::default();
    let service = "_x._tcp.example.com";
    let nasty = raw(&[b"\x1b[31mred\n\r\x07\0", b"_x", b"_tcp", b"example", b"com"]);
    zone.set(
        service,
        RecordType::PTR,
        vec![
            ptr(service, nasty, 60),
            ptr(service, hn("fine._x._tcp.example.com"), 60),
        ],
    );
    let server = zone.serve().await;
    let logs = Logs::default();
    let _guard = logs.capture();
    let names = client(&server).browse(&x_tcp(), &domain()).await.unwrap();
    assert_eq!(names, vec![dn(&hn("fine._x._tcp.example.com"))]);
    let text = logs.text();
    assert!(
        text.contains(r"\027[31mred\010\013\007\000._x._tcp.example.com."),
        "{text}"
    );
    for byte in ['\x1b', '\r', '\x07', '\0'] {
        assert!(!text.contains(byte), "raw {byte:?} in the log: {text:?}");
    }
}

#[tokio::test]
async fn enumerate_lists_only_service_types_of_the_domain() {
    let zone = Zone::default();
    let owner = "_services._dns-sd._udp.example.com";
    zone.set(
        owner,
        RecordType::PTR,
        [
            "_http._tcp.example.com",
            "_ipp._tcp.other.org",
            "www.example.com",
            "_http._tcp.sub.example.com",
            "inst._http._tcp.example.com",
        ]
        .iter()
        .map(|t| ptr(owner, hn(t), 60))
        .collect(),
    );
    let server = zone.serve().await;
    let types = client(&server).enumerate(&domain()).await.unwrap();
    assert_eq!(types, vec![dn(&hn("_http._tcp.example.com"))]);
}

#[tokio::test]
async fn watch_reports_only_instances_of_the_service() {
    let zone = zone_with_foreign_targets();
    let server = zone.serve().await;
    let options = WatchOptions::default().with_min_interval(Duration::from_millis(50));
    let events = client(&server)
        .watch_with(&x_tcp(), &domain(), options)
        .unwrap();
    // The first poll reports every instance it accepted, at once.
    let first: Vec<_> = events.take(1).collect().await;
    match &first[..] {
        [Ok(WatchEvent::Added(i))] => assert_eq!(i.name, dn(&hn("good._x._tcp.example.com"))),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.count(&hn("evil.other.org"), RecordType::SRV), 0);
}
