//! Turning a request body into a stored record: per-type checks,
//! normalisation and the fields Cloudflare computes (`content` of SRV, CAA
//! and the other `data` types, `priority`, `proxiable`, the TTL of proxied
//! records).
//!
//! A stored record is the JSON object the API returns, without nulls: a
//! record without a comment has no `comment` key, since the schema's
//! `comment` is a non-nullable string.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::names;

/// A JSON object.
pub(crate) type Object = Map<String, Value>;

/// The record types of the schema's `dns-records_type`.
pub(crate) const TYPES: [&str; 20] = [
    "A", "AAAA", "CAA", "CERT", "CNAME", "DNSKEY", "DS", "HTTPS", "LOC", "MX", "NAPTR", "NS",
    "PTR", "SMIMEA", "SRV", "SSHFP", "SVCB", "TLSA", "TXT", "URI",
];

/// Types set through `data`, whose `content` Cloudflare computes.
const DATA_TYPES: [&str; 13] = [
    "CAA", "CERT", "DNSKEY", "DS", "HTTPS", "LOC", "NAPTR", "SMIMEA", "SRV", "SSHFP", "SVCB",
    "TLSA", "URI",
];

/// Types whose content is a host name, compared case-insensitively.
pub(crate) const HOST_TYPES: [&str; 5] = ["CNAME", "NS", "MX", "PTR", "SRV"];

/// Longest TXT `content`, in bytes (Cloudflare's limit is 4,096 octets of
/// wire format, which is a little more than this allows).
pub(crate) const MAX_TXT: usize = 4096;

/// Fields the API computes or owns; a PATCH cannot set them.
const READ_ONLY: [&str; 7] = [
    "id",
    "created_on",
    "modified_on",
    "proxiable",
    "meta",
    "zone_id",
    "zone_name",
];

/// Whether Cloudflare can proxy records of this type.
pub(crate) fn proxiable(rtype: &str) -> bool {
    matches!(rtype, "A" | "AAAA" | "CNAME")
}

/// A string field of a stored record, `""` if absent.
pub(crate) fn text<'a>(record: &'a Object, key: &str) -> &'a str {
    record.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// A JSON number without a fractional part.
fn integer(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    })
}

/// An optional integer field in `lo..=hi`.
fn ranged(object: &Object, key: &str, lo: i64, hi: i64) -> Result<Option<i64>, ApiError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => match integer(value) {
            Some(n) if (lo..=hi).contains(&n) => Ok(Some(n)),
            _ => Err(ApiError::invalid_field(
                key,
                &format!("an integer from {lo} to {hi}"),
            )),
        },
    }
}

/// A required integer field of `data` in `lo..=hi`.
fn data_number(data: &Object, key: &str, lo: i64, hi: i64) -> Result<i64, ApiError> {
    ranged(data, key, lo, hi)?.ok_or_else(|| ApiError::required_data(key))
}

/// A required string field of `data`.
fn data_text<'a>(data: &'a Object, key: &str) -> Result<&'a str, ApiError> {
    match data.get(key) {
        None | Some(Value::Null) => Err(ApiError::required_data(key)),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ApiError::invalid_field(key, "a string")),
    }
}

/// The required `content` string.
fn content(body: &Object) -> Result<&str, ApiError> {
    match body.get("content") {
        None | Some(Value::Null) => Err(ApiError::required("content")),
        Some(Value::String(s)) if s.is_empty() => Err(ApiError::required("content")),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ApiError::invalid_field("content", "a string")),
    }
}

/// The required `data` object.
fn data(body: &Object) -> Result<&Object, ApiError> {
    match body.get("data") {
        None | Some(Value::Null) => Err(ApiError::required("data")),
        Some(Value::Object(data)) => Ok(data),
        Some(_) => Err(ApiError::invalid_field("data", "an object")),
    }
}

/// `9007 Content for <type> record is invalid.`
fn invalid_content(rtype: &str) -> ApiError {
    ApiError::bad_request(9007, format!("Content for {rtype} record is invalid."))
}

/// What a type stores besides the common fields.
struct TypeValue {
    content: String,
    priority: Option<i64>,
    data: Option<Value>,
}

impl TypeValue {
    fn content(content: String) -> Self {
        Self {
            content,
            priority: None,
            data: None,
        }
    }
}

/// Builds the stored form of a record (everything but `id`, `created_on`
/// and `modified_on`) from a create or overwrite request in `zone`.
pub(crate) fn build(zone: &str, body: &Object) -> Result<Object, ApiError> {
    let rtype = match body.get("type") {
        None | Some(Value::Null) => return Err(ApiError::required("type")),
        Some(Value::String(t)) if TYPES.contains(&t.as_str()) => t.clone(),
        Some(_) => {
            return Err(ApiError::validation(
                9103,
                "Invalid or unsupported record type",
            ));
        }
    };
    let name = match body.get("name") {
        None | Some(Value::Null) => return Err(ApiError::required("name")),
        Some(Value::String(n)) => names::record_name(n, zone)?,
        Some(_) => return Err(ApiError::invalid_field("name", "a string")),
    };
    let value = type_value(&rtype, &name, body)?;
    let proxied = match body.get("proxied") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ApiError::invalid_field("proxied", "a boolean")),
    };
    if proxied && !proxiable(&rtype) {
        return Err(ApiError::validation(
            9004,
            "This record type cannot be proxied.",
        ));
    }
    let ttl = match body.get("ttl") {
        None | Some(Value::Null) => 1,
        Some(ttl) => match integer(ttl) {
            Some(n) if n == 1 || (30..=86_400).contains(&n) => n,
            _ => {
                return Err(ApiError::bad_request(
                    9021,
                    "Invalid TTL. Must be between 30 and 86400 seconds, or 1 for automatic.",
                ));
            }
        },
    };
    let tags = match body.get("tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(tags)) if tags.iter().all(Value::is_string) => tags.clone(),
        Some(_) => return Err(ApiError::invalid_field("tags", "a list of strings")),
    };
    let settings = match body.get("settings") {
        None | Some(Value::Null) => Value::Object(Object::new()),
        Some(settings @ Value::Object(_)) => settings.clone(),
        Some(_) => return Err(ApiError::invalid_field("settings", "an object")),
    };

    let mut record = Object::new();
    record.insert("name".to_owned(), Value::String(name));
    record.insert("type".to_owned(), Value::String(rtype.clone()));
    record.insert("content".to_owned(), Value::String(value.content));
    if let Some(priority) = value.priority {
        record.insert("priority".to_owned(), json!(priority));
    }
    if let Some(data) = value.data {
        record.insert("data".to_owned(), data);
    }
    record.insert("proxiable".to_owned(), Value::Bool(proxiable(&rtype)));
    record.insert("proxied".to_owned(), Value::Bool(proxied));
    // A proxied record's TTL is always automatic.
    record.insert("ttl".to_owned(), json!(if proxied { 1 } else { ttl }));
    match body.get("comment") {
        None | Some(Value::Null) => {}
        Some(comment @ Value::String(_)) => {
            record.insert("comment".to_owned(), comment.clone());
        }
        Some(_) => return Err(ApiError::invalid_field("comment", "a string")),
    }
    record.insert("tags".to_owned(), Value::Array(tags));
    record.insert("meta".to_owned(), Value::Object(Object::new()));
    record.insert("settings".to_owned(), settings);
    Ok(record)
}

/// Content, priority and data of one type.
fn type_value(rtype: &str, name: &str, body: &Object) -> Result<TypeValue, ApiError> {
    match rtype {
        "A" => content(body)?
            .parse::<Ipv4Addr>()
            .map(|ip| TypeValue::content(ip.to_string()))
            .map_err(|_| {
                ApiError::bad_request(9005, "Content for A record must be a valid IPv4 address.")
            }),
        "AAAA" => content(body)?
            .parse::<Ipv6Addr>()
            .map(|ip| TypeValue::content(ip.to_string()))
            .map_err(|_| {
                ApiError::bad_request(
                    9006,
                    "Content for AAAA record must be a valid IPv6 address.",
                )
            }),
        "CNAME" | "NS" | "PTR" => names::host(content(body)?, rtype == "PTR")
            .map(TypeValue::content)
            .ok_or_else(|| invalid_content(rtype)),
        "MX" => {
            let host = names::host(content(body)?, false).ok_or_else(|| invalid_content(rtype))?;
            let priority = ranged(body, "priority", 0, 65_535)?
                .ok_or_else(|| ApiError::required("priority"))?;
            Ok(TypeValue {
                content: host,
                priority: Some(priority),
                data: None,
            })
        }
        "TXT" => {
            let text = content(body)?;
            if text.len() > MAX_TXT {
                return Err(ApiError::bad_request(
                    9015,
                    "Record content exceeds the allowed length of 4096 wire format bytes.",
                ));
            }
            Ok(TypeValue::content(text.to_owned()))
        }
        "SRV" => srv(name, body),
        "CAA" => caa(body),
        "URI" => uri(body),
        _ => other(rtype, body),
    }
}

/// Whether an SRV owner name has `_service._proto` as its first two
/// labels, or (a DNS-SD service instance, RFC 6763 §4.1) as its second
/// and third.
fn srv_owner(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    let underscored =
        |label: Option<&&str>| label.is_some_and(|l| l.len() > 1 && l.starts_with('_'));
    (underscored(labels.first()) && underscored(labels.get(1)) && labels.len() > 2)
        || (underscored(labels.get(1)) && underscored(labels.get(2)) && labels.len() > 3)
}

/// SRV: `data{priority, weight, port, target}`; `content` is
/// `weight port target` and `priority` is repeated at the top level.
fn srv(name: &str, body: &Object) -> Result<TypeValue, ApiError> {
    if !srv_owner(name) {
        return Err(ApiError::validation(
            9104,
            "SRV record name must start with _service._proto",
        ));
    }
    let data = data(body)?;
    let priority = data_number(data, "priority", 0, 65_535)?;
    let weight = data_number(data, "weight", 0, 65_535)?;
    let port = data_number(data, "port", 0, 65_535)?;
    let target = names::host(data_text(data, "target")?, false)
        .ok_or_else(|| ApiError::invalid_field("target", "a valid hostname"))?;
    Ok(TypeValue {
        content: format!("{weight} {port} {target}"),
        priority: Some(priority),
        data: Some(json!({"priority": priority, "weight": weight, "port": port, "target": target})),
    })
}

/// CAA: `data{flags, tag, value}`; `content` is `flags tag "value"`.
fn caa(body: &Object) -> Result<TypeValue, ApiError> {
    let data = data(body)?;
    let flags = data_number(data, "flags", 0, 255)?;
    let tag = data_text(data, "tag")?;
    if tag.is_empty() || !tag.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApiError::invalid_field("tag", "letters and digits"));
    }
    let value = data_text(data, "value")?;
    Ok(TypeValue {
        content: format!("{flags} {tag} \"{value}\""),
        priority: None,
        data: Some(json!({"flags": flags, "tag": tag, "value": value})),
    })
}

/// URI: top-level `priority`, `data{weight, target}`; `content` is
/// `weight "target"`.
fn uri(body: &Object) -> Result<TypeValue, ApiError> {
    let priority =
        ranged(body, "priority", 0, 65_535)?.ok_or_else(|| ApiError::required("priority"))?;
    let data = data(body)?;
    let weight = data_number(data, "weight", 0, 65_535)?;
    let target = data_text(data, "target")?;
    Ok(TypeValue {
        content: format!("{weight} \"{target}\""),
        priority: Some(priority),
        data: Some(json!({"weight": weight, "target": target})),
    })
}

/// How a `data` field is written into `content`.
#[derive(Clone, Copy)]
enum Style {
    Plain,
    Quoted,
    Meters,
}

/// The `data` fields of the remaining types, in presentation order.
fn layout(rtype: &str) -> &'static [(&'static str, Style)] {
    use Style::{Meters, Plain, Quoted};
    match rtype {
        "CERT" => &[
            ("type", Plain),
            ("key_tag", Plain),
            ("algorithm", Plain),
            ("certificate", Plain),
        ],
        "DNSKEY" => &[
            ("flags", Plain),
            ("protocol", Plain),
            ("algorithm", Plain),
            ("public_key", Plain),
        ],
        "DS" => &[
            ("key_tag", Plain),
            ("algorithm", Plain),
            ("digest_type", Plain),
            ("digest", Plain),
        ],
        "HTTPS" | "SVCB" => &[("priority", Plain), ("target", Plain), ("value", Plain)],
        "LOC" => &[
            ("lat_degrees", Plain),
            ("lat_minutes", Plain),
            ("lat_seconds", Plain),
            ("lat_direction", Plain),
            ("long_degrees", Plain),
            ("long_minutes", Plain),
            ("long_seconds", Plain),
            ("long_direction", Plain),
            ("altitude", Meters),
            ("size", Meters),
            ("precision_horz", Meters),
            ("precision_vert", Meters),
        ],
        "NAPTR" => &[
            ("order", Plain),
            ("preference", Plain),
            ("flags", Quoted),
            ("service", Quoted),
            ("regex", Quoted),
            ("replacement", Plain),
        ],
        "SMIMEA" | "TLSA" => &[
            ("usage", Plain),
            ("selector", Plain),
            ("matching_type", Plain),
            ("certificate", Plain),
        ],
        "SSHFP" => &[
            ("algorithm", Plain),
            ("type", Plain),
            ("fingerprint", Plain),
        ],
        _ => &[],
    }
}

/// One `data` value as presentation text.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(integer(value).map_or_else(|| n.to_string(), |i| i.to_string())),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The remaining types: `data` is stored as given and `content` written
/// from it; without `data`, a given `content` is stored verbatim.
fn other(rtype: &str, body: &Object) -> Result<TypeValue, ApiError> {
    match body.get("data") {
        Some(Value::Object(data)) => {
            let content = layout(rtype)
                .iter()
                .filter_map(|(field, style)| {
                    let text = scalar(data.get(*field)?)?;
                    Some(match style {
                        Style::Plain => text,
                        Style::Quoted => format!("\"{text}\""),
                        Style::Meters => format!("{text}m"),
                    })
                })
                .collect::<Vec<_>>()
                .join(" ");
            Ok(TypeValue {
                content,
                priority: None,
                data: Some(Value::Object(data.clone())),
            })
        }
        None | Some(Value::Null) if DATA_TYPES.contains(&rtype) => match body.get("content") {
            Some(Value::String(text)) if !text.is_empty() => Ok(TypeValue::content(text.clone())),
            _ => Err(ApiError::required("data")),
        },
        None | Some(Value::Null) => content(body).map(|text| TypeValue::content(text.to_owned())),
        Some(_) => Err(ApiError::invalid_field("data", "an object")),
    }
}

/// The request body a client could have sent to create `existing`, with
/// `patch` laid over it: the body a PATCH is built from. `data` is merged
/// field by field while the type stays the same.
pub(crate) fn patched(existing: &Object, patch: &Object) -> Object {
    let rtype = text(existing, "type");
    let mut body = Object::new();
    for key in [
        "type", "name", "ttl", "proxied", "comment", "tags", "settings",
    ] {
        if let Some(value) = existing.get(key) {
            body.insert(key.to_owned(), value.clone());
        }
    }
    match existing.get("data") {
        Some(data) if DATA_TYPES.contains(&rtype) => {
            body.insert("data".to_owned(), data.clone());
        }
        _ => {
            if let Some(content) = existing.get("content") {
                body.insert("content".to_owned(), content.clone());
            }
        }
    }
    if matches!(rtype, "MX" | "URI")
        && let Some(priority) = existing.get("priority")
    {
        body.insert("priority".to_owned(), priority.clone());
    }
    let same_type = patch.get("type").is_none_or(|t| t.as_str() == Some(rtype));
    for (key, value) in patch {
        if READ_ONLY.contains(&key.as_str()) {
            continue;
        }
        match (key.as_str(), body.get_mut(key), value) {
            ("data", Some(Value::Object(old)), Value::Object(new)) if same_type => {
                for (field, v) in new {
                    old.insert(field.clone(), v.clone());
                }
            }
            _ => {
                body.insert(key.clone(), value.clone());
            }
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{Object, build, patched};

    fn body(value: Value) -> Object {
        value.as_object().cloned().unwrap()
    }

    fn built(value: Value) -> Value {
        Value::Object(build("example.com", &body(value)).unwrap())
    }

    fn codes(value: Value) -> Vec<u32> {
        let error = build("example.com", &body(value)).unwrap_err();
        error
            .errors
            .iter()
            .flat_map(|e| std::iter::once(e.code).chain(e.chain.iter().map(|c| c.0)))
            .collect()
    }

    #[test]
    fn a_record_defaults() {
        let record = built(json!({"type": "A", "name": "www", "content": "192.0.2.1"}));
        assert_eq!(
            record,
            json!({
                "name": "www.example.com", "type": "A", "content": "192.0.2.1",
                "proxiable": true, "proxied": false, "ttl": 1, "tags": [],
                "meta": {}, "settings": {}
            })
        );
    }

    #[test]
    fn computed_content() {
        let srv = built(json!({
            "type": "SRV", "name": "_sip._tcp",
            "data": {"priority": 10, "weight": 5, "port": 8806, "target": "sip.example.com."}
        }));
        assert_eq!(srv["content"], "5 8806 sip.example.com");
        assert_eq!(srv["priority"], 10);
        assert_eq!(srv["data"]["target"], "sip.example.com");
        assert_eq!(srv["proxiable"], false);
        let caa = built(json!({
            "type": "CAA", "name": "@", "data": {"flags": 0, "tag": "issue", "value": "ca.example.net"}
        }));
        assert_eq!(caa["content"], "0 issue \"ca.example.net\"");
        let sshfp = built(json!({
            "type": "SSHFP", "name": "host", "data": {"algorithm": 4, "type": 2, "fingerprint": "abcd"}
        }));
        assert_eq!(sshfp["content"], "4 2 abcd");
        let aaaa = built(json!({"type": "AAAA", "name": "v6", "content": "2001:DB8:0:0::1"}));
        assert_eq!(aaaa["content"], "2001:db8::1");
        let dnssd = built(json!({
            "type": "SRV", "name": "My Web._http._tcp",
            "data": {"priority": 0, "weight": 0, "port": 80, "target": "host.example.com"}
        }));
        assert_eq!(dnssd["name"], "my web._http._tcp.example.com");
    }

    #[test]
    fn refusals() {
        assert_eq!(
            codes(json!({"type": "A", "name": "x", "content": "1.2.3"})),
            [9005]
        );
        assert_eq!(
            codes(json!({"type": "A", "name": "x", "content": "192.0.2.1", "ttl": 5})),
            [9021]
        );
        assert_eq!(
            codes(json!({"type": "TXT", "name": "x", "content": "t", "proxied": true})),
            [1004, 9004]
        );
        assert_eq!(
            codes(json!({"type": "TXT", "name": "x", "content": "a".repeat(4097)})),
            [9015]
        );
        assert_eq!(
            codes(json!({"type": "WKS", "name": "x", "content": "x"})),
            [1004, 9103]
        );
        assert_eq!(codes(json!({"name": "x", "content": "x"})), [1004, 9101]);
        assert_eq!(
            codes(json!({"type": "SRV", "name": "_a._tcp",
                "data": {"priority": 0, "weight": 0, "port": 70000, "target": "t.example"}})),
            [1004, 9102]
        );
        assert_eq!(
            codes(json!({"type": "SRV", "name": "sip",
                "data": {"priority": 0, "weight": 0, "port": 1, "target": "t.example"}})),
            [1004, 9104]
        );
        assert_eq!(
            codes(json!({"type": "SRV", "name": "_a._tcp", "content": "0 0 1 t.example"})),
            [1004, 9101]
        );
        assert_eq!(
            codes(json!({"type": "MX", "name": "@", "content": "mx.example.com"})),
            [1004, 9101]
        );
    }

    #[test]
    fn proxied_ttl_is_automatic() {
        let record = built(json!({
            "type": "CNAME", "name": "w", "content": "t.example.net", "proxied": true, "ttl": 300
        }));
        assert_eq!(record["ttl"], 1);
    }

    #[test]
    fn patch_view() {
        let existing = body(built(json!({
            "type": "SRV", "name": "_a._tcp", "comment": "c",
            "data": {"priority": 1, "weight": 2, "port": 3, "target": "t.example.com"}
        })));
        let merged = patched(&existing, &body(json!({"id": "x", "data": {"port": 4}})));
        let again = built(Value::Object(merged));
        assert_eq!(again["content"], "2 4 t.example.com");
        assert_eq!(again["comment"], "c");
    }
}
