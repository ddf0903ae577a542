//! Turning portable [`Change`]s into Route 53 change batches: fold each
//! (name, type)'s changes over what was read, emit CREATE / DELETE /
//! UPSERT, and split into the fewest requests the limits allow.

use std::collections::HashMap;

use dns_core::{Change, Error, Name, RData, RecordSet, RecordType};

use crate::encode;

/// Route 53's per-request limits on a change batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// `ResourceRecord` elements per request (UPSERT counts twice).
    pub(crate) records: usize,
    /// Characters across all `Value` elements (UPSERT counts twice).
    pub(crate) chars: usize,
}

impl Limits {
    /// The documented quotas.
    pub(crate) const ROUTE53: Self = Self {
        records: 1_000,
        chars: 32_000,
    };
}

/// (name, type): the unit a change batch addresses (without a set
/// identifier: portable changes only ever touch the simple set).
pub(crate) type Key = (Name, RecordType);

/// What a read found at one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Current {
    /// No set at all.
    Absent,
    /// The simple set (no routing policy, not an alias).
    Simple(RecordSet),
    /// Alias or routing-policy sets, described for messages. Portable
    /// changes never modify them.
    Foreign(String),
}

/// A Route 53 change action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Create,
    Delete,
    Upsert,
}

impl Action {
    /// How many times each record and character counts against the limits.
    fn weight(self) -> usize {
        match self {
            Self::Upsert => 2,
            Self::Create | Self::Delete => 1,
        }
    }
}

/// One Route 53 `Change` of a simple set, values already encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NativeChange {
    pub(crate) action: Action,
    pub(crate) set: RecordSet,
    /// The encoded owner name.
    pub(crate) name: String,
    /// The encoded values, in the set's order.
    pub(crate) values: Vec<String>,
}

impl NativeChange {
    fn new(action: Action, set: RecordSet) -> Self {
        Self {
            action,
            name: encode::owner_name(set.name()),
            values: set.values().iter().map(encode::value).collect(),
            set,
        }
    }

    /// `ResourceRecord` elements this change counts for.
    pub(crate) fn records(&self) -> usize {
        self.values.len() * self.action.weight()
    }

    /// Value characters this change counts for.
    pub(crate) fn chars(&self) -> usize {
        self.values.iter().map(String::len).sum::<usize>() * self.action.weight()
    }
}

/// The native changes for one key; they must travel in one request (a
/// DELETE and CREATE pair is an atomic swap only inside one batch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Group {
    pub(crate) key: Key,
    pub(crate) changes: Vec<NativeChange>,
}

impl Group {
    fn records(&self) -> usize {
        self.changes.iter().map(NativeChange::records).sum()
    }

    fn chars(&self) -> usize {
        self.changes.iter().map(NativeChange::chars).sum()
    }
}

/// The distinct keys of `changes`, in order of first appearance.
pub(crate) fn keys(changes: &[Change]) -> Vec<Key> {
    let mut keys: Vec<Key> = Vec::new();
    for c in changes {
        let key = (c.name().clone(), c.record_type());
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

/// Folds the changes for `key` over `current`, giving the set that should
/// exist afterwards and whether a concurrent writer's values matter (an
/// `Add` or `Remove` is involved, so the write must be a guarded swap).
fn fold(
    key: &Key,
    current: Option<&RecordSet>,
    changes: &[Change],
) -> Result<(Option<RecordSet>, bool), Error> {
    let mut state = current.cloned();
    let mut guarded = false;
    for change in changes
        .iter()
        .filter(|c| c.name() == &key.0 && c.record_type() == key.1)
    {
        state = match change {
            Change::Upsert(set) => Some(set.clone()),
            Change::Delete { .. } => None,
            Change::Add(set) => {
                guarded = true;
                Some(match &state {
                    Some(s) => s.union(set.values(), set.ttl()),
                    None => set.clone(),
                })
            }
            Change::Remove(set) => {
                guarded = true;
                state.as_ref().and_then(|s| s.difference(set.values()))
            }
            // Refused by `validate`: Route 53 offers no atomic read guard.
            Change::Require(_) => state,
            other => {
                return Err(Error::unsupported(
                    "route53",
                    format!("the change {} (unknown to this backend)", other.verb()),
                ));
            }
        };
    }
    Ok((state, guarded))
}

fn same(a: &RecordSet, b: &RecordSet) -> bool {
    a.ttl() == b.ttl() && a.same_values(b.values())
}

/// The native changes that take `key` from `current` to what `changes`
/// ask for; empty when nothing needs to change.
pub(crate) fn plan_key(key: &Key, current: &Current, changes: &[Change]) -> Result<Group, Error> {
    let simple = match current {
        Current::Simple(set) => Some(set),
        Current::Absent => None,
        Current::Foreign(what) => {
            let writes = changes.iter().any(|c| {
                c.name() == &key.0
                    && c.record_type() == key.1
                    && matches!(c, Change::Upsert(_) | Change::Add(_))
            });
            if writes {
                return Err(Error::unsupported(
                    "route53",
                    format!(
                        "writing {} {}: it holds {what}, which portable changes never modify",
                        key.0, key.1
                    ),
                ));
            }
            // Deleting or removing from a simple set that is not there.
            None
        }
    };
    let (target, guarded) = fold(key, simple, changes)?;
    let changes = match (simple, target) {
        (None, None) => vec![],
        (None, Some(new)) => vec![NativeChange::new(Action::Create, new)],
        (Some(old), None) => vec![NativeChange::new(Action::Delete, old.clone())],
        (Some(old), Some(new)) if same(old, &new) => vec![],
        // DELETE of the exact values read fails if anyone changed them
        // since: the compare in compare-and-swap.
        (Some(old), Some(new)) if guarded => vec![
            NativeChange::new(Action::Delete, old.clone()),
            NativeChange::new(Action::Create, new),
        ],
        (Some(_), Some(new)) => vec![NativeChange::new(Action::Upsert, new)],
    };
    Ok(Group {
        key: key.clone(),
        changes,
    })
}

/// Plans every key; keys with nothing to do are left out.
pub(crate) fn plan(
    keys: &[Key],
    current: &HashMap<Key, Current>,
    changes: &[Change],
) -> Result<Vec<Group>, Error> {
    let mut groups = Vec::new();
    for key in keys {
        let now = current.get(key).unwrap_or(&Current::Absent);
        let group = plan_key(key, now, changes)?;
        if !group.changes.is_empty() {
            groups.push(group);
        }
    }
    Ok(groups)
}

/// Packs groups, in order, into requests within `limits`: each request
/// takes groups until the next would not fit. Groups never split. For
/// groups of equal size this is the fewest requests possible; in general
/// it is at most one more than the fewest.
pub(crate) fn split(groups: Vec<Group>, limits: Limits) -> Result<Vec<Vec<Group>>, Error> {
    let mut batches: Vec<Vec<Group>> = Vec::new();
    let (mut records, mut chars) = (0, 0);
    for group in groups {
        let (r, c) = (group.records(), group.chars());
        if r > limits.records || c > limits.chars {
            return Err(Error::InvalidInput(format!(
                "{} {}: one change of {r} records and {c} value characters exceeds Route 53's \
                 per-request limit of {} records and {} characters",
                group.key.0, group.key.1, limits.records, limits.chars
            )));
        }
        match batches.last_mut() {
            Some(batch) if records + r <= limits.records && chars + c <= limits.chars => {
                batch.push(group);
                records += r;
                chars += c;
            }
            _ => {
                batches.push(vec![group]);
                records = r;
                chars = c;
            }
        }
    }
    Ok(batches)
}

/// The native changes of one request, DELETEs first so that a swap or a
/// type change (A to CNAME) validates in order.
pub(crate) fn ordered(batch: &[Group]) -> Vec<&NativeChange> {
    let mut out: Vec<&NativeChange> = batch.iter().flat_map(|g| &g.changes).collect();
    out.sort_by_key(|c| match c.action {
        Action::Delete => 0,
        Action::Upsert => 1,
        Action::Create => 2,
    });
    out
}

/// Checks what Route 53 would refuse about a value, before any request.
pub(crate) fn check_values(changes: &[Change]) -> Result<(), Error> {
    for change in changes {
        for v in change.values() {
            let text = encode::value(v);
            if text.len() > 4_000 {
                return Err(Error::InvalidInput(format!(
                    "{change}: a value of {} characters is longer than Route 53's 4,000",
                    text.len()
                )));
            }
            if let RData::SRV(srv) = v
                && !srv.target.is_root()
                && !is_host_name(&srv.target)
            {
                return Err(Error::InvalidInput(format!(
                    "{change}: the SRV target {:#} is not a host name",
                    srv.target
                )));
            }
        }
        if let Change::Upsert(set) | Change::Add(set) = change
            && set.len() > 400
        {
            return Err(Error::InvalidInput(format!(
                "{} {}: {} values exceed Route 53's 400 per record set",
                set.name(),
                set.record_type(),
                set.len()
            )));
        }
    }
    Ok(())
}

/// Letters, digits and hyphens in every label, and a last label that is
/// not all digits (so an IP address is not taken for a host).
fn is_host_name(name: &Name) -> bool {
    let ldh = name.labels().iter().all(|l| {
        l.as_bytes()
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
    });
    let numeric_tld = name
        .labels()
        .last()
        .is_some_and(|l| l.as_bytes().iter().all(u8::is_ascii_digit));
    ldh && !numeric_tld
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    fn name(s: &str) -> Name {
        Name::parse(s).expect("name")
    }

    fn a(i: u32) -> RData {
        RData::A(Ipv4Addr::from(0x0a00_0000 + i))
    }

    fn set(owner: &str, values: impl IntoIterator<Item = RData>) -> RecordSet {
        RecordSet::new(name(owner), 300, values).expect("set")
    }

    fn key(owner: &str) -> Key {
        (name(owner), RecordType::A)
    }

    fn actions(g: &Group) -> Vec<Action> {
        g.changes.iter().map(|c| c.action).collect()
    }

    #[test]
    fn add_to_absent_creates_and_to_present_swaps() {
        let k = key("www.example.com");
        let add = [Change::Add(set("www.example.com", [a(2)]))];
        let g = plan_key(&k, &Current::Absent, &add).expect("plan");
        assert_eq!(actions(&g), [Action::Create]);
        let current = Current::Simple(set("www.example.com", [a(1)]));
        let g = plan_key(&k, &current, &add).expect("plan");
        assert_eq!(actions(&g), [Action::Delete, Action::Create]);
        assert_eq!(g.changes[0].values, ["10.0.0.1"]);
        assert_eq!(g.changes[1].values, ["10.0.0.1", "10.0.0.2"]);
        // Already present: nothing to send.
        let present = Current::Simple(set("www.example.com", [a(1), a(2)]));
        assert!(
            plan_key(&k, &present, &add)
                .expect("plan")
                .changes
                .is_empty()
        );
    }

    #[test]
    fn remove_and_delete() {
        let k = key("www.example.com");
        let current = Current::Simple(set("www.example.com", [a(1), a(2)]));
        let remove_one = [Change::Remove(set("www.example.com", [a(1)]))];
        let g = plan_key(&k, &current, &remove_one).expect("plan");
        assert_eq!(actions(&g), [Action::Delete, Action::Create]);
        let remove_all = [Change::Remove(set("www.example.com", [a(1), a(2)]))];
        assert_eq!(
            actions(&plan_key(&k, &current, &remove_all).expect("plan")),
            [Action::Delete]
        );
        let delete = [Change::Delete {
            name: name("www.example.com"),
            rtype: RecordType::A,
        }];
        assert_eq!(
            actions(&plan_key(&k, &current, &delete).expect("plan")),
            [Action::Delete]
        );
        assert!(
            plan_key(&k, &Current::Absent, &delete)
                .expect("plan")
                .changes
                .is_empty()
        );
        assert!(
            plan_key(&k, &Current::Absent, &remove_one)
                .expect("plan")
                .changes
                .is_empty()
        );
    }

    #[test]
    fn upsert_of_present_set_is_one_upsert() {
        let k = key("www.example.com");
        let current = Current::Simple(set("www.example.com", [a(1)]));
        let up = [Change::Upsert(set("www.example.com", [a(3)]))];
        assert_eq!(
            actions(&plan_key(&k, &current, &up).expect("plan")),
            [Action::Upsert]
        );
        assert_eq!(
            actions(&plan_key(&k, &Current::Absent, &up).expect("plan")),
            [Action::Create]
        );
    }

    #[test]
    fn foreign_sets_are_never_written() {
        let k = key("www.example.com");
        let alias = Current::Foreign("an alias set".into());
        let add = [Change::Add(set("www.example.com", [a(1)]))];
        assert!(matches!(
            plan_key(&k, &alias, &add),
            Err(Error::Unsupported { .. })
        ));
        let delete = [Change::Delete {
            name: name("www.example.com"),
            rtype: RecordType::A,
        }];
        assert!(
            plan_key(&k, &alias, &delete)
                .expect("plan")
                .changes
                .is_empty()
        );
    }

    fn creates(n: usize, values: usize) -> Vec<Group> {
        (0..n)
            .map(|i| {
                let owner = format!("h{i}.example.com");
                let vals: Vec<RData> = (0..values)
                    .map(|v| a(u32::try_from(i * values + v).expect("fits")))
                    .collect();
                plan_key(
                    &key(&owner),
                    &Current::Absent,
                    &[Change::Add(set(&owner, vals))],
                )
                .expect("plan")
            })
            .collect()
    }

    #[test]
    fn split_at_exactly_1000_records() {
        let batches = split(creates(1_000, 1), Limits::ROUTE53).expect("split");
        assert_eq!(batches.len(), 1);
        let batches = split(creates(1_001, 1), Limits::ROUTE53).expect("split");
        assert_eq!(batches.iter().map(Vec::len).collect::<Vec<_>>(), [1_000, 1]);
        let batches = split(creates(5_000, 1), Limits::ROUTE53).expect("split");
        assert_eq!(
            batches.len(),
            5,
            "5,000 single-value creates need exactly 5 requests"
        );
    }

    #[test]
    fn upsert_counts_twice() {
        let groups: Vec<Group> = (0..501)
            .map(|i| {
                let owner = format!("h{i}.example.com");
                let current = Current::Simple(set(&owner, [a(0)]));
                plan_key(
                    &key(&owner),
                    &current,
                    &[Change::Upsert(set(&owner, [a(1)]))],
                )
                .expect("plan")
            })
            .collect();
        assert_eq!(groups[0].records(), 2);
        // "10.0.0.1" sent as a DELETE and a CREATE: 8 characters twice.
        assert_eq!(groups[0].chars(), 16);
        let batches = split(groups, Limits::ROUTE53).expect("split");
        assert_eq!(batches.iter().map(Vec::len).collect::<Vec<_>>(), [500, 1]);
    }

    #[test]
    fn split_at_32000_characters() {
        let txt = |len: usize| RData::TXT(dns_core::Txt::from_text(vec![b'x'; len]));
        let group = |i: usize, len: usize| {
            let owner = format!("t{i}.example.com");
            let s = RecordSet::new(name(&owner), 300, [txt(len)]).expect("set");
            plan_key(
                &(name(&owner), RecordType::TXT),
                &Current::Absent,
                &[Change::Add(s)],
            )
            .expect("plan")
        };
        // 7,800 octets are 31 quoted strings: 7,800 + 62 quotes + 30 spaces.
        assert_eq!(group(0, 7_800).chars(), 7_892);
        // 427 octets are two strings: 427 + 4 + 1.
        assert_eq!(group(0, 427).chars(), 432);
        let exactly: Vec<Group> = (0..4)
            .map(|i| group(i, 7_800))
            .chain([group(4, 427)])
            .collect();
        assert_eq!(exactly.iter().map(Group::chars).sum::<usize>(), 32_000);
        assert_eq!(
            split(exactly.clone(), Limits::ROUTE53)
                .expect("split")
                .len(),
            1
        );
        let mut over = exactly;
        over.push(group(5, 0));
        let batches = split(over, Limits::ROUTE53).expect("split");
        assert_eq!(
            batches.iter().map(Vec::len).collect::<Vec<_>>(),
            [5, 1],
            "32,000 characters fill a request; two more need another"
        );
    }

    #[test]
    fn a_change_too_big_for_any_request_is_refused() {
        let limits = Limits {
            records: 3,
            chars: 32_000,
        };
        let err = split(creates(1, 4), limits).unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err}");
        // Exactly at the limit is one request.
        let batches = split(creates(1, 3), limits).expect("three records fit");
        assert_eq!(batches.len(), 1);

        // The same for characters: three addresses "10.0.0.0".."10.0.0.2"
        // are 24 characters.
        let chars = |chars| Limits {
            records: 1_000,
            chars,
        };
        assert_eq!(creates(1, 3)[0].chars(), 24);
        let batches = split(creates(1, 3), chars(24)).expect("24 characters fit");
        assert_eq!(batches.len(), 1);
        let err = split(creates(1, 3), chars(23)).unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err}");
    }

    #[test]
    fn deletes_go_first() {
        let k = key("www.example.com");
        let current = Current::Simple(set("www.example.com", [a(1)]));
        let swap =
            plan_key(&k, &current, &[Change::Add(set("www.example.com", [a(2)]))]).expect("plan");
        let create = creates(1, 1).remove(0);
        let batch = [create, swap];
        let order: Vec<Action> = ordered(&batch).iter().map(|c| c.action).collect();
        assert_eq!(order, [Action::Delete, Action::Create, Action::Create]);
    }

    #[test]
    fn srv_targets_must_be_host_names() {
        let srv = |target: Name| {
            Change::Add(
                RecordSet::new(
                    name("_x._tcp.example.com"),
                    60,
                    [RData::SRV(dns_core::Srv::new(0, 0, 80, target))],
                )
                .expect("set"),
            )
        };
        assert!(check_values(&[srv(name("host-1.example.com"))]).is_ok());
        assert!(check_values(&[srv(Name::root())]).is_ok());
        assert!(check_values(&[srv(name("192.0.2.1"))]).is_err());
        let spaced = Name::from_labels([
            dns_core::Label::new("My Web").expect("l"),
            dns_core::Label::new("com").expect("l"),
        ])
        .expect("name");
        let err = check_values(&[srv(spaced)]).unwrap_err();
        assert!(err.to_string().contains("not a host name"), "{err}");
    }

    #[test]
    fn values_up_to_4000_characters_and_sets_up_to_400_values() {
        let txt = |len: usize| {
            let value = RData::TXT(dns_core::Txt::from_text(vec![b'x'; len]));
            Change::Upsert(RecordSet::new(name("t.example.com"), 60, [value]).expect("set"))
        };
        // 3,953 octets are 16 quoted strings: 3,953 + 32 quotes + 15 spaces.
        assert!(check_values(&[txt(3_953)]).is_ok());
        let err = check_values(&[txt(3_954)]).unwrap_err();
        assert!(err.to_string().contains("4001 characters"), "{err}");

        let many = |n: u32| set("www.example.com", (0..n).map(a));
        assert!(check_values(&[Change::Add(many(400))]).is_ok());
        assert!(check_values(&[Change::Upsert(many(400))]).is_ok());
        for change in [Change::Add(many(401)), Change::Upsert(many(401))] {
            let err = check_values(&[change]).unwrap_err();
            assert!(err.to_string().contains("401 values"), "{err}");
        }
        // A removal of many values is not a set of many values.
        assert!(check_values(&[Change::Remove(many(401))]).is_ok());
    }
}
