//! The wiremock responder: routes each request to its operation, applies
//! the auth-failure and throttling knobs, and answers under the lock.

use std::collections::HashMap;

use wiremock::{Request, ResponseTemplate};

use super::batch;
use super::error::ApiError;
use super::ids;
use super::names;
use super::request::{self, ParsedBatch};
use super::state::{SetKey, State};
use super::types::{BatchLog, BatchOutcome};
use super::validate::KNOWN_TYPES;
use super::xml::{self, Doc};
use crate::fake_http::{self, query};

/// The operations the fake serves.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    ListHostedZones,
    ListHostedZonesByName,
    GetHostedZone(String),
    ListRecordSets(String),
    ChangeRecordSets(String),
    GetChange(String),
    Unknown,
}

/// Decodes `%XX` escapes of a path segment.
fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(octet)) => {
                out.push(octet);
                i += 3;
            }
            (octet, _) => {
                out.push(octet);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn route(request: &Request) -> Op {
    let path = request.url.path();
    let Some(rest) = path.strip_prefix("/2013-04-01/") else {
        return Op::Unknown;
    };
    let parts: Vec<String> = rest
        .trim_end_matches('/')
        .split('/')
        .map(percent_decode)
        .collect();
    let get = request.method.as_str() == "GET";
    let post = request.method.as_str() == "POST";
    match parts
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["hostedzone"] if get => Op::ListHostedZones,
        ["hostedzonesbyname"] if get => Op::ListHostedZonesByName,
        ["hostedzone", id] if get => Op::GetHostedZone((*id).to_owned()),
        ["hostedzone", id, "rrset"] if get => Op::ListRecordSets((*id).to_owned()),
        ["hostedzone", id, "rrset"] if post => Op::ChangeRecordSets((*id).to_owned()),
        ["change", id] if get => Op::GetChange((*id).to_owned()),
        _ => Op::Unknown,
    }
}

/// Answers one request from the state (under the fake's lock).
pub(crate) fn respond(state: &mut State, request: &Request) -> ResponseTemplate {
    let op = route(request);
    let counts = &mut state.counts;
    counts.total += 1;
    match op {
        Op::ListHostedZones => counts.list_hosted_zones += 1,
        Op::ListHostedZonesByName => counts.list_hosted_zones_by_name += 1,
        Op::GetHostedZone(_) => counts.get_hosted_zone += 1,
        Op::ListRecordSets(_) => counts.list_resource_record_sets += 1,
        Op::ChangeRecordSets(_) => counts.change_resource_record_sets += 1,
        Op::GetChange(_) => counts.get_change += 1,
        Op::Unknown => counts.unknown += 1,
    }
    // Parsed before the knobs, so the batch log shows throttled and
    // refused batches too.
    let parsed = match &op {
        Op::ChangeRecordSets(_) => Some(request::parse(&request.body)),
        _ => None,
    };
    let result = if state.knobs.auth_failure {
        state.counts.auth_failures += 1;
        Err(ApiError::auth_failure())
    } else if fake_http::roll(&mut state.rng, state.knobs.server_error_share) {
        state.counts.server_errors += 1;
        Err(ApiError::internal_failure())
    } else if fake_http::roll(&mut state.rng, state.knobs.throttle_share) {
        state.counts.throttled += 1;
        Err(ApiError::throttling())
    } else {
        dispatch(state, &op, request, parsed.as_ref())
    };
    if let (Op::ChangeRecordSets(zone_id), Some(parsed)) = (&op, &parsed) {
        log_batch(state, zone_id, parsed, &result);
    }
    let lose =
        matches!(op, Op::ChangeRecordSets(_)) && result.is_ok() && state.knobs.lost_answers > 0;
    let result = if lose {
        // Applied (and logged as accepted), but the client never hears so.
        state.knobs.lost_answers -= 1;
        state.counts.lost_answers += 1;
        Err(ApiError::service_unavailable())
    } else {
        result
    };
    let request_id = ids::request_id();
    let (status, body) = match result {
        Ok(reply) => (200, reply.body),
        Err(error) => (
            error.status,
            error.body(&request_id, state.knobs.modelled_messages),
        ),
    };
    ResponseTemplate::new(status)
        .insert_header("x-amzn-RequestId", request_id.as_str())
        .set_body_raw(body.into_bytes(), "text/xml")
        .set_delay(state.knobs.latency)
}

/// A successful answer.
struct Reply {
    body: String,
    /// The new change's id (`/change/C…`), for ChangeResourceRecordSets.
    change_id: Option<String>,
}

impl Reply {
    fn body(body: String) -> Self {
        Self {
            body,
            change_id: None,
        }
    }
}

fn log_batch(
    state: &mut State,
    zone_id: &str,
    parsed: &Result<ParsedBatch, ApiError>,
    result: &Result<Reply, ApiError>,
) {
    let (comment, changes) = match parsed {
        Ok(batch) => (batch.comment.clone(), batch.changes.as_slice()),
        Err(_) => (None, &[][..]),
    };
    let outcome = match result {
        Ok(reply) => {
            state.counts.changes_accepted += 1;
            BatchOutcome::Accepted {
                change_id: reply.change_id.clone().unwrap_or_default(),
            }
        }
        Err(error) => {
            state.counts.changes_rejected += 1;
            BatchOutcome::Rejected {
                code: error.code.to_owned(),
                messages: error.log_messages(),
            }
        }
    };
    state.batches.push(BatchLog {
        zone_id: zone_id.to_owned(),
        comment,
        changes: changes.iter().map(request::ParsedChange::log).collect(),
        record_elements: changes
            .iter()
            .map(request::ParsedChange::record_elements)
            .sum(),
        value_chars: changes.iter().map(request::ParsedChange::value_chars).sum(),
        outcome,
    });
}

/// `maxitems`: `default` if absent, at most `cap`, at least 1.
fn max_items(
    query: &HashMap<String, String>,
    default: usize,
    cap: usize,
) -> Result<usize, ApiError> {
    match query.get("maxitems") {
        None => Ok(default),
        Some(text) => match text.parse::<i64>() {
            Ok(n) if n >= 1 => Ok(usize::try_from(n).unwrap_or(cap).min(cap)),
            _ => Err(ApiError::invalid_input(format!(
                "1 validation error detected: Value '{text}' at 'maxItems' failed to satisfy constraint: Member must be a positive integer"
            ))),
        },
    }
}

fn dispatch(
    state: &mut State,
    op: &Op,
    request: &Request,
    parsed: Option<&Result<ParsedBatch, ApiError>>,
) -> Result<Reply, ApiError> {
    match op {
        Op::ListHostedZones => list_hosted_zones(state, &query(request)).map(Reply::body),
        Op::ListHostedZonesByName => {
            list_hosted_zones_by_name(state, &query(request)).map(Reply::body)
        }
        Op::GetHostedZone(id) => get_hosted_zone(state, id).map(Reply::body),
        Op::ListRecordSets(id) => list_record_sets(state, id, &query(request)).map(Reply::body),
        Op::ChangeRecordSets(id) => match parsed {
            Some(parsed) => change_record_sets(state, id, parsed),
            None => Err(ApiError::invalid_input("Invalid request")),
        },
        Op::GetChange(id) => get_change(state, id).map(Reply::body),
        Op::Unknown => Err(ApiError::invalid_input(format!(
            "The fake does not implement {} {}",
            request.method,
            request.url.path()
        ))),
    }
}

fn list_hosted_zones(state: &State, query: &HashMap<String, String>) -> Result<String, ApiError> {
    let max = max_items(query, 100, 100)?;
    let marker = query.get("marker").cloned().unwrap_or_default();
    let mut page = state.zones.range(marker.clone()..).map(|(_, zone)| zone);
    let mut doc = Doc::new("ListHostedZonesResponse");
    doc.open("HostedZones");
    for zone in page.by_ref().take(max) {
        xml::hosted_zone(&mut doc, zone);
    }
    doc.close("HostedZones").leaf("Marker", &marker);
    match page.next() {
        Some(next) => doc.leaf("IsTruncated", "true").leaf("NextMarker", &next.id),
        None => doc.leaf("IsTruncated", "false"),
    };
    doc.leaf("MaxItems", max.to_string());
    Ok(doc.finish())
}

fn list_hosted_zones_by_name(
    state: &State,
    query: &HashMap<String, String>,
) -> Result<String, ApiError> {
    let max = max_items(query, 100, 100)?;
    let dns_name = query.get("dnsname");
    let zone_id = query.get("hostedzoneid");
    if zone_id.is_some() && dns_name.is_none() {
        return Err(ApiError::invalid_input(
            "The input is not valid: HostedZoneId requires DNSName",
        ));
    }
    let start_name = match dns_name {
        Some(name) => names::reversed(
            &names::canonical(name).map_err(|e| ApiError::invalid_input(e.message()))?,
        ),
        None => String::new(),
    };
    let start = (start_name, zone_id.cloned().unwrap_or_default());
    let mut zones: Vec<_> = state
        .zones
        .values()
        .map(|z| ((names::reversed(&z.name), z.id.clone()), z))
        .collect();
    zones.sort_by(|a, b| a.0.cmp(&b.0));
    let mut page = zones
        .into_iter()
        .filter(|(key, _)| *key >= start)
        .map(|(_, zone)| zone);
    let mut doc = Doc::new("ListHostedZonesByNameResponse");
    doc.open("HostedZones");
    for zone in page.by_ref().take(max) {
        xml::hosted_zone(&mut doc, zone);
    }
    doc.close("HostedZones")
        .leaf_opt("DNSName", dns_name)
        .leaf_opt("HostedZoneId", zone_id);
    match page.next() {
        Some(next) => doc
            .leaf("IsTruncated", "true")
            .leaf("NextDNSName", &next.name)
            .leaf("NextHostedZoneId", &next.id),
        None => doc.leaf("IsTruncated", "false"),
    };
    doc.leaf("MaxItems", max.to_string());
    Ok(doc.finish())
}

fn get_hosted_zone(state: &State, id: &str) -> Result<String, ApiError> {
    let zone = state
        .zones
        .get(id)
        .ok_or_else(|| ApiError::no_such_hosted_zone(id))?;
    let mut doc = Doc::new("GetHostedZoneResponse");
    xml::hosted_zone(&mut doc, zone);
    if zone.private {
        doc.open("VPCs")
            .open("VPC")
            .leaf("VPCRegion", "us-east-1")
            .leaf("VPCId", "vpc-0fa4e000000000000")
            .close("VPC")
            .close("VPCs");
    } else {
        doc.open("DelegationSet").open("NameServers");
        let apex_ns = (names::reversed(&zone.name), "NS".to_owned(), None);
        for server in zone
            .sets
            .get(&apex_ns)
            .map(|s| s.values.as_slice())
            .unwrap_or_default()
        {
            doc.leaf("NameServer", server.trim_end_matches('.'));
        }
        doc.close("NameServers").close("DelegationSet");
    }
    Ok(doc.finish())
}

fn list_record_sets(
    state: &State,
    id: &str,
    query: &HashMap<String, String>,
) -> Result<String, ApiError> {
    let zone = state
        .zones
        .get(id)
        .ok_or_else(|| ApiError::no_such_hosted_zone(id))?;
    let max = max_items(query, 300, 300)?;
    let name = query.get("name");
    let rtype = query.get("type");
    let identifier = query.get("identifier");
    if rtype.is_some() && name.is_none() {
        return Err(ApiError::invalid_input(
            "The input is not valid: StartRecordType requires StartRecordName",
        ));
    }
    if identifier.is_some() && rtype.is_none() {
        return Err(ApiError::invalid_input(
            "The input is not valid: StartRecordIdentifier requires StartRecordType",
        ));
    }
    if let Some(t) = rtype
        && !KNOWN_TYPES.contains(&t.as_str())
    {
        return Err(ApiError::invalid_input(format!(
            "1 validation error detected: Value '{t}' at 'startRecordType' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            KNOWN_TYPES.join(", ")
        )));
    }
    let start_name = match name {
        Some(name) => names::reversed(
            &names::canonical(name).map_err(|e| ApiError::invalid_input(e.message()))?,
        ),
        None => String::new(),
    };
    let start: SetKey = (
        start_name,
        rtype.cloned().unwrap_or_default(),
        identifier.cloned(),
    );
    let mut page = zone.sets.range(start..).map(|(_, set)| set);
    let mut doc = Doc::new("ListResourceRecordSetsResponse");
    doc.open("ResourceRecordSets");
    for set in page.by_ref().take(max) {
        xml::record_set(&mut doc, set);
    }
    doc.close("ResourceRecordSets");
    match page.next() {
        Some(next) => doc
            .leaf("IsTruncated", "true")
            .leaf("NextRecordName", &next.name)
            .leaf("NextRecordType", &next.rtype)
            .leaf_opt("NextRecordIdentifier", next.set_identifier.as_ref()),
        None => doc.leaf("IsTruncated", "false"),
    };
    doc.leaf("MaxItems", max.to_string());
    Ok(doc.finish())
}

fn change_record_sets(
    state: &mut State,
    id: &str,
    parsed: &Result<ParsedBatch, ApiError>,
) -> Result<Reply, ApiError> {
    if !state.zones.contains_key(id) {
        return Err(ApiError::no_such_hosted_zone(id));
    }
    if fake_http::roll(&mut state.rng, state.knobs.prior_request_share) {
        return Err(ApiError::prior_request_not_complete());
    }
    let parsed = parsed.as_ref().map_err(Clone::clone)?;
    request::check_shape(&parsed.changes)?;
    batch::check_limits(
        parsed
            .changes
            .iter()
            .map(request::ParsedChange::record_elements)
            .sum(),
        parsed
            .changes
            .iter()
            .map(request::ParsedChange::value_chars)
            .sum(),
    )?;
    let zone = state
        .zones
        .get(id)
        .ok_or_else(|| ApiError::no_such_hosted_zone(id))?;
    let sets = batch::apply(zone, &parsed.changes)?;
    if let Some(zone) = state.zones.get_mut(id) {
        zone.sets = sets;
    }
    let change = state.new_change(parsed.comment.clone());
    let mut doc = Doc::new("ChangeResourceRecordSetsResponse");
    xml::change_info(&mut doc, &change, "PENDING");
    Ok(Reply {
        body: doc.finish(),
        change_id: Some(format!("/change/{}", change.id)),
    })
}

fn get_change(state: &mut State, id: &str) -> Result<String, ApiError> {
    let change = state
        .changes
        .get_mut(id)
        .ok_or_else(|| ApiError::no_such_change(id))?;
    change.polls += 1;
    let status = if change.polls > change.insync_after {
        "INSYNC"
    } else {
        "PENDING"
    };
    let mut doc = Doc::new("GetChangeResponse");
    xml::change_info(&mut doc, change, status);
    Ok(doc.finish())
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn decodes_segments() {
        assert_eq!(percent_decode("Z123"), "Z123");
        assert_eq!(percent_decode("a%5C052%20b"), "a\\052 b");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
