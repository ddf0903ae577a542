//! [`ServiceRegistry`]: join and leave a DNS-SD service on any provider.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use dns_core::{
    Change, DnsProvider, Error, Name, Precondition, RData, RecordSet, RecordType, Result,
    ServiceInstance, Srv, Target, Zone, check_ttl,
};

use crate::plan::{LeaveState, find_set, plan_leave, plan_restore, same_endpoint, targets_of_host};
use crate::report::{RegistryReport, TxtPolicy};

/// Publishes and withdraws [`ServiceInstance`]s and round-robin address
/// sets over any [`DnsProvider`], keeping every rule a fleet relies on:
///
/// * **Join** ([`register`](Self::register)) adds this instance's pieces:
///   address records of its targets, its SRV values, its TXT (by
///   [`TxtPolicy`]), the PTR from the service type, subtype PTRs and the
///   `_services._dns-sd._udp` PTR. Addresses go first and PTRs last, so a
///   browser never finds a PTR that leads nowhere. A re-registration with a
///   new priority or weight replaces its old value.
/// * **TXT**: a registration without TXT properties keeps the TXT the
///   instance already has (several records included); one with properties
///   states them. Two hosts joining at once, one with TXT and one without,
///   end with the stated TXT on every provider.
/// * **Leave** ([`deregister`](Self::deregister),
///   [`deregister_host`](Self::deregister_host) for every port of a host)
///   removes this instance's SRV values; with the last of them its TXT,
///   PTR and subtype PTRs, and the service type's enumeration PTR with the
///   last instance of the type. A host's A/AAAA records go only when no SRV
///   value left in the zone (any service, any instance) points at that host.
/// * **Round robin** ([`join_round_robin`](Self::join_round_robin),
///   [`leave_round_robin`](Self::leave_round_robin)): one host's addresses
///   in a shared A/AAAA set, never touching the others'.
/// * All of it is idempotent (run it twice, or after a crash, and the zone
///   ends the same) and safe when many processes join and leave at once.
///
/// # Concurrency
///
/// With [`Capabilities::preconditions`](dns_core::Capabilities::preconditions)
/// the last leaver's batch is guarded by "the SRV set is still exactly what
/// I read": a join landing in between fails the guard, and the leaver reads
/// and plans again ([`plan_leave`](crate::plan_leave)). Without them (Route
/// 53, Cloudflare) the leaver removes only values it read or owns, then
/// re-reads and repairs: it restores the instance's PTR (and the TXT it
/// removed) when a target joined meanwhile, and a host's addresses when an
/// SRV value pointing at the host appeared. No provider can guard "no SRV
/// anywhere in the zone points at this host" atomically, so that check is
/// a listing before the removal and a listing after it on every provider.
///
/// # Retries
///
/// The provider is the one retry layer: backends retry throttling, 5xx and
/// transport errors under their own `RetryPolicy`. The registry never
/// retries a failed call; it reads and plans again only when a concurrent
/// writer changed what it read ([`with_max_conflicts`](Self::with_max_conflicts)).
///
/// # Zones
///
/// Give the zone you already know with [`with_zone`](Self::with_zone) and
/// the registry looks nothing up. Otherwise it asks the provider once per
/// zone: a name inside a zone it has seen uses that zone (the deepest one
/// that holds the name), so a registry assumes no zone it has not seen is
/// delegated below one it has. Pin such zones with `with_zone`.
///
/// ```
/// use std::sync::Arc;
/// use dns_core::*;
/// use dns_sd_registry::ServiceRegistry;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let memory = InMemoryProvider::new();
/// let zone = memory.create_zone(Name::parse("example.com")?)?;
/// let registry = ServiceRegistry::new(Arc::new(memory.clone())).with_zone(zone.clone());
///
/// let web = |host: &str, ip: &str| -> Result<ServiceInstance, Box<dyn std::error::Error>> {
///     Ok(ServiceInstance::new("web", "_http._tcp".parse()?, Name::parse("example.com")?)?
///         .with_target(Target::new(Name::parse(host)?, 80).with_address(ip.parse()?)))
/// };
/// registry.register(&web("h1.example.com", "192.0.2.1")?).await?;
/// registry.register(&web("h2.example.com", "192.0.2.2")?).await?;
///
/// let left = registry.deregister(&web("h1.example.com", "192.0.2.1")?).await?;
/// assert!(!left.instance_removed); // h2 still serves it
/// let left = registry.deregister(&web("h2.example.com", "192.0.2.2")?).await?;
/// assert!(left.instance_removed);
/// assert_eq!(memory.list_record_sets(&zone).await?.len(), 2); // only SOA and NS remain
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct ServiceRegistry {
    provider: Arc<dyn DnsProvider>,
    max_conflicts: u32,
    any_address: bool,
    zones: Mutex<Vec<Zone>>,
    /// Held while a zone is looked up, so concurrent calls that miss the
    /// cache together make one lookup, not one each.
    lookup: tokio::sync::Mutex<()>,
}

impl ServiceRegistry {
    /// A registry writing through `provider`.
    pub fn new(provider: Arc<dyn DnsProvider>) -> Self {
        Self {
            provider,
            max_conflicts: 32,
            any_address: false,
            zones: Mutex::default(),
            lookup: tokio::sync::Mutex::new(()),
        }
    }

    /// A zone the caller already knows: names inside it need no lookup.
    pub fn with_zone(self, zone: Zone) -> Self {
        self.remember(zone);
        self
    }

    /// How many concurrent-writer conflicts a call absorbs (each one a new
    /// read and plan) before it gives up with [`Error::Conflict`]
    /// (default 32).
    pub fn with_max_conflicts(mut self, max: u32) -> Self {
        self.max_conflicts = max.max(1);
        self
    }

    /// Whether to publish addresses no client can connect to (see
    /// [`unusable_address`]): off by default, so that `0.0.0.0` from a
    /// misconfigured boot script never reaches DNS.
    pub fn with_any_address(mut self, allow: bool) -> Self {
        self.any_address = allow;
        self
    }

    /// The provider.
    pub fn provider(&self) -> &Arc<dyn DnsProvider> {
        &self.provider
    }

    fn remember(&self, zone: Zone) {
        let mut zones = self.zones.lock().unwrap_or_else(|e| e.into_inner());
        if !zones.contains(&zone) {
            zones.push(zone);
        }
    }

    /// The zone holding `name`: from the cache, or one provider lookup.
    pub async fn zone_for(&self, name: &Name) -> Result<Zone> {
        self.zone(name, &mut RegistryReport::new()).await
    }

    fn cached_zone(&self, name: &Name) -> Option<Zone> {
        let zones = self.zones.lock().unwrap_or_else(|e| e.into_inner());
        Zone::longest_match(zones.iter(), name).cloned()
    }

    pub(crate) async fn zone(&self, name: &Name, report: &mut RegistryReport) -> Result<Zone> {
        if let Some(zone) = self.cached_zone(name) {
            return Ok(zone);
        }
        let _one_at_a_time = self.lookup.lock().await;
        // Another call may have found it while this one waited.
        if let Some(zone) = self.cached_zone(name) {
            return Ok(zone);
        }
        report.requests += 1;
        let zone = self.provider.find_zone(name).await?;
        self.remember(zone.clone());
        Ok(zone)
    }

    pub(crate) async fn read(
        &self,
        zone: &Zone,
        name: &Name,
        rtype: RecordType,
        report: &mut RegistryReport,
    ) -> Result<Option<RecordSet>> {
        report.requests += 1;
        self.provider.get_record_set(zone, name, rtype).await
    }

    async fn list(&self, zone: &Zone, report: &mut RegistryReport) -> Result<Vec<RecordSet>> {
        report.requests += 1;
        self.provider.list_record_sets(zone).await
    }

    /// Checks `instance` as [`register`](Self::register) does before it
    /// sends anything: what the provider could not store (names, TTL,
    /// values) is refused with [`Error::InvalidInput`] or
    /// [`Error::Unsupported`]. Names inside the instance's domain are
    /// checked against it; host names outside it are checked by the
    /// provider against their own zone when written.
    ///
    /// The rules of the registry itself come first: a TTL above
    /// [`MAX_TTL`](dns_core::MAX_TTL) is refused ([`check_ttl`]), and so is
    /// an [`unusable_address`] unless [`with_any_address`](Self::with_any_address).
    pub fn check(&self, instance: &ServiceInstance) -> Result<()> {
        check_ttl(instance.ttl())?;
        for target in instance.targets() {
            self.check_addresses(&target.addresses)?;
        }
        self.validate(instance.domain(), instance.records().all())
    }

    /// Checks a round-robin join as [`join_round_robin`](Self::join_round_robin)
    /// does before it sends anything.
    pub fn check_round_robin(&self, name: &Name, addresses: &[IpAddr], ttl: u32) -> Result<()> {
        check_ttl(ttl)?;
        self.check_addresses(addresses)?;
        self.validate(name, address_sets(name, addresses, ttl)?)
    }

    fn check_addresses(&self, addresses: &[IpAddr]) -> Result<()> {
        if self.any_address {
            return Ok(());
        }
        match addresses
            .iter()
            .find_map(|ip| unusable_address(*ip).map(|why| (ip, why)))
        {
            Some((ip, why)) => Err(Error::InvalidInput(format!(
                "{ip} is {why}: no client can connect to it (publish it anyway with \
                 ServiceRegistry::with_any_address)"
            ))),
            None => Ok(()),
        }
    }

    fn validate(&self, domain: &Name, sets: impl IntoIterator<Item = RecordSet>) -> Result<()> {
        let provisional = Zone::new("", domain.clone());
        let changes: Vec<Change> = sets
            .into_iter()
            .filter(|s| s.name().is_subdomain_of(domain))
            .map(Change::Add)
            .collect();
        self.provider.validate(&provisional, &changes)
    }

    /// Applies `changes`, sending those outside `zone` (host records in
    /// another zone) to their own zones, before the main batch when
    /// publishing and after it when withdrawing.
    async fn write(
        &self,
        zone: &Zone,
        changes: Vec<Change>,
        foreign_first: bool,
        report: &mut RegistryReport,
    ) -> Result<()> {
        let (local, foreign): (Vec<Change>, Vec<Change>) = changes
            .into_iter()
            .partition(|c| c.name().is_subdomain_of(&zone.name));
        let mut batches: Vec<(Zone, Vec<Change>)> = Vec::new();
        for change in foreign {
            let z = self.zone(change.name(), report).await?;
            match batches.iter_mut().find(|(bz, _)| *bz == z) {
                Some((_, list)) => list.push(change),
                None => batches.push((z, vec![change])),
            }
        }
        let main = (zone.clone(), local);
        if foreign_first {
            batches.push(main);
        } else {
            batches.insert(0, main);
        }
        for (z, list) in batches.iter().filter(|(_, l)| !l.is_empty()) {
            let applied = self.provider.apply(z, list).await?;
            report.requests += applied.requests;
            report.atomic &= applied.atomic;
        }
        Ok(())
    }

    /// Writes a batch that may carry preconditions. `Ok(false)` when one
    /// failed (the caller reads and plans again); [`Error::Conflict`] once
    /// that has happened too often.
    async fn write_guarded(
        &self,
        zone: &Zone,
        changes: Vec<Change>,
        foreign_first: bool,
        report: &mut RegistryReport,
    ) -> Result<bool> {
        match self.write(zone, changes, foreign_first, report).await {
            Ok(()) => Ok(true),
            Err(Error::PreconditionFailed { message }) => {
                report.conflicts += 1;
                if report.conflicts > self.max_conflicts {
                    return Err(Error::Conflict {
                        message: format!(
                            "gave up after {} concurrent changes; last: {message}",
                            report.conflicts
                        ),
                    });
                }
                tracing::debug!("concurrent change, reading again: {message}");
                // The one jittered pause every compare-and-swap loop in the
                // workspace uses, so racing writers do not collide in step.
                tokio::time::sleep(dns_core::conflict_backoff(report.conflicts)).await;
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// Publishes `instance` with [`TxtPolicy::Auto`]: its TXT properties
    /// when it has some, else the TXT already published is kept.
    pub async fn register(&self, instance: &ServiceInstance) -> Result<RegistryReport> {
        self.register_with(instance, TxtPolicy::Auto).await
    }

    /// Publishes `instance` (its targets, TXT, PTRs and addresses), treating
    /// its TXT by `txt`.
    pub async fn register_with(
        &self,
        instance: &ServiceInstance,
        txt: TxtPolicy,
    ) -> Result<RegistryReport> {
        if instance.targets().is_empty() {
            return Err(Error::InvalidInput(format!(
                "{}: an instance needs at least one target to register",
                instance.name()
            )));
        }
        self.check(instance)?;
        let records = instance.records();
        let keep = match txt {
            TxtPolicy::Auto => instance.txt().is_empty(),
            TxtPolicy::State => false,
            _ => true,
        };
        let guarded = self.provider.capabilities().preconditions;
        let mut report = RegistryReport::new();
        let zone = self.zone(instance.name(), &mut report).await?;
        let name = instance.name();
        let ours = records.txt.first().cloned();
        loop {
            let mut changes: Vec<Change> =
                records.addresses.iter().cloned().map(Change::Add).collect();
            // A re-registration with another priority or weight replaces
            // this target's old value instead of leaving it behind.
            let current = self.read(&zone, name, RecordType::SRV, &mut report).await?;
            if let (Some(current), Some(srv)) = (&current, &records.srv) {
                let ours: Vec<Srv> = instance.targets().iter().map(Target::srv).collect();
                let stale: Vec<RData> = current
                    .values()
                    .iter()
                    .filter(|v| matches!(v, RData::SRV(s) if same_endpoint(s, &ours)))
                    .filter(|v| !srv.contains(v))
                    .cloned()
                    .collect();
                if let Ok(stale) = RecordSet::new(name.clone(), srv.ttl(), stale) {
                    changes.push(Change::Remove(stale));
                }
            }
            changes.extend(records.srv.iter().cloned().map(Change::Add));
            let mut added_txt = None;
            let mut check_txt_after = false;
            report.txt_kept = false;
            if keep && guarded {
                // Atomic either way: keep the TXT only while it is still
                // what was read (the last other host may be leaving with
                // it), write ours only while none exists.
                match self.read(&zone, name, RecordType::TXT, &mut report).await? {
                    Some(published) => {
                        report.txt_kept = true;
                        changes.push(Change::Require(Precondition::exactly(&published)));
                    }
                    None => {
                        changes.push(Change::Require(Precondition::absent(
                            name.clone(),
                            RecordType::TXT,
                        )));
                        changes.extend(ours.iter().cloned().map(Change::Upsert));
                    }
                }
            } else if keep {
                // No conditional write: a new instance (no SRV set yet)
                // adds our TXT with the batch and yields to one stated
                // meanwhile; a published instance's TXT is read after our
                // SRV value landed, so a last other host leaving with the
                // TXT in between is seen (then ours goes in).
                if current.is_none() {
                    changes.extend(ours.iter().cloned().map(Change::Add));
                    added_txt = ours.clone();
                } else {
                    check_txt_after = true;
                }
            } else {
                changes.extend(ours.iter().cloned().map(Change::Upsert));
            }
            changes.extend(
                records
                    .ptr
                    .iter()
                    .chain(&records.subtypes)
                    .chain(&records.enumeration)
                    .cloned()
                    .map(Change::Add),
            );
            if !self
                .write_guarded(&zone, changes, true, &mut report)
                .await?
            {
                continue;
            }
            if let Some(ours) = added_txt {
                self.yield_txt(&zone, &ours, &mut report).await?;
            }
            if check_txt_after {
                let now = self.read(&zone, name, RecordType::TXT, &mut report).await?;
                if now.is_some() {
                    report.txt_kept = true;
                } else if let Some(ours) = &ours {
                    tracing::debug!(instance = %name, "the instance has no TXT (its last other host left meanwhile); adding ours");
                    self.write(&zone, vec![Change::Add(ours.clone())], true, &mut report)
                        .await?;
                    self.yield_txt(&zone, ours, &mut report).await?;
                }
            }
            self.recheck_addresses(&zone, &records.addresses, &mut report)
                .await?;
            break;
        }
        report.targets = instance.targets().iter().map(|t| t.srv()).collect();
        tracing::info!(instance = %name, targets = instance.targets().len(), txt_kept = report.txt_kept, "registered");
        Ok(report)
    }

    /// Address records written in a request of their own (a host in another
    /// zone, or a batch split at the provider's limit) can be removed by a
    /// leaver that listed the zone before our SRV value landed; read them
    /// again and put back what is missing.
    async fn recheck_addresses(
        &self,
        zone: &Zone,
        addresses: &[RecordSet],
        report: &mut RegistryReport,
    ) -> Result<()> {
        let separate: Vec<&RecordSet> = addresses
            .iter()
            .filter(|a| !report.atomic || !a.name().is_subdomain_of(&zone.name))
            .collect();
        for set in separate {
            let set_zone = self.zone(set.name(), report).await?;
            let now = self
                .read(&set_zone, set.name(), set.record_type(), report)
                .await?;
            let complete = now
                .as_ref()
                .is_some_and(|n| set.values().iter().all(|v| n.contains(v)));
            if !complete {
                tracing::warn!(host = %set.name(), "the host's addresses went while joining; restoring them");
                self.write(&set_zone, vec![Change::Add(set.clone())], true, report)
                    .await?;
            }
        }
        Ok(())
    }

    /// Without preconditions a keeper adds its TXT only when it read none;
    /// a TXT stated meanwhile by another host wins, so take ours out again
    /// when it is not alone.
    async fn yield_txt(
        &self,
        zone: &Zone,
        ours: &RecordSet,
        report: &mut RegistryReport,
    ) -> Result<()> {
        let now = self
            .read(zone, ours.name(), RecordType::TXT, report)
            .await?;
        let crowded = now
            .as_ref()
            .is_some_and(|set| set.values().iter().any(|v| !ours.contains(v)));
        if crowded {
            tracing::debug!(instance = %ours.name(), "another host stated the TXT meanwhile; removing ours");
            self.write(zone, vec![Change::Remove(ours.clone())], false, report)
                .await?;
            report.txt_kept = true;
            // Two keepers with different values may each have yielded to
            // the other: never leave the instance without a TXT.
            let after = self
                .read(zone, ours.name(), RecordType::TXT, report)
                .await?;
            if after.is_none() {
                self.write(zone, vec![Change::Add(ours.clone())], true, report)
                    .await?;
                report.txt_kept = false;
            }
        }
        Ok(())
    }

    /// Withdraws `instance`'s targets (matched by host and port, whatever
    /// their priority and weight), and the instance itself when they were
    /// its last. The targets' addresses go only when nothing else points at
    /// their hosts; [`RegistryReport::kept_addresses`] says which stayed.
    pub async fn deregister(&self, instance: &ServiceInstance) -> Result<RegistryReport> {
        let mut report = RegistryReport::new();
        let zone = self.zone(instance.name(), &mut report).await?;
        self.leave(&zone, instance, None, None, &mut report).await?;
        Ok(report)
    }

    /// Withdraws the one target of `instance` only while it is published
    /// exactly as given: its SRV value with the same priority, weight and
    /// port in a set of TTL `srv_ttl`, and (when the target carries
    /// addresses) the host's A/AAAA holding exactly those addresses.
    /// `Ok(None)` when it is not (the value changed, the host moved, or the
    /// target re-registered differently since it was read): nothing is
    /// written. Otherwise it leaves as [`deregister`](Self::deregister)
    /// does, with every rule of the guarded leave.
    ///
    /// What the [`Reaper`](crate::Reaper) removes a dead target with. With
    /// [`preconditions`](dns_core::Capabilities::preconditions) the check
    /// and the removal are one atomic batch (the SRV set and the host's
    /// address sets must still be what was compared); without, the check
    /// is a read right before the removal.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use dns_core::*;
    /// use dns_sd_registry::ServiceRegistry;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let memory = InMemoryProvider::new();
    /// let zone = memory.create_zone(Name::parse("example.com")?)?;
    /// let registry = ServiceRegistry::new(Arc::new(memory.clone())).with_zone(zone);
    /// let web = |weight| -> Result<ServiceInstance, Box<dyn std::error::Error>> {
    ///     Ok(ServiceInstance::new("web", "_http._tcp".parse()?, Name::parse("example.com")?)?
    ///         .with_target(Target::new(Name::parse("h1.example.com")?, 80)
    ///             .with_weight(weight).with_address("192.0.2.1".parse()?)))
    /// };
    /// registry.register(&web(10)?).await?;
    /// // Seen with weight 5: it has changed since, so it stays.
    /// assert!(registry.deregister_if_unchanged(&web(5)?, 120).await?.is_none());
    /// assert!(registry.deregister_if_unchanged(&web(10)?, 120).await?.is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn deregister_if_unchanged(
        &self,
        instance: &ServiceInstance,
        srv_ttl: u32,
    ) -> Result<Option<RegistryReport>> {
        if instance.targets().len() != 1 {
            return Err(Error::InvalidInput(format!(
                "{}: a conditional leave takes exactly one target",
                instance.name()
            )));
        }
        let mut report = RegistryReport::new();
        let zone = self.zone(instance.name(), &mut report).await?;
        let left = self
            .leave(&zone, instance, None, Some(srv_ttl), &mut report)
            .await?;
        Ok(left.then_some(report))
    }

    /// Withdraws every SRV value of `host` in `instance` (every port, as
    /// published), and `addresses` of the host when nothing else points at
    /// it: "leave" for a shutdown script that does not know its ports. The
    /// targets of `instance` are ignored; its name, TXT and subtypes are
    /// used. When the host has no SRV value there (a repeated leave), only
    /// the addresses are withdrawn and [`RegistryReport::targets`] is empty.
    pub async fn deregister_host(
        &self,
        instance: &ServiceInstance,
        host: &Name,
        addresses: &[IpAddr],
    ) -> Result<RegistryReport> {
        let mut report = RegistryReport::new();
        let zone = self.zone(instance.name(), &mut report).await?;
        // The ports are read with the rest of the state in each round of
        // the leave; until then the target is a placeholder carrying the
        // addresses (port 0 matches no published value).
        let template = without_targets(instance).with_target(placeholder(host, addresses));
        self.leave(&zone, &template, Some((host, addresses)), None, &mut report)
            .await?;
        Ok(report)
    }

    /// The leave executor: read, plan ([`plan_leave`]), write, check.
    /// With `every_port_of`, the host's targets are taken from each read of
    /// the SRV set instead of from `template`. With `unchanged_ttl`, each
    /// round first checks that the template's one target is published
    /// exactly as given (see [`deregister_if_unchanged`](Self::deregister_if_unchanged))
    /// and returns `Ok(false)` without writing when it is not.
    async fn leave(
        &self,
        zone: &Zone,
        template: &ServiceInstance,
        every_port_of: Option<(&Name, &[IpAddr])>,
        unchanged_ttl: Option<u32>,
        report: &mut RegistryReport,
    ) -> Result<bool> {
        let caps = self.provider.capabilities();
        let guarded = caps.preconditions;
        let name = template.name();
        let records = template.records();
        let hosts: Vec<Name> = records.addresses.iter().map(|s| s.name().clone()).collect();
        // The zones whose SRV values may point at the hosts: the instance's
        // and each host's own.
        let mut zones = vec![zone.clone()];
        for host in &hosts {
            let z = self.zone(host, report).await?;
            if !zones.contains(&z) {
                zones.push(z);
            }
        }
        let mut withdrawn = None;
        let (last, rejoined) = loop {
            let (instance, state, listing) = if hosts.is_empty() {
                let srv = self.read(zone, name, RecordType::SRV, report).await?;
                let instance = leaving_targets(template, every_port_of, srv.as_ref());
                let mut state = LeaveState {
                    srv,
                    ..LeaveState::default()
                };
                if !guarded && plan_leave(&instance, &state, &caps).last {
                    state.txt = self.read(zone, name, RecordType::TXT, report).await?;
                }
                (instance, state, None)
            } else {
                // Who else points at these hosts is a question about the
                // whole zone: one listing answers it and reads our sets.
                let listing = self.list_all(&zones, report).await?;
                let srv = find_set(&listing, name, RecordType::SRV);
                let instance = leaving_targets(template, every_port_of, srv.as_ref());
                let leaving: Vec<Srv> = instance.targets().iter().map(Target::srv).collect();
                let state = LeaveState::from_listing(&listing, name, &leaving, &hosts);
                (instance, state, Some(listing))
            };
            let mut plan = plan_leave(&instance, &state, &caps);
            // Only before the first write: later rounds of the same leave
            // (another leaver raced it) find our value already gone.
            if let Some(ttl) = unchanged_ttl
                && withdrawn.is_none()
            {
                let Some(seen) =
                    published_as_given(&instance, state.srv.as_ref(), ttl, listing.as_deref())
                else {
                    tracing::info!(instance = %name, "the target changed since it was read; leaving it");
                    return Ok(false);
                };
                if guarded {
                    // The addresses compared go in the guard with the SRV
                    // set: a host that moved meanwhile fails the batch.
                    let guards = seen
                        .iter()
                        .map(|s| Change::Require(Precondition::exactly(s)));
                    plan.batch.splice(0..0, guards);
                }
            }
            if !self
                .write_guarded(zone, plan.batch.clone(), false, report)
                .await?
            {
                continue;
            }
            if !plan.after.is_empty() {
                tracing::debug!(instance = %name, "request limit: subtype and address removals sent separately");
                self.write(zone, plan.after.clone(), false, report).await?;
            }
            withdrawn.get_or_insert_with(|| plan.withdrawn.clone());
            report.kept_addresses = plan.kept_addresses.clone();

            // Check what the write may have raced with. Unguarded, a host
            // kept for another owner may have lost that owner meanwhile
            // (both leaving at once, each keeping the addresses for the
            // other), so look at kept hosts too.
            let check_kept = !guarded && !plan.kept_addresses.is_empty();
            let repair =
                !plan.removed_addresses.is_empty() || (plan.last && !guarded) || check_kept;
            let (srv_now, listing) = if repair {
                let listing = self.list_all(&zones, report).await?;
                let srv = find_set(&listing, name, RecordType::SRV);
                (srv, Some(listing))
            } else {
                (self.read(zone, name, RecordType::SRV, report).await?, None)
            };
            let mut restore = Vec::new();
            let mut rejoined = false;
            let mut orphaned = false;
            if let Some(listing) = &listing {
                for set in &plan.removed_addresses {
                    if let Some(owner) = pointing_at(listing, set.name()) {
                        tracing::warn!(host = %set.name(), %owner, "an SRV value pointing at the host appeared while its addresses were removed; restoring them");
                        restore.push(Change::Add(set.clone()));
                    }
                }
                if plan.last && !guarded && srv_now.is_some() {
                    tracing::warn!(instance = %name, "a target joined while the last one left; restoring its PTR");
                    let txt_now = find_set(listing, name, RecordType::TXT);
                    restore.extend(plan_restore(
                        &instance,
                        state.txt.as_ref(),
                        txt_now.as_ref(),
                    ));
                    rejoined = true;
                }
                if check_kept {
                    orphaned = plan
                        .kept_addresses
                        .iter()
                        .any(|(host, _)| pointing_at(listing, host).is_none());
                }
            }
            if !restore.is_empty() {
                self.write(zone, restore, true, report).await?;
            }
            if orphaned {
                tracing::debug!(instance = %name, "the other owner of a kept host left meanwhile; planning again");
                continue;
            }
            if plan.last {
                break (true, rejoined);
            }
            // Others leaving at the same time may have read our value as
            // "remaining" too: whoever empties the set must clean up.
            if srv_now.is_some() {
                break (false, false);
            }
        };
        report.targets = withdrawn.unwrap_or_default();
        if last && !rejoined {
            report.instance_removed = true;
            if let Some(enumeration) = &records.enumeration {
                self.leave_service_type(zone, template, enumeration, guarded, report)
                    .await?;
            }
            tracing::info!(instance = %name, "deregistered the instance");
        } else {
            tracing::info!(instance = %name, "deregistered a target");
        }
        Ok(true)
    }

    /// Every set of `zones`, one listing each.
    async fn list_all(
        &self,
        zones: &[Zone],
        report: &mut RegistryReport,
    ) -> Result<Vec<RecordSet>> {
        let mut all = Vec::new();
        for zone in zones {
            all.extend(self.list(zone, report).await?);
        }
        Ok(all)
    }

    /// Removes the `_services._dns-sd._udp` PTR of the instance's type when
    /// no instance of that type is left.
    async fn leave_service_type(
        &self,
        zone: &Zone,
        instance: &ServiceInstance,
        enumeration: &RecordSet,
        guarded: bool,
        report: &mut RegistryReport,
    ) -> Result<()> {
        let service = instance.service_name();
        loop {
            if self
                .read(zone, service, RecordType::PTR, report)
                .await?
                .is_some()
            {
                return Ok(());
            }
            let mut changes = Vec::new();
            if guarded {
                changes.push(Change::Require(Precondition::absent(
                    service.clone(),
                    RecordType::PTR,
                )));
            }
            changes.push(Change::Remove(enumeration.clone()));
            if self.write_guarded(zone, changes, false, report).await? {
                if !guarded
                    && self
                        .read(zone, service, RecordType::PTR, report)
                        .await?
                        .is_some()
                {
                    // An instance of this type joined meanwhile: announce the type again.
                    self.write(zone, vec![Change::Add(enumeration.clone())], true, report)
                        .await?;
                }
                return Ok(());
            }
        }
    }

    /// Adds `addresses` to the round-robin A/AAAA sets at `name` (one
    /// request where the provider allows), keeping every other host's
    /// values; `ttl` is the sets' TTL afterwards.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use dns_core::*;
    /// use dns_sd_registry::ServiceRegistry;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let memory = InMemoryProvider::new();
    /// let zone = memory.create_zone(Name::parse("example.com")?)?;
    /// let registry = ServiceRegistry::new(Arc::new(memory.clone()));
    /// let www = Name::parse("www.example.com")?;
    /// registry.join_round_robin(&www, &["192.0.2.1".parse()?], 120).await?;
    /// registry.join_round_robin(&www, &["192.0.2.2".parse()?, "2001:db8::2".parse()?], 120).await?;
    /// registry.leave_round_robin(&www, &["192.0.2.1".parse()?]).await?;
    /// let a = memory.get_record_set(&zone, &www, RecordType::A).await?.unwrap();
    /// assert_eq!(a.values(), [RData::A("192.0.2.2".parse()?)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn join_round_robin(
        &self,
        name: &Name,
        addresses: &[IpAddr],
        ttl: u32,
    ) -> Result<RegistryReport> {
        let sets = address_sets(name, addresses, ttl)?;
        self.check_round_robin(name, addresses, ttl)?;
        self.round_robin(name, sets.into_iter().map(Change::Add).collect())
            .await
    }

    /// Removes `addresses` from the round-robin sets at `name`, keeping
    /// every other host's values (the set goes with its last value).
    pub async fn leave_round_robin(
        &self,
        name: &Name,
        addresses: &[IpAddr],
    ) -> Result<RegistryReport> {
        let sets = address_sets(name, addresses, 60)?;
        self.round_robin(name, sets.into_iter().map(Change::Remove).collect())
            .await
    }

    async fn round_robin(&self, name: &Name, changes: Vec<Change>) -> Result<RegistryReport> {
        let mut report = RegistryReport::new();
        let zone = self.zone(name, &mut report).await?;
        self.provider.validate(&zone, &changes)?;
        self.write(&zone, changes, false, &mut report).await?;
        Ok(report)
    }
}

/// The A and AAAA sets holding `addresses` at `name`.
fn address_sets(name: &Name, addresses: &[IpAddr], ttl: u32) -> Result<Vec<RecordSet>> {
    if addresses.is_empty() {
        return Err(Error::InvalidInput(format!(
            "{name}: a round-robin change needs at least one address"
        )));
    }
    let (v6, v4): (Vec<IpAddr>, Vec<IpAddr>) = addresses.iter().partition(|ip| ip.is_ipv6());
    let mut sets = Vec::new();
    for family in [v4, v6] {
        if !family.is_empty() {
            sets.push(RecordSet::new(
                name.clone(),
                ttl,
                family.into_iter().map(RData::from),
            )?);
        }
    }
    Ok(sets)
}

/// A target of `host` at port 0 carrying `addresses`: matches no published
/// SRV value, so a leave with it withdraws only the addresses.
fn placeholder(host: &Name, addresses: &[IpAddr]) -> Target {
    addresses
        .iter()
        .fold(Target::new(host.clone(), 0), |t, ip| t.with_address(*ip))
}

/// What leaves in this round: `template` itself, or, for every port of a
/// host, that host's targets as `srv` publishes them (the placeholder when
/// it publishes none).
fn leaving_targets(
    template: &ServiceInstance,
    every_port_of: Option<(&Name, &[IpAddr])>,
    srv: Option<&RecordSet>,
) -> ServiceInstance {
    let Some((host, addresses)) = every_port_of else {
        return template.clone();
    };
    let mut targets = targets_of_host(srv, host, addresses);
    if targets.is_empty() {
        targets.push(placeholder(host, addresses));
    }
    targets
        .into_iter()
        .fold(without_targets(template), ServiceInstance::with_target)
}

/// `instance` with the same name, TXT, subtypes and TTL but no target.
fn without_targets(instance: &ServiceInstance) -> ServiceInstance {
    let mut bare = ServiceInstance::from_label(
        instance.instance().clone(),
        instance.service().clone(),
        instance.domain().clone(),
    )
    .unwrap_or_else(|_| instance.clone())
    .with_txt(instance.txt().clone())
    .with_ttl(instance.ttl())
    .with_type_announcement(instance.announces_type());
    for sub in instance.subtypes() {
        bare = bare.with_subtype(sub.clone());
    }
    bare
}

/// Whether the one target of `instance` is published exactly as given:
/// its SRV value in `srv` (a set of TTL `ttl`) and, when it carries
/// addresses, its host's A/AAAA sets in `listing` holding exactly those.
/// `Some` with the address sets compared (to guard the removal with), or
/// `None` when anything differs.
fn published_as_given(
    instance: &ServiceInstance,
    srv: Option<&RecordSet>,
    ttl: u32,
    listing: Option<&[RecordSet]>,
) -> Option<Vec<RecordSet>> {
    let target = instance.targets().first()?;
    let srv = srv.filter(|s| s.ttl() == ttl)?;
    if !srv.contains(&RData::SRV(target.srv())) {
        return None;
    }
    let mut seen = Vec::new();
    if target.addresses.is_empty() {
        return Some(seen);
    }
    let listing = listing?;
    for rtype in [RecordType::A, RecordType::AAAA] {
        let given: Vec<RData> = target
            .addresses
            .iter()
            .map(|ip| RData::from(*ip))
            .filter(|v| v.record_type() == rtype)
            .collect();
        match find_set(listing, &target.host, rtype) {
            Some(set) if set.same_values(&given) => seen.push(set),
            None if given.is_empty() => {}
            _ => return None,
        }
    }
    Some(seen)
}

/// An SRV owner in `listing` with a value that targets `host`.
fn pointing_at(listing: &[RecordSet], host: &Name) -> Option<Name> {
    listing
        .iter()
        .filter(|s| s.record_type() == RecordType::SRV)
        .find(|s| s.values().iter().any(|v| v.target_name() == Some(host)))
        .map(|s| s.name().clone())
}

/// Why no client could connect to `ip` anywhere, for the addresses a
/// registry refuses to publish by default: the unspecified address
/// (`0.0.0.0`, `::`, what a server listening on every interface reports as
/// its own), the IPv4 broadcast address and multicast groups. `None` for
/// every other address, loopback and private ranges included (they are
/// right for a test bed or a private zone).
///
/// ```
/// use dns_sd_registry::unusable_address;
/// assert_eq!(unusable_address("0.0.0.0".parse().unwrap()), Some("the unspecified address"));
/// assert_eq!(unusable_address("ff02::1".parse().unwrap()), Some("a multicast address"));
/// assert_eq!(unusable_address("10.1.2.3".parse().unwrap()), None);
/// ```
pub fn unusable_address(ip: IpAddr) -> Option<&'static str> {
    match ip {
        _ if ip.is_unspecified() => Some("the unspecified address"),
        _ if ip.is_multicast() => Some("a multicast address"),
        IpAddr::V4(v4) if v4.is_broadcast() => Some("the broadcast address"),
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .and_then(|v4| unusable_address(IpAddr::V4(v4))),
        IpAddr::V4(_) => None,
    }
}
