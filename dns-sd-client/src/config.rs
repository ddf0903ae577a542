//! Building a [`DnsSdClient`]: which servers, how long to wait, how much to cache.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::Resolver;
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ProtocolConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};

use crate::cache::{Cache, Limits};
use crate::client::{DnsSdClient, Inner, ServerResolvers};
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::runtime::{DnsResolver, QuickAckRuntime};
use crate::streams::Streams;

/// Questions on the network at once by default. Large waves go over TCP
/// (8 connections of 24 questions each), where nothing can be dropped;
/// what goes over UDP stays below the few hundred datagrams a name
/// server's default receive buffer holds (192 measured without a drop
/// against BIND on loopback, 512 dropped). With a 5 ms path, 192 in flight
/// discover 1,000 instances in about 120 ms (docs/performance.md).
pub const DEFAULT_MAX_IN_FLIGHT: usize = 192;

/// Builds a [`DnsSdClient`].
///
/// Without [`with_name_server`](Self::with_name_server) the servers come
/// from the system (`/etc/resolv.conf`, feature `system-config`). Each server
/// is asked over UDP first and over TCP when the answer is truncated.
///
/// ```
/// use std::time::Duration;
/// use dns_sd_client::DnsSdClient;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let client = DnsSdClient::builder()
///     .with_name_server("127.0.0.1:5353".parse()?)
///     .with_timeout(Duration::from_millis(500))
///     .with_attempts(3)
///     .with_cache_size(10_000)
///     .build()?;
/// assert_eq!(client.cache_stats().entries, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    servers: Vec<SocketAddr>,
    timeout: Option<Duration>,
    attempts: Option<usize>,
    edns: bool,
    tcp_only: bool,
    browse_over_tcp: bool,
    complete_additionals: bool,
    max_in_flight: usize,
    limits: Limits,
    clock: Arc<dyn Clock>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientBuilder {
    /// Defaults: system name servers, their timeout and attempts (hickory's
    /// 5 s and 2 when the system says nothing), EDNS on (1232-byte UDP
    /// answers), a cache of 4,096 entries, TTLs capped at one day and
    /// negative TTLs at one hour.
    pub fn new() -> Self {
        Self {
            servers: Vec::new(),
            timeout: None,
            attempts: None,
            edns: true,
            tcp_only: false,
            browse_over_tcp: true,
            complete_additionals: false,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            limits: Limits {
                capacity: 4_096,
                max_ttl: Duration::from_secs(86_400),
                max_negative_ttl: Duration::from_secs(3_600),
            },
            clock: Arc::new(SystemClock),
        }
    }

    /// Adds a name server (address and port) to ask instead of the system's.
    pub fn with_name_server(mut self, server: SocketAddr) -> Self {
        self.servers.push(server);
        self
    }

    /// Adds several name servers, asked in the order given: the next one is
    /// asked when one times out, cannot be reached, or answers SERVFAIL or
    /// REFUSED.
    pub fn with_name_servers(mut self, servers: impl IntoIterator<Item = SocketAddr>) -> Self {
        self.servers.extend(servers);
        self
    }

    /// How long to wait for each answer before trying again.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How many times each question is sent to each server before moving
    /// to the next server (at least 1).
    pub fn with_attempts(mut self, attempts: usize) -> Self {
        self.attempts = Some(attempts.max(1));
        self
    }

    /// Whether to advertise EDNS (1232-byte UDP answers); off means answers
    /// over 512 bytes always go to TCP.
    pub fn with_edns(mut self, edns: bool) -> Self {
        self.edns = edns;
        self
    }

    /// Sends every question over TCP (the connection is kept and reused).
    /// Large answers, such as a browse whose answer carries the RFC 6763
    /// section 12 records of many instances, then arrive in one round trip
    /// instead of a truncated UDP answer followed by the TCP retry.
    pub fn with_tcp_only(mut self, tcp_only: bool) -> Self {
        self.tcp_only = tcp_only;
        self
    }

    /// Whether PTR questions (browse, enumerate, discover) go over TCP
    /// (default: yes).
    ///
    /// A PTR set grows with the number of instances: past about 40 it no
    /// longer fits a UDP answer, and a UDP question would cost a truncated
    /// answer and then the TCP question anyway, pushing discovery to four
    /// round trips. Over TCP it is one question whatever the size, and the
    /// connection is kept for the next one; the price is the TCP handshake
    /// when no connection is open yet. SRV, TXT and address answers are
    /// small and stay on UDP.
    pub fn with_browse_over_tcp(mut self, over_tcp: bool) -> Self {
        self.browse_over_tcp = over_tcp;
        self
    }

    /// Trusts the servers to send *all* address records of a host in the
    /// additional section when they send any (RFC 6763 section 12.1), so a
    /// host that came with A records only is taken to have no AAAA records
    /// (and the reverse) without asking. With a server that does this,
    /// discovery is one question; the default (off) asks for the missing
    /// family, because a server short of space drops additional records
    /// silently and a recursive server adds whatever it has cached.
    pub fn with_complete_additionals(mut self, trust: bool) -> Self {
        self.complete_additionals = trust;
        self
    }

    /// The most questions this client (and its clones) has on the network
    /// at once (default [`DEFAULT_MAX_IN_FLIGHT`]; at least 1). Discovery of
    /// a large service asks two questions per instance in one wave; sent
    /// all at once, a thousand instances overflow a name server's receive
    /// buffer, and every datagram lost costs a timeout and a resend. The
    /// rest wait for a free slot, so a wave still takes one round trip per
    /// this many questions. Each question keeps its own timeout and
    /// attempts, counted from when it is sent.
    pub fn with_max_in_flight(mut self, questions: usize) -> Self {
        self.max_in_flight = questions.max(1);
        self
    }

    /// The most (name, type) answers kept; 0 turns caching off.
    pub fn with_cache_size(mut self, entries: usize) -> Self {
        self.limits.capacity = entries;
        self
    }

    /// The longest a positive answer is kept, whatever its TTL says.
    pub fn with_max_ttl(mut self, max: Duration) -> Self {
        self.limits.max_ttl = max;
        self
    }

    /// The longest a negative answer (NXDOMAIN, no data) is kept.
    pub fn with_max_negative_ttl(mut self, max: Duration) -> Self {
        self.limits.max_negative_ttl = max;
        self
    }

    /// The clock TTLs are measured with (tests pass a [`ManualClock`](crate::ManualClock)).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Creates the client. Needs a Tokio runtime to be running; fails when
    /// no server is configured and the system configuration cannot be read.
    pub fn build(self) -> Result<DnsSdClient> {
        let (config, mut opts) = if self.servers.is_empty() {
            system_config()?
        } else {
            let mut config = ResolverConfig::from_name_servers(Vec::new());
            for addr in &self.servers {
                let mut udp = ConnectionConfig::udp();
                udp.port = addr.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = addr.port();
                config.add_name_server(NameServerConfig::new(addr.ip(), true, vec![udp, tcp]));
            }
            let mut opts = ResolverOpts::default();
            opts.use_hosts_file = ResolveHosts::Never;
            (config, opts)
        };
        if let Some(t) = self.timeout {
            opts.timeout = t;
        }
        if let Some(a) = self.attempts {
            opts.attempts = a;
        }
        opts.edns0 = self.edns;
        // This crate's cache is the only one (see `cache`), and names are
        // always fully qualified so no search list applies.
        opts.cache_size = 0;
        opts.ndots = 0;
        // Keep CNAMEs in answers: `transport` follows them itself for SRV,
        // and takes the lowest TTL along a chain.
        opts.preserve_intermediates = true;
        // hickory clamps every record's TTL to this bound (a day by
        // default) even with its cache off, which turns a TTL with the top
        // bit set into a day; RFC 2181 section 8 says it counts as 0, and
        // `transport` can only see that in the TTL as sent.
        opts.positive_max_ttl = Some(Duration::from_secs(u64::from(u32::MAX)));
        // hickory counts retries, this builder counts sends.
        opts.attempts = opts.attempts.saturating_sub(1);
        // Each server gets its own resolver so that a server answering
        // SERVFAIL or REFUSED does not end the lookup: hickory's pool returns
        // the first such answer, where Go and glibc move to the next server.
        opts.num_concurrent_reqs = 1;
        // A discovery wave sends many questions at once; hickory's default
        // of 32 in flight per TCP connection would turn the rest into errors.
        opts.max_active_requests = 1_024;
        let (domain, search, name_servers) = config.into_parts();
        if name_servers.is_empty() {
            return Err(Error::Config("no name servers configured".to_owned()));
        }
        let mut servers = Vec::new();
        for ns in name_servers {
            let one = ResolverConfig::from_parts(domain.clone(), search.clone(), vec![ns]);
            let tcp = build_resolver(tcp_only(one.clone()), opts.clone())?;
            let resolver = if self.tcp_only {
                tcp.clone()
            } else {
                build_resolver(one.clone(), opts.clone())?
            };
            let browse = if self.browse_over_tcp {
                tcp.clone()
            } else {
                resolver.clone()
            };
            let streams = Streams::new(self.max_in_flight, tcp, || {
                build_resolver(tcp_only(one.clone()), opts.clone())
            })?;
            servers.push(ServerResolvers {
                resolver,
                browse,
                browse_is_separate: self.browse_over_tcp && !self.tcp_only,
                browse_is_tcp: self.browse_over_tcp || self.tcp_only,
                tcp_only: self.tcp_only,
                streams,
            });
        }
        Ok(DnsSdClient::from_inner(Inner {
            resolvers: servers,
            complete_additionals: self.complete_additionals,
            cache: Cache::new(self.limits, self.clock),
            servers: self.servers,
            in_flight: std::sync::Arc::new(tokio::sync::Semaphore::new(self.max_in_flight)),
        }))
    }
}

fn build_resolver(config: ResolverConfig, opts: ResolverOpts) -> Result<DnsResolver> {
    Resolver::builder_with_config(config, QuickAckRuntime::default())
        .with_options(opts)
        .build()
        .map_err(|e| Error::Config(e.to_string()))
}

/// The same servers, reached over TCP only.
fn tcp_only(config: ResolverConfig) -> ResolverConfig {
    let (domain, search, servers) = config.into_parts();
    let servers = servers
        .into_iter()
        .map(|mut ns| {
            let port = ns.connections.first().map(|c| c.port);
            ns.connections
                .retain(|c| matches!(c.protocol, ProtocolConfig::Tcp));
            if ns.connections.is_empty() {
                let mut tcp = ConnectionConfig::tcp();
                if let Some(port) = port {
                    tcp.port = port;
                }
                ns.connections.push(tcp);
            }
            ns
        })
        .collect();
    ResolverConfig::from_parts(domain, search, servers)
}

#[cfg(feature = "system-config")]
fn system_config() -> Result<(ResolverConfig, ResolverOpts)> {
    hickory_resolver::system_conf::read_system_conf()
        .map_err(|e| Error::Config(format!("reading the system resolver configuration: {e}")))
}

#[cfg(not(feature = "system-config"))]
fn system_config() -> Result<(ResolverConfig, ResolverOpts)> {
    Err(Error::Config(
        "no name server given and the `system-config` feature is off".to_owned(),
    ))
}
