//! Exporters: a zone's current record sets in the sync file format (YAML)
//! or as an RFC 1035 zone file, so a user can start from what they have.

use std::fmt::Write as _;

use dns_core::{Name, RecordSet, RecordType};
use serde::Serialize;

use crate::error::{Result, SyncError};
use crate::owner::is_reserved;

#[derive(Serialize)]
struct File {
    zones: [ZoneOut; 1],
}

#[derive(Serialize)]
struct ZoneOut {
    zone: String,
    records: Vec<RecordOut>,
}

#[derive(Serialize)]
struct RecordOut {
    name: String,
    #[serde(rename = "type")]
    rtype: String,
    ttl: u32,
    values: Vec<String>,
}

/// The sets a desired-state file can hold: inside the zone, not SOA (the
/// provider's), not owner markers (the sync's own bookkeeping).
fn exportable<'a>(apex: &'a Name, sets: &'a [RecordSet]) -> impl Iterator<Item = &'a RecordSet> {
    sets.iter().filter(move |s| {
        s.name().is_subdomain_of(apex)
            && s.record_type() != RecordType::SOA
            && !is_reserved(s.name(), apex)
    })
}

/// `sets` (a zone's listing) as a desired-state file for
/// [`read_desired`](crate::read_desired): names relative to `apex`, SOA
/// and owner markers left out. Reading it back gives the same sets, so a
/// sync of an export plans nothing.
///
/// ```
/// use dns_core::{Name, RData, RecordSet};
/// let apex = Name::parse("example.com")?;
/// let www = RecordSet::new(Name::parse("www.example.com")?, 300, [RData::A("192.0.2.1".parse()?)])?;
/// let yaml = dns_sync::export_yaml(&apex, &[www.clone()])?;
/// let back = dns_sync::read_desired(&yaml)?;
/// assert_eq!(back.zones()[0].sets().next(), Some(&www));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn export_yaml(apex: &Name, sets: &[RecordSet]) -> Result<String> {
    let records = exportable(apex, sets)
        .map(|s| RecordOut {
            // Inside the zone (filtered above), so never the fallback.
            name: s
                .name()
                .relative_to(apex)
                .unwrap_or_else(|| s.name().to_string()),
            rtype: s.record_type().to_string(),
            ttl: s.ttl(),
            values: s.values().iter().map(ToString::to_string).collect(),
        })
        .collect();
    let file = File {
        zones: [ZoneOut {
            zone: apex.to_string(),
            records,
        }],
    };
    serde_yaml_ng::to_string(&file).map_err(|e| SyncError::Read(format!("writing YAML: {e}")))
}

/// `sets` as an RFC 1035 zone file: `$ORIGIN`, then one line per record
/// with absolute names (owner markers left out; the SOA kept, which the
/// zone-file reader ignores).
///
/// ```
/// use dns_core::{Name, RData, RecordSet};
/// let apex = Name::parse("example.com")?;
/// let www = RecordSet::new(Name::parse("www.example.com")?, 300, [RData::A("192.0.2.1".parse()?)])?;
/// let text = dns_sync::export_zone(&apex, &[www]);
/// assert!(text.contains("www.example.com. 300 IN A 192.0.2.1\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn export_zone(apex: &Name, sets: &[RecordSet]) -> String {
    let mut out = format!("$ORIGIN {apex}\n");
    let soa_first = sets
        .iter()
        .filter(|s| s.record_type() == RecordType::SOA && s.name() == apex);
    let rest = exportable(apex, sets);
    for set in soa_first.chain(rest) {
        for value in set.values() {
            let _ = writeln!(
                out,
                "{} {} IN {} {value}",
                set.name(),
                set.ttl(),
                set.record_type()
            );
        }
    }
    out
}
