//! RFC 1035 zone files as desired state, read with hickory-proto's
//! maintained zone-file parser.

use dns_core::{Name, RecordSet, RecordType, hickory};
use hickory_proto::serialize::txt::Parser;

use crate::desired::DesiredZone;
use crate::error::{Result, SyncError};
use crate::file::DEFAULT_TTL;
use crate::owner::is_reserved;

/// Reads an RFC 1035 zone file as the desired state of the zone `apex`
/// (`$ORIGIN` defaults to it; records without a TTL and no `$TTL` get
/// [`DEFAULT_TTL`]). The SOA is ignored (the provider keeps
/// its own); the apex NS set is kept, so a difference there is a change
/// to the apex, refused unless forced. Owner markers (names under
/// `_dns-sync`, as a transfer of a synced zone holds them) are ignored:
/// they are the sync's bookkeeping, not desired data.
///
/// Errors name the line when the parser's error can be placed (hickory
/// does not report positions; the first prefix of the file failing the
/// same way gives it). The parser reads `\DDD` escapes as hickory does,
/// and splits a TXT string inside parentheses at its spaces (hickory
/// 0.26), so write a multi-string TXT record on one line.
///
/// ```
/// use dns_core::Name;
/// let text = "$TTL 600\n@ IN SOA ns1 admin 1 7200 3600 1209600 300\nwww IN A 192.0.2.1\n";
/// let zone = dns_sync::read_zone_file(text, &Name::parse("example.com")?)?;
/// let www = zone.get(&Name::parse("www.example.com")?, dns_core::RecordType::A).unwrap();
/// assert_eq!(www.ttl(), 600);
/// assert_eq!(zone.sets().len(), 1, "the SOA is ignored");
/// assert!(dns_sync::read_zone_file("ok IN A 192.0.2.1\nwww IN A 300.1.1.1\n", &Name::parse("example.com")?)
///     .unwrap_err().to_string().starts_with("line 2: "));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_zone_file(text: &str, apex: &Name) -> Result<DesiredZone> {
    let origin = hickory::name_to_hickory(apex);
    // hickory refuses a record without a TTL when the file sets no $TTL;
    // such records get the YAML format's default instead (a $TTL in the
    // file overrides it).
    let parse = |t: &str| {
        Parser::new(
            format!("$TTL {DEFAULT_TTL}\n{t}"),
            None,
            Some(origin.clone()),
        )
        .parse()
    };
    let (_, sets) = parse(text).map_err(|e| {
        let why = e.to_string();
        SyncError::Read(match failing_line(text, &why, parse) {
            Some(line) => format!("line {line}: {why}"),
            None => why,
        })
    })?;
    let mut zone = DesiredZone::new(apex.clone());
    for rrset in sets.values() {
        let rtype = hickory::record_type_from_hickory(rrset.record_type());
        let name = hickory::name_from_hickory(rrset.name())
            .map_err(|e| SyncError::Read(format!("{}: {e}", rrset.name())))?;
        if rtype == RecordType::SOA || is_reserved(&name, apex) {
            continue;
        }
        let values = rrset
            .records_without_rrsigs()
            .map(|r| hickory::rdata_from_hickory(&r.data))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| SyncError::Read(format!("{name} {rtype}: {e}")))?;
        let set = RecordSet::with_type(name.clone(), rtype, rrset.ttl(), values)
            .map_err(|e| SyncError::Read(format!("{name} {rtype}: {e}")))?;
        zone.add_set(set)?;
    }
    Ok(zone)
}

/// The first line whose prefix of the file fails with the same message as
/// the whole file (a record split over lines fails differently while its
/// parentheses are open, so it is not blamed early).
fn failing_line<E: ToString, T>(
    text: &str,
    why: &str,
    parse: impl Fn(&str) -> std::result::Result<T, E>,
) -> Option<usize> {
    let mut end = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        end += line.len();
        if parse(&text[..end]).is_err_and(|e| e.to_string() == why) {
            return Some(i + 1);
        }
    }
    None
}
