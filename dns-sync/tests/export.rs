//! Exporters and the zone-file reader: what is exported reads back as the
//! same sets, in both formats.
#![allow(clippy::unwrap_used, reason = "tests")]

use std::sync::Arc;

use dns_core::{Change, DnsProvider, InMemoryProvider, Name, RData, RecordSet, RecordType};
use dns_sync::{
    DesiredZone, Destination, SyncOptions, export_yaml, export_zone, plan, read_desired,
    read_zone_file,
};

fn name(s: &str) -> Name {
    Name::parse(s).unwrap()
}

fn set(n: &str, rtype: RecordType, ttl: u32, values: &[&str]) -> RecordSet {
    let values = values.iter().map(|v| RData::parse(rtype, v).unwrap());
    RecordSet::with_type(name(n), rtype, ttl, values).unwrap()
}

/// A zone with every commonly modelled type, a long and a quoted TXT, and
/// an owner marker (which the exports leave out).
async fn zone() -> (InMemoryProvider, dns_core::Zone, Vec<RecordSet>) {
    let memory = InMemoryProvider::new();
    let zone = memory.create_zone(name("example.com")).unwrap();
    let long = format!("\"{}\" \"{}\"", "a".repeat(255), "b".repeat(40));
    let sets = [
        set(
            "www.example.com",
            RecordType::A,
            300,
            &["192.0.2.1", "192.0.2.2"],
        ),
        set("www.example.com", RecordType::AAAA, 60, &["2001:db8::1"]),
        set(
            "alias.example.com",
            RecordType::CNAME,
            300,
            &["www.example.com."],
        ),
        set(
            "example.com",
            RecordType::MX,
            3600,
            &["10 mail.example.com."],
        ),
        set(
            "example.com",
            RecordType::TXT,
            300,
            &["\"v=spf1 -all\"", "\"say \\\"hi\\\"; ok\""],
        ),
        set("long.example.com", RecordType::TXT, 300, &[&long]),
        set(
            "_sip._tcp.example.com",
            RecordType::SRV,
            120,
            &["0 5 5060 sip.example.com."],
        ),
        set(
            "example.com",
            RecordType::CAA,
            300,
            &["0 issue \"letsencrypt.org\""],
        ),
    ];
    let changes: Vec<Change> = sets.iter().cloned().map(Change::Upsert).collect();
    memory.apply(&zone, &changes).await.unwrap();
    // Someone's sync ran here before: its marker is bookkeeping, not data.
    let d = Destination::new(Arc::new(memory.clone()), zone.clone());
    let mut owned = DesiredZone::new(name("example.com"));
    owned
        .add_set(set(
            "synced.example.com",
            RecordType::A,
            300,
            &["192.0.2.9"],
        ))
        .unwrap();
    dns_sync::apply(
        plan(&d, &owned, &SyncOptions::new("cp".parse().unwrap()))
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    let listing = memory.list_record_sets(&zone).await.unwrap();
    (memory, zone, listing)
}

fn expected(listing: &[RecordSet]) -> Vec<RecordSet> {
    let mut sets: Vec<RecordSet> = listing
        .iter()
        .filter(|s| {
            s.record_type() != RecordType::SOA && !s.name().to_string().contains("_dns-sync")
        })
        .cloned()
        .collect();
    sets.sort_by_key(|s| (s.name().to_lowercase(), s.record_type()));
    sets
}

fn sorted(zone: &DesiredZone) -> Vec<RecordSet> {
    let mut sets: Vec<RecordSet> = zone.sets().cloned().collect();
    sets.sort_by_key(|s| (s.name().to_lowercase(), s.record_type()));
    sets
}

#[tokio::test]
async fn the_yaml_export_reads_back_as_the_same_sets_and_plans_nothing() {
    let (memory, zone, listing) = zone().await;
    let yaml = export_yaml(&zone.name, &listing).unwrap();
    assert!(!yaml.contains("_dns-sync"), "{yaml}");
    let back = read_desired(&yaml).unwrap();
    let back = back.zone(&zone.name).unwrap();
    assert_eq!(sorted(back), expected(&listing));
    let d = Destination::new(Arc::new(memory), zone);
    let p = plan(&d, back, &SyncOptions::new("cp".parse().unwrap()))
        .await
        .unwrap();
    assert!(p.is_empty(), "{p}");
}

#[tokio::test]
async fn the_zone_file_export_reads_back_through_the_zone_file_reader() {
    let (_, zone, listing) = zone().await;
    let text = export_zone(&zone.name, &listing);
    assert!(text.contains(" IN SOA "), "the SOA is exported: {text}");
    let back = read_zone_file(&text, &zone.name).unwrap();
    assert_eq!(sorted(&back), expected(&listing));
}

#[test]
fn zone_files_use_origin_ttl_and_relative_names() {
    let text = "$ORIGIN example.com.\n$TTL 900\n@ 3600 IN SOA ns1 admin 1 2 3 4 5\n\
                @ IN NS ns1.example.net.\nwww IN A 192.0.2.1\n     IN A 192.0.2.2\n\
                txt 60 IN TXT \"part one\" \"part two\"\n\
                _sip._tcp IN SRV ( 0 5\n  5060 sip )\nnottl IN A 192.0.2.3\n";
    let zone = read_zone_file(text, &name("example.com")).unwrap();
    assert!(zone.get(&name("example.com"), RecordType::SOA).is_none());
    assert_eq!(
        zone.get(&name("example.com"), RecordType::NS)
            .unwrap()
            .ttl(),
        900
    );
    let www = zone.get(&name("www.example.com"), RecordType::A).unwrap();
    assert_eq!(www.values().len(), 2);
    let txt = zone.get(&name("txt.example.com"), RecordType::TXT).unwrap();
    assert_eq!(txt.values()[0].to_string(), "\"part one\" \"part two\"");
    let srv = zone
        .get(&name("_sip._tcp.example.com"), RecordType::SRV)
        .unwrap();
    assert_eq!(srv.values()[0].to_string(), "0 5 5060 sip.example.com.");
    let no_ttl = "nottl IN A 192.0.2.3\n";
    let zone = read_zone_file(no_ttl, &name("example.com")).unwrap();
    assert_eq!(
        zone.get(&name("nottl.example.com"), RecordType::A)
            .unwrap()
            .ttl(),
        300
    );
}

#[test]
fn bad_zone_files_are_refused_naming_the_line() {
    let apex = name("example.com");
    let text =
        "www IN A 192.0.2.1\nok IN TXT \"fine\"\nbad IN A not-an-address\nz IN A 192.0.2.3\n";
    let e = read_zone_file(text, &apex).unwrap_err().to_string();
    assert!(e.starts_with("line 3: "), "{e}");
    let e = read_zone_file("www.example.net. IN A 192.0.2.1\n", &apex)
        .unwrap_err()
        .to_string();
    assert!(e.contains("outside the zone"), "{e}");
}
