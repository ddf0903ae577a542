//! What discovery returns: resolved instances, their targets, and the
//! lookups that failed along the way.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use dns_core::{Label, Name, RecordType, ServiceType, Srv, Txt, TxtProperties};
use rand::Rng;

use crate::error::Error;
use crate::select::{self, Order, Selection, SrvRecord};

/// One SRV record of an instance, with the addresses of its target host.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResolvedTarget {
    /// Priority, weight, port and target host.
    pub srv: Srv,
    /// The host's IPv4 and IPv6 addresses (empty when the host has none, its
    /// lookups failed, or the target is ".").
    pub addresses: Vec<IpAddr>,
}

impl ResolvedTarget {
    /// A target with the given SRV data and addresses.
    pub fn new(srv: Srv, addresses: Vec<IpAddr>) -> Self {
        Self { srv, addresses }
    }

    /// The host name the SRV record points at.
    pub fn host(&self) -> &Name {
        &self.srv.target
    }

    /// The port to connect to.
    pub fn port(&self) -> u16 {
        self.srv.port
    }

    /// Lower is tried first.
    pub fn priority(&self) -> u16 {
        self.srv.priority
    }

    /// Share among targets of the same priority.
    pub fn weight(&self) -> u16 {
        self.srv.weight
    }

    /// Every address with the port: what a client connects to.
    pub fn socket_addrs(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.addresses
            .iter()
            .map(|ip| SocketAddr::new(*ip, self.srv.port))
    }
}

impl SrvRecord for ResolvedTarget {
    fn srv(&self) -> &Srv {
        &self.srv
    }
}

/// A service instance (or any SRV owner name) with its targets and TXT data.
///
/// Targets are sorted by priority, weight, port and host, so two
/// resolutions of unchanged records compare equal.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResolvedInstance {
    /// The instance's full name, as the server spelled it.
    pub name: Name,
    /// The SRV records and their addresses. A sole "." target means the
    /// service is deliberately unavailable (see [`is_unavailable`](Self::is_unavailable)).
    pub targets: Vec<ResolvedTarget>,
    /// The key/value pairs of the first TXT record (RFC 6763 section 6);
    /// empty when there is no TXT record or it is empty.
    pub txt: TxtProperties,
    /// Every TXT record, verbatim.
    pub txt_records: Vec<Txt>,
}

impl ResolvedInstance {
    /// The instance label (`My Web` in `My\032Web._http._tcp.example.com.`)
    /// when the name has the DNS-SD shape `<Instance>.<_service>.<_proto>.<domain>`.
    pub fn instance_label(&self) -> Option<&Label> {
        self.split().map(|(label, _, _)| label)
    }

    /// The service type when the name has the DNS-SD shape.
    pub fn service_type(&self) -> Option<ServiceType> {
        self.split().map(|(_, t, _)| t)
    }

    /// The domain when the name has the DNS-SD shape.
    pub fn domain(&self) -> Option<Name> {
        self.split().map(|(_, _, d)| d)
    }

    fn split(&self) -> Option<(&Label, ServiceType, Name)> {
        split_instance_name(&self.name)
    }

    /// Whether the only SRV records are "." targets: RFC 2782's "decidedly
    /// not available here". Callers must not fall back to A records.
    pub fn is_unavailable(&self) -> bool {
        !self.targets.is_empty() && self.targets.iter().all(|t| t.srv.is_unavailable())
    }

    /// One RFC 2782 fail-over order of the targets.
    pub fn order<R: Rng + ?Sized>(&self, rng: &mut R) -> Order<'_, ResolvedTarget> {
        select::order(&self.targets, rng)
    }

    /// One RFC 2782 weighted pick among the lowest-priority targets.
    pub fn pick<R: Rng + ?Sized>(&self, rng: &mut R) -> Selection<'_, ResolvedTarget> {
        select::pick(&self.targets, rng)
    }
}

/// Reads `<Instance>.<_service>.<_proto>.<domain>` off a name.
pub(crate) fn split_instance_name(name: &Name) -> Option<(&Label, ServiceType, Name)> {
    let (first, rest) = name.labels().split_first()?;
    let rest = Name::from_labels(rest.iter().cloned()).ok()?;
    let (service, domain) = ServiceType::split_name(&rest)?;
    Some((first, service, domain))
}

/// A lookup that failed during discovery (timeouts, server errors); the
/// rest of the discovery went on without it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LookupFailure {
    /// The name queried.
    pub name: Name,
    /// The type queried.
    pub record_type: RecordType,
    /// Why it failed.
    pub error: Error,
}

/// Everything [`discover`](crate::DnsSdClient::discover) found.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Discovery {
    /// The name browsed (`_http._tcp.example.com.`).
    pub service: Name,
    /// Resolved instances, sorted by name.
    pub instances: Vec<ResolvedInstance>,
    /// Instances listed by the PTR records but without SRV records (stale
    /// registrations, or registrations still being written).
    pub missing: Vec<Name>,
    /// Lookups that failed; their instances or addresses are absent or
    /// incomplete above.
    pub failures: Vec<LookupFailure>,
    /// When the first record used here expires: asking again before then
    /// returns the same answer from the cache.
    pub valid_until: Instant,
}

/// A target together with the instance it belongs to: the unit of choice
/// when a client wants "any instance of this service" (see
/// [`Discovery::candidates`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate<'a> {
    /// The instance offering the target.
    pub instance: &'a ResolvedInstance,
    /// The target.
    pub target: &'a ResolvedTarget,
}

impl<'a> Candidate<'a> {
    /// Every target of `instances`, each with its instance, in order (what
    /// [`Discovery::candidates`] gives for a whole discovery, for any
    /// selection of resolved instances).
    pub fn all(instances: &'a [ResolvedInstance]) -> Vec<Self> {
        instances
            .iter()
            .flat_map(|instance| {
                instance
                    .targets
                    .iter()
                    .map(move |target| Candidate { instance, target })
            })
            .collect()
    }
}

impl SrvRecord for Candidate<'_> {
    fn srv(&self) -> &Srv {
        &self.target.srv
    }
}

impl Discovery {
    /// Every target of every instance, for choosing among all instances of
    /// the service at once: their SRV priorities and weights are compared
    /// as if they were one SRV set (which is what a service whose hosts all
    /// join one instance has). Pass the result to [`order`](crate::order) or
    /// [`pick`](crate::pick).
    ///
    /// DNS-SD itself leaves the choice of instance to the user; use
    /// [`instance`](Self::instance) to choose one by name instead.
    pub fn candidates(&self) -> Vec<Candidate<'_>> {
        Candidate::all(&self.instances)
    }

    /// Whether every lookup succeeded.
    pub fn is_complete(&self) -> bool {
        self.failures.is_empty()
    }

    /// The instance with this label, compared case-insensitively.
    pub fn instance(&self, label: &str) -> Option<&ResolvedInstance> {
        let wanted = Label::new(label).ok()?;
        self.instances
            .iter()
            .find(|i| i.instance_label() == Some(&wanted))
    }
}
