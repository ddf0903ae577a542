//! Reading a `ChangeResourceRecordSetsRequest` body and checking its shape.

use roxmltree::{Document, Node};

use super::error::ApiError;
use super::types::{BatchChange, FakeAlias, FakeRecordSet};
use super::validate::KNOWN_TYPES;
use super::xml::NAMESPACE;

/// A parsed change batch.
#[derive(Debug, Clone)]
pub(crate) struct ParsedBatch {
    pub(crate) comment: Option<String>,
    pub(crate) changes: Vec<ParsedChange>,
}

/// One `Change`, with its set as sent (name not canonicalized).
#[derive(Debug, Clone)]
pub(crate) struct ParsedChange {
    pub(crate) action: String,
    pub(crate) set: FakeRecordSet,
    /// Whether a `ResourceRecords` element was present (maybe empty).
    pub(crate) has_records: bool,
}

impl ParsedChange {
    /// The change for the batch log.
    pub(crate) fn log(&self) -> BatchChange {
        BatchChange {
            action: self.action.clone(),
            name: self.set.name.clone(),
            rtype: self.set.rtype.clone(),
            set_identifier: self.set.set_identifier.clone(),
            values: self.set.values.clone(),
        }
    }

    /// `ResourceRecord` elements this change counts for (an alias counts as
    /// one, UPSERT twice).
    pub(crate) fn record_elements(&self) -> usize {
        let n = if self.set.alias.is_some() {
            1
        } else {
            self.set.values.len()
        };
        n * self.weight()
    }

    /// Characters across this change's `Value`s (UPSERT twice).
    pub(crate) fn value_chars(&self) -> usize {
        self.set
            .values
            .iter()
            .map(|v| v.chars().count())
            .sum::<usize>()
            * self.weight()
    }

    fn weight(&self) -> usize {
        if self.action == "UPSERT" { 2 } else { 1 }
    }

    /// `[Action=…, Name=…, Type=…, SetIdentifier=…]`, as Route 53 names a
    /// change in `InvalidInput` messages.
    fn describe(&self) -> String {
        format!(
            "[Action={}, Name={}, Type={}, SetIdentifier={}]",
            self.action,
            self.set.name,
            self.set.rtype,
            self.set.set_identifier.as_deref().unwrap_or("null")
        )
    }
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|n| n.is_element() && n.tag_name().name() == name)
}

fn text(node: Node<'_, '_>) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect()
}

fn child_text(node: Node<'_, '_>, name: &str) -> Option<String> {
    child(node, name).map(text)
}

fn invalid_xml(detail: impl std::fmt::Display) -> ApiError {
    ApiError::invalid_input(format!("Invalid XML ; {detail}"))
}

fn incomplete(element: &str, expected: &str) -> ApiError {
    invalid_xml(format!(
        "cvc-complex-type.2.4.b: The content of element '{element}' is not complete. One of '{{\"{NAMESPACE}\":{expected}}}' is expected."
    ))
}

fn number(node: Node<'_, '_>, name: &str) -> Result<Option<i64>, ApiError> {
    child_text(node, name)
        .map(|t| {
            t.trim().parse::<i64>().map_err(|_| {
                invalid_xml(format!(
                    "cvc-datatype-valid.1.2.1: '{t}' is not a valid value for 'integer'."
                ))
            })
        })
        .transpose()
}

/// Parses the body. Errors are `InvalidInput` (malformed XML, missing
/// elements, numbers that are not numbers).
pub(crate) fn parse(body: &[u8]) -> Result<ParsedBatch, ApiError> {
    let body = std::str::from_utf8(body).map_err(|_| invalid_xml("the body is not UTF-8"))?;
    let doc = Document::parse(body).map_err(invalid_xml)?;
    let root = doc.root_element();
    if root.tag_name().name() != "ChangeResourceRecordSetsRequest" {
        return Err(invalid_xml(format!(
            "cvc-elt.1.a: Cannot find the declaration of element '{}'.",
            root.tag_name().name()
        )));
    }
    let batch = child(root, "ChangeBatch")
        .ok_or_else(|| incomplete("ChangeResourceRecordSetsRequest", "ChangeBatch"))?;
    let comment = child_text(batch, "Comment");
    let list = child(batch, "Changes").ok_or_else(|| incomplete("ChangeBatch", "Changes"))?;
    let mut changes = Vec::new();
    for change in list
        .children()
        .filter(|n| n.is_element() && n.tag_name().name() == "Change")
    {
        let action = child_text(change, "Action").ok_or_else(|| incomplete("Change", "Action"))?;
        let rrset = child(change, "ResourceRecordSet")
            .ok_or_else(|| incomplete("Change", "ResourceRecordSet"))?;
        let name =
            child_text(rrset, "Name").ok_or_else(|| incomplete("ResourceRecordSet", "Name"))?;
        let rtype =
            child_text(rrset, "Type").ok_or_else(|| incomplete("ResourceRecordSet", "Type"))?;
        let records = child(rrset, "ResourceRecords");
        let values = records
            .map(|r| {
                r.children()
                    .filter(|n| n.is_element() && n.tag_name().name() == "ResourceRecord")
                    .map(|rr| child_text(rr, "Value").unwrap_or_default())
                    .collect()
            })
            .unwrap_or_default();
        let alias = child(rrset, "AliasTarget")
            .map(|a| {
                Ok::<_, ApiError>(FakeAlias {
                    hosted_zone_id: child_text(a, "HostedZoneId")
                        .ok_or_else(|| incomplete("AliasTarget", "HostedZoneId"))?,
                    dns_name: child_text(a, "DNSName")
                        .ok_or_else(|| incomplete("AliasTarget", "DNSName"))?,
                    evaluate_target_health: child_text(a, "EvaluateTargetHealth")
                        .is_some_and(|t| t.trim() == "true"),
                })
            })
            .transpose()?;
        let set = FakeRecordSet {
            name,
            rtype,
            ttl: number(rrset, "TTL")?,
            values,
            set_identifier: child_text(rrset, "SetIdentifier"),
            weight: number(rrset, "Weight")?,
            region: child_text(rrset, "Region"),
            failover: child_text(rrset, "Failover"),
            health_check_id: child_text(rrset, "HealthCheckId"),
            multi_value_answer: child_text(rrset, "MultiValueAnswer").map(|t| t.trim() == "true"),
            alias,
        };
        changes.push(ParsedChange {
            action,
            set,
            has_records: records.is_some(),
        });
    }
    if changes.is_empty() {
        return Err(incomplete("Changes", "Change"));
    }
    Ok(ParsedBatch { comment, changes })
}

fn validation(value: impl std::fmt::Display, path: &str, constraint: &str) -> ApiError {
    ApiError::invalid_input(format!(
        "1 validation error detected: Value '{value}' at '{path}' failed to satisfy constraint: {constraint}"
    ))
}

/// Checks what Route 53 checks before looking at the zone, answering
/// `InvalidInput`: actions and types, alias or TTL + records, the ranges of
/// TTL and Weight, value length (4,000), SetIdentifier length (1–128),
/// Failover values, routing fields only with a SetIdentifier.
pub(crate) fn check_shape(changes: &[ParsedChange]) -> Result<(), ApiError> {
    for (index, change) in changes.iter().enumerate() {
        let at = format!("changeBatch.changes.{}.member.resourceRecordSet", index + 1);
        let set = &change.set;
        if !matches!(change.action.as_str(), "CREATE" | "DELETE" | "UPSERT") {
            return Err(validation(
                &change.action,
                &format!("changeBatch.changes.{}.member.action", index + 1),
                "Member must satisfy enum value set: [CREATE, DELETE, UPSERT]",
            ));
        }
        if !KNOWN_TYPES.contains(&set.rtype.as_str()) {
            return Err(validation(
                &set.rtype,
                &format!("{at}.type"),
                &format!(
                    "Member must satisfy enum value set: [{}]",
                    KNOWN_TYPES.join(", ")
                ),
            ));
        }
        let plain = set.ttl.is_some() || change.has_records;
        let targets = usize::from(set.alias.is_some()) + usize::from(plain);
        if targets != 1 || (plain && (set.ttl.is_none() || !change.has_records)) {
            let found = if targets > 1 { "more than one" } else { "none" };
            return Err(ApiError::invalid_input(format!(
                "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found {found} in Change with {}",
                change.describe()
            )));
        }
        if change.has_records && set.values.is_empty() {
            return Err(incomplete("ResourceRecords", "ResourceRecord"));
        }
        if let Some(ttl) = set.ttl {
            if ttl < 0 {
                return Err(validation(
                    ttl,
                    &format!("{at}.tTL"),
                    "Member must have value greater than or equal to 0",
                ));
            }
            if ttl > 2_147_483_647 {
                return Err(validation(
                    ttl,
                    &format!("{at}.tTL"),
                    "Member must have value less than or equal to 2147483647",
                ));
            }
        }
        if let Some(weight) = set.weight
            && !(0..=255).contains(&weight)
        {
            return Err(validation(
                weight,
                &format!("{at}.weight"),
                "Member must have value between 0 and 255",
            ));
        }
        for (i, value) in set.values.iter().enumerate() {
            if value.chars().count() > 4000 {
                return Err(validation(
                    value,
                    &format!("{at}.resourceRecords.{}.member.value", i + 1),
                    "Member must have length less than or equal to 4000",
                ));
            }
        }
        if let Some(id) = &set.set_identifier
            && !(1..=128).contains(&id.chars().count())
        {
            return Err(validation(
                id,
                &format!("{at}.setIdentifier"),
                "Member must have length between 1 and 128",
            ));
        }
        if let Some(failover) = &set.failover
            && !matches!(failover.as_str(), "PRIMARY" | "SECONDARY")
        {
            return Err(validation(
                failover,
                &format!("{at}.failover"),
                "Member must satisfy enum value set: [PRIMARY, SECONDARY]",
            ));
        }
        let routed = set.weight.is_some()
            || set.region.is_some()
            || set.failover.is_some()
            || set.multi_value_answer.is_some();
        if routed && set.set_identifier.is_none() {
            return Err(ApiError::invalid_input(format!(
                "Invalid request: Missing field 'SetIdentifier' in Change with {}",
                change.describe()
            )));
        }
    }
    Ok(())
}
