//! From dns-core changes over record sets to Cloudflare's record-level
//! deletes, patches and posts.
//!
//! The changes are played, in order, over the records currently at the
//! names they touch. What differs at the end becomes the plan: records no
//! longer wanted are deleted (by id), kept records whose TTL changed are
//! patched, new values are posted. A value that an `Add` finds already
//! present is patched with its own data: the patch names the record's id,
//! so if another writer deleted it meanwhile the whole batch fails and is
//! planned again instead of leaving the value missing.

use std::collections::HashMap;

use dns_core::{Change, Name, RData, RecordType, Result};

use crate::encode;
use crate::options::{CloudflareRecord, RecordOptions};
use crate::wire::RecordBody;

/// A (name, type) key.
pub(crate) type Key = (Name, RecordType);

/// One operation of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op {
    /// Delete the record with this id.
    Delete { id: String },
    /// Patch the record with this id: a TTL change, or (`guard`) the same
    /// data, only so that the batch fails if the record went away.
    Patch {
        id: String,
        body: RecordBody,
        guard: bool,
    },
    /// Create a record.
    Post { body: RecordBody },
}

#[derive(Debug, Clone)]
struct Slot {
    id: Option<String>,
    value: RData,
    ttl: u32,
    proxied: bool,
    guard: bool,
}

/// The operations that turn `current` into the result of `changes`, in the
/// order Cloudflare runs a batch: deletes, patches, posts (posts in the
/// order of the changes that made them).
pub(crate) fn plan(
    changes: &[Change],
    current: &[CloudflareRecord],
    options: &RecordOptions,
) -> Result<Vec<Op>> {
    Ok(plan_named(changes, current, options)?
        .into_iter()
        .map(|(_, op)| op)
        .collect())
}

/// [`plan`], each operation with the owner name it writes at.
pub(crate) fn plan_named(
    changes: &[Change],
    current: &[CloudflareRecord],
    options: &RecordOptions,
) -> Result<Vec<(Name, Op)>> {
    let mut keys: Vec<Key> = Vec::new();
    for c in changes {
        let key = (c.name().clone(), c.record_type());
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let mut state: HashMap<Key, Vec<Slot>> = HashMap::new();
    for r in current {
        let key = (r.name.clone(), r.data.record_type());
        if keys.contains(&key) {
            state.entry(key).or_default().push(Slot {
                id: Some(r.id.clone()),
                value: r.data.clone(),
                ttl: r.ttl,
                proxied: r.options.proxied,
                guard: false,
            });
        }
    }
    let initial = state.clone();
    for change in changes {
        let key = (change.name().clone(), change.record_type());
        let slots = state.entry(key).or_default();
        match change {
            Change::Upsert(set) => {
                let mut next = Vec::with_capacity(set.len());
                for v in set.values() {
                    match slots.iter().position(|s| &s.value == v) {
                        Some(i) => {
                            // Kept, and guarded: if another writer deleted
                            // it meanwhile, the batch fails and is re-planned.
                            let mut s = slots.remove(i);
                            s.ttl = set.ttl();
                            s.guard = true;
                            next.push(s);
                        }
                        None => next.push(fresh(v, set.ttl())),
                    }
                }
                *slots = next;
            }
            Change::Delete { .. } => slots.clear(),
            Change::Add(set) => {
                for s in slots.iter_mut() {
                    s.ttl = set.ttl();
                }
                for v in set.values() {
                    match slots.iter_mut().find(|s| &s.value == v) {
                        Some(s) => s.guard = true,
                        None => slots.push(fresh(v, set.ttl())),
                    }
                }
            }
            Change::Remove(set) => slots.retain(|s| !set.contains(&s.value)),
            // Refused by `validate` (no precondition support).
            Change::Require(_) => {}
            other => {
                return Err(dns_core::Error::unsupported(
                    crate::PROVIDER,
                    format!("the change {} (unknown to this backend)", other.verb()),
                ));
            }
        }
    }

    let mut deletes = Vec::new();
    let mut patches = Vec::new();
    let mut posts = Vec::new();
    for key in &keys {
        let before = initial.get(key).map(Vec::as_slice).unwrap_or_default();
        let mut after = state.remove(key).unwrap_or_default();
        // A value removed and added back in one apply keeps its record.
        let mut kept: Vec<String> = after.iter().filter_map(|s| s.id.clone()).collect();
        for s in after.iter_mut().filter(|s| s.id.is_none()) {
            let reusable = before
                .iter()
                .find(|b| b.value == s.value && b.id.as_ref().is_some_and(|id| !kept.contains(id)));
            if let Some(old) = reusable {
                s.id.clone_from(&old.id);
                s.proxied = old.proxied;
                s.guard = true;
                kept.extend(old.id.clone());
            }
        }
        for b in before {
            if let Some(id) = &b.id
                && !kept.contains(id)
            {
                deletes.push((key.0.clone(), Op::Delete { id: id.clone() }));
            }
        }
        for s in &after {
            let Some(id) = &s.id else {
                posts.push((
                    key.0.clone(),
                    Op::Post {
                        body: encode::body(&key.0, &s.value, s.ttl, options)?,
                    },
                ));
                continue;
            };
            let old_ttl = before
                .iter()
                .find(|b| b.id.as_ref() == Some(id))
                .map(|b| b.ttl);
            // Proxied records keep Cloudflare's automatic TTL.
            let ttl = if s.proxied {
                old_ttl.unwrap_or(1)
            } else {
                s.ttl
            };
            if old_ttl != Some(ttl) || s.guard {
                patches.push((
                    key.0.clone(),
                    Op::Patch {
                        id: id.clone(),
                        body: encode::ttl_patch(&key.0, &s.value, ttl)?,
                        guard: old_ttl == Some(ttl),
                    },
                ));
            }
        }
    }
    deletes.extend(patches);
    deletes.extend(posts);
    Ok(deletes)
}

fn fresh(value: &RData, ttl: u32) -> Slot {
    Slot {
        id: None,
        value: value.clone(),
        ttl,
        proxied: false,
        guard: false,
    }
}

impl Op {
    /// Whether this operation changes nothing by itself.
    pub(crate) fn is_guard(&self) -> bool {
        matches!(self, Self::Patch { guard: true, .. })
    }
}

/// One batch request of a split plan: every operation at its names.
#[derive(Debug)]
pub(crate) struct Chunk<'a> {
    pub(crate) names: Vec<&'a Name>,
    pub(crate) ops: Vec<&'a Op>,
}

/// Packs a plan into batches of at most `max` operations that never split
/// the operations at one owner name: a batch is one transaction, so a name
/// is either wholly changed or untouched, which is what lets a failed split
/// apply say exactly which changes took effect (and keeps a CNAME's delete
/// in the same transaction as the record replacing it). Names go in the
/// order they first appear in the plan. Fails, before anything is sent,
/// when one name alone needs more than `max` operations.
pub(crate) fn name_chunks(named: &[(Name, Op)], max: usize) -> Result<Vec<Chunk<'_>>> {
    let max = max.max(1);
    let mut order: Vec<&Name> = Vec::new();
    for (name, _) in named {
        if !order.contains(&name) {
            order.push(name);
        }
    }
    let mut out: Vec<Chunk<'_>> = Vec::new();
    for name in order {
        let ops: Vec<&Op> = named
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, op)| op)
            .collect();
        if ops.len() > max {
            return Err(dns_core::Error::InvalidInput(format!(
                "the changes at {name} need {} record operations, more than the {max} of one \
                 Cloudflare batch; apply them in smaller steps",
                ops.len()
            )));
        }
        match out.last_mut() {
            Some(chunk) if chunk.ops.len() + ops.len() <= max => {
                chunk.names.push(name);
                chunk.ops.extend(ops);
            }
            _ => out.push(Chunk {
                names: vec![name],
                ops,
            }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dns_core::{RecordSet, Srv};

    fn n(s: &str) -> Name {
        Name::parse(s).unwrap()
    }
    fn a(last: u8) -> RData {
        RData::A(std::net::Ipv4Addr::new(192, 0, 2, last))
    }
    fn rec(id: &str, name: &str, value: RData, ttl: u32) -> CloudflareRecord {
        CloudflareRecord {
            id: id.into(),
            name: n(name),
            data: value,
            ttl,
            options: RecordOptions::default(),
        }
    }
    fn set(name: &str, ttl: u32, values: impl IntoIterator<Item = RData>) -> RecordSet {
        RecordSet::new(n(name), ttl, values).unwrap()
    }
    /// The plan with default options.
    fn planned(changes: &[Change], current: &[CloudflareRecord]) -> Vec<Op> {
        plan(changes, current, &RecordOptions::default()).unwrap()
    }
    fn kinds(ops: &[Op]) -> Vec<String> {
        ops.iter()
            .map(|o| match o {
                Op::Delete { id } => format!("delete {id}"),
                Op::Patch { id, body, guard } => {
                    format!(
                        "{} {id} ttl {}",
                        if *guard { "guard" } else { "patch" },
                        body.ttl
                    )
                }
                Op::Post { body } => format!(
                    "post {} {}",
                    body.name,
                    body.content.clone().unwrap_or_else(|| body
                        .data
                        .clone()
                        .unwrap_or_default()
                        .to_string())
                ),
            })
            .collect()
    }

    #[test]
    fn add_posts_new_values_and_guards_present_ones() {
        let current = [rec("r1", "www.example.com", a(1), 60)];
        let ops = planned(
            &[Change::Add(set("www.example.com", 60, [a(1), a(2)]))],
            &current,
        );
        assert_eq!(
            kinds(&ops),
            ["guard r1 ttl 60", "post www.example.com 192.0.2.2"]
        );
    }

    #[test]
    fn add_with_a_new_ttl_patches_every_record_of_the_set() {
        let current = [
            rec("r1", "www.example.com", a(1), 60),
            rec("r2", "www.example.com", a(2), 60),
        ];
        let ops = planned(
            &[Change::Add(set("www.example.com", 300, [a(3)]))],
            &current,
        );
        assert_eq!(
            kinds(&ops),
            [
                "patch r1 ttl 300",
                "patch r2 ttl 300",
                "post www.example.com 192.0.2.3"
            ]
        );
    }

    #[test]
    fn remove_deletes_only_its_values_and_absent_ones_cost_nothing() {
        let current = [
            rec("r1", "www.example.com", a(1), 60),
            rec("r2", "www.example.com", a(2), 60),
        ];
        let ops = planned(
            &[Change::Remove(set("www.example.com", 60, [a(1), a(9)]))],
            &current,
        );
        assert_eq!(kinds(&ops), ["delete r1"]);
        let none = planned(
            &[Change::Remove(set("www.example.com", 60, [a(9)]))],
            &current,
        );
        assert!(none.is_empty());
    }

    #[test]
    fn upsert_keeps_matching_records_and_never_touches_other_names_or_types() {
        let current = [
            rec("r1", "www.example.com", a(1), 60),
            rec("r2", "www.example.com", a(2), 60),
            rec(
                "t1",
                "www.example.com",
                RData::TXT(dns_core::Txt::from_text("x")),
                60,
            ),
            rec("o1", "other.example.com", a(1), 60),
        ];
        let ops = planned(
            &[Change::Upsert(set("www.example.com", 60, [a(2), a(3)]))],
            &current,
        );
        assert_eq!(
            kinds(&ops),
            [
                "delete r1",
                "guard r2 ttl 60",
                "post www.example.com 192.0.2.3"
            ],
            "the kept value is guarded"
        );
    }

    #[test]
    fn remove_then_add_in_one_apply_keeps_the_record() {
        let current = [rec("r1", "www.example.com", a(1), 60)];
        let ops = planned(
            &[
                Change::Remove(set("www.example.com", 60, [a(1)])),
                Change::Add(set("www.example.com", 60, [a(1)])),
            ],
            &current,
        );
        assert_eq!(
            kinds(&ops),
            ["guard r1 ttl 60"],
            "kept and guarded, not deleted and re-posted"
        );
    }

    #[test]
    fn proxied_records_keep_their_ttl_and_flag() {
        let mut proxied = rec("r1", "www.example.com", a(1), 1);
        proxied.options.proxied = true;
        let ops = planned(
            &[Change::Add(set("www.example.com", 300, [a(2)]))],
            &[proxied],
        );
        assert_eq!(kinds(&ops), ["post www.example.com 192.0.2.2"]);
        let Op::Post { body } = &ops[0] else { panic!() };
        assert_eq!(body.proxied, Some(false));
    }

    #[test]
    fn deletes_come_before_posts_across_keys() {
        let current = [rec("r1", "x.example.com", a(1), 60)];
        let ops = planned(
            &[
                Change::Add(set(
                    "_h._tcp.example.com",
                    60,
                    [RData::SRV(Srv::new(0, 0, 80, n("x.example.com")))],
                )),
                Change::Delete {
                    name: n("x.example.com"),
                    rtype: RecordType::A,
                },
                Change::Upsert(set("x.example.com", 60, [RData::CNAME(n("y.example.com"))])),
            ],
            &current,
        );
        assert_eq!(
            kinds(&ops),
            [
                "delete r1",
                r#"post _h._tcp.example.com {"port":80,"priority":0,"target":"x.example.com","weight":0}"#,
                "post x.example.com y.example.com"
            ]
        );
        let named: Vec<(Name, Op)> = ops
            .iter()
            .zip(["x.example.com", "_h._tcp.example.com", "x.example.com"])
            .map(|(op, owner)| (n(owner), op.clone()))
            .collect();
        // The delete and the post at x.example.com travel together.
        let batches = name_chunks(&named, 2).unwrap();
        let sizes: Vec<(usize, usize)> = batches
            .iter()
            .map(|c| (c.names.len(), c.ops.len()))
            .collect();
        assert_eq!(sizes, [(1, 2), (1, 1)]);
        assert_eq!(batches[0].names, [&n("x.example.com")]);
        assert!(matches!(
            name_chunks(&named, 1),
            Err(dns_core::Error::InvalidInput(_))
        ));
    }
}
