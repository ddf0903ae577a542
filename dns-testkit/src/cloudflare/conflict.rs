//! Duplicates and same-name conflicts, checked against a zone as it is at
//! that moment (inside a batch: as the batch has left it so far).
//!
//! * the same name (case-insensitive), type and value (content, or the
//!   `data` it is computed from, and priority): `81058 An identical record
//!   already exists.`;
//! * a CNAME where an A, AAAA or CNAME exists: `81053 An A, AAAA, or CNAME
//!   record with that host already exists.`;
//! * an A or AAAA where a CNAME exists: `81054 A CNAME record with that
//!   host already exists.`;
//! * below the apex, an NS next to another type or the other way round:
//!   81056.

use serde_json::Value;

use super::error::ApiError;
use super::record::{HOST_TYPES, Object, text};

/// What makes two records of one name and type the same record.
fn identity(record: &Object) -> (String, Option<i64>) {
    let content = text(record, "content");
    let content = if HOST_TYPES.contains(&text(record, "type")) {
        content.to_ascii_lowercase()
    } else {
        content.to_owned()
    };
    (content, record.get("priority").and_then(Value::as_i64))
}

/// Checks `candidate` against the `records` of zone `zone`, leaving out
/// the record with id `own_id` (the one a PATCH or PUT replaces).
pub(crate) fn check(
    zone: &str,
    records: &[Value],
    candidate: &Object,
    own_id: Option<&str>,
) -> Result<(), ApiError> {
    let name = text(candidate, "name");
    let rtype = text(candidate, "type");
    let others: Vec<&Object> = records
        .iter()
        .filter_map(Value::as_object)
        .filter(|r| own_id.is_none_or(|id| text(r, "id") != id))
        .filter(|r| text(r, "name").eq_ignore_ascii_case(name))
        .collect();
    let wanted = identity(candidate);
    if others
        .iter()
        .any(|r| text(r, "type") == rtype && identity(r) == wanted)
    {
        return Err(ApiError::bad_request(
            81058,
            "An identical record already exists.",
        ));
    }
    for other in &others {
        match (rtype, text(other, "type")) {
            ("CNAME", "A" | "AAAA" | "CNAME") => {
                return Err(ApiError::bad_request(
                    81053,
                    "An A, AAAA, or CNAME record with that host already exists.",
                ));
            }
            ("A" | "AAAA", "CNAME") => {
                return Err(ApiError::bad_request(
                    81054,
                    "A CNAME record with that host already exists.",
                ));
            }
            ("NS", theirs) if theirs != "NS" && name != zone => {
                return Err(ApiError::bad_request(
                    81056,
                    "Records with that host already exist; an NS record cannot share its name.",
                ));
            }
            (ours, "NS") if ours != "NS" && name != zone => {
                return Err(ApiError::bad_request(
                    81056,
                    "NS records with that host already exist.",
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::check;

    fn code(records: &[Value], candidate: Value, own: Option<&str>) -> Option<u32> {
        check("example.com", records, candidate.as_object().unwrap(), own)
            .err()
            .map(|e| e.errors[0].code)
    }

    #[test]
    fn conflicts() {
        let records = [
            json!({"id": "1", "name": "www.example.com", "type": "A", "content": "192.0.2.1"}),
            json!({"id": "2", "name": "alias.example.com", "type": "CNAME", "content": "T.example.net"}),
            json!({"id": "3", "name": "sub.example.com", "type": "NS", "content": "ns.example.net"}),
            json!({"id": "4", "name": "example.com", "type": "NS", "content": "ns.example.net"}),
        ];
        let a = json!({"name": "WWW.example.com", "type": "A", "content": "192.0.2.1"});
        assert_eq!(code(&records, a.clone(), None), Some(81058));
        assert_eq!(code(&records, a, Some("1")), None);
        let other_a = json!({"name": "www.example.com", "type": "A", "content": "192.0.2.2"});
        assert_eq!(code(&records, other_a, None), None);
        let cname = json!({"name": "www.example.com", "type": "CNAME", "content": "x.example.net"});
        assert_eq!(code(&records, cname, None), Some(81053));
        let same_cname =
            json!({"name": "alias.example.com", "type": "CNAME", "content": "t.example.net"});
        assert_eq!(code(&records, same_cname, None), Some(81058));
        let second_cname =
            json!({"name": "alias.example.com", "type": "CNAME", "content": "u.example.net"});
        assert_eq!(code(&records, second_cname, None), Some(81053));
        let a_on_cname = json!({"name": "alias.example.com", "type": "AAAA", "content": "::1"});
        assert_eq!(code(&records, a_on_cname, None), Some(81054));
        let txt_on_ns = json!({"name": "sub.example.com", "type": "TXT", "content": "x"});
        assert_eq!(code(&records, txt_on_ns, None), Some(81056));
        let ns_on_a = json!({"name": "www.example.com", "type": "NS", "content": "ns.example.net"});
        assert_eq!(code(&records, ns_on_a, None), Some(81056));
        let apex_txt = json!({"name": "example.com", "type": "TXT", "content": "x"});
        assert_eq!(code(&records, apex_txt, None), None);
    }
}
