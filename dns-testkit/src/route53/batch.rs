//! ChangeResourceRecordSets semantics: per-request limits, then the
//! changes applied one at a time to a working copy that replaces the zone
//! only if every change succeeded.

use super::error::ApiError;
use super::names;
use super::request::ParsedChange;
use super::state::{SetKey, SetMap, Zone, set_key};
use super::types::FakeRecordSet;
use super::validate;

/// Most `ResourceRecord` elements in one request (UPSERT counted twice).
pub(crate) const MAX_RECORD_ELEMENTS: usize = 1000;
/// Most characters across all `Value`s of one request (UPSERT twice).
pub(crate) const MAX_VALUE_CHARS: usize = 32_000;

/// Refuses a request over the per-request limits.
pub(crate) fn check_limits(record_elements: usize, value_chars: usize) -> Result<(), ApiError> {
    let mut messages = Vec::new();
    if record_elements > MAX_RECORD_ELEMENTS {
        messages.push(format!(
            "Number of records limit of {MAX_RECORD_ELEMENTS} exceeded."
        ));
    }
    if value_chars > MAX_VALUE_CHARS {
        messages.push(format!(
            "Number of characters limit of {MAX_VALUE_CHARS} exceeded."
        ));
    }
    if messages.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid_change_batch(messages))
    }
}

/// Applies `changes` to a copy of `zone`'s sets. Returns the new sets, or
/// `InvalidChangeBatch` with one message per failing change (and nothing
/// applied).
pub(crate) fn apply(zone: &Zone, changes: &[ParsedChange]) -> Result<SetMap, ApiError> {
    let mut work = zone.sets.clone();
    let mut messages = Vec::new();
    for change in changes {
        if let Err(mut problems) = apply_one(&zone.name, &mut work, change) {
            messages.append(&mut problems);
        }
    }
    for (rtype, message) in [
        ("SOA", "A HostedZone must contain exactly one SOA record."),
        (
            "NS",
            "A HostedZone must contain at least one NS record for the zone itself.",
        ),
    ] {
        if !work.contains_key(&(names::reversed(&zone.name), rtype.to_owned(), None)) {
            messages.push(message.to_owned());
        }
    }
    if messages.is_empty() {
        Ok(work)
    } else {
        Err(ApiError::invalid_change_batch(messages))
    }
}

/// `[name='x.example.com.', type='A']`, with `, set-identifier='…'` if any.
fn describe(set: &FakeRecordSet) -> String {
    match &set.set_identifier {
        Some(id) => format!(
            "[name='{}', type='{}', set-identifier='{id}']",
            set.name, set.rtype
        ),
        None => format!("[name='{}', type='{}']", set.name, set.rtype),
    }
}

/// The set in stored form: canonical name and alias target name.
fn normalize(change: &ParsedChange) -> Result<FakeRecordSet, String> {
    let mut set = change.set.clone();
    set.name = names::canonical(&set.name).map_err(|e| e.message())?;
    if let Some(alias) = &mut set.alias {
        alias.dns_name = names::canonical(&alias.dns_name).map_err(|e| e.message())?;
    }
    Ok(set)
}

/// Whether a DELETE repeats the current set exactly (values in any order).
fn same_contents(current: &FakeRecordSet, given: &FakeRecordSet) -> bool {
    let mut a = current.values.clone();
    let mut b = given.values.clone();
    a.sort();
    b.sort();
    a == b
        && current.ttl == given.ttl
        && current.weight == given.weight
        && current.region == given.region
        && current.failover == given.failover
        && current.health_check_id == given.health_check_id
        && current.multi_value_answer == given.multi_value_answer
        && current.alias == given.alias
}

/// The other sets with the same name (any type).
fn same_name<'a>(
    work: &'a SetMap,
    reversed: &str,
) -> impl Iterator<Item = (&'a SetKey, &'a FakeRecordSet)> {
    work.range((reversed.to_owned(), String::new(), None)..)
        .take_while(move |(key, _)| key.0 == reversed)
}

/// The conflicts a new set would have: CNAME beside other types, a CNAME
/// at the apex, simple beside routed sets of the same name and type.
fn conflicts(zone_name: &str, work: &SetMap, set: &FakeRecordSet, key: &SetKey) -> Option<String> {
    let (name, rtype) = (&set.name, &set.rtype);
    if rtype == "CNAME" && name == zone_name {
        return Some(format!(
            "RRSet of type CNAME with DNS name {name} is not permitted at apex in zone {zone_name}"
        ));
    }
    for (other, _) in same_name(work, &key.0) {
        if other.1 == *rtype {
            if other.2.is_some() != set.set_identifier.is_some() {
                return Some(match &set.set_identifier {
                    Some(id) => format!(
                        "RRSet with DNS name {name}, type {rtype}, SetIdentifier {id} cannot be created as a non-weighted set exists with the same name and type."
                    ),
                    None => format!(
                        "RRSet with DNS name {name}, type {rtype} cannot be created as weighted sets exist with the same name and type."
                    ),
                });
            }
        } else if rtype == "CNAME" {
            return Some(format!(
                "RRSet of type CNAME with DNS name {name} is not permitted as it conflicts with other records with the same DNS name in zone {zone_name}"
            ));
        } else if other.1 == "CNAME" {
            return Some(format!(
                "RRSet of type {rtype} with DNS name {name} is not permitted because a conflicting RRSet of type CNAME with the same DNS name already exists in zone {zone_name}"
            ));
        }
    }
    None
}

fn apply_one(zone_name: &str, work: &mut SetMap, change: &ParsedChange) -> Result<(), Vec<String>> {
    let set = normalize(change).map_err(|m| vec![m])?;
    if !names::in_zone(&set.name, zone_name) {
        return Err(vec![format!(
            "RRSet with DNS name {} is not permitted in zone {zone_name}",
            set.name
        )]);
    }
    let key = set_key(&set);
    match change.action.as_str() {
        "DELETE" => match work.get(&key) {
            None => Err(vec![format!(
                "Tried to delete resource record set {} but it was not found",
                describe(&set)
            )]),
            Some(current) if !same_contents(current, &set) => Err(vec![format!(
                "Tried to delete resource record set {} but the values provided do not match the current values",
                describe(&set)
            )]),
            Some(_) => {
                work.remove(&key);
                Ok(())
            }
        },
        action => {
            if set.alias.is_none() {
                let problems = validate::check_values(&set.name, &set.rtype, &set.values);
                if !problems.is_empty() {
                    return Err(problems);
                }
            }
            if action == "CREATE" && work.contains_key(&key) {
                return Err(vec![format!(
                    "Tried to create resource record set {} but it already exists",
                    describe(&set)
                )]);
            }
            if let Some(conflict) = conflicts(zone_name, work, &set, &key) {
                return Err(vec![conflict]);
            }
            work.insert(key, set);
            Ok(())
        }
    }
}
