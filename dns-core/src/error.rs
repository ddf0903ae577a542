//! The one error type every provider returns, and the parse error behind
//! invalid input.

use std::fmt;
use std::time::Duration;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a piece of input (a name, a TXT string, a record value) was refused.
///
/// Parsing never panics; every refusal says what was parsed, the input, and
/// the rule it broke.
///
/// ```
/// let err = dns_core::Name::parse("a..b").unwrap_err();
/// assert_eq!(err.to_string(), "invalid name \"a..b\": has an empty label");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ParseError {
    what: &'static str,
    input: String,
    reason: String,
}

impl ParseError {
    /// A parse error for `what` (e.g. `"name"`), given the input and the rule broken.
    pub fn new(what: &'static str, input: impl AsRef<[u8]>, reason: impl Into<String>) -> Self {
        let input = input.as_ref();
        // Long inputs (a 64 KiB TXT) would drown the message.
        let mut shown = String::from_utf8_lossy(&input[..input.len().min(300)]).into_owned();
        if input.len() > 300 {
            shown.push('…');
        }
        Self {
            what,
            input: shown,
            reason: reason.into(),
        }
    }

    /// What was being parsed: `"name"`, `"label"`, `"TXT"`, `"SRV"`, ...
    pub fn what(&self) -> &'static str {
        self.what
    }

    /// The input (cut at 300 octets, lossily decoded).
    pub fn input(&self) -> &str {
        &self.input
    }

    /// The rule the input broke.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {} {:?}: {}", self.what, self.input, self.reason)
    }
}

impl fmt::Debug for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for ParseError {}

/// Every failure a [`DnsProvider`](crate::DnsProvider) or the
/// `dns-sd-registry`'s `ServiceRegistry` reports.
///
/// Backends convert their own errors into this one; callers and the
/// [`RetryPolicy`](crate::RetryPolicy) read only [`Error::is_retryable`] and
/// [`Error::retry_after`]. Messages never contain credentials.
///
/// ```
/// use dns_core::Error;
/// let e = Error::RateLimited { retry_after: Some(std::time::Duration::from_secs(2)), message: "429".into() };
/// assert!(e.is_retryable());
/// assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(2)));
/// assert!(!Error::ZoneNotFound { zone: "example.com.".into() }.is_retryable());
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input was refused before any request was made.
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// No zone with that name or id exists at the provider.
    #[error("zone not found: {zone}")]
    ZoneNotFound {
        /// The zone name or id asked for.
        zone: String,
    },

    /// A concurrent writer changed the data between read and write more
    /// often than the provider's bounded compare-and-swap retries allowed.
    /// Retrying the whole (idempotent) operation is safe.
    #[error("conflict: {message}")]
    Conflict {
        /// What conflicted.
        message: String,
    },

    /// A [`Change::Require`](crate::Change::Require) did not hold; nothing
    /// of the batch was applied. Re-read and decide again; retrying the same
    /// batch cannot help.
    #[error("precondition failed: {message}")]
    PreconditionFailed {
        /// Which precondition failed and what was found instead.
        message: String,
    },

    /// The provider asked us to slow down.
    #[error("rate limited: {message}")]
    RateLimited {
        /// How long the provider asked us to wait, when it said.
        retry_after: Option<Duration>,
        /// The provider's message.
        message: String,
    },

    /// Credentials are missing, wrong or lack a permission.
    #[error("authentication failed: {message}")]
    Auth {
        /// The provider's message (never the credential itself).
        message: String,
    },

    /// The provider cannot do this (a record type, a name it cannot store, an
    /// operation it lacks). Its [`Capabilities`](crate::Capabilities) say so
    /// in advance.
    #[error("{provider} does not support {what}")]
    Unsupported {
        /// The provider's short name.
        provider: String,
        /// What is not supported.
        what: String,
    },

    /// The request did not get an answer: connection, TLS, timeout.
    #[error("transport error talking to {provider}: {message}")]
    Transport {
        /// The provider's short name.
        provider: String,
        /// What went wrong.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },

    /// The provider answered with an error not covered above.
    #[error("{provider} error{}: {message}{}",
        code.as_deref().map(|c| format!(" {c}")).unwrap_or_default(),
        request_id.as_deref().map(|r| format!(" (request id {r})")).unwrap_or_default())]
    Provider {
        /// The provider's short name.
        provider: String,
        /// The provider's error code, when it gave one.
        code: Option<String>,
        /// The provider's message(s).
        message: String,
        /// The provider's request id, for support tickets.
        request_id: Option<String>,
        /// Whether the same request may succeed later (5xx, "busy").
        retryable: bool,
    },
}

impl Error {
    /// Whether trying the same operation again may succeed: rate limits,
    /// transport failures, conflicts and provider errors marked retryable.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Transport { .. } | Self::Conflict { .. } => true,
            Self::Provider { retryable, .. } => *retryable,
            Self::InvalidInput(_)
            | Self::ZoneNotFound { .. }
            | Self::PreconditionFailed { .. }
            | Self::Auth { .. }
            | Self::Unsupported { .. } => false,
        }
    }

    /// How long the provider asked us to wait before retrying, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Shorthand for [`Error::Unsupported`].
    pub fn unsupported(provider: impl Into<String>, what: impl Into<String>) -> Self {
        Self::Unsupported {
            provider: provider.into(),
            what: what.into(),
        }
    }
}

/// Lets [`RetryPolicy::run`](crate::RetryPolicy::run) take plain `Error`s as
/// well as backend types that wrap one.
impl AsRef<Self> for Error {
    fn as_ref(&self) -> &Self {
        self
    }
}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Self {
        Self::InvalidInput(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_error_cuts_long_input() {
        let e = ParseError::new("TXT", vec![b'x'; 1000], "too long");
        assert_eq!(e.input().chars().filter(|c| *c == 'x').count(), 300);
        assert!(e.input().ends_with('…'));
        let short = ParseError::new("name", "ab", "bad");
        assert_eq!(short.input(), "ab");
    }

    #[test]
    fn provider_error_display_names_code_and_request_id() {
        let e = Error::Provider {
            provider: "route53".into(),
            code: Some("InvalidChangeBatch".into()),
            message: "values do not match".into(),
            request_id: Some("abc-123".into()),
            retryable: false,
        };
        assert_eq!(
            e.to_string(),
            "route53 error InvalidChangeBatch: values do not match (request id abc-123)"
        );
        assert!(!e.is_retryable());
    }

    #[test]
    fn retryability() {
        assert!(
            Error::Conflict {
                message: String::new()
            }
            .is_retryable()
        );
        assert!(
            !Error::PreconditionFailed {
                message: String::new()
            }
            .is_retryable()
        );
        assert!(!Error::InvalidInput(String::new()).is_retryable());
        assert!(!Error::unsupported("memory", "x").is_retryable());
        let t = Error::Transport {
            provider: "cloudflare".into(),
            message: "timed out".into(),
            source: None,
        };
        assert!(t.is_retryable());
        assert_eq!(t.retry_after(), None);
    }
}
