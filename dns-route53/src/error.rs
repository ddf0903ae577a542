//! Converting the SDK's errors into dns-core's [`Error`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use aws_sdk_route53::config::http::HttpResponse;
use aws_sdk_route53::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_route53::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_route53::error::BoxError;
use aws_sdk_route53::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_route53::operation::RequestId;
use aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsError;
use dns_core::Error;

pub(crate) const PROVIDER: &str = "route53";

/// Error codes AWS uses for missing, wrong or insufficient credentials.
const AUTH_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "ExpiredToken",
    "ExpiredTokenException",
    "IncompleteSignature",
    "InvalidAccessKeyId",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "MissingAuthenticationToken",
    "NotAuthorized",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
];

/// What a change batch's InvalidChangeBatch messages say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BatchRejection {
    /// Someone changed a set between our read and our write: re-read and retry.
    Conflict,
    /// The batch itself is wrong (a CNAME clash, a bad value): retrying cannot help.
    Invalid,
}

/// Sorts InvalidChangeBatch messages: stale reads show up as "not found",
/// "do not match" or "already exists"; anything else is a real refusal.
pub(crate) fn classify(messages: &[String]) -> BatchRejection {
    let stale = |m: &String| {
        m.contains("but it was not found")
            || m.contains("values provided do not match")
            || m.contains("but it already exists")
    };
    if !messages.is_empty() && messages.iter().all(stale) {
        BatchRejection::Conflict
    } else {
        BatchRejection::Invalid
    }
}

/// The parts of an SDK error we keep.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: Option<String>,
    /// InvalidChangeBatch's messages, one per failing change.
    pub(crate) messages: Vec<String>,
    pub(crate) message: String,
    pub(crate) request_id: Option<String>,
    pub(crate) status: Option<u16>,
}

impl Failure {
    pub(crate) fn of<E>(err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let (code, messages, message) = match err {
            SdkError::ServiceError(e) => {
                let messages = batch_messages(e.err());
                let message = if messages.is_empty() {
                    e.err().message().map_or_else(
                        || not_route53(e.raw().status().as_u16(), e.err()),
                        str::to_owned,
                    )
                } else {
                    messages.join("; ")
                };
                (e.err().code().map(str::to_owned), messages, message)
            }
            other => (None, Vec::new(), chain(other)),
        };
        Self {
            code,
            messages,
            message,
            request_id: err.request_id().map(str::to_owned),
            status: err.raw_response().map(|r| r.status().as_u16()),
        }
    }
}

/// An answer with no AWS error code or message (a proxy's HTML page, an
/// empty body): one line with the HTTP status, never the SDK's `Debug`.
fn not_route53(status: u16, err: &(dyn std::error::Error + 'static)) -> String {
    format!(
        "HTTP {status}: the answer is not a Route 53 error document ({})",
        chain(err)
    )
}

/// An error and its sources on one line (`a: b: c`), each shown once,
/// without the `Debug` dump the SDK's own rendering appends.
pub(crate) fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        let text = text.trim();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(text)) {
            parts.push(text.to_owned());
        }
        next = e.source();
    }
    let line = parts.join(": ").replace(['\n', '\r'], " ");
    match line.char_indices().nth(400) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

/// InvalidChangeBatch carries one message per failing change; keep them all.
fn batch_messages(err: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let batch = err
        .downcast_ref::<ChangeResourceRecordSetsError>()
        .and_then(|e| match e {
            ChangeResourceRecordSetsError::InvalidChangeBatch(b) => Some(b),
            _ => None,
        });
    let Some(batch) = batch else {
        return Vec::new();
    };
    if !batch.messages().is_empty() {
        return batch.messages().to_vec();
    }
    batch.message().map(split_messages).unwrap_or_default()
}

/// The live service sends InvalidChangeBatch's messages as one text,
/// `[first, second]`, rather than in the modelled list. Splits it at the
/// commas between messages (those outside the `[name='…', type='…']` parts).
pub(crate) fn split_messages(text: &str) -> Vec<String> {
    let inner = text
        .trim()
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let bytes = inner.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'[' => depth += 1,
            b']' => depth = depth.saturating_sub(1),
            b',' if depth == 0
                && bytes.get(i + 1) == Some(&b' ')
                && bytes.get(i + 2).is_some_and(u8::is_ascii_uppercase) =>
            {
                out.push(inner[start..i].trim().to_owned());
                start = i + 2;
            }
            _ => {}
        }
    }
    out.push(inner[start..].trim().to_owned());
    out.retain(|m| !m.is_empty());
    out
}

/// Counts the SDK's attempts of one operation (its retries included), so an
/// error can say how often it was tried ([`Error::retried`]). Added to each
/// call with `.customize().interceptor(..)`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Attempts(Arc<AtomicU32>);

impl Attempts {
    /// Attempts so far.
    pub(crate) fn get(&self) -> u32 {
        self.0.load(Ordering::Relaxed)
    }
}

impl Intercept for Attempts {
    fn name(&self) -> &'static str {
        "dns-route53-attempts"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// [`convert`], marked with the attempts the SDK made ([`Error::Retried`]
/// when it retried).
pub(crate) fn convert_after<E>(
    err: SdkError<E, HttpResponse>,
    zone: Option<&str>,
    attempts: &Attempts,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    convert(err, zone).retried(attempts.get())
}

/// Converts any SDK error. `zone` names the zone for `NoSuchHostedZone`.
pub(crate) fn convert<E>(err: SdkError<E, HttpResponse>, zone: Option<&str>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let failure = Failure::of(&err);
    if let Some(missing) = missing_credentials(&err) {
        return Error::Auth { message: missing };
    }
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            Error::Transport {
                provider: PROVIDER.into(),
                message: failure.message,
                source: Some(Box::new(err)),
            }
        }
        SdkError::ConstructionFailure(_) if failure.message.contains("credential") => Error::Auth {
            message: failure.message,
        },
        _ => from_failure(failure, zone),
    }
}

/// When the request never left because the credentials chain found
/// nothing (or failed), a plain message naming where to put credentials;
/// the SDK's own rendering of this case runs to a screenful of `Debug`.
fn missing_credentials(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    use aws_credential_types::provider::error::CredentialsError;
    let mut source = err.source();
    while let Some(e) = source {
        if let Some(creds) = e.downcast_ref::<CredentialsError>() {
            return Some(match creds {
                CredentialsError::CredentialsNotLoaded(_) => "no AWS credentials found (tried the environment, \
                    the shared config and credentials files, web identity, ECS and EC2 instance metadata): \
                    set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with an instance role"
                    .to_owned(),
                // The reason (IMDS answered 403, a profile without keys, an
                // expired SSO session) is in the sources: keep it, and say
                // where credentials come from.
                other => format!(
                    "loading AWS credentials failed: {}; check that source, or set AWS_PROFILE, \
                     or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
                    chain(other)
                ),
            });
        }
        source = e.source();
    }
    None
}

/// Maps a service error by its code.
pub(crate) fn from_failure(f: Failure, zone: Option<&str>) -> Error {
    let code = f.code.as_deref().unwrap_or_default();
    match code {
        "Throttling" | "ThrottlingException" | "RequestLimitExceeded" => Error::RateLimited {
            retry_after: None,
            message: with_request_id(&f.message, f.request_id.as_deref()),
        },
        "NoSuchHostedZone" => Error::ZoneNotFound {
            zone: zone.unwrap_or(&f.message).to_owned(),
        },
        c if AUTH_CODES.contains(&c) || matches!(f.status, Some(401 | 403)) => Error::Auth {
            message: with_request_id(&format!("{c}: {}", f.message), f.request_id.as_deref()),
        },
        _ => Error::Provider {
            provider: PROVIDER.into(),
            retryable: matches!(
                code,
                "PriorRequestNotComplete"
                    | "ServiceUnavailable"
                    | "InternalFailure"
                    | "InternalError"
                    | "RequestTimeout"
            ) || f.status.is_some_and(|s| s >= 500),
            code: f.code,
            message: f.message,
            request_id: f.request_id,
        },
    }
}

fn with_request_id(message: &str, id: Option<&str>) -> String {
    match id {
        Some(id) => format!("{message} (request id {id})"),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: &str) -> Failure {
        Failure {
            code: Some(code.into()),
            messages: Vec::new(),
            message: "m".into(),
            request_id: Some("r-1".into()),
            status: Some(400),
        }
    }

    #[test]
    fn codes_map_to_kinds() {
        assert!(matches!(
            from_failure(failure("Throttling"), None),
            Error::RateLimited { .. }
        ));
        let prior = from_failure(failure("PriorRequestNotComplete"), None);
        assert!(prior.is_retryable(), "{prior}");
        assert!(prior.to_string().contains("r-1"), "{prior}");
        assert!(matches!(
            from_failure(failure("NoSuchHostedZone"), Some("Z1")),
            Error::ZoneNotFound { zone } if zone == "Z1"
        ));
        assert!(matches!(
            from_failure(failure("InvalidClientTokenId"), None),
            Error::Auth { .. }
        ));
        let invalid = from_failure(failure("InvalidInput"), None);
        assert!(!invalid.is_retryable());
    }

    #[test]
    fn chains_keep_every_reason_on_one_line() {
        #[derive(Debug)]
        struct E(&'static str, Option<Box<Self>>);
        impl std::fmt::Display for E {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.0)
            }
        }
        impl std::error::Error for E {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                self.1.as_deref().map(|e| e as _)
            }
        }
        let inner = E("HTTP 403 Forbidden\nfrom IMDS", None);
        let err = E(
            "failed to load credentials",
            Some(Box::new(E("imds", Some(Box::new(inner))))),
        );
        let text = chain(&err);
        assert_eq!(
            text,
            "failed to load credentials: imds: HTTP 403 Forbidden from IMDS"
        );
        assert!(!text.contains("E("), "no Debug: {text}");
    }

    #[test]
    fn live_message_lists_are_split() {
        let text = "[Tried to create resource record set [name='a.', type='A'] but it already exists, \
                    RRSet of type CNAME with DNS name b. is not permitted as it conflicts with other records]";
        let parts = split_messages(text);
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert!(parts[0].ends_with("already exists"));
        assert!(parts[1].starts_with("RRSet of type CNAME"));
        assert_eq!(classify(&parts), BatchRejection::Invalid);
        assert_eq!(split_messages("plain message"), ["plain message"]);
    }

    #[test]
    fn stale_reads_are_conflicts() {
        let msg = |s: &str| vec![s.to_owned()];
        assert_eq!(
            classify(&msg(
                "Tried to create resource record set [name='a.', type='A'] but it already exists"
            )),
            BatchRejection::Conflict
        );
        assert_eq!(
            classify(&msg(
                "Tried to delete resource record set [name='a.', type='A'] but the values provided do not match the current values"
            )),
            BatchRejection::Conflict
        );
        assert_eq!(
            classify(&msg(
                "RRSet of type CNAME with DNS name a. is not permitted as it conflicts with other records with the same DNS name in zone z."
            )),
            BatchRejection::Invalid
        );
        assert_eq!(classify(&[]), BatchRejection::Invalid);
    }
}
