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

    /// A retryable failure that was retried until the retry policy gave up:
    /// `source` is the last attempt's error. Set by
    /// [`RetryPolicy::run`](crate::RetryPolicy::run) and by backends when
    /// their retry layer gives up, so that nobody retries it again
    /// ([`Error::attempts`]). Only errors that were retried at least once
    /// are wrapped.
    #[error("{source} (after {attempts} attempts)")]
    Retried {
        /// Attempts made, the first included (at least 2).
        attempts: u32,
        /// The last attempt's error.
        source: Box<Self>,
    },

    /// An apply larger than one request failed after some of its requests
    /// had taken effect. `report` says exactly which changes took effect
    /// ([`ApplyReport::applied`](crate::ApplyReport::applied), indices into
    /// the batch); the others did not. Applying the same batch again
    /// completes it (every change is idempotent).
    #[error("{} of {total} changes were applied before this failure: {source}", report.applied.len())]
    PartiallyApplied {
        /// What took effect before the failure.
        report: Box<crate::ApplyReport>,
        /// The number of changes in the batch.
        total: usize,
        /// The failure that stopped the apply.
        source: Box<Self>,
    },
}

impl Error {
    /// Whether trying the same operation again may succeed: rate limits,
    /// transport failures, conflicts and provider errors marked retryable.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Transport { .. } | Self::Conflict { .. } => true,
            Self::Provider { retryable, .. } => *retryable,
            Self::Retried { source, .. } | Self::PartiallyApplied { source, .. } => {
                source.is_retryable()
            }
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
            Self::Retried { source, .. } | Self::PartiallyApplied { source, .. } => {
                source.retry_after()
            }
            _ => None,
        }
    }

    /// How many attempts the layer that produced this error made: more
    /// than 1 when it was already retried ([`Error::Retried`]), so a caller
    /// knows that retrying again only multiplies the requests.
    ///
    /// ```
    /// use dns_core::Error;
    /// let once = Error::RateLimited { retry_after: None, message: "429".into() };
    /// assert_eq!(once.attempts(), 1);
    /// let retried = once.retried(5);
    /// assert_eq!(retried.attempts(), 5);
    /// assert!(retried.is_retryable());
    /// assert!(retried.to_string().ends_with("(after 5 attempts)"));
    /// ```
    pub fn attempts(&self) -> u32 {
        match self {
            Self::Retried { attempts, .. } => *attempts,
            Self::PartiallyApplied { source, .. } => source.attempts(),
            _ => 1,
        }
    }

    /// This error marked as the last of `attempts` attempts
    /// ([`Error::Retried`]); unchanged when `attempts` is 1 or less. An
    /// error already marked keeps the larger count.
    pub fn retried(self, attempts: u32) -> Self {
        match self {
            _ if attempts <= 1 => self,
            Self::Retried {
                attempts: before,
                source,
            } => Self::Retried {
                attempts: attempts.max(before),
                source,
            },
            other => Self::Retried {
                attempts,
                source: Box::new(other),
            },
        }
    }

    /// The error underneath [`Error::Retried`] and
    /// [`Error::PartiallyApplied`]: the one that says what went wrong.
    ///
    /// ```
    /// use dns_core::Error;
    /// let e = Error::InvalidInput("bad".into()).retried(3);
    /// assert!(matches!(e.root(), Error::InvalidInput(_)));
    /// ```
    pub fn root(&self) -> &Self {
        match self {
            Self::Retried { source, .. } | Self::PartiallyApplied { source, .. } => source.root(),
            other => other,
        }
    }

    /// The indices (into the batch) of the changes that took effect before
    /// an [`Error::PartiallyApplied`]; `None` for any other error, after
    /// which nothing of the batch took effect.
    ///
    /// ```
    /// use dns_core::{ApplyReport, Error};
    /// // A batch of 3 split in two requests; the second was refused after
    /// // the first had applied changes 0 and 1.
    /// let err = ApplyReport::new(1, false)
    ///     .with_applied([0, 1])
    ///     .into_partial_error(3, Error::InvalidInput("refused".into()));
    /// assert_eq!(err.applied(), Some(&[0, 1][..]));
    /// assert!(err.to_string().starts_with("2 of 3 changes were applied"));
    /// assert_eq!(Error::InvalidInput("x".into()).applied(), None);
    /// ```
    pub fn applied(&self) -> Option<&[usize]> {
        match self {
            Self::PartiallyApplied { report, .. } => Some(&report.applied),
            Self::Retried { source, .. } => source.applied(),
            _ => None,
        }
    }

    /// The same error with every occurrence of each of `secrets` (empty
    /// ones ignored) replaced by `***` in every message, and a transport
    /// error's source dropped when its text shows a secret. Backends pass
    /// their configured credentials through this before an error leaves
    /// them, so a server or proxy that echoes a header back cannot leak it.
    ///
    /// ```
    /// use dns_core::Error;
    /// let echoed = Error::Auth { message: "bad header: Bearer tok-123".into() };
    /// let clean = echoed.redact(&["tok-123"]);
    /// assert_eq!(clean.to_string(), "authentication failed: bad header: Bearer ***");
    /// ```
    #[must_use]
    pub fn redact<S: AsRef<str>>(self, secrets: &[S]) -> Self {
        let secrets: Vec<&str> = secrets
            .iter()
            .map(AsRef::as_ref)
            .filter(|s| !s.is_empty())
            .collect();
        if secrets.is_empty() {
            return self;
        }
        let clean = |text: String| redact_text(text, &secrets);
        match self {
            Self::InvalidInput(m) => Self::InvalidInput(clean(m)),
            Self::ZoneNotFound { zone } => Self::ZoneNotFound { zone: clean(zone) },
            Self::Conflict { message } => Self::Conflict {
                message: clean(message),
            },
            Self::PreconditionFailed { message } => Self::PreconditionFailed {
                message: clean(message),
            },
            Self::RateLimited {
                retry_after,
                message,
            } => Self::RateLimited {
                retry_after,
                message: clean(message),
            },
            Self::Auth { message } => Self::Auth {
                message: clean(message),
            },
            Self::Unsupported { provider, what } => Self::Unsupported {
                provider,
                what: clean(what),
            },
            Self::Transport {
                provider,
                message,
                source,
            } => Self::Transport {
                provider,
                message: clean(message),
                source: source.filter(|s| {
                    let text = format!("{s} {s:?}");
                    !secrets.iter().any(|secret| text.contains(secret))
                }),
            },
            Self::Provider {
                provider,
                code,
                message,
                request_id,
                retryable,
            } => Self::Provider {
                provider,
                code: code.map(clean),
                message: clean(message),
                request_id: request_id.map(clean),
                retryable,
            },
            Self::Retried { attempts, source } => Self::Retried {
                attempts,
                source: Box::new(source.redact(&secrets)),
            },
            Self::PartiallyApplied {
                report,
                total,
                source,
            } => Self::PartiallyApplied {
                report,
                total,
                source: Box::new(source.redact(&secrets)),
            },
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

/// Replaces every occurrence of each secret in `text` with `***`.
pub(crate) fn redact_text(text: String, secrets: &[&str]) -> String {
    if secrets.iter().any(|s| text.contains(s)) {
        secrets
            .iter()
            .fold(text, |t, secret| t.replace(secret, "***"))
    } else {
        text
    }
}

/// Lets [`RetryPolicy::run`](crate::RetryPolicy::run) take plain `Error`s as
/// well as backend types that wrap one.
impl AsRef<Self> for Error {
    fn as_ref(&self) -> &Self {
        self
    }
}

/// Lets [`RetryPolicy::run`](crate::RetryPolicy::run) mark the error it
/// gives up with ([`Error::retried`]).
impl AsMut<Self> for Error {
    fn as_mut(&mut self) -> &mut Self {
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
    fn redaction_reaches_every_message_and_nested_error() {
        let secret = "tok-SECRET-123";
        let echoed = format!("header Authorization: Bearer {secret} refused");
        let errors = [
            Error::Provider {
                provider: "cloudflare".into(),
                code: Some("HTTP 400".into()),
                message: echoed.clone(),
                request_id: None,
                retryable: false,
            },
            Error::Auth {
                message: echoed.clone(),
            },
            Error::Transport {
                provider: "cloudflare".into(),
                message: echoed.clone(),
                source: Some(echoed.clone().into()),
            },
            Error::RateLimited {
                retry_after: None,
                message: echoed,
            }
            .retried(3),
        ];
        for e in errors {
            let clean = e.redact(&[secret, ""]);
            let shown = format!("{clean} {clean:?}");
            assert!(!shown.contains(secret), "{shown}");
            assert!(shown.contains("Bearer ***"), "{shown}");
        }
    }

    #[test]
    fn retried_and_partial_errors_keep_the_root_and_retryability() {
        let root = Error::Provider {
            provider: "route53".into(),
            code: Some("InternalFailure".into()),
            message: "boom".into(),
            request_id: None,
            retryable: true,
        };
        let retried = root.retried(5);
        assert_eq!(retried.attempts(), 5);
        assert!(retried.is_retryable());
        assert_eq!(retried.applied(), None);
        assert_eq!(retried.retried(3).attempts(), 5, "keeps the larger count");
        let partial = crate::ApplyReport::new(3, false)
            .with_applied([0, 2])
            .into_partial_error(4, Error::InvalidInput("x".into()).retried(1));
        assert_eq!(partial.applied(), Some(&[0, 2][..]));
        assert!(!partial.is_retryable());
        assert_eq!(partial.attempts(), 1);
        assert!(matches!(partial.root(), Error::InvalidInput(_)));
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
