//! Names differing only in case are the same name (RFC 4343): a set
//! desired with capitals converges like any other, whether the provider
//! keeps the case (memory) or lowercases it (Route 53).
#![allow(clippy::unwrap_used, reason = "tests")]

use std::sync::Arc;

use dns_core::{InMemoryProvider, Name, RData, RecordSet};
use dns_sync::{DesiredZone, Destination, SyncOptions, apply, plan};

#[tokio::test]
async fn a_name_with_capitals_gives_an_empty_second_plan() {
    let memory = InMemoryProvider::new();
    let zone = memory
        .create_zone(Name::parse("example.com").unwrap())
        .unwrap();
    let d = Destination::new(Arc::new(memory), zone);
    let mut want = DesiredZone::new(Name::parse("example.com").unwrap());
    let set = RecordSet::new(
        Name::parse("Web.example.com").unwrap(),
        300,
        [RData::A("192.0.2.1".parse().unwrap())],
    )
    .unwrap();
    want.add_set(set).unwrap();
    let o = SyncOptions::new("cp".parse().unwrap());
    apply(plan(&d, &want, &o).await.unwrap()).await.unwrap();
    let again = plan(&d, &want, &o).await.unwrap();
    assert!(again.is_empty(), "{again}: {:?}", again.changes());
}
