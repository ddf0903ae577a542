//! From a batch of [`Change`]s to RFC 2136 UPDATE messages, built with
//! hickory's `UpdateMessage` and record types (no wire format by hand).
//!
//! | change | UPDATE section (RFC 2136) |
//! |---|---|
//! | `Add(set)` | 2.5.1 add each RR (class IN, the set's TTL) |
//! | `Remove(set)` | 2.5.4 delete each RR (class NONE, TTL 0) |
//! | `Upsert(set)` | 2.5.2 delete the RRset (class ANY) then 2.5.1 add each RR |
//! | `Delete` | 2.5.2 delete the RRset (class ANY) |
//! | `Require(absent)` | 2.4.3 prerequisite "RRset does not exist" (class NONE) |
//! | `Require(exactly)` | 2.4.2 prerequisite "RRset exists, value dependent" (class IN, TTL 0) |
//!
//! Servers silently ignore an added CNAME beside other data, and other
//! data beside a CNAME (RFC 2136 3.4.2.2), which would make such a batch
//! "succeed" without its record. So every write also carries
//! prerequisites that make the server refuse it instead: a CNAME write
//! requires the name to hold none of the other modelled types, any other
//! write requires it to hold no CNAME (unless the batch deleted that set
//! before). Clashes inside the batch itself are refused before sending.

use std::collections::{BTreeSet, HashMap, HashSet};

use dns_core::hickory::{name_to_hickory, rdata_to_hickory, record_type_to_hickory};
use dns_core::{Change, Error, Expected, Name, RecordType};
use hickory_proto::op::{Message, MessageType, OpCode, Query, UpdateMessage};
use hickory_proto::rr::{DNSClass, RData as HRData, Record};
use hickory_proto::serialize::binary::BinEncodable;

/// The largest DNS message (a TCP length prefix is 16 bits).
pub(crate) const MAX_MESSAGE: usize = 65_535;
/// Room kept for the header, the zone section and the TSIG record (the
/// key name up to 255 octets, the algorithm name, a 64-octet MAC).
const RESERVE: usize = 1_024;

/// The types a CNAME write requires absent at its name.
const BESIDE_CNAME: [RecordType; 8] = [
    RecordType::A,
    RecordType::AAAA,
    RecordType::TXT,
    RecordType::SRV,
    RecordType::PTR,
    RecordType::MX,
    RecordType::CAA,
    RecordType::NS,
];

/// One UPDATE message and the indices of the changes it carries.
#[derive(Debug)]
pub(crate) struct Update {
    pub(crate) message: Message,
    pub(crate) indices: Vec<usize>,
    /// Whether it carries a `Change::Require` of the caller's (then a
    /// failed prerequisite is the caller's precondition, not a clash).
    pub(crate) guarded: bool,
}

/// A change as records: its prerequisites and its update RRs.
struct Piece {
    prerequisites: Vec<Record>,
    updates: Vec<Record>,
    /// Octets without name compression.
    size: usize,
}

fn empty(name: &Name, rtype: RecordType, class: DNSClass) -> Record {
    let mut record = Record::update0(name_to_hickory(name), 0, record_type_to_hickory(rtype))
        .into_record_of_rdata();
    record.dns_class = class;
    record
}

fn with_data(name: &Name, ttl: u32, data: HRData, class: DNSClass) -> Record {
    let mut record = Record::from_rdata(name_to_hickory(name), ttl, data);
    record.dns_class = class;
    record
}

fn records(
    name: &Name,
    ttl: u32,
    values: &[dns_core::RData],
    class: DNSClass,
) -> Result<Vec<Record>, Error> {
    values
        .iter()
        .map(|v| Ok(with_data(name, ttl, rdata_to_hickory(v)?, class)))
        .collect()
}

/// The octets a record takes without name compression: an upper bound.
/// (Compression saves little in large messages: hickory points only at
/// names within the first 16 KiB, so most of a full message is written
/// uncompressed anyway.)
fn encoded_len(record: &Record) -> usize {
    // Encoding fails only for data hickory cannot write, which then fails
    // the message build too; counting it as a full message splits it off.
    record.to_bytes().map_or(MAX_MESSAGE, |b| b.len())
}

/// Checks that need no zone data: CNAME clashes inside the batch itself.
pub(crate) fn check_batch(changes: &[Change]) -> Result<(), Error> {
    let mut written: HashMap<&Name, BTreeSet<RecordType>> = HashMap::new();
    for change in changes {
        match change {
            Change::Add(set) | Change::Upsert(set) => {
                let types = written.entry(set.name()).or_default();
                types.insert(set.record_type());
                if types.contains(&RecordType::CNAME) && types.len() > 1 {
                    return Err(Error::InvalidInput(format!(
                        "{change}: a CNAME at {} cannot share the name with other records \
                         written in the same batch",
                        set.name()
                    )));
                }
            }
            Change::Delete { name, rtype } => {
                if let Some(types) = written.get_mut(name) {
                    types.remove(rtype);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The records of every change, in order, with the CNAME guards.
fn pieces(changes: &[Change]) -> Result<Vec<Piece>, Error> {
    let mut deleted: HashSet<(&Name, RecordType)> = HashSet::new();
    let mut guarded: HashSet<(Name, RecordType)> = HashSet::new();
    let mut out = Vec::with_capacity(changes.len());
    for change in changes {
        let mut prerequisites = Vec::new();
        let mut updates = Vec::new();
        let mut guard = |name: &Name, rtype: RecordType, deleted: &HashSet<(&Name, RecordType)>| {
            if !deleted.contains(&(name, rtype)) && guarded.insert((name.clone(), rtype)) {
                prerequisites.push(empty(name, rtype, DNSClass::NONE));
            }
        };
        match change {
            Change::Add(set) | Change::Upsert(set) => {
                if set.record_type() == RecordType::CNAME {
                    for other in BESIDE_CNAME {
                        guard(set.name(), other, &deleted);
                    }
                } else {
                    guard(set.name(), RecordType::CNAME, &deleted);
                }
                if matches!(change, Change::Upsert(_)) {
                    updates.push(empty(set.name(), set.record_type(), DNSClass::ANY));
                }
                updates.extend(records(set.name(), set.ttl(), set.values(), DNSClass::IN)?);
            }
            Change::Remove(set) => {
                updates.extend(records(set.name(), 0, set.values(), DNSClass::NONE)?);
            }
            Change::Delete { name, rtype } => {
                updates.push(empty(name, *rtype, DNSClass::ANY));
                deleted.insert((name, *rtype));
            }
            Change::Require(p) => match &p.expected {
                Expected::Exactly(values) if !values.is_empty() => {
                    prerequisites.extend(records(&p.name, 0, values, DNSClass::IN)?);
                }
                _ => prerequisites.push(empty(&p.name, p.rtype, DNSClass::NONE)),
            },
            other => {
                return Err(Error::unsupported("rfc2136", format!("the change {other}")));
            }
        }
        let size = prerequisites.iter().chain(&updates).map(encoded_len).sum();
        out.push(Piece {
            prerequisites,
            updates,
            size,
        });
    }
    Ok(out)
}

fn new_message(zone: &Name) -> Message {
    let mut message = Message::new(0, MessageType::Query, OpCode::Update);
    let mut section = Query::new();
    section
        .set_name(name_to_hickory(zone))
        .set_query_class(DNSClass::IN)
        .set_query_type(hickory_proto::rr::RecordType::SOA);
    message.add_zone(section);
    message
}

/// The fewest UPDATE messages that carry `changes` in order, each within
/// the DNS message size limit. A change too large for any message, or a
/// batch with a `Require` that needs more than one, is refused.
pub(crate) fn plan(zone: &Name, changes: &[Change]) -> Result<Vec<Update>, Error> {
    let limit = MAX_MESSAGE - RESERVE - zone.wire_len();
    let updates = pack(zone, changes, pieces(changes)?, limit)?;
    // The sizes packed by are upper bounds; the real encoding confirms
    // it, so no oversize message is ever sent.
    for update in &updates {
        let octets = update.message.to_vec().map_err(|e| {
            Error::InvalidInput(format!("an UPDATE for {zone} cannot be encoded: {e}"))
        })?;
        if octets.len() > MAX_MESSAGE - RESERVE {
            return Err(Error::InvalidInput(format!(
                "an UPDATE for {zone} came to {} octets, over the limit of {}",
                octets.len(),
                MAX_MESSAGE - RESERVE
            )));
        }
    }
    if updates.len() > 1 && changes.iter().any(|c| matches!(c, Change::Require(_))) {
        return Err(Error::InvalidInput(format!(
            "a batch with preconditions must fit in one UPDATE message to stay atomic; \
             these {} changes need {} messages",
            changes.len(),
            updates.len()
        )));
    }
    Ok(updates)
}

/// Greedy packing, in order.
fn pack(
    zone: &Name,
    changes: &[Change],
    pieces: Vec<Piece>,
    limit: usize,
) -> Result<Vec<Update>, Error> {
    let mut updates: Vec<Update> = Vec::new();
    let mut used = 0;
    for (index, (piece, change)) in pieces.into_iter().zip(changes).enumerate() {
        let size = piece.size;
        if size > limit {
            return Err(Error::InvalidInput(format!(
                "{change}: about {size} octets do not fit in one DNS message ({limit} available)"
            )));
        }
        let current = match updates.last_mut() {
            Some(current) if used + size <= limit => current,
            _ => {
                used = 0;
                updates.push(Update {
                    message: new_message(zone),
                    indices: Vec::new(),
                    guarded: false,
                });
                let last = updates.len() - 1;
                &mut updates[last]
            }
        };
        used += size;
        current.message.add_pre_requisites(piece.prerequisites);
        current.message.add_updates(piece.updates);
        current.indices.push(index);
        current.guarded |= matches!(change, Change::Require(_));
    }
    Ok(updates)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use dns_core::{Precondition, RData, RecordSet};

    use super::*;

    fn name(s: &str) -> Name {
        Name::parse(s).unwrap()
    }

    fn a_set(owner: &str, last: u8) -> RecordSet {
        RecordSet::new(name(owner), 60, [RData::A([192, 0, 2, last].into())]).unwrap()
    }

    #[test]
    fn one_message_holds_every_kind_of_change_in_its_sections() {
        let zone = name("example.com");
        let changes = [
            Change::Require(Precondition::exactly(&a_set("w.example.com", 1))),
            Change::Require(Precondition::absent(name("n.example.com"), RecordType::TXT)),
            Change::Add(a_set("a.example.com", 2)),
            Change::Remove(a_set("r.example.com", 3)),
            Change::Upsert(a_set("u.example.com", 4)),
            Change::Delete {
                name: name("d.example.com"),
                rtype: RecordType::SRV,
            },
        ];
        let plan = plan(&zone, &changes).unwrap();
        assert_eq!(plan.len(), 1);
        let m = &plan[0].message;
        assert_eq!(m.metadata.op_code, OpCode::Update);
        assert!(plan[0].guarded);
        // Two caller prerequisites, and the CNAME guards of Add and Upsert.
        let pre: Vec<(String, DNSClass, u32)> = m
            .prerequisites()
            .iter()
            .map(|r| (r.name.to_string(), r.dns_class, r.ttl))
            .collect();
        assert_eq!(pre[0], ("w.example.com.".into(), DNSClass::IN, 0));
        assert_eq!(pre[1], ("n.example.com.".into(), DNSClass::NONE, 0));
        assert_eq!(pre.len(), 4);
        let classes: Vec<DNSClass> = m.updates().iter().map(|r| r.dns_class).collect();
        assert_eq!(
            classes,
            [
                DNSClass::IN,
                DNSClass::NONE,
                DNSClass::ANY,
                DNSClass::IN,
                DNSClass::ANY
            ]
        );
        assert_eq!(m.updates()[0].ttl, 60);
        assert_eq!(plan[0].indices, [0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn large_batches_split_in_order_within_the_size_limit() {
        let zone = name("example.com");
        let changes: Vec<Change> = (0..5_000)
            .map(|i| Change::Add(a_set(&format!("host-{i:05}.example.com"), 1)))
            .collect();
        let plan = plan(&zone, &changes).unwrap();
        assert!(plan.len() > 1, "5,000 adds need more than one message");
        let mut seen: Vec<usize> = Vec::new();
        for update in &plan {
            assert!(update.message.to_vec().unwrap().len() <= MAX_MESSAGE - RESERVE);
            seen.extend(&update.indices);
        }
        assert_eq!(seen, (0..5_000).collect::<Vec<_>>());
    }

    /// "Exactly no values" is the set's absence: an "RRset does not exist"
    /// prerequisite, never no prerequisite at all.
    #[test]
    fn requiring_exactly_nothing_is_requiring_absence() {
        let zone = name("example.com");
        let nothing = Precondition {
            name: name("x.example.com"),
            rtype: RecordType::A,
            expected: Expected::Exactly(Vec::new()),
        };
        let plan = plan(&zone, &[Change::Require(nothing)]).unwrap();
        let pre: Vec<(String, DNSClass)> = plan[0]
            .message
            .prerequisites()
            .iter()
            .map(|r| (r.name.to_string(), r.dns_class))
            .collect();
        assert_eq!(pre, [("x.example.com.".to_owned(), DNSClass::NONE)]);
    }

    /// A change exactly as large as the room left fits; one octet less
    /// room and it is refused, naming the sizes.
    #[test]
    fn a_change_exactly_at_the_limit_fits() {
        let zone = name("example.com");
        let changes = [Change::Add(a_set("a.example.com", 1))];
        let size = pieces(&changes).unwrap()[0].size;
        let packed = pack(&zone, &changes, pieces(&changes).unwrap(), size).unwrap();
        assert_eq!(packed.len(), 1);
        let err = pack(&zone, &changes, pieces(&changes).unwrap(), size - 1).unwrap_err();
        assert!(err.to_string().contains("do not fit"), "{err}");
    }

    /// `plan` packs within the message limit less the zone name: a change
    /// of exactly that size goes, the next size up is refused.
    #[test]
    fn plan_leaves_room_for_the_zone_name() {
        let zone = name("example.com");
        let limit = MAX_MESSAGE - RESERVE - zone.wire_len();
        let txt = |len: usize| {
            let value = dns_core::Txt::from_text(vec![b'v'; len]);
            [Change::Add(
                RecordSet::new(name("t.example.com"), 60, [RData::TXT(value)]).unwrap(),
            )]
        };
        let size = |len: usize| pieces(&txt(len)).unwrap()[0].size;
        let fits = (0..MAX_MESSAGE)
            .rev()
            .find(|&len| size(len) <= limit)
            .unwrap();
        assert_eq!(size(fits), limit, "a length lands exactly on the limit");
        assert_eq!(plan(&zone, &txt(fits)).unwrap().len(), 1);
        // Not `unwrap_err`: its panic would print the whole 64 KB message.
        match plan(&zone, &txt(fits + 1)) {
            Ok(updates) => panic!("accepted, in {} message(s)", updates.len()),
            Err(err) => assert!(err.to_string().contains("do not fit"), "{err}"),
        }
    }

    /// Under a zone with a long name, large changes still pack and every
    /// message stays within the limit.
    #[test]
    fn a_long_zone_name_leaves_room_for_large_changes() {
        let long = format!("{0}.{0}.{0}.example", "z".repeat(60));
        let zone = name(&long);
        let value = "v".repeat(250);
        let changes: Vec<Change> = (0..600)
            .map(|i| {
                let owner = name(&format!("{}-{i}.{long}", "n".repeat(50)));
                let txt = dns_core::Txt::new([value.as_str()]).unwrap();
                Change::Add(RecordSet::new(owner, 60, [RData::TXT(txt)]).unwrap())
            })
            .collect();
        let plan = plan(&zone, &changes).unwrap();
        assert!(plan.len() > 1, "{} messages", plan.len());
        let mut total = 0;
        for update in &plan {
            let len = update.message.to_vec().unwrap().len();
            assert!(len <= MAX_MESSAGE - RESERVE);
            total += len;
        }
        // Packed, not one change per message: the sizes packed by are upper
        // bounds (names uncompressed), so allow twice the fewest.
        let fewest = total.div_ceil(MAX_MESSAGE - RESERVE);
        assert!(
            plan.len() <= 2 * fewest,
            "{} messages for {total} octets",
            plan.len()
        );
    }

    #[test]
    fn require_in_a_split_batch_is_refused() {
        let zone = name("example.com");
        let mut changes = vec![Change::Require(Precondition::absent(
            name("x.example.com"),
            RecordType::A,
        ))];
        changes.extend((0..5_000).map(|i| Change::Add(a_set(&format!("h{i}.example.com"), 1))));
        assert!(matches!(plan(&zone, &changes), Err(Error::InvalidInput(_))));
    }

    #[test]
    fn cname_clashes_inside_a_batch_are_refused_and_a_delete_clears_them() {
        let cname = RecordSet::new(
            name("c.example.com"),
            60,
            [RData::CNAME(name("t.example.com"))],
        )
        .unwrap();
        let clash = [
            Change::Add(a_set("c.example.com", 1)),
            Change::Upsert(cname.clone()),
        ];
        assert!(matches!(check_batch(&clash), Err(Error::InvalidInput(_))));
        let converted = [
            Change::Add(a_set("c.example.com", 1)),
            Change::Delete {
                name: name("c.example.com"),
                rtype: RecordType::A,
            },
            Change::Upsert(cname),
        ];
        check_batch(&converted).unwrap();
        // After the delete, the CNAME write does not require A absent.
        let plan = plan(&name("example.com"), &converted).unwrap();
        let guarded: Vec<RecordType> = plan[0]
            .message
            .prerequisites()
            .iter()
            .map(|r| dns_core::hickory::record_type_from_hickory(r.record_type()))
            .collect();
        assert!(!guarded[1..].contains(&RecordType::A), "{guarded:?}");
        assert!(guarded.contains(&RecordType::TXT));
    }
}
