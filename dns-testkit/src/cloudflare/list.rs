//! Listing records and zones: filters, order and pages.
//!
//! Records are listed in creation order unless `order` is given (then
//! sorted stably by that field, `direction` asc or desc). Filters follow
//! the schema: `type`, `name`/`content`/`comment` with `.exact`,
//! `.contains`, `.startswith`, `.endswith` (case-insensitive), `proxied`,
//! `comment.present`/`.absent`, `tag` and `tag.*`; combined with `match`
//! (`all` or `any`), tag filters first combined with `tag_match`.

use std::cmp::Ordering;

use serde_json::{Value, json};

use super::error::ApiError;
use super::names;
use super::record::{Object, text};
use super::zones::Zone;

/// Decoded query parameters, in order.
pub(crate) type Query = Vec<(String, String)>;

/// The largest `per_page` the schema allows for records.
const MAX_RECORDS_PER_PAGE: usize = 5_000_000;

/// The last value of `key`.
fn param<'a>(query: &'a Query, key: &str) -> Option<&'a str> {
    query
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// An integer parameter in `lo..=hi` (the schema types them as numbers,
/// so `2.0` is accepted), `default` if absent.
fn number(
    query: &Query,
    key: &str,
    lo: usize,
    hi: usize,
    default: usize,
) -> Result<usize, ApiError> {
    let Some(text) = param(query, key) else {
        return Ok(default);
    };
    text.parse::<f64>()
        .ok()
        .filter(|f| f.fract() == 0.0 && *f >= lo as f64 && *f <= hi as f64)
        .map(|f| f as usize)
        .ok_or_else(|| ApiError::bad_query(format!("{key} must be an integer from {lo} to {hi}")))
}

/// `all` (false) or `any` (true).
fn any(query: &Query, key: &str) -> Result<bool, ApiError> {
    match param(query, key) {
        None | Some("all") => Ok(false),
        Some("any") => Ok(true),
        Some(_) => Err(ApiError::bad_query(format!("{key} must be any or all"))),
    }
}

/// One page of `items` in the list envelope.
fn page_of(items: &[Value], page: usize, per_page: usize) -> Value {
    let total = items.len();
    let start = page.saturating_sub(1).saturating_mul(per_page).min(total);
    let end = start.saturating_add(per_page).min(total);
    let result = &items[start..end];
    json!({
        "success": true,
        "errors": [],
        "messages": [],
        "result": result,
        "result_info": {
            "page": page,
            "per_page": per_page,
            "count": result.len(),
            "total_count": total,
            "total_pages": total.div_ceil(per_page)
        }
    })
}

/// How a text filter compares.
#[derive(Debug, Clone, Copy)]
enum Op {
    Exact,
    Contains,
    StartsWith,
    EndsWith,
}

impl Op {
    fn parse(suffix: Option<&str>) -> Option<Self> {
        match suffix {
            None | Some("exact") => Some(Self::Exact),
            Some("contains") => Some(Self::Contains),
            Some("startswith") => Some(Self::StartsWith),
            Some("endswith") => Some(Self::EndsWith),
            Some(_) => None,
        }
    }

    /// Case-insensitive comparison.
    fn matches(self, haystack: &str, needle: &str) -> bool {
        let haystack = haystack.to_lowercase();
        let needle = needle.to_lowercase();
        match self {
            Self::Exact => haystack == needle,
            Self::Contains => haystack.contains(&needle),
            Self::StartsWith => haystack.starts_with(&needle),
            Self::EndsWith => haystack.ends_with(&needle),
        }
    }
}

/// One record filter.
#[derive(Debug, Clone)]
enum Filter {
    Type(String),
    Name(Op, String),
    Content(Op, String),
    Comment(Op, String),
    CommentPresent(bool),
    Proxied(bool),
    TagPresent(String, bool),
    Tag(Op, String, String),
}

impl Filter {
    /// The filter a query parameter asks for, if it is one.
    fn parse(key: &str, value: &str) -> Result<Option<Self>, ApiError> {
        let (field, suffix) = match key.split_once('.') {
            Some((field, suffix)) => (field, Some(suffix)),
            None => (key, None),
        };
        let op = || {
            Op::parse(suffix).ok_or_else(|| ApiError::bad_query(format!("unknown filter {key}")))
        };
        let filter = match (field, suffix) {
            ("type", None) => Self::Type(value.to_ascii_uppercase()),
            ("name", _) => Self::Name(op()?, names::filter_form(value)),
            ("content", _) => Self::Content(op()?, value.to_owned()),
            ("comment", Some("present")) => Self::CommentPresent(true),
            ("comment", Some("absent")) => Self::CommentPresent(false),
            ("comment", _) => Self::Comment(op()?, value.to_owned()),
            ("proxied", None) => match value {
                "true" => Self::Proxied(true),
                "false" => Self::Proxied(false),
                _ => return Err(ApiError::bad_query("proxied must be true or false")),
            },
            ("tag", Some("present")) => Self::TagPresent(value.to_owned(), true),
            ("tag", Some("absent")) => Self::TagPresent(value.to_owned(), false),
            ("tag", None) => match value.split_once(':') {
                Some((name, tag)) => Self::Tag(Op::Exact, name.to_owned(), tag.to_owned()),
                None => Self::TagPresent(value.to_owned(), true),
            },
            ("tag", _) => {
                let (name, tag) = value.split_once(':').unwrap_or((value, ""));
                Self::Tag(op()?, name.to_owned(), tag.to_owned())
            }
            _ => return Ok(None),
        };
        Ok(Some(filter))
    }

    fn is_tag(&self) -> bool {
        matches!(self, Self::TagPresent(..) | Self::Tag(..))
    }

    fn matches(&self, record: &Object) -> bool {
        let tags = || {
            record
                .get("tags")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|t| t.split_once(':').unwrap_or((t, "")))
        };
        match self {
            Self::Type(t) => text(record, "type") == t,
            Self::Name(op, name) => op.matches(text(record, "name"), name),
            Self::Content(op, content) => op.matches(text(record, "content"), content),
            Self::Comment(op, comment) => record
                .get("comment")
                .and_then(Value::as_str)
                .is_some_and(|c| op.matches(c, comment)),
            Self::CommentPresent(present) => {
                record.get("comment").and_then(Value::as_str).is_some() == *present
            }
            Self::Proxied(proxied) => {
                record
                    .get("proxied")
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
                    == *proxied
            }
            Self::TagPresent(name, present) => {
                tags().any(|(n, _)| n.eq_ignore_ascii_case(name)) == *present
            }
            Self::Tag(op, name, value) => {
                tags().any(|(n, v)| n.eq_ignore_ascii_case(name) && op.matches(v, value))
            }
        }
    }
}

/// Whether `record` passes `filters`, each group combined by all or any.
fn passes(record: &Object, filters: &[Filter], match_any: bool, tag_any: bool) -> bool {
    let combine = |filters: &mut dyn Iterator<Item = &Filter>, any: bool| -> Option<bool> {
        let mut results = filters.map(|f| f.matches(record)).peekable();
        results.peek()?;
        Some(if any {
            results.any(|r| r)
        } else {
            results.all(|r| r)
        })
    };
    let tag = combine(&mut filters.iter().filter(|f| f.is_tag()), tag_any);
    let rest = filters.iter().filter(|f| !f.is_tag());
    let mut results: Vec<bool> = rest.map(|f| f.matches(record)).collect();
    results.extend(tag);
    if results.is_empty() {
        true
    } else if match_any {
        results.iter().any(|r| *r)
    } else {
        results.iter().all(|r| *r)
    }
}

/// Compares two records by a sort field.
fn by_field(field: &str, a: &Object, b: &Object) -> Ordering {
    match field {
        "ttl" => {
            let ttl = |r: &Object| r.get("ttl").and_then(Value::as_i64).unwrap_or(1);
            ttl(a).cmp(&ttl(b))
        }
        "proxied" => {
            let proxied = |r: &Object| r.get("proxied").and_then(Value::as_bool).unwrap_or(false);
            proxied(a).cmp(&proxied(b))
        }
        _ => text(a, field).cmp(text(b, field)),
    }
}

/// `GET /zones/{id}/dns_records`. `cap` is the fake's own page-size limit.
pub(crate) fn records(zone: &Zone, query: &Query, cap: usize) -> Result<Value, ApiError> {
    let page = number(query, "page", 1, usize::MAX / 2, 1)?;
    let per_page = number(query, "per_page", 1, MAX_RECORDS_PER_PAGE, 100)?.min(cap.max(1));
    let match_any = any(query, "match")?;
    let tag_any = any(query, "tag_match")?;
    let mut filters = Vec::new();
    for (key, value) in query {
        if let Some(filter) = Filter::parse(key, value)? {
            filters.push(filter);
        }
    }
    let mut selected: Vec<&Value> = zone
        .records
        .iter()
        .filter(|r| {
            r.as_object()
                .is_some_and(|r| passes(r, &filters, match_any, tag_any))
        })
        .collect();
    if let Some(field) = param(query, "order") {
        if !["type", "name", "content", "ttl", "proxied"].contains(&field) {
            return Err(ApiError::bad_query(
                "order must be one of type, name, content, ttl, proxied",
            ));
        }
        let descending = match param(query, "direction") {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(_) => return Err(ApiError::bad_query("direction must be asc or desc")),
        };
        let empty = Object::new();
        selected.sort_by(|a, b| {
            let ordering = by_field(
                field,
                a.as_object().unwrap_or(&empty),
                b.as_object().unwrap_or(&empty),
            );
            if descending {
                ordering.reverse()
            } else {
                ordering
            }
        });
    }
    let items: Vec<Value> = selected.into_iter().cloned().collect();
    Ok(page_of(&items, page, per_page))
}

/// A zone `name` filter: `[operator:]value`, `equal` (case-insensitive)
/// by default.
fn zone_name_matches(filter: &str, name: &str) -> bool {
    let operators = [
        "equal",
        "not_equal",
        "starts_with",
        "ends_with",
        "contains",
        "starts_with_case_sensitive",
        "ends_with_case_sensitive",
        "contains_case_sensitive",
    ];
    let (operator, value) = match filter.split_once(':') {
        Some((operator, value)) if operators.contains(&operator) => (operator, value),
        _ => ("equal", filter),
    };
    let lower_value = names::filter_form(value);
    let value = value.strip_suffix('.').unwrap_or(value);
    match operator {
        "not_equal" => name != lower_value,
        "starts_with" => name.starts_with(&lower_value),
        "ends_with" => name.ends_with(&lower_value),
        "contains" => name.contains(&lower_value),
        "starts_with_case_sensitive" => name.starts_with(value),
        "ends_with_case_sensitive" => name.ends_with(value),
        "contains_case_sensitive" => name.contains(value),
        _ => name == lower_value,
    }
}

/// `GET /zones`: 20 per page by default, 5 to 50.
pub(crate) fn zones(zones: &[Zone], query: &Query, account_id: &str) -> Result<Value, ApiError> {
    let page = number(query, "page", 1, usize::MAX / 2, 1)?;
    let per_page = number(query, "per_page", 5, 50, 20)?;
    let name = param(query, "name");
    let status = param(query, "status");
    let account = param(query, "account.id");
    let mut selected: Vec<&Zone> = zones
        .iter()
        .filter(|z| name.is_none_or(|n| zone_name_matches(n, &z.name)))
        .filter(|_| status.is_none_or(|s| s == "active"))
        .filter(|_| account.is_none_or(|a| a == account_id))
        .collect();
    if let Some("name") = param(query, "order") {
        selected.sort_by(|a, b| a.name.cmp(&b.name));
    }
    if let Some("desc") = param(query, "direction") {
        selected.reverse();
    }
    let items: Vec<Value> = selected.iter().map(|z| z.to_json(account_id)).collect();
    Ok(page_of(&items, page, per_page))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{Query, records, zone_name_matches};
    use crate::cloudflare::zones::Zone;

    fn query(pairs: &[(&str, &str)]) -> Query {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn names(result: &Value) -> Vec<&str> {
        result["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect()
    }

    fn zone() -> Zone {
        let record = |name: &str, rtype: &str, content: &str, tags: Value| json!({"name": name, "type": rtype, "content": content, "tags": tags, "ttl": 1});
        Zone {
            id: "z".into(),
            name: "example.com".into(),
            created_on: "t".into(),
            records: vec![
                record("www.example.com", "A", "192.0.2.1", json!(["team:dns"])),
                record("www.example.com", "AAAA", "::1", json!([])),
                record("mail.example.com", "A", "192.0.2.2", json!(["team:mail"])),
            ],
        }
    }

    #[test]
    fn filters_and_pages() {
        let zone = zone();
        let all = records(&zone, &query(&[]), 100).unwrap();
        assert_eq!(all["result_info"]["total_count"], 3);
        let www = records(&zone, &query(&[("name", "WWW.example.com.")]), 100).unwrap();
        assert_eq!(names(&www), ["www.example.com", "www.example.com"]);
        let a = records(
            &zone,
            &query(&[("name", "www.example.com"), ("type", "A")]),
            100,
        )
        .unwrap();
        assert_eq!(a["result"][0]["content"], "192.0.2.1");
        assert_eq!(a["result_info"]["count"], 1);
        let either = records(
            &zone,
            &query(&[
                ("name", "mail.example.com"),
                ("type", "AAAA"),
                ("match", "any"),
            ]),
            100,
        )
        .unwrap();
        assert_eq!(names(&either), ["www.example.com", "mail.example.com"]);
        let tagged = records(&zone, &query(&[("tag", "team:mail")]), 100).unwrap();
        assert_eq!(names(&tagged), ["mail.example.com"]);
        let page = records(&zone, &query(&[("page", "2"), ("per_page", "2")]), 100).unwrap();
        assert_eq!(
            page["result_info"],
            json!({"page": 2, "per_page": 2, "count": 1, "total_count": 3, "total_pages": 2})
        );
        let capped = records(&zone, &query(&[("per_page", "100")]), 1).unwrap();
        assert_eq!(capped["result_info"]["total_pages"], 3);
        let ordered = records(&zone, &query(&[("order", "name")]), 100).unwrap();
        assert_eq!(names(&ordered)[0], "mail.example.com");
        assert!(records(&zone, &query(&[("per_page", "0")]), 100).is_err());
    }

    #[test]
    fn zone_filters() {
        assert!(zone_name_matches("Example.com", "example.com"));
        assert!(zone_name_matches("ends_with:.com", "example.com"));
        assert!(!zone_name_matches("not_equal:example.com", "example.com"));
        assert!(zone_name_matches("contains:ampl", "example.com"));
    }
}
