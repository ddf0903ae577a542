//! Credentials that never show themselves in `Debug`, logs or errors.

use std::fmt;
use std::sync::Arc;

/// A secret string: an API token or a global API key.
///
/// `Debug` and `Display` print `***`; the only way to read it is
/// [`Secret::expose`], which the HTTP layer calls when it builds a header
/// (and marks that header sensitive).
///
/// ```
/// use dns_cloudflare::Secret;
/// let token = Secret::new("abc123-very-secret");
/// assert_eq!(format!("{token:?}"), "Secret(***)");
/// assert!(!format!("{token}").contains("abc123"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(Arc::from(value.into()))
    }

    /// The secret itself. Keep the result out of logs.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is empty (a sign of a mis-set environment variable).
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How requests authenticate.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// An API token (`Authorization: Bearer`): the recommended way. Scope it
    /// to `Zone.DNS: Edit` on the zones you manage.
    Token(Secret),
    /// The legacy account email and Global API Key (`X-Auth-Email`,
    /// `X-Auth-Key`). The key can do everything the account can; prefer a
    /// token.
    GlobalKey {
        /// The account's email address.
        email: String,
        /// The Global API Key.
        key: Secret,
    },
}

impl Credentials {
    /// Token credentials.
    pub fn token(token: impl Into<String>) -> Self {
        Self::Token(Secret::new(token))
    }

    /// Legacy email and Global API Key credentials.
    pub fn global_key(email: impl Into<String>, key: impl Into<String>) -> Self {
        Self::GlobalKey {
            email: email.into(),
            key: Secret::new(key),
        }
    }

    /// The secret strings, to be kept out of errors and logs.
    pub(crate) fn secrets(&self) -> [&str; 1] {
        match self {
            Self::Token(t) => [t.expose()],
            Self::GlobalKey { key, .. } => [key.expose()],
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Self::Token(t) => t.is_empty(),
            Self::GlobalKey { email, key } => email.trim().is_empty() || key.is_empty(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Token(_) => f.write_str("Token(***)"),
            Self::GlobalKey { email, .. } => f
                .debug_struct("GlobalKey")
                .field("email", email)
                .field("key", &"***")
                .finish(),
        }
    }
}
