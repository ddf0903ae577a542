//! The JSON of the v4 API: the response envelope and record bodies.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One `{code, message}` of an envelope's `errors` or `messages`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct ApiMessage {
    #[serde(default)]
    pub(crate) code: i64,
    #[serde(default)]
    pub(crate) message: String,
    #[serde(default)]
    pub(crate) error_chain: Vec<Self>,
}

/// `result_info` of a listing.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ResultInfo {
    #[serde(default)]
    pub(crate) total_count: Option<u64>,
    #[serde(default)]
    pub(crate) total_pages: Option<u64>,
}

/// Every response: `{success, errors, messages, result, result_info}`.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope {
    #[serde(default)]
    pub(crate) success: bool,
    #[serde(default)]
    pub(crate) errors: Vec<ApiMessage>,
    #[serde(default)]
    pub(crate) result: Value,
    #[serde(default)]
    pub(crate) result_info: Option<ResultInfo>,
}

/// A zone as listed.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ZoneJson {
    pub(crate) id: String,
    pub(crate) name: String,
}

/// A DNS record as Cloudflare returns it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RecordJson {
    pub(crate) id: String,
    #[serde(rename = "type")]
    pub(crate) rtype: String,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) content: Option<String>,
    #[serde(default = "auto_ttl")]
    pub(crate) ttl: u32,
    #[serde(default)]
    pub(crate) proxied: Option<bool>,
    #[serde(default)]
    pub(crate) comment: Option<String>,
    #[serde(default)]
    pub(crate) tags: Vec<String>,
    #[serde(default)]
    pub(crate) data: Option<Value>,
    #[serde(default)]
    pub(crate) priority: Option<u16>,
}

fn auto_ttl() -> u32 {
    1
}

/// The body of a create, a patch or a batch entry. Fields left `None` are
/// not sent, so a PATCH never touches them (proxying, comment, tags).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct RecordBody {
    #[serde(rename = "type")]
    pub(crate) rtype: String,
    pub(crate) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) data: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) priority: Option<u16>,
    pub(crate) ttl: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) proxied: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tags: Option<Vec<String>>,
}

/// A body that names the record it changes (batch `patches`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Patch<'a> {
    pub(crate) id: &'a str,
    #[serde(flatten)]
    pub(crate) body: &'a RecordBody,
}

/// A batch `deletes` entry.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Delete<'a> {
    pub(crate) id: &'a str,
}

/// `POST /zones/{id}/dns_records/batch`.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Batch<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) deletes: Vec<Delete<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) patches: Vec<Patch<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) posts: Vec<&'a RecordBody>,
}
