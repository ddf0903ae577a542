//! [`Rfc2136Builder`]: the server, its zones, the TSIG key, timeouts and
//! retries.

use std::ffi::OsString;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dns_core::{Error, Name, RetryPolicy, Zone};

use crate::exchange::Exchange;
use crate::provider::Rfc2136Provider;
use crate::tsig::TsigKey;

/// The environment variable naming the server (`IP` or `IP:PORT`).
pub const ENV_SERVER: &str = "RFC2136_SERVER";
/// The environment variable naming a BIND key file (its first key is used).
pub const ENV_TSIG_KEY_FILE: &str = "RFC2136_TSIG_KEY_FILE";

/// The default wait for one answer.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// A whole zone transfer may take many answers.
const TRANSFER_TIMEOUT_FACTOR: u32 = 12;

/// Builds an [`Rfc2136Provider`].
///
/// ```
/// use std::time::Duration;
/// use dns_core::{DnsProvider, Name, RetryPolicy};
/// use dns_rfc2136::{Rfc2136Builder, TsigAlgorithm, TsigKey};
///
/// let key = TsigKey::new(Name::parse("update-key")?, TsigAlgorithm::HmacSha256, "AAECAwQFBgc=")?;
/// let provider = Rfc2136Builder::new("127.0.0.1:53".parse()?)
///     .with_zone(Name::parse("example.com")?)
///     .with_tsig_key(key)
///     .with_timeout(Duration::from_secs(5))
///     .with_retry(RetryPolicy::new().with_max_attempts(3))
///     .build()?;
/// assert_eq!(provider.provider_name(), "rfc2136");
/// // The secret never shows.
/// assert!(!format!("{provider:?}").contains("AAECAwQFBgc="));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Rfc2136Builder {
    server: Option<SocketAddr>,
    zones: Vec<Name>,
    key: Option<TsigKey>,
    timeout: Duration,
    retry: RetryPolicy,
    problem: Option<String>,
}

impl Rfc2136Builder {
    /// A builder for the server at `server` (port 53 for a standard one).
    pub fn new(server: SocketAddr) -> Self {
        Self {
            server: Some(server),
            zones: Vec::new(),
            key: None,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            problem: None,
        }
    }

    /// A builder from [`ENV_SERVER`] (`IP` or `IP:PORT`, port 53 when
    /// left out) and [`ENV_TSIG_KEY_FILE`] (optional; its first key). A
    /// missing or bad value makes [`build`](Self::build) fail with
    /// [`Error::InvalidInput`].
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var_os(name))
    }

    /// [`from_env`](Self::from_env) reading the variables through
    /// `lookup` (for configuration that is not in the process environment).
    ///
    /// ```
    /// use dns_rfc2136::Rfc2136Builder;
    /// let error = Rfc2136Builder::from_lookup(|_| None).build().unwrap_err();
    /// assert!(error.to_string().contains("RFC2136_SERVER"));
    /// let built = Rfc2136Builder::from_lookup(|name| {
    ///     (name == "RFC2136_SERVER").then(|| "192.0.2.53".into())
    /// })
    /// .build()
    /// .unwrap();
    /// assert_eq!(built.server().port(), 53);
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<OsString>) -> Self {
        let mut builder = Self::new(SocketAddr::from(([127, 0, 0, 1], 53)));
        builder.server = None;
        match lookup(ENV_SERVER).map(|v| v.to_string_lossy().into_owned()) {
            Some(text) => match parse_server(&text) {
                Some(server) => builder.server = Some(server),
                None => {
                    builder.problem = Some(format!("{ENV_SERVER}={text:?} is not IP or IP:PORT"));
                }
            },
            None => builder.problem = Some(format!("{ENV_SERVER} is not set")),
        }
        if let Some(path) = lookup(ENV_TSIG_KEY_FILE).filter(|p| !p.is_empty()) {
            match TsigKey::from_bind_file(&path) {
                Ok(keys) => match keys.into_iter().next() {
                    Some(key) => builder.key = Some(key),
                    None => {
                        builder.problem.get_or_insert_with(|| {
                            format!(
                                "{ENV_TSIG_KEY_FILE}: no key statement in {}",
                                path.to_string_lossy()
                            )
                        });
                    }
                },
                Err(error) => {
                    builder
                        .problem
                        .get_or_insert_with(|| format!("{ENV_TSIG_KEY_FILE}: {error}"));
                }
            }
        }
        builder
    }

    /// Adds a zone the server serves (repeatable). With zones given,
    /// `find_zone` picks among them without asking the server; without,
    /// it asks the server for the SOA of the name.
    pub fn with_zone(mut self, zone: Name) -> Self {
        if !self.zones.contains(&zone) {
            self.zones.push(zone);
        }
        self
    }

    /// Signs UPDATEs and zone transfers with this key (and verifies the
    /// answers). Without one, requests go unsigned (servers that allow
    /// updates by address only).
    pub fn with_tsig_key(mut self, key: TsigKey) -> Self {
        self.key = Some(key);
        self
    }

    /// How long to wait for one answer (default 10 s); a zone transfer
    /// gets twelve times as long.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The retry policy for timeouts, connection failures and SERVFAIL.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The provider, or [`Error::InvalidInput`] for a missing server or an
    /// unusable key.
    pub fn build(self) -> Result<Rfc2136Provider, Error> {
        if let Some(problem) = self.problem {
            return Err(Error::InvalidInput(problem));
        }
        let server = self
            .server
            .ok_or_else(|| Error::InvalidInput(format!("no server: {ENV_SERVER} is not set")))?;
        let signer = self.key.as_ref().map(TsigKey::signer).transpose()?;
        Ok(Rfc2136Provider {
            exchange: Exchange {
                server,
                timeout: self.timeout,
                transfer_timeout: self.timeout.saturating_mul(TRANSFER_TIMEOUT_FACTOR),
                signer,
                key_name: self.key.as_ref().map(|k| k.name().clone()),
                messages: Arc::new(AtomicUsize::new(0)),
            },
            zones: self
                .zones
                .iter()
                .map(|z| Zone::new(z.to_string(), z.clone()))
                .collect(),
            found: Mutex::new(Vec::new()),
            retry: self.retry,
        })
    }
}

fn parse_server(text: &str) -> Option<SocketAddr> {
    let text = text.trim();
    text.parse::<SocketAddr>().ok().or_else(|| {
        text.parse::<IpAddr>()
            .ok()
            .map(|ip| SocketAddr::new(ip, 53))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_parse_with_and_without_port() {
        assert_eq!(
            parse_server("192.0.2.1"),
            Some(SocketAddr::from(([192, 0, 2, 1], 53)))
        );
        assert_eq!(
            parse_server(" 192.0.2.1:5353 "),
            Some(SocketAddr::from(([192, 0, 2, 1], 5353)))
        );
        assert_eq!(parse_server("[::1]:53").map(|s| s.port()), Some(53));
        assert_eq!(parse_server("ns.example.com"), None);
    }
}
