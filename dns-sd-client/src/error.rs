//! The resolver's error type.

use dns_core::{Name, ParseError, RecordType};

/// Why a lookup or discovery failed.
///
/// Negative answers are not errors: an NXDOMAIN or empty answer to a browse
/// is an empty list. An error means the question could not be answered.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input could not be turned into a query (bad name, service type...).
    #[error("invalid input: {0}")]
    InvalidInput(#[from] ParseError),

    /// The resolver could not be set up (no name servers, unreadable
    /// /etc/resolv.conf...).
    #[error("resolver configuration: {0}")]
    Config(String),

    /// The name has no record of the type asked for (for example an instance
    /// without SRV records, when one was required).
    #[error("{name} has no {record_type} records")]
    NotFound {
        /// The name queried.
        name: Name,
        /// The type queried.
        record_type: RecordType,
    },

    /// No server answered in time, after every attempt.
    #[error("{record_type} query for {name} timed out")]
    Timeout {
        /// The name queried.
        name: Name,
        /// The type queried.
        record_type: RecordType,
    },

    /// A server answered with an error code (SERVFAIL, REFUSED, ...).
    #[error("{record_type} query for {name}: server answered {code}")]
    Server {
        /// The name queried.
        name: Name,
        /// The type queried.
        record_type: RecordType,
        /// The response code, as text (`SERVFAIL`, `REFUSED`, ...).
        code: String,
    },

    /// The query could not be sent or the answer could not be read.
    #[error("{record_type} query for {name}: {message}")]
    Transport {
        /// The name queried.
        name: Name,
        /// The type queried.
        record_type: RecordType,
        /// What went wrong, from the DNS library.
        message: String,
    },

    /// A service or instance name was resolved for a connection (by
    /// `SrvResolver`) and gave no address to connect to.
    #[error("{name}: {reason}")]
    NoAddress {
        /// The service or instance name, after alias lookup.
        name: Name,
        /// What was missing.
        reason: NoAddressReason,
    },

    /// The system resolver (`getaddrinfo`, which reads /etc/hosts) could
    /// not resolve a host that is not a DNS-SD name.
    #[error("system resolver: {host}: {message}")]
    SystemResolver {
        /// The host, as the URL spelled it.
        host: String,
        /// What the operating system said.
        message: String,
    },
}

/// Why a name gave no address to connect to (see [`Error::NoAddress`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoAddressReason {
    /// No instance is listed (no PTR record), and there is no SRV record at
    /// the name either.
    #[error("no instances and no SRV records")]
    NoInstances,
    /// The only SRV targets are ".": RFC 2782's "decidedly not available".
    #[error("the service is deliberately unavailable (SRV target \".\")")]
    Unavailable,
    /// Targets exist, but none has an address (or every address lookup
    /// failed).
    #[error("no SRV target has an address")]
    NoAddresses,
}

impl Error {
    /// Whether asking again later may succeed (timeouts, transport errors,
    /// SERVFAIL, the system resolver, targets without addresses); bad input,
    /// configuration, missing records, deliberately unavailable services and
    /// refusals are not retryable.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Timeout { .. } | Self::Transport { .. } | Self::SystemResolver { .. } => true,
            Self::NoAddress { reason, .. } => *reason == NoAddressReason::NoAddresses,
            Self::Server { code, .. } => code.eq_ignore_ascii_case("SERVFAIL"),
            Self::InvalidInput(_) | Self::Config(_) | Self::NotFound { .. } => false,
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
