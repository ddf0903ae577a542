//! DNS-SD names as URL hosts for reqwest and hyper-util: [`SrvResolver`]
//! turns the host of a URL into socket addresses in RFC 2782 order, with
//! the ports of the SRV records.
//!
//! # The URL form
//!
//! The host of the URL is looked at, in this order:
//!
//! 1. **An alias** given to [`SrvResolver::with_alias`] (compared without
//!    regard to ASCII case or a trailing dot) stands for the name it was
//!    given: a service name or an instance name. Instance names hold
//!    spaces and other characters a URL host cannot, so this is how a URL
//!    reaches one chosen instance (`http://api.internal/` for
//!    `API\032EU-1._http._tcp.example.com.`).
//! 2. **A service name** `_service._proto.<domain>`
//!    (`http://_http._tcp.example.com/`): every instance listed by the PTR
//!    records is resolved, and all their targets are ordered together as
//!    one SRV set (lowest priority first, weighted random within a
//!    priority, as [`Discovery::candidates`](crate::Discovery::candidates)
//!    describes). When no instance is listed (no PTR record, or NXDOMAIN),
//!    the SRV records at that same name are used instead, so classic
//!    RFC 2782 records (`_http._tcp.example.com. SRV 10 5 8080 web-1...`)
//!    work too.
//! 3. **An instance name** whose instance label is a valid URL host
//!    (`http://web-1._http._tcp.example.com/`): that instance's targets.
//! 4. **Any other host** falls through to ordinary address resolution (see
//!    [`FallThrough`]): by default the system resolver, which reads
//!    /etc/hosts as reqwest's own resolver does.
//!
//! An IP address in the URL never reaches a resolver: reqwest and hyper
//! connect to it directly.
//!
//! # Ports
//!
//! Each address of an SRV target carries the target's SRV port. reqwest and
//! hyper-util keep a non-zero port from a resolver when the URL has none,
//! so `http://_http._tcp.example.com/` connects to the SRV ports. A port in
//! the URL (`http://_http._tcp.example.com:9000/`) wins over the SRV port.
//! Fall-through addresses carry port 0, which both clients replace with the
//! URL's port or the scheme's default (80, 443).
//!
//! # Priorities and weights
//!
//! reqwest and hyper-util try the addresses of one connection in the order
//! given, moving to the next when a connection is refused or times out.
//! Every resolution draws a new RFC 2782 order, so a new connection goes
//! to the lowest priority first, spread over that priority by weight, and
//! falls over to higher priorities when those targets do not answer. Two
//! caveats, both the clients' own:
//!
//! * with IPv4 and IPv6 addresses mixed, hyper-util ("happy eyeballs") tries
//!   the addresses of the first address's family in order, and starts on
//!   the other family's addresses, in order, 300 ms later;
//! * connections are pooled and reused, so weights spread connections, not
//!   requests; a client that keeps one connection open keeps one target.
//!
//! Targets that cannot be connected to are never returned: "." targets
//! (the service is deliberately unavailable, an error), port 0, and
//! targets without addresses.
//!
//! # Caching
//!
//! DNS answers come through the [`DnsSdClient`]'s cache, which keeps them
//! for their TTLs (negative answers too): a new connection within a TTL
//! costs no query, and a change to the records is seen once the old ones
//! expire. Only the order is drawn anew each time. Fall-through names go to
//! the system resolver, which does its own caching (often none).
//!
//! # Errors
//!
//! A service with no instance and no SRV records, one that is
//! deliberately unavailable, or whose targets have no addresses gives
//! [`Error::NoAddress`] naming the service; a failed DNS query gives its own
//! error. reqwest reports either as a connect error whose source chain
//! holds this crate's [`Error`].
//!
//! # Example
//!
//! One instance registered in a zone served from memory; its URL host
//! resolves to its address with the SRV port, and reqwest takes the
//! resolver as it is:
//!
//! ```
//! use std::sync::Arc;
//! use dns_core::{InMemoryProvider, Name, ServiceInstance, Target};
//! use dns_sd_client::{DnsSdClient, SrvResolver};
//! use dns_sd_registry::ServiceRegistry;
//! use dns_testkit::TestServer;
//!
//! # #[tokio::main(flavor = "multi_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let memory = InMemoryProvider::new();
//! let domain = Name::parse("example.com")?;
//! memory.create_zone(domain.clone())?;
//! let server = TestServer::start(memory.clone()).await?;
//! let web = ServiceInstance::new("API EU-1", "_http._tcp".parse()?, domain)?
//!     .with_target(Target::new(Name::parse("eu-1.example.com")?, 8080)
//!         .with_address("192.0.2.10".parse()?));
//! ServiceRegistry::new(Arc::new(memory.clone())).register(&web).await?;
//!
//! let resolver = SrvResolver::new(DnsSdClient::with_name_servers([server.addr()])?)
//!     // `http://api.internal/` reaches this one instance.
//!     .with_alias("api.internal", web.name().clone());
//! for host in ["_http._tcp.example.com", "api.internal"] {
//!     let addrs = resolver.resolve_host(host).await?;
//!     assert_eq!(addrs, ["192.0.2.10:8080".parse()?]);
//! }
//!
//! // `http://_http._tcp.example.com/health` now goes to 192.0.2.10:8080.
//! # #[cfg(feature = "reqwest")]
//! let http = reqwest::Client::builder().dns_resolver(resolver).build()?;
//! # Ok(())
//! # }
//! ```
//!
//! The crate's `reqwest_srv` example runs the whole path offline, and
//! docs/adapters.md shows the hyper-util form.

#[cfg(feature = "hyper-util")]
mod hyper_service;
#[cfg(feature = "reqwest")]
mod reqwest_resolve;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use dns_core::{Name, ServiceType};
use rand::Rng;

use crate::client::DnsSdClient;
use crate::error::{Error, NoAddressReason, Result};
use crate::instance::{Candidate, ResolvedInstance, split_instance_name};
use crate::select::{self, Order};

/// Where a host that is neither an alias nor a DNS-SD name is resolved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum FallThrough {
    /// The operating system's resolver (`getaddrinfo` through
    /// `tokio::net::lookup_host`): /etc/hosts, `localhost`, search domains
    /// and the system name servers, as with reqwest's own resolver.
    #[default]
    System,
    /// The A and AAAA records through the [`DnsSdClient`] (its name servers
    /// and its cache), for hosts only those name servers know.
    Client,
}

/// Resolves URL hosts that name DNS-SD services or instances to their
/// targets' socket addresses in RFC 2782 order; see the
/// [module documentation](self) for the URL form.
///
/// With feature `reqwest` it is a `reqwest::dns::Resolve`
/// (`reqwest::ClientBuilder::dns_resolver(resolver)`); with feature
/// `hyper-util` a `tower_service::Service<Name>` for
/// `HttpConnector::new_with_resolver(resolver)`. Both call
/// [`resolve_host`](Self::resolve_host). Cheap to clone; clones share the
/// client, its cache and the aliases.
#[derive(Debug, Clone)]
pub struct SrvResolver {
    client: DnsSdClient,
    aliases: Arc<HashMap<String, Name>>,
    fall_through: FallThrough,
}

impl SrvResolver {
    /// A resolver asking `client`, without aliases, falling through to the
    /// system resolver.
    pub fn new(client: DnsSdClient) -> Self {
        Self {
            client,
            aliases: Arc::default(),
            fall_through: FallThrough::default(),
        }
    }

    /// Makes the URL host `host` stand for `name`: a service name
    /// (`_http._tcp.example.com`) or an instance name
    /// (`Web\032One._http._tcp.example.com`, or
    /// [`ServiceInstance::name`](dns_core::ServiceInstance::name)). Hosts are
    /// compared without regard to ASCII case or a trailing dot, as URL
    /// parsers lower-case them. A later alias for the same host replaces
    /// the earlier one.
    ///
    /// ```
    /// use dns_core::Name;
    /// use dns_sd_client::{DnsSdClient, SrvResolver};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = DnsSdClient::with_name_servers(["127.0.0.1:53".parse()?])?;
    /// let resolver = SrvResolver::new(client)
    ///     .with_alias("Printer.Local", Name::parse("Office\\032Printer._ipp._tcp.example.com")?);
    /// assert_eq!(
    ///     resolver.alias("printer.local.").map(ToString::to_string),
    ///     Some("Office\\032Printer._ipp._tcp.example.com.".to_owned())
    /// );
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_alias(mut self, host: &str, name: Name) -> Self {
        Arc::make_mut(&mut self.aliases).insert(alias_key(host), name);
        self
    }

    /// Where hosts that are no DNS-SD name go (the system resolver unless
    /// set).
    pub fn with_fall_through(mut self, fall_through: FallThrough) -> Self {
        self.fall_through = fall_through;
        self
    }

    /// The name an alias stands for.
    pub fn alias(&self, host: &str) -> Option<&Name> {
        self.aliases.get(&alias_key(host))
    }

    /// The DNS-SD client asked.
    pub fn client(&self) -> &DnsSdClient {
        &self.client
    }

    /// The socket addresses for a URL host, in the order to try them: for
    /// DNS-SD names, every address of every usable target in one RFC 2782
    /// order with the SRV port; for other hosts, the fall-through's
    /// addresses with port 0. What the reqwest and hyper-util adapters
    /// return.
    ///
    /// # Errors
    ///
    /// [`Error::NoAddress`] when a DNS-SD name has no usable target with
    /// an address, [`Error::SystemResolver`] when the system resolver fails,
    /// [`Error::InvalidInput`] when the host is no DNS name and goes to the
    /// client, and the client's errors for failed queries.
    pub async fn resolve_host(&self, host: &str) -> Result<Vec<SocketAddr>> {
        let found = self.find(host).await?;
        // Drawn after the last await: the thread-local generator must not be
        // held across one, or the future would not be Send.
        found.ordered(&mut rand::rng())
    }

    /// [`resolve_host`](Self::resolve_host) with the random number generator
    /// given, so that a seeded generator gives a reproducible order.
    ///
    /// # Errors
    ///
    /// As for [`resolve_host`](Self::resolve_host).
    pub async fn resolve_host_with<R: Rng + ?Sized>(
        &self,
        host: &str,
        rng: &mut R,
    ) -> Result<Vec<SocketAddr>> {
        let found = self.find(host).await?;
        found.ordered(rng)
    }

    async fn find(&self, host: &str) -> Result<Found> {
        if let Some(name) = self.alias(host) {
            return self.find_dns_sd(name).await;
        }
        match Name::parse(host) {
            Ok(name) if is_dns_sd_name(&name) => self.find_dns_sd(&name).await,
            _ => self.fall_through(host).await.map(Found::Plain),
        }
    }

    async fn find_dns_sd(&self, name: &Name) -> Result<Found> {
        if let Some((_, domain)) = ServiceType::split_name(name) {
            let discovery = self.client.discover_at(name, &domain).await?;
            if !discovery.instances.is_empty() {
                return Ok(Found::Srv {
                    name: name.clone(),
                    instances: discovery.instances,
                });
            }
            // Instances were listed but their SRV lookups failed: say why,
            // rather than look for plain SRV records that are not the point.
            if let Some(failure) = discovery.failures.into_iter().next() {
                return Err(failure.error);
            }
        }
        // No instance listed: the name may own SRV records itself (classic
        // RFC 2782 `_http._tcp.example.com. SRV ...`), or be an instance.
        match self.client.resolve(name).await {
            Ok(instance) => Ok(Found::Srv {
                name: name.clone(),
                instances: vec![instance],
            }),
            Err(Error::NotFound { .. }) => Err(Error::NoAddress {
                name: name.clone(),
                reason: NoAddressReason::NoInstances,
            }),
            Err(e) => Err(e),
        }
    }

    async fn fall_through(&self, host: &str) -> Result<Vec<SocketAddr>> {
        // Port 0: reqwest and hyper-util replace it with the URL's port or
        // the scheme's default, as for their own resolvers.
        match self.fall_through {
            FallThrough::System => {
                let addrs = tokio::net::lookup_host((host, 0)).await.map_err(|e| {
                    Error::SystemResolver {
                        host: host.to_owned(),
                        message: e.to_string(),
                    }
                })?;
                Ok(addrs.collect())
            }
            FallThrough::Client => {
                let name = Name::parse(host)?;
                let ips = self.client.addresses(&name).await?;
                if ips.is_empty() {
                    return Err(Error::NoAddress {
                        name,
                        reason: NoAddressReason::NoAddresses,
                    });
                }
                Ok(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)).collect())
            }
        }
    }
}

/// What the DNS part of a resolution found, before the random order.
enum Found {
    /// Resolved instances of a DNS-SD name, to be ordered as one SRV set.
    Srv {
        name: Name,
        instances: Vec<ResolvedInstance>,
    },
    /// Fall-through addresses, in the resolver's order.
    Plain(Vec<SocketAddr>),
}

impl Found {
    fn ordered<R: Rng + ?Sized>(self, rng: &mut R) -> Result<Vec<SocketAddr>> {
        let (name, instances) = match self {
            Self::Plain(addrs) => return Ok(addrs),
            Self::Srv { name, instances } => (name, instances),
        };
        let candidates = Candidate::all(&instances);
        let no_address = |reason| Error::NoAddress {
            name: name.clone(),
            reason,
        };
        let list = match select::order(&candidates, rng) {
            Order::Targets(list) => list,
            Order::Unavailable => return Err(no_address(NoAddressReason::Unavailable)),
            Order::NoTargets => return Err(no_address(NoAddressReason::NoInstances)),
        };
        let addrs: Vec<SocketAddr> = list
            .iter()
            // Discovery already drops port 0; checked again because a 0 here
            // would be silently replaced by the scheme's port downstream.
            .filter(|c| c.target.port() != 0)
            .flat_map(|c| c.target.socket_addrs())
            .collect();
        if addrs.is_empty() {
            return Err(no_address(NoAddressReason::NoAddresses));
        }
        Ok(addrs)
    }
}

/// Whether a URL host is a DNS-SD service or instance name rather than a
/// host name.
fn is_dns_sd_name(name: &Name) -> bool {
    ServiceType::split_name(name).is_some() || split_instance_name(name).is_some()
}

fn alias_key(host: &str) -> String {
    host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase()
}
