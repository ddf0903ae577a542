//! RFC 2136 UPDATE: the zone, prerequisite and update sections of a
//! request turned into one atomic batch of [`Change`]s on the provider.

use std::collections::BTreeMap;

use dns_core::hickory::{name_from_hickory, rdata_from_hickory, record_type_from_hickory};
use dns_core::{
    Change, DnsProvider, Error, InMemoryProvider, Name, Precondition, RData, RecordSet, RecordType,
    Zone,
};
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{self as h, DNSClass, Record, RecordData as _};
use tracing::{debug, warn};

/// The query type meaning "every type" in prerequisites and deletions.
const ANY: h::RecordType = h::RecordType::ANY;

/// One prerequisite (RFC 2136 section 2.4).
#[derive(Debug)]
enum Prerequisite {
    /// 2.4.4: the name has at least one set.
    NameInUse(Name),
    /// 2.4.5: the name has no set.
    NameNotInUse(Name),
    /// 2.4.1: the set exists, whatever its values.
    SetExists(Name, RecordType),
    /// 2.4.3: the set does not exist.
    SetAbsent(Name, RecordType),
    /// 2.4.2: the set holds exactly these values.
    SetExactly(Name, RecordType, Vec<RData>),
}

/// One operation of the update section (RFC 2136 section 2.5).
#[derive(Debug)]
enum Operation {
    /// 2.5.1: add to a set.
    Add(Name, RecordType, u32, RData),
    /// 2.5.2: delete a set.
    DeleteSet(Name, RecordType),
    /// 2.5.3: delete every set of a name.
    DeleteName(Name),
    /// 2.5.4: delete one value from a set.
    DeleteValue(Name, RecordType, RData),
}

/// Applies the update in `request` to `zone`, all or nothing, and returns
/// the response code. The caller serialises updates, so the prerequisites
/// checked here on a snapshot still hold when the batch is applied; those
/// the provider can guard itself ([`Precondition`]) go into the batch too,
/// so a write that bypasses the server cannot slip in between.
pub(crate) async fn apply(
    provider: &InMemoryProvider,
    zone: &Zone,
    prerequisites: &[Record],
    updates: &[Record],
) -> ResponseCode {
    let parsed = parse_prerequisites(&zone.name, prerequisites)
        .and_then(|p| parse_updates(&zone.name, updates).map(|u| (p, u)));
    let (prerequisites, operations) = match parsed {
        Ok(parsed) => parsed,
        Err(rcode) => return rcode,
    };
    let snapshot = match provider.list_record_sets(zone).await {
        Ok(sets) => sets,
        Err(error) => {
            warn!(%error, zone = %zone.name, "reading the zone for an update failed");
            return ResponseCode::ServFail;
        }
    };
    if let Err(rcode) = check(&prerequisites, &snapshot) {
        debug!(zone = %zone.name, %rcode, "update prerequisite not met");
        return rcode;
    }
    let mut changes: Vec<Change> = prerequisites.iter().filter_map(guard).collect();
    changes.extend(translate(&zone.name, operations, &snapshot));
    if changes.iter().all(|c| matches!(c, Change::Require(_))) {
        return ResponseCode::NoError;
    }
    match provider.apply(zone, &changes).await {
        Ok(_) => {
            debug!(zone = %zone.name, changes = changes.len(), "update applied");
            ResponseCode::NoError
        }
        Err(Error::PreconditionFailed { .. }) => ResponseCode::NXRRSet,
        Err(error @ (Error::InvalidInput(_) | Error::Unsupported { .. })) => {
            warn!(%error, zone = %zone.name, "update refused");
            ResponseCode::Refused
        }
        Err(error) => {
            warn!(%error, zone = %zone.name, "update failed");
            ResponseCode::ServFail
        }
    }
}

fn owner(zone: &Name, record: &Record) -> Result<Name, ResponseCode> {
    let name = name_from_hickory(&record.name).map_err(|_| ResponseCode::FormErr)?;
    if name.is_subdomain_of(zone) {
        Ok(name)
    } else {
        Err(ResponseCode::NotZone)
    }
}

fn value(record: &Record) -> Result<RData, ResponseCode> {
    rdata_from_hickory(&record.data).map_err(|_| ResponseCode::FormErr)
}

/// Section 3.2: classes ANY and NONE carry no data and TTL 0; the zone's
/// class carries values.
fn parse_prerequisites(zone: &Name, records: &[Record]) -> Result<Vec<Prerequisite>, ResponseCode> {
    let mut exact: BTreeMap<(Name, RecordType), Vec<RData>> = BTreeMap::new();
    let mut out = Vec::new();
    for record in records {
        let name = owner(zone, record)?;
        let rtype = record.record_type();
        let empty = record.data.is_update();
        match record.dns_class {
            DNSClass::ANY | DNSClass::NONE if record.ttl != 0 || !empty => {
                return Err(ResponseCode::FormErr);
            }
            DNSClass::ANY if rtype == ANY => out.push(Prerequisite::NameInUse(name)),
            DNSClass::ANY => out.push(Prerequisite::SetExists(
                name,
                record_type_from_hickory(rtype),
            )),
            DNSClass::NONE if rtype == ANY => out.push(Prerequisite::NameNotInUse(name)),
            DNSClass::NONE => out.push(Prerequisite::SetAbsent(
                name,
                record_type_from_hickory(rtype),
            )),
            DNSClass::IN if record.ttl == 0 && !empty => {
                exact
                    .entry((name, record_type_from_hickory(rtype)))
                    .or_default()
                    .push(value(record)?);
            }
            _ => return Err(ResponseCode::FormErr),
        }
    }
    out.extend(
        exact
            .into_iter()
            .map(|((name, rtype), values)| Prerequisite::SetExactly(name, rtype, values)),
    );
    Ok(out)
}

/// Section 3.4.1, the prescan: every record's class and data checked
/// before anything is applied.
fn parse_updates(zone: &Name, records: &[Record]) -> Result<Vec<Operation>, ResponseCode> {
    records
        .iter()
        .map(|record| {
            let name = owner(zone, record)?;
            let rtype = record.record_type();
            let empty = record.data.is_update();
            match record.dns_class {
                DNSClass::IN if !empty && !is_meta(rtype) => Ok(Operation::Add(
                    name,
                    record_type_from_hickory(rtype),
                    record.ttl,
                    value(record)?,
                )),
                DNSClass::ANY if record.ttl == 0 && empty && rtype == ANY => {
                    Ok(Operation::DeleteName(name))
                }
                DNSClass::ANY if record.ttl == 0 && empty && !is_meta(rtype) => {
                    Ok(Operation::DeleteSet(name, record_type_from_hickory(rtype)))
                }
                DNSClass::NONE if record.ttl == 0 && !empty && !is_meta(rtype) => Ok(
                    Operation::DeleteValue(name, record_type_from_hickory(rtype), value(record)?),
                ),
                _ => Err(ResponseCode::FormErr),
            }
        })
        .collect()
}

fn is_meta(rtype: h::RecordType) -> bool {
    matches!(
        rtype,
        h::RecordType::ANY | h::RecordType::AXFR | h::RecordType::IXFR | h::RecordType::OPT
    ) || u16::from(rtype) == 250
}

fn find<'a>(snapshot: &'a [RecordSet], name: &Name, rtype: RecordType) -> Option<&'a RecordSet> {
    snapshot
        .iter()
        .find(|s| s.name() == name && s.record_type() == rtype)
}

/// Section 3.2.5: the first prerequisite that fails decides the code.
fn check(prerequisites: &[Prerequisite], snapshot: &[RecordSet]) -> Result<(), ResponseCode> {
    let in_use = |name: &Name| snapshot.iter().any(|s| s.name() == name);
    for p in prerequisites {
        let ok = match p {
            Prerequisite::NameInUse(n) => in_use(n),
            Prerequisite::NameNotInUse(n) => !in_use(n),
            Prerequisite::SetExists(n, t) => find(snapshot, n, *t).is_some(),
            Prerequisite::SetAbsent(n, t) => find(snapshot, n, *t).is_none(),
            Prerequisite::SetExactly(n, t, values) => {
                find(snapshot, n, *t).is_some_and(|s| s.same_values(values))
            }
        };
        if !ok {
            return Err(match p {
                Prerequisite::NameInUse(_) => ResponseCode::NXDomain,
                Prerequisite::NameNotInUse(_) => ResponseCode::YXDomain,
                Prerequisite::SetExists(..) | Prerequisite::SetExactly(..) => ResponseCode::NXRRSet,
                Prerequisite::SetAbsent(..) => ResponseCode::YXRRSet,
            });
        }
    }
    Ok(())
}

/// The prerequisites the provider can check atomically with the batch.
fn guard(p: &Prerequisite) -> Option<Change> {
    match p {
        Prerequisite::SetAbsent(n, t) => Some(Change::Require(Precondition::absent(n.clone(), *t))),
        Prerequisite::SetExactly(n, t, values) => {
            RecordSet::with_type(n.clone(), *t, 0, values.clone())
                .ok()
                .map(|set| Change::Require(Precondition::exactly(&set)))
        }
        _ => None,
    }
}

/// Section 3.4.2 as changes. The apex SOA and NS sets are left alone
/// (section 3.4.2.3-4: the SOA is never deleted, nor the last NS; this
/// server keeps both, as the zone's own), and so is an SOA added at the
/// apex (serials are the server's).
fn translate(zone: &Name, operations: Vec<Operation>, snapshot: &[RecordSet]) -> Vec<Change> {
    let apex_own = |name: &Name, rtype: RecordType| {
        name == zone && matches!(rtype, RecordType::SOA | RecordType::NS)
    };
    let mut out = Vec::new();
    for op in operations {
        match op {
            Operation::Add(name, rtype, _, _)
                if apex_own(&name, rtype) && rtype == RecordType::SOA => {}
            Operation::Add(name, rtype, ttl, value) => {
                if let Ok(set) = RecordSet::with_type(name, rtype, ttl, vec![value]) {
                    out.push(Change::Add(set));
                }
            }
            Operation::DeleteSet(name, rtype) if apex_own(&name, rtype) => {}
            Operation::DeleteSet(name, rtype) => out.push(Change::Delete { name, rtype }),
            Operation::DeleteName(name) => {
                for set in snapshot.iter().filter(|s| s.name() == &name) {
                    if !apex_own(&name, set.record_type()) {
                        out.push(Change::Delete {
                            name: name.clone(),
                            rtype: set.record_type(),
                        });
                    }
                }
            }
            Operation::DeleteValue(name, rtype, _) if apex_own(&name, rtype) => {}
            Operation::DeleteValue(name, rtype, value) => {
                if let Ok(set) = RecordSet::with_type(name, rtype, 0, vec![value]) {
                    out.push(Change::Remove(set));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn n(s: &str) -> Name {
        Name::parse(s).unwrap()
    }

    fn a(name: &str, ip: &str) -> RecordSet {
        RecordSet::new(n(name), 60, [RData::A(ip.parse().unwrap())]).unwrap()
    }

    #[test]
    fn the_first_failing_prerequisite_decides_the_code() {
        let zone = [a("www.example.com", "192.0.2.1")];
        let www = n("www.example.com");
        let other = n("other.example.com");
        let code = |p: Prerequisite| check(&[p], &zone).err();
        assert_eq!(code(Prerequisite::NameInUse(www.clone())), None);
        assert_eq!(
            code(Prerequisite::NameInUse(other.clone())),
            Some(ResponseCode::NXDomain)
        );
        assert_eq!(
            code(Prerequisite::NameNotInUse(www.clone())),
            Some(ResponseCode::YXDomain)
        );
        assert_eq!(
            code(Prerequisite::SetAbsent(www.clone(), RecordType::A)),
            Some(ResponseCode::YXRRSet)
        );
        assert_eq!(
            code(Prerequisite::SetExists(other, RecordType::A)),
            Some(ResponseCode::NXRRSet)
        );
        let exactly = |ip: &str| {
            Prerequisite::SetExactly(
                www.clone(),
                RecordType::A,
                vec![RData::A(ip.parse().unwrap())],
            )
        };
        assert_eq!(code(exactly("192.0.2.1")), None);
        assert_eq!(code(exactly("192.0.2.2")), Some(ResponseCode::NXRRSet));
    }

    #[test]
    fn the_apex_soa_and_ns_stay() {
        let zone = n("example.com");
        let snapshot = [
            RecordSet::new(zone.clone(), 60, [RData::NS(n("ns.example.com"))]).unwrap(),
            a("example.com", "192.0.2.9"),
        ];
        let changes = translate(
            &zone,
            vec![
                Operation::DeleteName(zone.clone()),
                Operation::DeleteSet(zone.clone(), RecordType::NS),
            ],
            &snapshot,
        );
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].to_string(), "DELETE example.com. A");
    }
}
