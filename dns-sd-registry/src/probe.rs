//! Health probes for the [`Reaper`](crate::Reaper): how a published SRV
//! target is asked whether it is alive.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use dns_core::Name;

/// One SRV target as the reaper probes it: the host and port of the SRV
/// value, and the addresses the zone publishes for the host (or the system
/// resolver found, for a host outside the zone).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Endpoint {
    /// The SRV target host.
    pub host: Name,
    /// The SRV port.
    pub port: u16,
    /// The host's addresses; a probe passes when any of them answers.
    pub addresses: Vec<IpAddr>,
}

impl Endpoint {
    /// An endpoint to probe.
    pub fn new(host: Name, port: u16, addresses: Vec<IpAddr>) -> Self {
        Self {
            host,
            port,
            addresses,
        }
    }

    /// `host:port` with the host as it appears in a URL (no final dot).
    pub fn authority(&self) -> String {
        format!("{}:{}", url_host(&self.host), self.port)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

fn url_host(host: &Name) -> String {
    host.to_string().trim_end_matches('.').to_owned()
}

/// A caller's own health check: `Ok(())` when the endpoint is alive, an
/// error message when it is not. The reaper bounds each call with its
/// per-probe timeout, so a check need not time itself out.
///
/// ```
/// use async_trait::async_trait;
/// use dns_sd_registry::{Endpoint, HealthCheck};
///
/// /// Alive when the port is not 9 (a stand-in for a gRPC health call).
/// #[derive(Debug)]
/// struct NotDiscard;
///
/// #[async_trait]
/// impl HealthCheck for NotDiscard {
///     async fn check(&self, endpoint: &Endpoint) -> Result<(), String> {
///         if endpoint.port == 9 { Err("discard port".into()) } else { Ok(()) }
///     }
/// }
/// ```
#[async_trait]
pub trait HealthCheck: Send + Sync + fmt::Debug {
    /// Probes `endpoint` once.
    async fn check(&self, endpoint: &Endpoint) -> Result<(), String>;
}

/// What a probe does.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum Check {
    /// A TCP connection to the port on any of the host's addresses (the
    /// default): alive when one is accepted. Nothing is sent; the
    /// connection is closed at once.
    #[default]
    Tcp,
    /// An HTTP GET of a path that must answer 2xx (redirects are not
    /// followed, so a 3xx fails). Built with [`Check::http`].
    #[cfg(feature = "http")]
    #[cfg_attr(docsrs, doc(cfg(feature = "http")))]
    Http(Arc<HttpCheck>),
    /// A caller-supplied check.
    Custom(Arc<dyn HealthCheck>),
}

impl Check {
    /// A caller-supplied check.
    pub fn custom(check: impl HealthCheck + 'static) -> Self {
        Self::Custom(Arc::new(check))
    }

    /// `GET path` over HTTP, or HTTPS with `tls` (the certificate must be
    /// valid for the SRV target's name), answered with any 2xx.
    ///
    /// ```
    /// use dns_sd_registry::Check;
    /// let check = Check::http("/healthz", false)?;
    /// # Ok::<(), dns_core::Error>(())
    /// ```
    #[cfg(feature = "http")]
    #[cfg_attr(docsrs, doc(cfg(feature = "http")))]
    pub fn http(path: &str, tls: bool) -> dns_core::Result<Self> {
        Ok(Self::Http(Arc::new(HttpCheck::new(path, tls)?)))
    }

    /// Probes `endpoint` once, within `timeout`.
    pub async fn probe(&self, endpoint: &Endpoint, timeout: Duration) -> Result<(), String> {
        let once = async {
            match self {
                Self::Tcp => tcp(endpoint).await,
                #[cfg(feature = "http")]
                Self::Http(http) => http.get(endpoint).await,
                Self::Custom(check) => check.check(endpoint).await,
            }
        };
        match tokio::time::timeout(timeout, once).await {
            Ok(outcome) => outcome,
            Err(_) => Err(format!("no answer within {timeout:?}")),
        }
    }
}

/// Alive when any address accepts a connection to the port. The
/// addresses are tried one after another (a host has one or two), within
/// the caller's timeout.
async fn tcp(endpoint: &Endpoint) -> Result<(), String> {
    if endpoint.addresses.is_empty() {
        return Err("the host has no address".into());
    }
    let mut errors = Vec::new();
    for ip in &endpoint.addresses {
        match tokio::net::TcpStream::connect(SocketAddr::new(*ip, endpoint.port)).await {
            Ok(_) => return Ok(()),
            Err(e) => errors.push(format!("{ip}: {e}")),
        }
    }
    Err(errors.join("; "))
}

/// The HTTP(S) check: one client for every probe, whose resolver answers
/// each target's name with the addresses the zone publishes for it.
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
#[derive(Debug)]
pub struct HttpCheck {
    path: String,
    tls: bool,
    client: reqwest::Client,
    addresses: Arc<ZoneAddresses>,
}

#[cfg(feature = "http")]
impl HttpCheck {
    fn new(path: &str, tls: bool) -> dns_core::Result<Self> {
        if !path.starts_with('/') || path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(dns_core::Error::InvalidInput(format!(
                "{path:?} is not an HTTP path: it starts with / and has no spaces"
            )));
        }
        let addresses = Arc::new(ZoneAddresses::default());
        let client = reqwest::Client::builder()
            .dns_resolver(addresses.clone())
            // A pooled connection would answer for a server that has
            // since died: every probe opens its own.
            .pool_max_idle_per_host(0)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| dns_core::Error::InvalidInput(format!("the HTTP client: {e}")))?;
        Ok(Self {
            path: path.to_owned(),
            tls,
            client,
            addresses,
        })
    }

    /// The path requested.
    pub fn path(&self) -> &str {
        &self.path
    }

    async fn get(&self, endpoint: &Endpoint) -> Result<(), String> {
        if endpoint.addresses.is_empty() {
            return Err("the host has no address".into());
        }
        let host = url_host(&endpoint.host);
        self.addresses.set(&host, &endpoint.addresses);
        let scheme = if self.tls { "https" } else { "http" };
        let url = format!("{scheme}://{}{}", endpoint.authority(), self.path);
        let response = self
            .client
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("GET {url}: {}", error_chain(&e)))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("GET {url}: {status}"))
        }
    }
}

#[cfg(feature = "http")]
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Target names to the addresses the zone publishes for them, for the
/// HTTP client: the name in the URL (and in the TLS handshake) is the SRV
/// target, the connection goes where the zone says.
#[cfg(feature = "http")]
#[derive(Debug, Default)]
struct ZoneAddresses(std::sync::Mutex<std::collections::HashMap<String, Vec<IpAddr>>>);

#[cfg(feature = "http")]
impl ZoneAddresses {
    fn set(&self, host: &str, addresses: &[IpAddr]) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(host.to_ascii_lowercase(), addresses.to_vec());
    }
}

#[cfg(feature = "http")]
impl reqwest::dns::Resolve for ZoneAddresses {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let found = {
            let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
            map.get(&name.as_str().to_ascii_lowercase()).cloned()
        };
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses = found.ok_or_else(|| format!("{host}: no address in the zone"))?;
            // Port 0: the client takes the URL's port.
            let addrs: reqwest::dns::Addrs = Box::new(
                addresses
                    .into_iter()
                    .map(|ip| SocketAddr::new(ip, 0))
                    .collect::<Vec<_>>()
                    .into_iter(),
            );
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[tokio::test]
    async fn tcp_passes_on_a_listening_port_and_fails_on_a_closed_one() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let host = Name::parse("h.example.com").unwrap();
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let open = Endpoint::new(host.clone(), port, vec![ip]);
        let timeout = Duration::from_secs(5);
        assert_eq!(Check::Tcp.probe(&open, timeout).await, Ok(()));
        drop(listener);
        assert!(Check::Tcp.probe(&open, timeout).await.is_err());
        let nowhere = Endpoint::new(host, port, Vec::new());
        let err = Check::Tcp.probe(&nowhere, timeout).await.unwrap_err();
        assert!(err.contains("no address"), "{err}");
    }

    #[derive(Debug)]
    struct Slow(Duration);

    #[async_trait]
    impl HealthCheck for Slow {
        async fn check(&self, _: &Endpoint) -> Result<(), String> {
            tokio::time::sleep(self.0).await;
            Ok(())
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_check_slower_than_the_timeout_fails_and_a_slow_one_within_it_passes() {
        let e = Endpoint::new(Name::parse("h.example.com").unwrap(), 80, Vec::new());
        let timeout = Duration::from_secs(2);
        let within = Check::custom(Slow(Duration::from_millis(1_500)));
        assert_eq!(within.probe(&e, timeout).await, Ok(()));
        let beyond = Check::custom(Slow(Duration::from_millis(2_500)));
        let err = beyond.probe(&e, timeout).await.unwrap_err();
        assert!(err.contains("within"), "{err}");
    }

    #[cfg(feature = "http")]
    #[test]
    fn http_paths_start_with_a_slash() {
        assert!(Check::http("/health", false).is_ok());
        assert!(Check::http("health", false).is_err());
        assert!(Check::http("/a b", false).is_err());
    }
}
