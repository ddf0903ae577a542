//! [`ZoneServer`]: an authoritative DNS server on localhost over the zones
//! of an [`InMemoryProvider`].

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use dns_core::InMemoryProvider;
use hickory_server::Server;
use tracing::debug;

use crate::bind;
use crate::handler::Handler;
use crate::lookup::Options;
use crate::policy::UpdatePolicy;
use crate::store::ZoneStore;
use crate::writes::Writes;

/// How long an idle TCP connection stays open.
const TCP_IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// Responses queued per TCP connection. hickory drops the connection when
/// a request's answers overflow the queue, so this bounds the messages of
/// one zone transfer: 1,024 of ~60 kB each is a zone of about 60 MB.
const TCP_RESPONSE_BUFFER: usize = 1_024;
/// How long [`ZoneServer::stop`] waits for the tasks to finish.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// An authoritative DNS server for the zones of an [`InMemoryProvider`],
/// over UDP and TCP on one port of the loopback interface.
///
/// It reads the provider on every query, so a change made through the
/// provider (or a `dns_sd_registry::ServiceRegistry` on it) is seen by the very
/// next query. Responses follow what real authoritative servers do:
///
/// * the AA bit is set on answers from the zones;
/// * a name with no data of the asked type is NODATA, a name that does not
///   exist (and is not an empty non-terminal) is NXDOMAIN; both carry the
///   zone's SOA with the TTL negative caching uses (RFC 2308);
/// * a name outside every zone is REFUSED, other opcodes NOTIMP (UPDATE
///   and AXFR are served with [`ZoneServerBuilder::with_updates`]);
/// * a CNAME is followed inside the served zones;
/// * over UDP, responses fit the client's limit (512 octets without EDNS):
///   additional records that do not fit are left out, answers that do not
///   fit set TC. TCP carries everything.
///
/// Dropping the server stops it; [`ZoneServer::stop`] also waits until the
/// port is released.
///
/// ```
/// use dns_core::{InMemoryProvider, Name};
/// use dns_server::ZoneServer;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let provider = InMemoryProvider::new();
/// provider.create_zone(Name::parse("example.com")?)?;
/// let server = ZoneServer::builder(provider)
///     .with_additionals(true)
///     .start()
///     .await?;
/// assert!(server.addr().ip().is_loopback());
/// assert_eq!(server.queries(), 0);
/// server.stop().await;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub struct ZoneServer {
    addr: SocketAddr,
    provider: InMemoryProvider,
    queries: Arc<AtomicU64>,
    server: Server<Handler>,
}

/// Options for a [`ZoneServer`], from [`ZoneServer::builder`].
#[derive(Debug)]
#[must_use = "a builder does nothing until `start` is awaited"]
pub struct ZoneServerBuilder {
    provider: InMemoryProvider,
    options: Options,
    address: SocketAddr,
    updates: Option<UpdatePolicy>,
    store: Option<ZoneStore>,
}

impl ZoneServerBuilder {
    /// Whether PTR and SRV answers carry the records a DNS-SD client asks
    /// for next (RFC 6763 section 12): for each PTR target its SRV and TXT
    /// sets and the addresses of every SRV target; for SRV answers the
    /// addresses of every target. Off by default, as at most providers.
    pub fn with_additionals(mut self, additionals: bool) -> Self {
        self.options.additionals = additionals;
        self
    }

    /// Whether names inside record data are lower-cased, as some servers
    /// (Knot) do: PTR targets then lose the case of the instance name. Off
    /// by default.
    pub fn with_lowercase_rdata_names(mut self, lowercase: bool) -> Self {
        self.options.lowercase_rdata_names = lowercase;
        self
    }

    /// The address to listen on (default `127.0.0.1:0`, a free port). With
    /// port 0 a port free for both UDP and TCP is chosen.
    pub fn with_address(mut self, address: SocketAddr) -> Self {
        self.address = address;
        self
    }

    /// Accepts RFC 2136 updates and answers AXFR, for the clients `policy`
    /// allows (TSIG keys, or loopback only). Without it (the default) both
    /// are refused: updates with NOTIMP, transfers with REFUSED.
    pub fn with_updates(mut self, policy: UpdatePolicy) -> Self {
        self.updates = Some(policy);
        self
    }

    /// Saves a zone to `store` after every update applied to it (load the
    /// zones from the store into the provider before starting).
    pub fn with_store(mut self, store: ZoneStore) -> Self {
        self.store = Some(store);
        self
    }

    /// Binds UDP, then TCP on the same port, and starts serving.
    ///
    /// # Errors
    ///
    /// When the sockets cannot be bound.
    pub async fn start(self) -> io::Result<ZoneServer> {
        let (udp, tcp) = bind::udp_and_tcp(self.address).await?;
        let addr = udp.local_addr()?;
        let queries = Arc::new(AtomicU64::new(0));
        let mut server = Server::new(Handler {
            provider: self.provider.clone(),
            options: self.options,
            queries: queries.clone(),
            writes: self.updates.map(|policy| Writes {
                policy,
                store: self.store,
                lock: tokio::sync::Mutex::new(()),
            }),
        });
        server.register_socket(udp);
        server.register_listener(tcp, TCP_IDLE_TIMEOUT, TCP_RESPONSE_BUFFER);
        debug!(%addr, options = ?self.options, "zone server started");
        Ok(ZoneServer {
            addr,
            provider: self.provider,
            queries,
            server,
        })
    }
}

impl ZoneServer {
    /// Starts a server with the default options on a free port of 127.0.0.1.
    ///
    /// # Errors
    ///
    /// When the sockets cannot be bound.
    pub async fn start(provider: InMemoryProvider) -> io::Result<Self> {
        Self::builder(provider).start().await
    }

    /// A builder to choose options before starting.
    pub fn builder(provider: InMemoryProvider) -> ZoneServerBuilder {
        ZoneServerBuilder {
            provider,
            options: Options::default(),
            address: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            updates: None,
            store: None,
        }
    }

    /// The address both transports listen on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The provider whose zones are served (a handle on the same zones).
    pub fn provider(&self) -> &InMemoryProvider {
        &self.provider
    }

    /// Queries answered so far over both transports, error responses
    /// included (but not messages too malformed for hickory to read).
    pub fn queries(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    /// Stops serving and waits until the sockets are closed.
    pub async fn stop(mut self) {
        let stopped = tokio::time::timeout(STOP_TIMEOUT, self.server.shutdown_gracefully()).await;
        debug!(addr = %self.addr, ?stopped, "zone server stopped");
    }
}

impl Drop for ZoneServer {
    fn drop(&mut self) {
        // Dropping hickory's server aborts its tasks; cancelling first lets
        // any task being polled right now leave its loop too.
        self.server.shutdown_token().cancel();
    }
}

impl fmt::Debug for ZoneServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZoneServer")
            .field("addr", &self.addr)
            .field("queries", &self.queries())
            .finish_non_exhaustive()
    }
}
