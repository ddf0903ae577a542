//! The HTTP layer: authentication, the request budget, retries, the
//! envelope and error classification.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use dns_core::{Error, RetryPolicy};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde_json::Value;

use crate::PROVIDER;
use crate::budget::RequestBudget;
use crate::secret::Credentials;
use crate::wire::{ApiMessage, Envelope, ResultInfo};

/// Codes meaning "what you planned from is out of date": the record exists
/// already (81057, 81058) or no longer exists (81044).
const STALE_CODES: [i64; 3] = [81_057, 81_058, 81_044];
/// The longest `Retry-After` honoured.
const MAX_RETRY_AFTER_SECS: u64 = 3_600;
/// A listing never reads more pages than this, whatever the server says.
const MAX_PAGES: u64 = 100_000;
/// Codes meaning bad or insufficient credentials.
const AUTH_CODES: [i64; 8] = [10_000, 6_003, 6_103, 6_111, 9_103, 9_106, 9_107, 9_109];
/// Codes meaning the zone id is unknown.
const NO_ZONE_CODES: [i64; 3] = [7_003, 7_000, 1_001];

/// A failed call: the error for the caller, plus what the planner needs.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) error: Box<Error>,
    pub(crate) codes: Vec<i64>,
}

impl Failure {
    /// The plan was built on data that changed meanwhile (or on our own
    /// earlier attempt whose answer was lost): re-read and plan again.
    pub(crate) fn is_stale(&self) -> bool {
        self.codes.iter().any(|c| STALE_CODES.contains(c))
    }

    /// An "already exists" failure (as opposed to "no longer exists").
    pub(crate) fn is_exists(&self) -> bool {
        self.codes.iter().any(|c| [81_057, 81_058].contains(c))
    }

    fn new(error: Error) -> Self {
        Self {
            error: Box::new(error),
            codes: Vec::new(),
        }
    }
}

impl AsRef<Error> for Failure {
    fn as_ref(&self) -> &Error {
        &self.error
    }
}

impl AsMut<Error> for Failure {
    fn as_mut(&mut self) -> &mut Error {
        &mut self.error
    }
}

impl From<Failure> for Error {
    fn from(f: Failure) -> Self {
        *f.error
    }
}

/// A successful answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) result: Value,
    pub(crate) info: Option<ResultInfo>,
}

/// The configured client. Clones share the counter and the budget.
#[derive(Clone)]
pub(crate) struct Api {
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
    pub(crate) credentials: Credentials,
    pub(crate) budget: RequestBudget,
    pub(crate) retry: RetryPolicy,
    pub(crate) requests: Arc<AtomicU64>,
    /// A second counter for one operation ([`Api::counted`]).
    pub(crate) local: Option<Arc<AtomicU64>>,
}

impl Api {
    fn auth_headers(&self) -> Result<HeaderMap, Failure> {
        let bad = || {
            Failure::new(Error::Auth {
                message:
                    "the Cloudflare credentials contain characters not allowed in an HTTP header"
                        .into(),
            })
        };
        let mut headers = HeaderMap::new();
        match &self.credentials {
            Credentials::Token(token) => {
                let mut v = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
                    .map_err(|_| bad())?;
                v.set_sensitive(true);
                headers.insert(AUTHORIZATION, v);
            }
            Credentials::GlobalKey { email, key } => {
                headers.insert(
                    "X-Auth-Email",
                    HeaderValue::from_str(email).map_err(|_| bad())?,
                );
                let mut v = HeaderValue::from_str(key.expose()).map_err(|_| bad())?;
                v.set_sensitive(true);
                headers.insert("X-Auth-Key", v);
            }
        }
        Ok(headers)
    }

    /// A copy that also counts its requests in a counter of its own.
    pub(crate) fn counted(&self) -> (Self, Arc<AtomicU64>) {
        let counter = Arc::new(AtomicU64::new(0));
        let mut api = self.clone();
        api.local = Some(counter.clone());
        (api, counter)
    }

    /// Requests sent so far (every attempt counts).
    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// One call with the retry policy: retryable failures (429, 5xx,
    /// transport, malformed answers) are retried with backoff, waiting at
    /// least as long as `Retry-After` says. Every attempt's error is
    /// redacted before anything sees it (the retry loop logs it), so no
    /// error or log line shows the configured credentials, even when the
    /// server echoes them back.
    pub(crate) async fn call<B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<Answer, Failure> {
        self.retry
            .run(|| async {
                self.budget.acquire().await;
                let answer = self
                    .once(method.clone(), path, query, body)
                    .await
                    .map_err(|f| self.redacted(f));
                if let Err(failure) = &answer
                    && let Some(after) = failure.error.retry_after()
                {
                    // Cloudflare's block is per account: hold every request back.
                    self.budget.hold_off(after);
                }
                answer
            })
            .await
    }

    /// `failure` without the configured secrets in its messages.
    fn redacted(&self, mut failure: Failure) -> Failure {
        let error = std::mem::replace(&mut *failure.error, Error::InvalidInput(String::new()));
        *failure.error = error.redact(&self.credentials.secrets());
        failure
    }

    async fn once<B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<Answer, Failure> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .headers(self.auth_headers()?);
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        if let Some(local) = &self.local {
            local.fetch_add(1, Ordering::Relaxed);
        }
        tracing::trace!(%method, path, "cloudflare request");
        let response = request
            .send()
            .await
            .map_err(|e| transport(&method, path, e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| transport(&method, path, e))?;
        let ray = headers
            .get("cf-ray")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let retry_after = headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            // Cloudflare blocks for 5 minutes; an hour bounds a nonsense value.
            .map(|secs| Duration::from_secs(secs.min(MAX_RETRY_AFTER_SECS)));
        let envelope: Option<Envelope> = serde_json::from_slice(&bytes).ok();
        let errors = envelope
            .as_ref()
            .map(|e| e.errors.clone())
            .unwrap_or_default();
        let mut codes = Vec::new();
        collect_codes(&errors, &mut codes);
        let message = describe(&errors).unwrap_or_else(|| {
            format!(
                "HTTP {status}{}",
                snippet(&bytes, &self.credentials.secrets())
            )
        });
        let fail = |error: Error| Failure {
            error: Box::new(error),
            codes: codes.clone(),
        };
        if status == StatusCode::TOO_MANY_REQUESTS || codes.contains(&971) {
            return Err(fail(Error::RateLimited {
                retry_after,
                message,
            }));
        }
        if status == StatusCode::UNAUTHORIZED
            || status == StatusCode::FORBIDDEN
            || codes.iter().any(|c| AUTH_CODES.contains(c))
        {
            return Err(fail(Error::Auth { message }));
        }
        if status == StatusCode::NOT_FOUND && codes.iter().any(|c| NO_ZONE_CODES.contains(c)) {
            let zone = path
                .strip_prefix("/zones/")
                .and_then(|p| p.split('/').next())
                .unwrap_or(path);
            return Err(fail(Error::ZoneNotFound {
                zone: zone.to_owned(),
            }));
        }
        let Some(envelope) = envelope else {
            let retryable = status.is_success() || status.is_server_error();
            let why = if status.is_success() {
                "the response is not the JSON envelope the API promises"
            } else {
                "error response without a JSON envelope"
            };
            return Err(fail(Error::Provider {
                provider: PROVIDER.into(),
                code: Some(format!("HTTP {}", status.as_u16())),
                message: format!(
                    "{method} {path}: {why}{}",
                    snippet(&bytes, &self.credentials.secrets())
                ),
                request_id: ray,
                retryable,
            }));
        };
        if status.is_success() && envelope.success {
            return Ok(Answer {
                result: envelope.result,
                info: envelope.result_info,
            });
        }
        Err(fail(Error::Provider {
            provider: PROVIDER.into(),
            code: codes.first().map(ToString::to_string),
            message: format!("{method} {path}: {message}"),
            request_id: ray,
            retryable: status.is_server_error(),
        }))
    }

    /// Every item of a paginated listing.
    pub(crate) async fn list_all(
        &self,
        path: &str,
        query: &[(&str, String)],
        per_page: u32,
    ) -> Result<Vec<Value>, Failure> {
        let mut out = Vec::new();
        let mut page: u64 = 1;
        loop {
            let mut q: Vec<(&str, String)> = query.to_vec();
            q.push(("page", page.to_string()));
            q.push(("per_page", per_page.to_string()));
            let answer = self.call::<()>(Method::GET, path, &q, None).await?;
            let Value::Array(items) = answer.result else {
                return Err(Failure::new(unexpected(format!(
                    "GET {path}: the listing's result is not an array"
                ))));
            };
            let got = items.len() as u64;
            out.extend(items);
            let info = answer.info.unwrap_or_default();
            // result_info says when to stop; without it, a short page does.
            let more = match (info.total_pages, info.total_count) {
                (Some(pages), _) => page < pages,
                (None, Some(total)) => (out.len() as u64) < total,
                (None, None) => got >= u64::from(per_page),
            };
            if !more || got == 0 || page >= MAX_PAGES {
                return Ok(out);
            }
            page += 1;
        }
    }
}

/// An answer this crate cannot make sense of (not retryable: the same
/// answer would come again).
pub(crate) fn unexpected(message: String) -> Error {
    Error::Provider {
        provider: PROVIDER.into(),
        code: None,
        message,
        request_id: None,
        retryable: false,
    }
}

fn collect_codes(errors: &[ApiMessage], out: &mut Vec<i64>) {
    for e in errors {
        out.push(e.code);
        collect_codes(&e.error_chain, out);
    }
}

/// "code: message; code: message (code: chained)".
fn describe(errors: &[ApiMessage]) -> Option<String> {
    if errors.is_empty() {
        return None;
    }
    let parts: Vec<String> = errors
        .iter()
        .map(|e| {
            let chain = describe(&e.error_chain)
                .map(|c| format!(" ({c})"))
                .unwrap_or_default();
            format!("{}: {}{chain}", e.code, e.message)
        })
        .collect();
    Some(parts.join("; "))
}

/// The start of a body that is not an envelope, for the error message,
/// with `secrets` redacted before it is cut (so no prefix of one is left).
fn snippet(bytes: &[u8], secrets: &[&str]) -> String {
    if bytes.is_empty() {
        return String::new();
    }
    let mut text = String::from_utf8_lossy(bytes).into_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        text = text.replace(secret, "***");
    }
    let cut: String = text.chars().take(120).collect();
    format!(
        " (body: {:?}{})",
        cut.trim(),
        if text.chars().count() > 120 {
            "…"
        } else {
            ""
        }
    )
}

fn transport(method: &Method, path: &str, e: reqwest::Error) -> Failure {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    // reqwest's message carries the URL (no secrets: those are in headers).
    Failure::new(Error::Transport {
        provider: PROVIDER.into(),
        message: format!("{method} {path}: {what}"),
        source: Some(Box::new(e)),
    })
}
