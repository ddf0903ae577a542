//! The public observation types: the request log and its faults.

/// A fault the fake injected into one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fault {
    /// Answered HTTP 429 with `retry-after`, not applied
    /// ([`FakeCloudflare::set_throttle`](super::FakeCloudflare::set_throttle)).
    Throttled,
    /// Answered HTTP 502 with an HTML body, not applied
    /// ([`FakeCloudflare::set_server_errors`](super::FakeCloudflare::set_server_errors)).
    ServerError,
    /// Applied, but the answer was held back for a long time
    /// ([`FakeCloudflare::lose_next_answers`](super::FakeCloudflare::lose_next_answers)).
    LostAnswer,
    /// Handled normally, then answered HTTP 200 with the body cut in half
    /// ([`FakeCloudflare::set_malformed_next`](super::FakeCloudflare::set_malformed_next)).
    Malformed,
}

/// One request the fake answered, in arrival order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoggedRequest {
    /// The HTTP method, e.g. `POST`.
    pub method: String,
    /// The path as received, e.g. `/zones/<id>/dns_records`.
    pub path: String,
    /// The raw query string without `?` (empty if there was none).
    pub query: String,
    /// The HTTP status of the answer (for a lost answer, the status the
    /// client would have seen had it waited).
    pub status: u16,
    /// For `POST …/dns_records/batch`: how many operations it held
    /// (deletes + patches + puts + posts; 0 if the body did not parse).
    pub batch_operations: Option<usize>,
    /// The fault injected into this answer, if any.
    pub fault: Option<Fault>,
    /// The top-level `errors[].code`s of an error answer (empty on
    /// success and for the HTML 502).
    pub error_codes: Vec<u32>,
}

impl LoggedRequest {
    /// Whether this was a `POST …/dns_records/batch`.
    pub fn is_batch(&self) -> bool {
        self.batch_operations.is_some()
    }

    /// Whether the method changes state (`POST`, `PUT`, `PATCH`, `DELETE`).
    pub fn is_write(&self) -> bool {
        matches!(self.method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE")
    }
}
