//! The client: browse, enumerate, resolve and discover, with the query
//! waves that keep discovery at three round trips.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use dns_core::{
    Label, Name, RData, RecordType, SERVICE_TYPE_ENUMERATION, ServiceType, Srv, Txt, TxtProperties,
};
use futures::future::join_all;

use crate::additionals;
use crate::cache::{Answer, Cache, CacheStats, Fresh, Source};
use crate::config::ClientBuilder;
use crate::error::{Error, Result};
use crate::instance::{
    Discovery, LookupFailure, ResolvedInstance, ResolvedTarget, split_instance_name,
};
use crate::runtime::DnsResolver;
use crate::{ptr_targets, srv_checks, transport};

/// A DNS-SD client over unicast DNS. Cheap to clone; clones share the
/// resolver and the cache.
///
/// Discovery (`discover`) asks the PTR question, then every SRV and TXT
/// question at once, then every address question not already answered, so
/// it takes at most three round trips however many instances there are, and
/// one when the server adds the RFC 6763 section 12 records. Additional
/// records are trusted only for the questions the answer leads to next,
/// under the domain being browsed; see the crate documentation for what
/// else is not taken on trust.
///
/// Instance names are raw labels: spaces, dots and UTF-8 survive, and names
/// compare case-insensitively (some servers lower-case PTR targets).
#[derive(Debug, Clone)]
pub struct DnsSdClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    /// One pair per name server, in the order they are asked.
    pub(crate) resolvers: Vec<ServerResolvers>,
    /// Trust a host's additional addresses of one family to mean it has
    /// none of the other (see `file_additionals`).
    pub(crate) complete_additionals: bool,
    pub(crate) cache: Cache,
    pub(crate) servers: Vec<SocketAddr>,
    /// Questions on the network at once, for every caller of this client:
    /// a wave of thousands sent together overflows the server's receive
    /// buffer, and each lost datagram costs a timeout and a resend.
    pub(crate) in_flight: Arc<tokio::sync::Semaphore>,
}

impl DnsSdClient {
    /// A builder with the defaults (system name servers).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client using the system's name servers with default settings.
    pub fn from_system() -> Result<Self> {
        ClientBuilder::new().build()
    }

    /// A client asking these name servers with default settings.
    pub fn with_name_servers(servers: impl IntoIterator<Item = SocketAddr>) -> Result<Self> {
        ClientBuilder::new().with_name_servers(servers).build()
    }

    pub(crate) fn from_inner(inner: Inner) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The name servers given to the builder (empty when using the system's).
    pub fn name_servers(&self) -> &[SocketAddr] {
        &self.inner.servers
    }

    /// How the cache has been used so far.
    pub fn cache_stats(&self) -> CacheStats {
        self.inner.cache.stats()
    }

    /// Forgets every cached answer.
    pub fn clear_cache(&self) {
        self.inner.cache.clear();
    }

    pub(crate) fn now(&self) -> Instant {
        self.inner.cache.now()
    }

    /// The records of one type at a name (empty when the name or the type
    /// does not exist), through the cache.
    ///
    /// The additional records of this answer are not filed, as nothing says
    /// which domain they may be trusted for; an entry filed earlier by a
    /// discovery under its own domain may answer this question.
    pub async fn lookup(&self, name: &Name, record_type: RecordType) -> Result<Vec<RData>> {
        let fresh = self.fetch(name, record_type, None).await?;
        Ok(fresh.answer.records().to_vec())
    }

    /// The IPv4 and IPv6 addresses of a host, asked concurrently.
    pub async fn addresses(&self, host: &Name) -> Result<Vec<IpAddr>> {
        let (a, aaaa) = futures::join!(
            self.fetch(host, RecordType::A, None),
            self.fetch(host, RecordType::AAAA, None)
        );
        let mut out = ips(a?.answer.records());
        out.extend(ips(aaaa?.answer.records()));
        Ok(out)
    }

    /// Instance names of a service type in a domain (PTR records of
    /// `_service._proto.<domain>`); empty when there are none.
    ///
    /// Only targets exactly one label under `_service._proto.<domain>`
    /// count as instances (RFC 6763 section 4.1), and not those whose label
    /// holds ASCII control characters (section 4.1.1): a PTR to another
    /// domain, to the zone apex, to the service name itself or deeper down
    /// is ignored with a warning. [`discover`](Self::discover),
    /// [`watch`](Self::watch) and the subtype variants apply the same rule.
    pub async fn browse(&self, service: &ServiceType, domain: &Name) -> Result<Vec<Name>> {
        let name = service.name_in(domain)?;
        self.instance_names(&name, domain).await
    }

    /// Instance names of a subtype (`<subtype>._sub._service._proto.<domain>`,
    /// RFC 6763 section 7.1): targets one label under the parent service
    /// `_service._proto.<domain>`, as for [`browse`](Self::browse).
    pub async fn browse_subtype(
        &self,
        service: &ServiceType,
        subtype: &Label,
        domain: &Name,
    ) -> Result<Vec<Name>> {
        let name = service.subtype_name_in(subtype.clone(), domain)?;
        self.instance_names(&name, domain).await
    }

    /// The service types announced in a domain (`_services._dns-sd._udp`,
    /// RFC 6763 section 9), as the names to browse (`_http._tcp.<domain>`).
    /// [`ServiceType::split_name`] reads the type off each. Targets that are
    /// not `_service._proto.<domain>` of this same domain are ignored.
    pub async fn enumerate(&self, domain: &Name) -> Result<Vec<Name>> {
        let name = Name::parse_relative(SERVICE_TYPE_ENUMERATION, domain)?;
        let fresh = self.fetch(&name, RecordType::PTR, Some(domain)).await?;
        Ok(ptr_targets::service_types(domain, fresh.answer.records()))
    }

    /// An instance's (or any SRV owner's) targets with their addresses and
    /// its TXT properties. [`Error::NotFound`] when there is no SRV record,
    /// an error when the SRV lookup failed. A failed TXT or address lookup
    /// does not fail the call (a backup target in a broken zone must not
    /// stop the primary from being used): the TXT properties or that
    /// target's addresses are then empty, and the failure is logged; use
    /// [`discover`](Self::discover) to see each failure.
    ///
    /// A sole target "." is kept as it is: see
    /// [`ResolvedInstance::is_unavailable`]. SRV records that cannot work
    /// (target equal to `instance`, port 0, "." beside real targets) are
    /// dropped; when none is left the result is [`Error::NotFound`].
    pub async fn resolve(&self, instance: &Name) -> Result<ResolvedInstance> {
        let bailiwick = bailiwick_of(instance);
        let mut found = self
            .resolve_all(vec![instance.clone()], &bailiwick, &Scratch::default())
            .await;
        if let Some(failure) = found
            .failures
            .into_iter()
            .find(|f| f.record_type == RecordType::SRV && f.name == *instance)
        {
            return Err(failure.error);
        }
        found.instances.pop().ok_or_else(|| Error::NotFound {
            name: instance.clone(),
            record_type: RecordType::SRV,
        })
    }

    /// Every instance of a service type in a domain, resolved.
    ///
    /// Fails only when the PTR question fails; other failed lookups are
    /// listed in [`Discovery::failures`] and the rest is returned.
    pub async fn discover(&self, service: &ServiceType, domain: &Name) -> Result<Discovery> {
        let name = service.name_in(domain)?;
        self.discover_at(&name, domain).await
    }

    /// Every instance of a subtype, resolved.
    pub async fn discover_subtype(
        &self,
        service: &ServiceType,
        subtype: &Label,
        domain: &Name,
    ) -> Result<Discovery> {
        let name = service.subtype_name_in(subtype.clone(), domain)?;
        self.discover_at(&name, domain).await
    }

    /// Discovery of the instances listed at a service's PTR name (or a
    /// subtype's), trusting additional records under `domain`. Targets
    /// that are not instances of that service are ignored, as in
    /// [`browse`](Self::browse).
    pub async fn discover_at(&self, ptr_name: &Name, domain: &Name) -> Result<Discovery> {
        let scratch = Scratch::default();
        let ptr = self
            .fetch_by(
                ptr_name,
                RecordType::PTR,
                Some(domain),
                Route::Default,
                &scratch,
            )
            .await?;
        let names = ptr_targets::instances(ptr_name, ptr.answer.records());
        let mut found = self.resolve_all(names, domain, &scratch).await;
        found.valid_until = found.valid_until.min(ptr.expires);
        Ok(Discovery {
            service: ptr_name.clone(),
            instances: found.instances,
            missing: found.missing,
            failures: found.failures,
            valid_until: found.valid_until,
        })
    }

    async fn instance_names(&self, name: &Name, domain: &Name) -> Result<Vec<Name>> {
        let fresh = self.fetch(name, RecordType::PTR, Some(domain)).await?;
        Ok(ptr_targets::instances(name, fresh.answer.records()))
    }

    /// Waves two and three of discovery for a list of SRV owner names.
    async fn resolve_all(&self, names: Vec<Name>, bailiwick: &Name, scratch: &Scratch) -> Found {
        let mut found = Found {
            instances: Vec::new(),
            missing: Vec::new(),
            failures: Vec::new(),
            valid_until: self.now() + crate::cache::FAR_FUTURE,
        };

        let route = Route::for_wave(names.len() * 2);
        let wave2 = names.iter().flat_map(|n| {
            [RecordType::SRV, RecordType::TXT].map(|t| async move {
                (
                    t,
                    self.fetch_by(n, t, Some(bailiwick), route, scratch).await,
                )
            })
        });
        let answers = join_all(wave2).await;

        let mut partial = Vec::new();
        for (name, pair) in names.iter().zip(answers.chunks(2)) {
            let [(_, srv), (_, txt)] = pair else { continue };
            let srv = match srv {
                Ok(f) => f,
                Err(e) => {
                    found.fail(name, RecordType::SRV, e.clone());
                    continue;
                }
            };
            found.seen(srv);
            let srvs: Vec<Srv> = srv
                .answer
                .records()
                .iter()
                .filter_map(|r| match r {
                    RData::SRV(s) => Some(s.clone()),
                    _ => None,
                })
                .collect();
            let srvs = srv_checks::usable(name, srvs);
            if srvs.is_empty() {
                found.missing.push(name.clone());
                continue;
            }
            let txt_records: Vec<Txt> = match txt {
                Ok(f) => {
                    found.seen(f);
                    f.answer
                        .records()
                        .iter()
                        .filter_map(|r| match r {
                            RData::TXT(t) => Some(t.clone()),
                            _ => None,
                        })
                        .collect()
                }
                Err(e) => {
                    found.fail(name, RecordType::TXT, e.clone());
                    Vec::new()
                }
            };
            partial.push((name.clone(), srvs, txt_records));
        }

        let hosts: BTreeSet<Name> = partial
            .iter()
            .flat_map(|(_, srvs, _)| srvs.iter())
            .filter(|s| !s.is_unavailable())
            .map(|s| s.target.clone())
            .collect();
        let route = Route::for_wave(hosts.len() * 2);
        let wave3 = hosts.iter().flat_map(|h| {
            [RecordType::A, RecordType::AAAA].map(|t| async move {
                (
                    h,
                    t,
                    self.fetch_by(h, t, Some(bailiwick), route, scratch).await,
                )
            })
        });
        let mut addresses: BTreeMap<Name, Vec<IpAddr>> = BTreeMap::new();
        for (host, rtype, result) in join_all(wave3).await {
            match result {
                Ok(f) => {
                    found.seen(&f);
                    addresses
                        .entry(host.clone())
                        .or_default()
                        .extend(ips(f.answer.records()));
                }
                Err(e) => found.fail(host, rtype, e),
            }
        }

        for (name, srvs, txt_records) in partial {
            let mut targets: Vec<ResolvedTarget> = srvs
                .into_iter()
                .map(|srv| {
                    let mut addrs = addresses.get(&srv.target).cloned().unwrap_or_default();
                    addrs.sort_unstable();
                    addrs.dedup();
                    ResolvedTarget::new(srv, addrs)
                })
                .collect();
            targets.sort_by(|a, b| {
                (a.srv.priority, a.srv.weight, a.srv.port, &a.srv.target).cmp(&(
                    b.srv.priority,
                    b.srv.weight,
                    b.srv.port,
                    &b.srv.target,
                ))
            });
            let txt = txt_records
                .first()
                .map(TxtProperties::from_txt)
                .unwrap_or_default();
            found.instances.push(ResolvedInstance {
                name,
                targets,
                txt,
                txt_records,
            });
        }
        found.instances.sort_by(|a, b| a.name.cmp(&b.name));
        found
    }

    /// One question, through the cache. Records of the additional section
    /// are filed under their own names when they fall under `bailiwick`.
    pub(crate) async fn fetch(
        &self,
        name: &Name,
        rtype: RecordType,
        bailiwick: Option<&Name>,
    ) -> Result<Fresh> {
        self.fetch_by(name, rtype, bailiwick, Route::Default, &Scratch::default())
            .await
    }

    /// [`fetch`](Self::fetch), sent the way `route` says, with the
    /// additional records of one discovery kept in `scratch` as well.
    async fn fetch_by(
        &self,
        name: &Name,
        rtype: RecordType,
        bailiwick: Option<&Name>,
        route: Route,
        scratch: &Scratch,
    ) -> Result<Fresh> {
        if let Some(hit) = scratch.get(name, rtype) {
            return Ok(hit);
        }
        let cache = &self.inner.cache;
        if let Some(hit) = cache.get(name, rtype) {
            return Ok(hit);
        }
        let response = self.ask(name, rtype, route).await?;
        if let Some(zone) = bailiwick {
            let wanted = additionals::wanted_next(name, rtype, &response);
            let complete = self.inner.complete_additionals || response.additionals_complete;
            self.file_additionals(&wanted, response.additionals, zone, complete, scratch);
        }
        Ok(cache.insert(name, rtype, response.answer, response.ttl, Source::Answer))
    }

    /// Asks the servers in order until one gives an answer (records or a
    /// negative answer). PTR questions go to the browse resolver, and back
    /// to the UDP one when a TCP connection cannot be made.
    async fn ask(
        &self,
        name: &Name,
        rtype: RecordType,
        route: Route,
    ) -> Result<transport::Response> {
        // The semaphore is never closed, so a permit always comes.
        let _permit = self.inner.in_flight.acquire().await.ok();
        let by_browse = rtype == RecordType::PTR;
        let mut last = None;
        for server in &self.inner.resolvers {
            let streamed = if route == Route::Stream && !by_browse {
                server.streams.query(name, rtype).await
            } else {
                None
            };
            let mut result = if let Some(result) = streamed {
                result
            } else if by_browse {
                let result =
                    transport::query(&server.browse, name, rtype, server.browse_is_tcp).await;
                if result.is_ok() && server.browse_is_tcp {
                    server.streams.first_answered();
                }
                result
            } else {
                transport::query(&server.resolver, name, rtype, server.tcp_only).await
            };
            if by_browse
                && server.browse_is_separate
                && matches!(result, Err(Error::Transport { .. }))
            {
                result = transport::query(&server.resolver, name, rtype, server.tcp_only).await;
            }
            match result {
                Err(
                    e @ (Error::Timeout { .. } | Error::Transport { .. } | Error::Server { .. }),
                ) => {
                    tracing::debug!(%name, %rtype, error = %e, "asking the next name server");
                    last = Some(e);
                }
                other => return other,
            }
        }
        Err(last.unwrap_or_else(|| Error::Config("no name servers configured".to_owned())))
    }

    /// Files additional records under their own names when they are among
    /// the questions this answer leads to next (`wanted`, see
    /// [`additionals::wanted_next`]) and fall under `zone`; the rest of the
    /// additional section is dropped, so a server cannot fill the cache
    /// with answers to questions nobody asked.
    ///
    /// When `complete` holds, a host that came with addresses of one family
    /// only is taken to have none of the other (cached as "no data" for as
    /// long as the addresses that came): RFC 6763 section 12.2 asks servers
    /// to add *all* address records of a target, and without this every
    /// IPv4-only host costs an AAAA question. It holds when the answer
    /// shows it (authoritative, not truncated, room to spare; see
    /// `transport::additionals_complete`), or for every answer with
    /// `complete_additionals` (opt-in), which also trusts recursive servers
    /// and full messages.
    fn file_additionals(
        &self,
        wanted: &BTreeSet<(Name, RecordType)>,
        additionals: Vec<crate::transport::ExtraSet>,
        zone: &Name,
        complete: bool,
        scratch: &Scratch,
    ) {
        let cache = &self.inner.cache;
        let mut families: BTreeMap<Name, (Option<u32>, Option<u32>)> = BTreeMap::new();
        for extra in additionals {
            let asked_next = wanted.contains(&(extra.name.clone(), extra.record_type));
            if !asked_next || !extra.name.is_subdomain_of(zone) || extra.values.is_empty() {
                tracing::debug!(name = %extra.name, record_type = %extra.record_type, "not filing an additional record set");
                continue;
            }
            let seen = families.entry(extra.name.clone()).or_default();
            match extra.record_type {
                RecordType::A => seen.0 = Some(extra.ttl),
                RecordType::AAAA => seen.1 = Some(extra.ttl),
                _ => {}
            }
            let answer = Answer::Records(extra.values.into());
            let fresh = cache.insert(
                &extra.name,
                extra.record_type,
                answer,
                extra.ttl,
                Source::Additional,
            );
            // A zero TTL (top bit set included) is not for keeping, not
            // even for the next wave.
            if extra.ttl > 0 {
                scratch.put(&extra.name, extra.record_type, fresh);
            }
        }
        if !complete {
            return;
        }
        for (host, seen) in families {
            let implied = match seen {
                (Some(ttl), None) => Some((RecordType::AAAA, ttl)),
                (None, Some(ttl)) => Some((RecordType::A, ttl)),
                _ => None,
            };
            if let Some((missing, ttl)) = implied {
                let fresh = cache.insert(&host, missing, Answer::NoData, ttl, Source::Additional);
                if ttl > 0 {
                    scratch.put(&host, missing, fresh);
                }
            }
        }
    }
}

/// The resolvers for one name server.
#[derive(Debug)]
pub(crate) struct ServerResolvers {
    /// UDP with TCP on truncation (or TCP only, when configured).
    pub(crate) resolver: DnsResolver,
    /// For PTR questions: TCP unless configured otherwise.
    pub(crate) browse: DnsResolver,
    /// Whether `browse` is a separate TCP-only resolver.
    pub(crate) browse_is_separate: bool,
    /// Whether `browse` sends over TCP only.
    pub(crate) browse_is_tcp: bool,
    /// Whether `resolver` sends over TCP only.
    pub(crate) tcp_only: bool,
    /// The TCP connections large waves are pipelined on.
    pub(crate) streams: crate::streams::Streams,
}

/// The additional records one discovery received, for its own later
/// waves: they must not depend on the cache, which may be small, full or
/// off (`with_cache_size(0)`), and a large service's additionals would
/// otherwise evict each other before the wave that needs them.
#[derive(Debug, Default)]
struct Scratch(std::sync::Mutex<BTreeMap<(Name, RecordType), Fresh>>);

impl Scratch {
    fn get(&self, name: &Name, rtype: RecordType) -> Option<Fresh> {
        self.lock().get(&(name.clone(), rtype)).cloned()
    }

    fn put(&self, name: &Name, rtype: RecordType, fresh: Fresh) {
        self.lock().insert((name.clone(), rtype), fresh);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<(Name, RecordType), Fresh>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// How a question travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// By the resolver for its type: PTR by the browse resolver (TCP by
    /// default), the rest over UDP with TCP on truncation.
    Default,
    /// Over the browse resolver's TCP connection, pipelined (RFC 7766).
    Stream,
}

/// A wave with at least this many questions goes over TCP.
const STREAM_WAVE: usize = 32;

impl Route {
    /// Large waves go over TCP, pipelined on a few connections (the first
    /// is the one the PTR question opened; see `streams`):
    /// thousands of datagrams at once are what overflows a server's
    /// receive buffer, one pipelined connection carries them without loss
    /// or resend, and an answer over TCP is never cut short, so its
    /// additional section is complete (which saves the address questions;
    /// see `transport::additionals_complete`). Small waves stay on UDP,
    /// where there is no connection to wait for.
    fn for_wave(questions: usize) -> Self {
        if questions >= STREAM_WAVE {
            Self::Stream
        } else {
            Self::Default
        }
    }
}

/// What waves two and three found.
struct Found {
    instances: Vec<ResolvedInstance>,
    missing: Vec<Name>,
    failures: Vec<LookupFailure>,
    valid_until: Instant,
}

impl Found {
    fn seen(&mut self, fresh: &Fresh) {
        self.valid_until = self.valid_until.min(fresh.expires);
    }

    fn fail(&mut self, name: &Name, record_type: RecordType, error: Error) {
        tracing::warn!(%name, %record_type, %error, "DNS-SD lookup failed");
        self.failures.push(LookupFailure {
            name: name.clone(),
            record_type,
            error,
        });
    }
}

fn ips(records: &[RData]) -> Vec<IpAddr> {
    records
        .iter()
        .filter_map(|r| match r {
            RData::A(ip) => Some(IpAddr::V4(*ip)),
            RData::AAAA(ip) => Some(IpAddr::V6(*ip)),
            _ => None,
        })
        .collect()
}

/// The domain whose additional records are trusted when resolving `name`:
/// the DNS-SD domain when the name has that shape, else its parent.
fn bailiwick_of(name: &Name) -> Name {
    split_instance_name(name)
        .map(|(_, _, domain)| domain)
        .or_else(|| ServiceType::split_name(name).map(|(_, domain)| domain))
        .unwrap_or_else(|| name.parent().unwrap_or_else(Name::root))
}
