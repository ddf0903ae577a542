//! The errors the fake answers with, and their envelope.
//!
//! Every error body is `{success: false, errors: [{code, message,
//! error_chain?}], messages: [], result: null}`. Codes seen from the live
//! API are used where known; the few the fake had to choose are marked.

use serde_json::{Value, json};

/// One entry of `errors`, with its optional `error_chain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ErrorItem {
    pub(crate) code: u32,
    pub(crate) message: String,
    pub(crate) chain: Vec<(u32, String)>,
}

/// An error answer: HTTP status and the `errors` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) errors: Vec<ErrorItem>,
}

impl ApiError {
    /// One error without a chain.
    pub(crate) fn new(status: u16, code: u32, message: impl Into<String>) -> Self {
        Self {
            status,
            errors: vec![ErrorItem {
                code,
                message: message.into(),
                chain: Vec::new(),
            }],
        }
    }

    /// HTTP 400 with one top-level error (the specific DNS codes: 9000,
    /// 9005, 9015, 9021, 81058, ...).
    pub(crate) fn bad_request(code: u32, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }

    /// HTTP 400 `1004 DNS Validation Error` whose `error_chain` holds the
    /// detail, the way Cloudflare reports e.g. 9004 (not proxiable).
    pub(crate) fn validation(code: u32, message: impl Into<String>) -> Self {
        Self {
            status: 400,
            errors: vec![ErrorItem {
                code: 1004,
                message: "DNS Validation Error".to_owned(),
                chain: vec![(code, message.into())],
            }],
        }
    }

    /// A required field is missing (chain code 9101, the fake's choice).
    pub(crate) fn required(field: &str) -> Self {
        Self::validation(9101, format!("{field} is a required field"))
    }

    /// A required field of `data` is missing (chain code 9101, the
    /// fake's choice; the wording is the live API's).
    pub(crate) fn required_data(field: &str) -> Self {
        Self::validation(9101, format!("{field} is a required data field"))
    }

    /// A field has the wrong type or is out of range (chain code 9102,
    /// the fake's choice).
    pub(crate) fn invalid_field(field: &str, expected: &str) -> Self {
        Self::validation(9102, format!("{field} must be {expected}"))
    }

    /// HTTP 403 `10000 Authentication error`: no, wrong or read-only
    /// credentials.
    pub(crate) fn authentication() -> Self {
        Self::new(403, 10000, "Authentication error")
    }

    /// HTTP 429 for the global rate limit, code 10100 as the live API
    /// sends it (the newer per-route limiter sends 971, which the schema's
    /// `minimum: 1000` on codes would refuse).
    pub(crate) fn throttled() -> Self {
        Self::new(
            429,
            10100,
            "More than 1200 requests per 300 seconds reached. Please wait and consider throttling your request speed",
        )
    }

    /// HTTP 404 for a zone id that does not exist: 7003 and 7000, as the
    /// live API answers an id it cannot route.
    pub(crate) fn zone_not_found(path: &str) -> Self {
        let mut error = Self::new(
            404,
            7003,
            format!("Could not route to {path}, perhaps your object identifier is invalid?"),
        );
        error.errors.push(ErrorItem {
            code: 7000,
            message: "No route for that URI".to_owned(),
            chain: Vec::new(),
        });
        error
    }

    /// HTTP 404 `81044 Record does not exist.`
    pub(crate) fn record_not_found() -> Self {
        Self::new(404, 81044, "Record does not exist.")
    }

    /// HTTP 404 `7000 No route for that URI`.
    pub(crate) fn no_route() -> Self {
        Self::new(404, 7000, "No route for that URI")
    }

    /// HTTP 405 for a known path with another method (code 10405, the
    /// fake's choice).
    pub(crate) fn method_not_allowed() -> Self {
        Self::new(405, 10405, "Method not allowed")
    }

    /// HTTP 400 `6007 Malformed JSON in request body`.
    pub(crate) fn malformed_json() -> Self {
        Self::bad_request(6007, "Malformed JSON in request body")
    }

    /// HTTP 400 `9207 Request body is invalid.` (valid JSON, wrong shape).
    pub(crate) fn invalid_body() -> Self {
        Self::bad_request(9207, "Request body is invalid.")
    }

    /// HTTP 400 for a bad query parameter (code 1004 without a chain).
    pub(crate) fn bad_query(message: impl Into<String>) -> Self {
        Self::bad_request(1004, message)
    }

    /// The same errors with another status (a failing batch is always 400).
    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// The top-level codes, for the request log.
    pub(crate) fn codes(&self) -> Vec<u32> {
        self.errors.iter().map(|e| e.code).collect()
    }

    /// The envelope.
    pub(crate) fn body(&self) -> Value {
        let errors: Vec<Value> = self
            .errors
            .iter()
            .map(|e| {
                let mut item = json!({"code": e.code, "message": e.message});
                if !e.chain.is_empty()
                    && let Some(object) = item.as_object_mut()
                {
                    let chain = e
                        .chain
                        .iter()
                        .map(|(code, message)| json!({"code": code, "message": message}))
                        .collect();
                    object.insert("error_chain".to_owned(), Value::Array(chain));
                }
                item
            })
            .collect();
        json!({"success": false, "errors": errors, "messages": [], "result": null})
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::ApiError;

    #[test]
    fn envelope() {
        assert_eq!(
            ApiError::validation(9004, "This record type cannot be proxied.").body(),
            json!({
                "success": false,
                "errors": [{
                    "code": 1004,
                    "message": "DNS Validation Error",
                    "error_chain": [{"code": 9004, "message": "This record type cannot be proxied."}]
                }],
                "messages": [],
                "result": null
            })
        );
        assert_eq!(ApiError::zone_not_found("/x").codes(), [7003, 7000]);
    }
}
