//! [`Reaper`]: removes the SRV targets of crashed instances, found by
//! probing them, with safety limits against removing live ones.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use dns_core::{
    Error, Label, Name, RData, RecordSet, RecordType, Result, ServiceInstance, ServiceType, Srv,
    Target, Zone,
};
use futures::StreamExt;

use crate::probe::{Check, Endpoint};
use crate::reap_report::{PassReport, Reaped, Refusal, ServiceReport};
use crate::registry::ServiceRegistry;

/// The name under which a domain lists its service types (RFC 6763 section 9).
const SERVICE_TYPES: &str = "_services._dns-sd._udp";

/// Finds the SRV targets of crashed instances by probing them, and removes
/// them through the registry's guarded leave
/// ([`ServiceRegistry::deregister_if_unchanged`]): the instance's TXT and
/// PTRs go with its last target, a host's addresses stay while another SRV
/// value points at it, and what other writers added meanwhile stays.
///
/// A [`pass`](Self::pass):
///
/// 1. lists each zone once and reads the named services' instances, their
///    SRV targets and the targets' A/AAAA from that listing (a host outside
///    the zone is looked up with the system resolver);
/// 2. probes every target ([`Check`]: TCP connect by default), with at most
///    [`with_concurrency`](Self::with_concurrency) probes at a time, each
///    bounded by [`with_timeout`](Self::with_timeout); a target that failed
///    is probed again after [`with_interval`](Self::with_interval), up to
///    [`with_failures`](Self::with_failures) times. One success keeps it;
/// 3. per service, refuses to remove anything when more than
///    [`with_max_remove_percent`](Self::with_max_remove_percent) of its
///    targets (at least one) looked dead: the reaper's own network is then
///    the likelier fault. It also never removes a service's last target
///    unless [`with_allow_empty`](Self::with_allow_empty);
/// 4. removes each dead target only while it is still published exactly as
///    it was read: a target whose value changed (priority, weight, TTL, the
///    host's addresses) or that re-registered differently meanwhile stays.
///    A re-registration with identical values cannot be told apart in DNS;
///    the registering instance's own [refresh](ServiceRegistry::refresh)
///    puts it back.
///
/// A pass over healthy services sends no write: its requests are one
/// listing per zone (and a zone lookup the first time, unless the
/// registry was given the zone).
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use dns_core::*;
/// use dns_sd_registry::{Reaper, ServiceRegistry};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let memory = InMemoryProvider::new();
/// let zone = memory.create_zone(Name::parse("example.com")?)?;
/// let registry = ServiceRegistry::new(Arc::new(memory.clone())).with_zone(zone.clone());
/// // Two hosts of one service; nothing listens on h2's port any more.
/// let live = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let gone = tokio::net::TcpListener::bind("127.0.0.2:0").await?.local_addr()?;
/// let web = |host: &str, ip: &str, port| -> Result<ServiceInstance, Box<dyn std::error::Error>> {
///     Ok(ServiceInstance::new(host, "_http._tcp".parse()?, Name::parse("example.com")?)?
///         .with_target(Target::new(Name::parse(&format!("{host}.example.com"))?, port)
///             .with_address(ip.parse()?)))
/// };
/// registry.register(&web("h1", "127.0.0.1", live.local_addr()?.port())?).await?;
/// registry.register(&web("h2", "127.0.0.2", gone.port())?).await?;
///
/// let reaper = Reaper::new(registry)
///     .with_service(Name::parse("_http._tcp.example.com")?)
///     .with_failures(2)
///     .with_interval(Duration::from_millis(10));
/// let report = reaper.pass().await?;
/// let service = &report.services[0];
/// assert_eq!((service.checked, service.removed.len()), (2, 1));
/// assert_eq!(service.removed[0].srv.target, Name::parse("h2.example.com")?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct Reaper {
    registry: ServiceRegistry,
    services: Vec<Name>,
    every_type_in: Vec<Name>,
    check: Check,
    failures: u32,
    interval: Duration,
    timeout: Duration,
    concurrency: usize,
    max_remove_percent: u8,
    allow_empty: bool,
    dry_run: bool,
}

/// One published SRV target of a reaped service, as read at the start of
/// the pass.
#[derive(Debug, Clone)]
struct Published {
    instance: Name,
    label: Label,
    service: ServiceType,
    domain: Name,
    srv: Srv,
    srv_ttl: u32,
    subtypes: Vec<Label>,
    /// The addresses came from the zone (and are withdrawn with the host
    /// when nothing else points at it); false for a host outside it.
    in_zone: bool,
    endpoint: Endpoint,
}

/// A service of the pass and its published targets.
#[derive(Debug)]
struct Service {
    name: Name,
    targets: Vec<Published>,
}

impl Reaper {
    /// A reaper removing through `registry` (give it the zones with
    /// [`ServiceRegistry::with_zone`] to save the lookups). It reaps
    /// nothing until services are named.
    pub fn new(registry: ServiceRegistry) -> Self {
        Self {
            registry,
            services: Vec::new(),
            every_type_in: Vec::new(),
            check: Check::Tcp,
            failures: 3,
            interval: Duration::from_secs(10),
            timeout: Duration::from_secs(2),
            concurrency: 64,
            max_remove_percent: 50,
            allow_empty: false,
            dry_run: false,
        }
    }

    /// Reaps this service: `_http._tcp.example.com` (repeatable).
    pub fn with_service(mut self, service: Name) -> Self {
        if !self.services.contains(&service) {
            self.services.push(service);
        }
        self
    }

    /// Reaps every service type `domain` lists under
    /// `_services._dns-sd._udp` (read afresh on each pass).
    pub fn with_every_service_in(mut self, domain: Name) -> Self {
        if !self.every_type_in.contains(&domain) {
            self.every_type_in.push(domain);
        }
        self
    }

    /// How targets are probed (default [`Check::Tcp`]).
    pub fn with_check(mut self, check: Check) -> Self {
        self.check = check;
        self
    }

    /// Consecutive failed probes that make a target dead (default 3, at
    /// least 1).
    pub fn with_failures(mut self, failures: u32) -> Self {
        self.failures = failures.max(1);
        self
    }

    /// The pause between two probes of a failing target (default 10 s).
    pub fn with_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// How long one probe may take (default 2 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Probes in flight at once (default 64, at least 1).
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// The largest share of a service's targets one pass removes, in
    /// percent (default 50; at least one target is always allowed). When
    /// more look dead, the pass removes none of them.
    pub fn with_max_remove_percent(mut self, percent: u8) -> Self {
        self.max_remove_percent = percent.min(100);
        self
    }

    /// Whether a pass may remove a service's last targets (default no).
    pub fn with_allow_empty(mut self, allow: bool) -> Self {
        self.allow_empty = allow;
        self
    }

    /// Report what would be removed, and remove nothing.
    pub fn with_dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// The registry removals go through.
    pub fn registry(&self) -> &ServiceRegistry {
        &self.registry
    }

    /// The most targets of `checked` that one pass may remove.
    pub fn removal_limit(&self, checked: usize) -> usize {
        (checked * usize::from(self.max_remove_percent) / 100).max(1)
    }

    /// One pass: list, probe (up to [`with_failures`](Self::with_failures)
    /// times per failing target), decide per service, remove. Refusals are
    /// in the report ([`PassReport::refused`]); an error means a provider
    /// call failed (a removal already made stays made).
    pub async fn pass(&self) -> Result<PassReport> {
        if self.services.is_empty() && self.every_type_in.is_empty() {
            return Err(Error::InvalidInput(
                "the reaper has no service to reap: name one with with_service".into(),
            ));
        }
        let mut report = PassReport::default();
        let services = self.read(&mut report).await?;
        let endpoints = self.resolve(&services).await;
        let dead = self.probe(&endpoints).await;
        for service in services {
            let decided = self.decide(&service, &dead, &endpoints).await?;
            report.requests += decided.1;
            report.services.push(decided.0);
        }
        Ok(report)
    }

    /// Passes until `stop` completes, each `pause` after the previous one
    /// ended, handing every outcome to `each` (a failed pass does not end
    /// the loop: the next one may find the provider back). A pass under way
    /// when `stop` completes is finished first, so no removal is cut short.
    pub async fn run_until<T>(
        &self,
        pause: Duration,
        stop: impl Future<Output = T>,
        mut each: impl FnMut(Result<PassReport>),
    ) -> T {
        tokio::pin!(stop);
        loop {
            each(self.pass().await);
            tokio::select! {
                done = &mut stop => return done,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// The services of this pass with their targets, one listing per zone.
    async fn read(&self, report: &mut PassReport) -> Result<Vec<Service>> {
        let mut listings: Vec<(Zone, Vec<RecordSet>)> = Vec::new();
        let mut names: Vec<(Name, usize)> = Vec::new();
        for domain in &self.every_type_in {
            let at = listing_of(&self.registry, domain, &mut listings, report).await?;
            let types = Name::parse(SERVICE_TYPES)?.join(domain)?;
            let listed = ptr_values(&listings[at].1, &types);
            for service in listed.into_iter().filter(|s| s.is_subdomain_of(domain)) {
                if !names.iter().any(|(n, _)| *n == service) {
                    names.push((service, at));
                }
            }
        }
        for service in &self.services {
            let at = listing_of(&self.registry, service, &mut listings, report).await?;
            if !names.iter().any(|(n, _)| n == service) {
                names.push((service.clone(), at));
            }
        }
        let mut services = Vec::new();
        for (name, at) in names {
            let (zone, listing) = &listings[at];
            let targets = published(listing, zone, &name);
            services.push(Service { name, targets });
        }
        Ok(services)
    }

    /// Addresses for hosts outside their zone, from the system resolver
    /// (once per host and pass); every endpoint keyed by host and port.
    async fn resolve(&self, services: &[Service]) -> Vec<Endpoint> {
        let mut endpoints: Vec<Endpoint> = Vec::new();
        let mut foreign: HashMap<Name, Vec<IpAddr>> = HashMap::new();
        for target in services.iter().flat_map(|s| &s.targets) {
            let mut endpoint = target.endpoint.clone();
            if !target.in_zone {
                if !foreign.contains_key(&endpoint.host) {
                    let found = system_addresses(&endpoint.host).await;
                    foreign.insert(endpoint.host.clone(), found);
                }
                endpoint.addresses = foreign[&endpoint.host].clone();
            }
            if !endpoints
                .iter()
                .any(|e| e.host == endpoint.host && e.port == endpoint.port)
            {
                endpoints.push(endpoint);
            }
        }
        endpoints
    }

    /// Probes every endpoint; a failing one again after each interval.
    /// The endpoints that failed every time, with the last error.
    async fn probe(&self, endpoints: &[Endpoint]) -> HashMap<(Name, u16), String> {
        let mut failing: Vec<(usize, String)> =
            (0..endpoints.len()).map(|i| (i, String::new())).collect();
        for attempt in 1..=self.failures {
            if failing.is_empty() {
                break;
            }
            if attempt > 1 {
                tokio::time::sleep(self.interval).await;
            }
            let outcomes: Vec<(usize, std::result::Result<(), String>)> =
                futures::stream::iter(failing.iter().map(|(i, _)| *i))
                    .map(
                        |i| async move { (i, self.check.probe(&endpoints[i], self.timeout).await) },
                    )
                    .buffer_unordered(self.concurrency)
                    .collect()
                    .await;
            failing = outcomes
                .into_iter()
                .filter_map(|(i, outcome)| {
                    let error = outcome.err()?;
                    tracing::warn!(target_host = %endpoints[i].host, port = endpoints[i].port,
                        attempt, of = self.failures, %error, "probe failed");
                    Some((i, error))
                })
                .collect();
        }
        failing
            .into_iter()
            .map(|(i, error)| ((endpoints[i].host.clone(), endpoints[i].port), error))
            .collect()
    }

    /// One service's verdict: refused, or its dead targets removed (or
    /// listed, in a dry run). The report and the requests it took.
    async fn decide(
        &self,
        service: &Service,
        dead: &HashMap<(Name, u16), String>,
        endpoints: &[Endpoint],
    ) -> Result<(ServiceReport, usize)> {
        let mut report = ServiceReport::new(service.name.clone(), service.targets.len());
        report.dry_run = self.dry_run;
        let looked_dead: Vec<(&Published, &String)> = service
            .targets
            .iter()
            .filter_map(|t| {
                dead.get(&(t.endpoint.host.clone(), t.endpoint.port))
                    .map(|e| (t, e))
            })
            .collect();
        report.dead = looked_dead.len();
        let limit = self.removal_limit(report.checked);
        if report.dead > limit {
            report.refused = Some(Refusal::TooMany {
                dead: report.dead,
                checked: report.checked,
                limit,
            });
        } else if report.dead > 0 && report.dead == report.checked && !self.allow_empty {
            report.refused = Some(Refusal::LastTarget {
                dead: report.dead,
                checked: report.checked,
            });
        }
        if let Some(why) = &report.refused {
            tracing::warn!(service = %service.name, %why, "removing nothing");
            return Ok((report, 0));
        }
        let mut requests = 0;
        for (target, error) in looked_dead {
            let mut reaped = Reaped::new(
                target.instance.clone(),
                target.label.clone(),
                target.srv.clone(),
            );
            reaped.error = error.clone();
            if self.dry_run {
                tracing::info!(instance = %target.instance, target = %target.endpoint, %error, "dry run: would remove");
                report.removed.push(reaped);
                continue;
            }
            let addresses = endpoints
                .iter()
                .find(|e| e.host == target.endpoint.host && e.port == target.endpoint.port)
                .map(|e| e.addresses.clone())
                .unwrap_or_default();
            let instance = template(target, &addresses)?;
            match self
                .registry
                .deregister_if_unchanged(&instance, target.srv_ttl)
                .await?
            {
                Some(left) => {
                    requests += left.requests;
                    reaped.instance_removed = left.instance_removed;
                    tracing::warn!(instance = %target.instance, target = %target.endpoint, %error,
                        instance_removed = left.instance_removed, "removed a dead target");
                    report.removed.push(reaped);
                }
                None => {
                    tracing::info!(instance = %target.instance, target = %target.endpoint,
                        "the target changed during the pass; keeping it");
                    report.changed.push(reaped);
                }
            }
        }
        Ok((report, requests))
    }
}

/// The index in `listings` of the listing of the zone holding `name`,
/// listing that zone when it is not there yet.
async fn listing_of(
    registry: &ServiceRegistry,
    name: &Name,
    listings: &mut Vec<(Zone, Vec<RecordSet>)>,
    report: &mut PassReport,
) -> Result<usize> {
    let zone = registry.zone_for(name).await?;
    if let Some(at) = listings.iter().position(|(z, _)| *z == zone) {
        return Ok(at);
    }
    report.requests += 1;
    let listing = registry.provider().list_record_sets(&zone).await?;
    listings.push((zone, listing));
    Ok(listings.len() - 1)
}

/// The PTR targets at `name` in `listing`.
fn ptr_values(listing: &[RecordSet], name: &Name) -> Vec<Name> {
    listing
        .iter()
        .filter(|s| s.name() == name && s.record_type() == RecordType::PTR)
        .flat_map(|s| s.values())
        .filter_map(|v| match v {
            RData::PTR(target) => Some(target.clone()),
            _ => None,
        })
        .collect()
}

/// The SRV targets of `service`'s instances (those its PTR lists), with
/// what removing them needs, from one listing of `zone`.
fn published(listing: &[RecordSet], zone: &Zone, service: &Name) -> Vec<Published> {
    let Some((service_type, domain)) = ServiceType::split_name(service) else {
        return Vec::new();
    };
    let find = |name: &Name, rtype| {
        listing
            .iter()
            .find(|s| s.name() == name && s.record_type() == rtype)
    };
    let mut targets = Vec::new();
    for instance in ptr_values(listing, service) {
        let label = match instance.labels().first() {
            Some(l) if instance.parent().as_ref() == Some(service) => l.clone(),
            _ => continue,
        };
        let Some(srv_set) = find(&instance, RecordType::SRV) else {
            continue;
        };
        let subtypes = subtypes_of(listing, service, &instance);
        for value in srv_set.values() {
            let RData::SRV(srv) = value else { continue };
            if srv.is_unavailable() {
                continue;
            }
            let in_zone = srv.target.is_subdomain_of(&zone.name);
            let addresses: Vec<IpAddr> = if in_zone {
                [RecordType::A, RecordType::AAAA]
                    .into_iter()
                    .filter_map(|t| find(&srv.target, t))
                    .flat_map(|s| s.values())
                    .filter_map(|v| match v {
                        RData::A(ip) => Some(IpAddr::V4(*ip)),
                        RData::AAAA(ip) => Some(IpAddr::V6(*ip)),
                        _ => None,
                    })
                    .collect()
            } else {
                Vec::new()
            };
            targets.push(Published {
                instance: instance.clone(),
                label: label.clone(),
                service: service_type.clone(),
                domain: domain.clone(),
                srv: srv.clone(),
                srv_ttl: srv_set.ttl(),
                subtypes: subtypes.clone(),
                in_zone,
                endpoint: Endpoint::new(srv.target.clone(), srv.port, addresses),
            });
        }
    }
    targets
}

/// The subtypes `instance` is registered under: the `<sub>._sub.<service>`
/// PTR sets pointing at it.
fn subtypes_of(listing: &[RecordSet], service: &Name, instance: &Name) -> Vec<Label> {
    let Ok(sub) = Label::new("_sub").and_then(|l| service.prepend(l)) else {
        return Vec::new();
    };
    listing
        .iter()
        // Holding a PTR value makes it a PTR set.
        .filter(|s| s.name().parent().as_ref() == Some(&sub))
        .filter(|s| s.contains(&RData::PTR(instance.clone())))
        .filter_map(|s| s.name().labels().first().cloned())
        .collect()
}

/// The instance to leave with: the one target as read, carrying the
/// zone's addresses of its host (none for a host outside the zone, whose
/// records the reaper does not own).
fn template(target: &Published, addresses: &[IpAddr]) -> Result<ServiceInstance> {
    let mut srv = Target::new(target.srv.target.clone(), target.srv.port)
        .with_priority(target.srv.priority)
        .with_weight(target.srv.weight);
    if target.in_zone {
        for ip in addresses {
            srv = srv.with_address(*ip);
        }
    }
    let mut instance = ServiceInstance::from_label(
        target.label.clone(),
        target.service.clone(),
        target.domain.clone(),
    )?
    .with_ttl(target.srv_ttl)
    .with_target(srv);
    for sub in &target.subtypes {
        instance = instance.with_subtype(sub.clone());
    }
    Ok(instance)
}

/// The system resolver's addresses for `host` (none when it fails: the
/// probe then fails for want of an address).
async fn system_addresses(host: &Name) -> Vec<IpAddr> {
    let text = host.to_string();
    let text = text.trim_end_matches('.');
    match tokio::net::lookup_host((text, 0)).await {
        Ok(found) => {
            let mut ips: Vec<IpAddr> = found.map(|a| a.ip()).collect();
            ips.dedup();
            ips
        }
        Err(e) => {
            tracing::warn!(%host, error = %e, "no address for a target outside the zone");
            Vec::new()
        }
    }
}
