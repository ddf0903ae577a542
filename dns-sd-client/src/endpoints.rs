//! A service's endpoints as a [`tower::discover::Discover`] stream.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use dns_core::{Name, ServiceType, TxtProperties};
use futures::Stream;
use tower::discover::Change;

use crate::client::DnsSdClient;
use crate::endpoint_set::EndpointSet;
use crate::error::Result;
use crate::instance::{ResolvedInstance, ResolvedTarget};
use crate::watch::{WatchEvent, WatchOptions};

/// Identifies one endpoint handed to a balancer: the instance, the SRV
/// target's host and port, and which copy it is (see
/// [`EndpointOptions::with_weight_copies`]; always 0 without copies).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EndpointKey {
    instance: Name,
    host: Name,
    port: u16,
    copy: u16,
}

impl EndpointKey {
    pub(crate) fn new(instance: &Name, target: &ResolvedTarget, copy: u16) -> Self {
        Self {
            instance: instance.clone(),
            host: target.host().clone(),
            port: target.port(),
            copy,
        }
    }

    /// The instance's full name.
    pub fn instance(&self) -> &Name {
        &self.instance
    }

    /// The SRV target's host.
    pub fn host(&self) -> &Name {
        &self.host
    }

    /// The SRV target's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Which copy of the endpoint this is, from 0.
    pub fn copy(&self) -> u16 {
        self.copy
    }
}

/// What a balancer needs to connect to one SRV target of an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Endpoint {
    /// The instance's full name.
    pub instance: Name,
    /// The SRV record and the addresses of its host (at least one).
    pub target: ResolvedTarget,
    /// The instance's TXT key/value pairs.
    pub txt: TxtProperties,
}

impl Endpoint {
    pub(crate) fn new(instance: &ResolvedInstance, target: &ResolvedTarget) -> Self {
        Self {
            instance: instance.name.clone(),
            target: target.clone(),
            txt: instance.txt.clone(),
        }
    }

    /// Every address of the target with its port.
    pub fn socket_addrs(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.target.socket_addrs()
    }

    /// The SRV priority (every endpoint inserted at one time shares it).
    pub fn priority(&self) -> u16 {
        self.target.priority()
    }

    /// The SRV weight.
    pub fn weight(&self) -> u16 {
        self.target.weight()
    }
}

/// How [`DnsSdClient::discover_endpoints`] watches and what it inserts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct EndpointOptions {
    /// How often the service is asked again.
    pub watch: WatchOptions,
    /// The most copies of one endpoint (1: weights are ignored).
    pub max_copies: u16,
}

impl Default for EndpointOptions {
    fn default() -> Self {
        Self {
            watch: WatchOptions::default(),
            max_copies: 1,
        }
    }
}

impl EndpointOptions {
    /// Sets how often the service is asked again.
    pub fn with_watch(mut self, watch: WatchOptions) -> Self {
        self.watch = watch;
        self
    }

    /// Inserts each endpoint in copies proportional to its SRV weight, the
    /// heaviest of its priority group in `max_copies` copies and every
    /// endpoint in at least one, so that a load-blind balancer choosing
    /// uniformly among its endpoints (tower's p2c when loads are equal,
    /// tonic's channel always) picks targets roughly as RFC 2782 weights
    /// ask. 16 keeps the error of rounding under 1/32 of the heaviest
    /// weight; each copy is a connection of its own in tonic. 0 counts as 1.
    pub fn with_weight_copies(mut self, max_copies: u16) -> Self {
        self.max_copies = max_copies.max(1);
        self
    }
}

/// The endpoints of a service as a stream of [`Change`]s: a
/// [`tower::discover::Discover`] through tower's blanket impl for
/// `TryStream`s of changes. Made by [`DnsSdClient::discover_endpoints`].
///
/// Its error type is [`Infallible`]: DNS failures are logged and never
/// reach the balancer (see the [crate docs](crate#tower-and-tonic)).
#[must_use = "streams do nothing unless polled"]
pub struct EndpointStream {
    events: Pin<Box<dyn Stream<Item = Result<WatchEvent>> + Send>>,
    service: Name,
    set: EndpointSet,
    pending: VecDeque<Change<EndpointKey, Endpoint>>,
    ended: bool,
}

impl fmt::Debug for EndpointStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndpointStream")
            .field("service", &self.service)
            .field("set", &self.set)
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl DnsSdClient {
    /// Watches a service and reports its endpoints to a balancer: the
    /// targets of the lowest SRV priority that has any address, inserted
    /// and removed as instances join, change and leave. DNS failures never
    /// remove an endpoint.
    ///
    /// ```
    /// # use std::{sync::Arc, time::Duration};
    /// # use dns_core::{InMemoryProvider, Name, ServiceInstance, ServiceType, Target};
    /// # use dns_sd_registry::ServiceRegistry;
    /// # use dns_testkit::TestServer;
    /// use dns_sd_client::{DnsSdClient, EndpointOptions, WatchOptions};
    /// use futures::StreamExt;
    /// use tower::discover::Change;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let memory = InMemoryProvider::new();
    /// # let domain = Name::parse("example.com")?;
    /// # memory.create_zone(domain.clone())?;
    /// # let server = TestServer::start(memory.clone()).await?;
    /// let grpc: ServiceType = "_grpc._tcp".parse()?;
    /// # let host = Name::parse("node-1.example.com")?;
    /// # let node = ServiceInstance::new("node 1", grpc.clone(), domain.clone())?
    /// #     .with_target(Target::new(host, 50051).with_address("192.0.2.1".parse()?));
    /// # ServiceRegistry::new(Arc::new(memory.clone())).register(&node).await?;
    /// let client = DnsSdClient::with_name_servers([server.addr()])?;
    /// let options = EndpointOptions::default()
    ///     .with_watch(WatchOptions::default().with_min_interval(Duration::from_secs(5)));
    /// let mut endpoints = client.discover_endpoints(&grpc, &domain, options)?;
    /// // Hand `endpoints` to tower's `Balance::new` (after mapping each
    /// // endpoint to a service), or read the changes yourself:
    /// let Some(Ok(Change::Insert(key, endpoint))) = endpoints.next().await else {
    ///     panic!("the registered node")
    /// };
    /// assert_eq!(key.port(), 50051);
    /// assert_eq!(endpoint.socket_addrs().next(), Some("192.0.2.1:50051".parse()?));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// When the service type does not fit under the domain (the name would
    /// be too long).
    pub fn discover_endpoints(
        &self,
        service: &ServiceType,
        domain: &Name,
        options: EndpointOptions,
    ) -> Result<EndpointStream> {
        let events = self.watch_with(service, domain, options.watch)?;
        Ok(EndpointStream {
            events: Box::pin(events),
            service: service.name_in(domain)?,
            set: EndpointSet::new(options.max_copies),
            pending: VecDeque::new(),
            ended: false,
        })
    }
}

impl Stream for EndpointStream {
    type Item = std::result::Result<Change<EndpointKey, Endpoint>, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(change) = this.pending.pop_front() {
                return Poll::Ready(Some(Ok(change)));
            }
            if this.ended {
                return Poll::Ready(None);
            }
            // The watch hands out one poll's events back to back; taking all
            // that are ready before reconciling turns a poll into one batch,
            // so the first poll does not insert a fallback group only to
            // remove it when the instance with the better priority follows.
            let mut recorded = false;
            loop {
                match this.events.as_mut().poll_next(cx) {
                    Poll::Ready(Some(Ok(event))) => {
                        this.set.record(event);
                        recorded = true;
                    }
                    // tower's Balance gives up for good on a discovery error,
                    // and a failed poll says nothing about the endpoints: keep
                    // them all.
                    Poll::Ready(Some(Err(error))) => tracing::warn!(
                        service = %this.service,
                        %error,
                        "DNS-SD poll failed; keeping the current endpoints"
                    ),
                    Poll::Ready(None) => {
                        this.ended = true;
                        break;
                    }
                    Poll::Pending => break,
                }
            }
            if recorded {
                this.pending.extend(this.set.reconcile());
            } else if !this.ended {
                return Poll::Pending;
            }
        }
    }
}
