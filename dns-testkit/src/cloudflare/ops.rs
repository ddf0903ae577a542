//! The record operations on one zone: the live zone, or a batch's working
//! copy, so a batch runs exactly the checks single requests run.

use rand::rngs::StdRng;
use serde_json::{Value, json};

use super::conflict;
use super::error::ApiError;
use super::ids;
use super::names;
use super::record::{self, Object};
use super::zones::Zone;

/// The batch lists, in the order Cloudflare applies them.
const BATCH_KEYS: [&str; 4] = ["deletes", "patches", "puts", "posts"];

/// The request body as an object.
fn object(body: &Value) -> Result<&Object, ApiError> {
    body.as_object().ok_or_else(ApiError::invalid_body)
}

/// The position of record `id`, or 81044.
fn position(zone: &Zone, id: &str) -> Result<usize, ApiError> {
    zone.position(id).ok_or_else(ApiError::record_not_found)
}

/// A record id not used in `zone`.
fn new_id(zone: &Zone, rng: &mut StdRng) -> String {
    loop {
        let id = ids::hex_id(rng);
        if zone.position(&id).is_none() {
            break id;
        }
    }
}

/// `POST /dns_records`.
pub(crate) fn create(
    zone: &mut Zone,
    body: &Value,
    now: &str,
    rng: &mut StdRng,
) -> Result<Value, ApiError> {
    let mut built = record::build(&zone.name, object(body)?)?;
    conflict::check(&zone.name, &zone.records, &built, None)?;
    built.insert("id".to_owned(), Value::String(new_id(zone, rng)));
    built.insert("created_on".to_owned(), Value::String(now.to_owned()));
    built.insert("modified_on".to_owned(), Value::String(now.to_owned()));
    let created = Value::Object(built);
    zone.records.push(created.clone());
    Ok(created)
}

/// `GET /dns_records/{id}`.
pub(crate) fn get(zone: &Zone, id: &str) -> Result<Value, ApiError> {
    Ok(zone.records[position(zone, id)?].clone())
}

/// `PATCH /dns_records/{id}`: the given fields over the record.
pub(crate) fn patch(zone: &mut Zone, id: &str, body: &Value, now: &str) -> Result<Value, ApiError> {
    let index = position(zone, id)?;
    let existing = zone.records[index].as_object().cloned().unwrap_or_default();
    let merged = record::patched(&existing, object(body)?);
    let built = record::build(&zone.name, &merged)?;
    replace(zone, index, &existing, built, now)
}

/// `PUT /dns_records/{id}`: a whole new record in the old one's place;
/// fields not given take their defaults.
pub(crate) fn put(zone: &mut Zone, id: &str, body: &Value, now: &str) -> Result<Value, ApiError> {
    let index = position(zone, id)?;
    let existing = zone.records[index].as_object().cloned().unwrap_or_default();
    let built = record::build(&zone.name, object(body)?)?;
    replace(zone, index, &existing, built, now)
}

/// Stores `built` at `index` in place of `existing` if it conflicts with
/// nothing else.
fn replace(
    zone: &mut Zone,
    index: usize,
    existing: &Object,
    mut built: Object,
    now: &str,
) -> Result<Value, ApiError> {
    let id = record::text(existing, "id").to_owned();
    conflict::check(&zone.name, &zone.records, &built, Some(&id))?;
    let created_on = existing
        .get("created_on")
        .cloned()
        .unwrap_or_else(|| Value::String(now.to_owned()));
    built.insert("id".to_owned(), Value::String(id));
    built.insert("created_on".to_owned(), created_on);
    built.insert("modified_on".to_owned(), Value::String(now.to_owned()));
    let replaced = Value::Object(built);
    zone.records[index] = replaced.clone();
    Ok(replaced)
}

/// `DELETE /dns_records/{id}`: the removed record.
pub(crate) fn delete(zone: &mut Zone, id: &str) -> Result<Value, ApiError> {
    let index = position(zone, id)?;
    Ok(zone.records.remove(index))
}

/// The list `key` of a batch body (absent or null: empty).
fn batch_list<'a>(body: &'a Object, key: &str) -> Result<&'a [Value], ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(ApiError::invalid_body()),
    }
}

/// The `id` of a batch item.
fn item_id(item: &Value) -> Result<&str, ApiError> {
    match item.get("id") {
        Some(Value::String(id)) => Ok(id),
        None | Some(Value::Null) => Err(ApiError::required("id")),
        Some(_) => Err(ApiError::invalid_field("id", "a string")),
    }
}

/// `POST /dns_records/batch`: deletes, patches, puts, then posts, on a
/// working copy that replaces the zone only if every operation succeeded.
/// A failure is HTTP 400 with the errors of the first failing operation.
pub(crate) fn batch(
    zone: &mut Zone,
    body: &Value,
    now: &str,
    rng: &mut StdRng,
) -> Result<Value, ApiError> {
    let run = |work: &mut Zone, rng: &mut StdRng| -> Result<Value, ApiError> {
        let body = object(body)?;
        if body.keys().any(|k| !BATCH_KEYS.contains(&k.as_str())) {
            return Err(ApiError::invalid_body());
        }
        let mut deletes = Vec::new();
        for item in batch_list(body, "deletes")? {
            deletes.push(delete(work, item_id(item)?)?);
        }
        let mut patches = Vec::new();
        for item in batch_list(body, "patches")? {
            patches.push(patch(work, item_id(item)?, item, now)?);
        }
        let mut puts = Vec::new();
        for item in batch_list(body, "puts")? {
            puts.push(put(work, item_id(item)?, item, now)?);
        }
        let mut posts = Vec::new();
        for item in batch_list(body, "posts")? {
            posts.push(create(work, item, now, rng)?);
        }
        Ok(json!({"deletes": deletes, "patches": patches, "puts": puts, "posts": posts}))
    };
    let mut work = zone.clone();
    let result = run(&mut work, rng).map_err(|e| e.with_status(400))?;
    *zone = work;
    Ok(result)
}

/// How many operations a batch body holds (0 if it does not parse).
pub(crate) fn batch_size(body: &[u8]) -> usize {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(body) else {
        return 0;
    };
    BATCH_KEYS
        .iter()
        .filter_map(|key| body.get(*key).and_then(Value::as_array))
        .map(Vec::len)
        .sum()
}

/// Stores `record` as given, filling in only what every record has: a
/// fresh id (a given one is kept if unused), the full name, timestamps,
/// `proxiable`, and the defaults of `proxied`, `ttl`, `tags`, `meta` and
/// `settings`.
pub(crate) fn seed(zone: &mut Zone, mut record: Object, now: &str, rng: &mut StdRng) -> String {
    let id = match record.get("id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() && zone.position(id).is_none() => id.to_owned(),
        _ => new_id(zone, rng),
    };
    record.insert("id".to_owned(), Value::String(id.clone()));
    if let Some(name) = record.get("name").and_then(Value::as_str) {
        let full =
            names::record_name(name, &zone.name).unwrap_or_else(|_| names::filter_form(name));
        record.insert("name".to_owned(), Value::String(full));
    }
    let proxiable = record::proxiable(record::text(&record, "type"));
    let defaults = [
        ("created_on", Value::String(now.to_owned())),
        ("modified_on", Value::String(now.to_owned())),
        ("proxiable", Value::Bool(proxiable)),
        ("proxied", Value::Bool(false)),
        ("ttl", json!(1)),
        ("tags", json!([])),
        ("meta", json!({})),
        ("settings", json!({})),
    ];
    for (key, value) in defaults {
        record.entry(key).or_insert(value);
    }
    zone.records.push(Value::Object(record));
    id
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use serde_json::json;

    use super::{batch, batch_size, create, delete, patch, put};
    use crate::cloudflare::zones::Zone;

    fn zone() -> Zone {
        Zone {
            id: "z".into(),
            name: "example.com".into(),
            created_on: "t".into(),
            records: Vec::new(),
        }
    }

    #[test]
    fn crud() {
        let mut rng = StdRng::seed_from_u64(0);
        let mut zone = zone();
        let a = create(
            &mut zone,
            &json!({"type": "A", "name": "www", "content": "192.0.2.1", "comment": "c", "ttl": 300}),
            "t0",
            &mut rng,
        )
        .unwrap();
        let id = a["id"].as_str().unwrap().to_owned();
        let patched = patch(&mut zone, &id, &json!({"content": "192.0.2.2"}), "t1").unwrap();
        assert_eq!(patched["comment"], "c");
        assert_eq!(patched["ttl"], 300);
        assert_eq!(patched["created_on"], "t0");
        assert_eq!(patched["modified_on"], "t1");
        let overwritten = put(
            &mut zone,
            &id,
            &json!({"type": "A", "name": "www", "content": "192.0.2.3"}),
            "t2",
        )
        .unwrap();
        assert!(overwritten.get("comment").is_none());
        assert_eq!(overwritten["ttl"], 1);
        assert_eq!(overwritten["id"], id.as_str());
        assert_eq!(delete(&mut zone, &id).unwrap()["content"], "192.0.2.3");
        assert_eq!(delete(&mut zone, &id).unwrap_err().errors[0].code, 81044);
    }

    #[test]
    fn batches_are_all_or_nothing() {
        let mut rng = StdRng::seed_from_u64(0);
        let mut zone = zone();
        let a = create(
            &mut zone,
            &json!({"type": "A", "name": "www", "content": "192.0.2.1"}),
            "t0",
            &mut rng,
        )
        .unwrap();
        let id = a["id"].as_str().unwrap();
        let body = json!({
            "deletes": [{"id": id}],
            "posts": [{"type": "A", "name": "www", "content": "192.0.2.1"}]
        });
        assert_eq!(batch_size(&serde_json::to_vec(&body).unwrap()), 2);
        let result = batch(&mut zone, &body, "t1", &mut rng).unwrap();
        assert_eq!(result["deletes"][0]["id"], id);
        assert_eq!(zone.records.len(), 1);
        let new_id = zone.records[0]["id"].as_str().unwrap().to_owned();
        assert_ne!(new_id, id);

        let failing = json!({
            "deletes": [{"id": new_id}],
            "posts": [{"type": "A", "name": "www", "content": "not an address"}]
        });
        let error = batch(&mut zone, &failing, "t2", &mut rng).unwrap_err();
        assert_eq!((error.status, error.errors[0].code), (400, 9005));
        assert_eq!(zone.records.len(), 1);
        assert_eq!(zone.records[0]["id"], new_id.as_str());
    }
}
