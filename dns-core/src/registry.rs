//! [`ServiceRegistry`]: join and leave a DNS-SD service on any provider.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::RngExt;

use crate::change::{Change, Precondition};
use crate::error::{Error, Result};
use crate::name::Name;
use crate::provider::{DnsProvider, DnsProviderExt, Zone};
use crate::rdata::{RData, RecordType};
use crate::retry::RetryPolicy;
use crate::service::ServiceInstance;
use crate::set::RecordSet;

/// What a [`ServiceRegistry`] call did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegistryReport {
    /// Provider calls made: reads and writes (cached zone lookups excluded).
    pub requests: usize,
    /// Whether every write batch was applied atomically.
    pub atomic: bool,
    /// For `deregister`: whether the instance itself went away (this was its
    /// last target, so its PTR, TXT and subtype PTRs were removed too).
    pub instance_removed: bool,
    /// How often a concurrent writer forced a re-read (compare-and-swap retries).
    pub conflicts: u32,
}

/// Publishes and withdraws [`ServiceInstance`]s over any provider.
///
/// * `register` adds this instance's pieces: address records of its targets,
///   its SRV values, its TXT, the PTR from the service type, subtype PTRs and
///   the `_services._dns-sd._udp` PTR. Addresses go first and PTRs last, so a
///   browser never finds a PTR that leads nowhere; on an atomic provider it
///   is a single batch.
/// * `deregister` removes this instance's SRV values and addresses. When they
///   were the last SRV values, the instance's TXT, PTR and subtype PTRs go as
///   well, and the service type's enumeration PTR when it was the last
///   instance of its type.
/// * Both are idempotent (run them twice, or after a crash, and the zone ends
///   the same) and use only `Add`/`Remove`/`Require`, so any number of
///   processes may join and leave the same service at once without losing a
///   registration.
///
/// # Concurrency
///
/// The last leaver removes the shared records in one batch guarded by
/// [`Change::Require`]: "the SRV set is still exactly what I read". A
/// registration that lands in between makes the guard fail, and the leaver
/// re-reads and removes only its own value. This needs
/// [`Capabilities::preconditions`](crate::Capabilities::preconditions); on a
/// provider without them the leaver removes only the values it read or owns
/// and re-checks afterwards, restoring the PTR (and the TXT, if the joiner's
/// was identical to its own and went with it) when someone joined meanwhile.
///
/// A host's address records are removed with its last target in this
/// instance; do not share one host name between instances of different
/// services if their lifetimes differ.
///
/// ```
/// use std::sync::Arc;
/// use dns_core::*;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let memory = InMemoryProvider::new();
/// memory.create_zone(Name::parse("example.com")?)?;
/// let registry = ServiceRegistry::new(Arc::new(memory.clone()));
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
///
/// let zone = memory.find_zone(&Name::parse("example.com")?).await?;
/// assert_eq!(memory.list_record_sets(&zone).await?.len(), 2); // only SOA and NS remain
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct ServiceRegistry {
    provider: Arc<dyn DnsProvider>,
    retry: RetryPolicy,
    max_conflicts: u32,
    zones: Mutex<HashMap<Name, Zone>>,
}

impl ServiceRegistry {
    /// A registry writing through `provider` with the default retry policy.
    pub fn new(provider: Arc<dyn DnsProvider>) -> Self {
        Self {
            provider,
            retry: RetryPolicy::default(),
            max_conflicts: 32,
            zones: Mutex::default(),
        }
    }

    /// Sets the retry policy for provider calls.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets how many concurrent-writer conflicts a call absorbs before it
    /// gives up with [`Error::Conflict`] (default 32).
    pub fn with_max_conflicts(mut self, max: u32) -> Self {
        self.max_conflicts = max.max(1);
        self
    }

    /// The provider.
    pub fn provider(&self) -> &Arc<dyn DnsProvider> {
        &self.provider
    }

    async fn zone_for(&self, name: &Name, report: &mut RegistryReport) -> Result<Zone> {
        let cached = self
            .zones
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned();
        if let Some(zone) = cached {
            return Ok(zone);
        }
        report.requests += 1;
        let zone = self.retry.run(|| self.provider.find_zone(name)).await?;
        self.zones
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.clone(), zone.clone());
        Ok(zone)
    }

    async fn read(
        &self,
        zone: &Zone,
        name: &Name,
        rtype: RecordType,
        report: &mut RegistryReport,
    ) -> Result<Option<RecordSet>> {
        report.requests += 1;
        self.retry
            .run(|| self.provider.get_record_set(zone, name, rtype))
            .await
    }

    /// Applies `changes`, sending the ones outside `zone` (host records in
    /// another zone) to their own zones; `first` decides whether those go
    /// before (publishing) or after (withdrawing) the main batch.
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
            let z = self.zone_for(change.name(), report).await?;
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
            #[allow(deprecated)] // the registry's own retry layer goes with its move (issue 13)
            let applied = self.provider.apply_with_retry(z, list, &self.retry).await?;
            report.requests += applied.requests;
            report.atomic &= applied.atomic;
        }
        Ok(())
    }

    /// Publishes `instance` (its targets, TXT, PTRs and addresses).
    pub async fn register(&self, instance: &ServiceInstance) -> Result<RegistryReport> {
        if instance.targets().is_empty() {
            return Err(Error::InvalidInput(format!(
                "{}: an instance needs at least one target to register",
                instance.name()
            )));
        }
        let mut report = RegistryReport {
            atomic: true,
            ..RegistryReport::default()
        };
        let zone = self.zone_for(instance.name(), &mut report).await?;
        let records = instance.records();
        let mut changes: Vec<Change> = records.addresses.iter().cloned().map(Change::Add).collect();
        // A re-registration with another priority or weight replaces this
        // target's old value instead of leaving it behind.
        let current = self
            .read(&zone, instance.name(), RecordType::SRV, &mut report)
            .await?;
        if let (Some(current), Some(srv)) = (&current, &records.srv) {
            let stale: Vec<RData> = owned_values(current, instance)
                .into_iter()
                .filter(|v| !srv.contains(v))
                .collect();
            if let Ok(stale) = RecordSet::new(instance.name().clone(), srv.ttl(), stale) {
                changes.push(Change::Remove(stale));
            }
        }
        changes.extend(records.srv.iter().cloned().map(Change::Add));
        // All targets of one instance share its TXT: the latest registration
        // states it.
        changes.extend(records.txt.iter().cloned().map(Change::Upsert));
        changes.extend(
            records
                .ptr
                .iter()
                .chain(&records.subtypes)
                .chain(&records.enumeration)
                .cloned()
                .map(Change::Add),
        );
        self.write(&zone, changes, true, &mut report).await?;
        tracing::info!(instance = %instance.name(), targets = instance.targets().len(), "registered");
        Ok(report)
    }

    /// Withdraws `instance`'s targets, and the instance itself when they
    /// were its last.
    pub async fn deregister(&self, instance: &ServiceInstance) -> Result<RegistryReport> {
        let mut report = RegistryReport {
            atomic: true,
            ..RegistryReport::default()
        };
        let zone = self.zone_for(instance.name(), &mut report).await?;
        let guarded = self.provider.capabilities().preconditions;
        if !self
            .leave_instance(&zone, instance, guarded, &mut report)
            .await?
        {
            tracing::info!(instance = %instance.name(), "deregistered a target");
            return Ok(report);
        }
        report.instance_removed = true;
        if let Some(enumeration) = &instance.records().enumeration {
            self.leave_service_type(&zone, instance, enumeration, guarded, &mut report)
                .await?;
        }
        tracing::info!(instance = %instance.name(), "deregistered the instance");
        Ok(report)
    }

    /// Removes this instance's SRV values and addresses; when no SRV value
    /// remains, removes the instance's TXT, PTR and subtype PTRs too.
    /// Returns whether the instance is gone.
    async fn leave_instance(
        &self,
        zone: &Zone,
        instance: &ServiceInstance,
        guarded: bool,
        report: &mut RegistryReport,
    ) -> Result<bool> {
        let records = instance.records();
        let name = instance.name();
        let ttl = instance.ttl();
        let limit = self.provider.capabilities().max_records_per_request;
        loop {
            let current = self.read(zone, name, RecordType::SRV, report).await?;
            // Ours: every value at one of our (host, port) pairs, whatever
            // its priority or weight (removing a value that is absent is a no-op).
            let mine: Vec<RData> = current
                .as_ref()
                .map(|c| owned_values(c, instance))
                .unwrap_or_default();
            let remaining: Vec<RData> = current
                .iter()
                .flat_map(|s| s.values())
                .filter(|v| !mine.contains(v))
                .cloned()
                .collect();
            // A host that still serves another target of this instance keeps its addresses.
            let still_used: Vec<&Name> = remaining.iter().filter_map(RData::target_name).collect();
            // Removals that may follow the guarded batch when it would not
            // fit in one request otherwise.
            let mut extra: Vec<Change> = records
                .addresses
                .iter()
                .filter(|s| !still_used.contains(&s.name()))
                .cloned()
                .map(Change::Remove)
                .collect();
            let mut changes = Vec::new();
            if guarded {
                // Nobody joined or left since the read; otherwise re-read.
                changes.push(Change::Require(Precondition::unchanged(
                    name.clone(),
                    RecordType::SRV,
                    current.as_ref(),
                )));
            }
            let last = remaining.is_empty();
            if !last {
                changes.extend(
                    RecordSet::new(name.clone(), ttl, mine)
                        .ok()
                        .map(Change::Remove),
                );
            } else {
                changes.extend(records.ptr.iter().cloned().map(Change::Remove));
                extra.extend(records.subtypes.iter().cloned().map(Change::Remove));
                if guarded {
                    for rtype in [RecordType::TXT, RecordType::SRV] {
                        changes.push(Change::Delete {
                            name: name.clone(),
                            rtype,
                        });
                    }
                } else {
                    // Unguarded, remove only what we know is ours or saw: a
                    // joiner's different TXT and its SRV value survive.
                    changes.extend(
                        records
                            .txt
                            .iter()
                            .chain(&current)
                            .cloned()
                            .map(Change::Remove),
                    );
                }
            }
            // Subtypes and addresses ride in the guarded batch unless that
            // would make it too large for one request (it must be atomic).
            let total: usize = changes.iter().chain(&extra).map(Change::record_count).sum();
            let separate = limit.is_some_and(|max| total > max);
            if !separate {
                changes.append(&mut extra);
            }
            if !self.write_guarded(zone, changes, report).await? {
                continue;
            }
            if separate {
                tracing::debug!(instance = %name, "request limit: subtype and address removals sent separately");
                self.write(zone, extra, false, report).await?;
            }
            if last {
                if !guarded {
                    self.restore_if_joined(zone, instance, report).await?;
                }
                return Ok(true);
            }
            // Others leaving at the same time may have read our value as
            // "remaining" too: whoever empties the set must clean up, so
            // look again.
            if self
                .read(zone, name, RecordType::SRV, report)
                .await?
                .is_some()
            {
                return Ok(false);
            }
        }
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
            if self.write_guarded(zone, changes, report).await? {
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

    /// Writes a batch that may carry preconditions. `Ok(false)` when one
    /// failed (the caller re-reads and decides again); [`Error::Conflict`]
    /// once that has happened too often.
    async fn write_guarded(
        &self,
        zone: &Zone,
        changes: Vec<Change>,
        report: &mut RegistryReport,
    ) -> Result<bool> {
        match self.write(zone, changes, false, report).await {
            Ok(()) => Ok(true),
            Err(Error::PreconditionFailed { message }) => {
                report.conflicts += 1;
                if report.conflicts >= self.max_conflicts {
                    return Err(Error::Conflict {
                        message: format!(
                            "gave up after {} concurrent changes; last: {message}",
                            report.conflicts
                        ),
                    });
                }
                tracing::debug!("concurrent change, re-reading: {message}");
                // A short random pause keeps racing leavers from re-colliding.
                let pause = rand::rng().random_range(0..=5 * u64::from(report.conflicts.min(20)));
                tokio::time::sleep(Duration::from_millis(pause)).await;
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// Without atomic preconditions, a registration may have landed between
    /// our read and our removal: put back the PTR it needs to stay browsable,
    /// and the TXT when ours (identical to its) was removed.
    async fn restore_if_joined(
        &self,
        zone: &Zone,
        instance: &ServiceInstance,
        report: &mut RegistryReport,
    ) -> Result<()> {
        let name = instance.name();
        if self
            .read(zone, name, RecordType::SRV, report)
            .await?
            .is_none()
        {
            return Ok(());
        }
        tracing::warn!(instance = %name, "a target joined while the last one left; restoring its PTR");
        let records = instance.records();
        let mut changes: Vec<Change> = records
            .ptr
            .into_iter()
            .chain(records.subtypes)
            .map(Change::Add)
            .collect();
        if self
            .read(zone, name, RecordType::TXT, report)
            .await?
            .is_none()
        {
            changes.extend(records.txt.into_iter().map(Change::Add));
        }
        self.write(zone, changes, true, report).await
    }
}

/// The values of `current` at one of `instance`'s (host, port) pairs.
fn owned_values(current: &RecordSet, instance: &ServiceInstance) -> Vec<RData> {
    current
        .values()
        .iter()
        .filter(|v| match v {
            RData::SRV(srv) => instance
                .targets()
                .iter()
                .any(|t| t.host == srv.target && t.port == srv.port),
            _ => false,
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::InMemoryProvider;
    use crate::provider::{ApplyReport, Capabilities};
    use crate::service::Target;
    use crate::txt::TxtProperties;
    use async_trait::async_trait;

    /// Runs a registration in the middle of the leaver's read of (`rtype`):
    /// the read returns what was there before, so the leaver acts on stale
    /// data exactly as it would when a remote call interleaves.
    #[derive(Debug)]
    struct JoinDuringRead {
        inner: InMemoryProvider,
        rtype: RecordType,
        joiner: Mutex<Option<ServiceInstance>>,
    }

    #[async_trait]
    impl DnsProvider for JoinDuringRead {
        fn provider_name(&self) -> &str {
            "join-during-read"
        }
        fn capabilities(&self) -> crate::Capabilities {
            self.inner.capabilities()
        }
        async fn list_zones(&self) -> Result<Vec<Zone>> {
            self.inner.list_zones().await
        }
        async fn list_record_sets(&self, zone: &Zone) -> Result<Vec<RecordSet>> {
            self.inner.list_record_sets(zone).await
        }
        async fn get_record_set(
            &self,
            zone: &Zone,
            name: &Name,
            rtype: RecordType,
        ) -> Result<Option<RecordSet>> {
            let seen = self.inner.get_record_set(zone, name, rtype).await?;
            let joiner = (rtype == self.rtype)
                .then(|| self.joiner.lock().unwrap().take())
                .flatten();
            if let Some(joiner) = joiner {
                ServiceRegistry::new(Arc::new(self.inner.clone()))
                    .register(&joiner)
                    .await?;
            }
            Ok(seen)
        }
        async fn apply_validated(&self, zone: &Zone, changes: &[Change]) -> Result<ApplyReport> {
            self.inner.apply_validated(zone, changes).await
        }
    }

    fn instance(label: &str, host: &str, txt: &str) -> ServiceInstance {
        ServiceInstance::new(
            label,
            "_http._tcp".parse().unwrap(),
            Name::parse("example.com").unwrap(),
        )
        .unwrap()
        .with_target(
            Target::new(Name::parse(host).unwrap(), 80).with_address("192.0.2.1".parse().unwrap()),
        )
        .with_txt(TxtProperties::new().with("v", txt).unwrap())
    }

    async fn race(
        caps: Capabilities,
        rtype: RecordType,
        leaver: ServiceInstance,
        joiner: ServiceInstance,
    ) -> InMemoryProvider {
        let memory = InMemoryProvider::with_capabilities(caps);
        memory
            .create_zone(Name::parse("example.com").unwrap())
            .unwrap();
        ServiceRegistry::new(Arc::new(memory.clone()))
            .register(&leaver)
            .await
            .unwrap();
        let racing = JoinDuringRead {
            inner: memory.clone(),
            rtype,
            joiner: Mutex::new(Some(joiner.clone())),
        };
        ServiceRegistry::new(Arc::new(racing))
            .deregister(&leaver)
            .await
            .unwrap();
        memory
    }

    async fn assert_published(memory: &InMemoryProvider, joiner: &ServiceInstance) {
        let zone = memory.find_zone(joiner.name()).await.unwrap();
        for set in joiner.records().all() {
            let found = memory.lookup(&zone.name, set.name(), set.record_type());
            let found = found.unwrap_or_else(|| {
                panic!(
                    "{} {} of the joiner was lost",
                    set.name(),
                    set.record_type()
                )
            });
            for v in set.values() {
                assert!(
                    found.contains(v),
                    "{v} of the joiner was lost from {}",
                    set.name()
                );
            }
        }
    }

    #[tokio::test]
    async fn a_target_joining_while_the_last_one_leaves_is_kept() {
        for caps in [
            Capabilities::default(),
            Capabilities::default().with_preconditions(false),
        ] {
            let leaver = instance("web", "h1.example.com", "1");
            let joiner = instance("web", "h2.example.com", "1");
            let memory = race(
                caps.clone(),
                RecordType::SRV,
                leaver.clone(),
                joiner.clone(),
            )
            .await;
            assert_published(&memory, &joiner).await;
            let srv = memory
                .lookup(
                    &Name::parse("example.com").unwrap(),
                    leaver.name(),
                    RecordType::SRV,
                )
                .unwrap();
            assert_eq!(
                srv.len(),
                1,
                "the leaver's own target must be gone ({caps:?})"
            );
        }
    }

    #[tokio::test]
    async fn a_joiner_with_other_metadata_keeps_its_txt_even_unguarded() {
        let caps = Capabilities::default().with_preconditions(false);
        let joiner = instance("web", "h2.example.com", "2");
        let memory = race(
            caps,
            RecordType::SRV,
            instance("web", "h1.example.com", "1"),
            joiner.clone(),
        )
        .await;
        assert_published(&memory, &joiner).await;
    }

    #[tokio::test]
    async fn an_instance_joining_while_the_last_of_its_type_leaves_keeps_the_type_listed() {
        for caps in [
            Capabilities::default(),
            Capabilities::default().with_preconditions(false),
        ] {
            let joiner = instance("api", "h2.example.com", "1");
            let memory = race(
                caps,
                RecordType::PTR,
                instance("web", "h1.example.com", "1"),
                joiner.clone(),
            )
            .await;
            assert_published(&memory, &joiner).await;
        }
    }

    #[tokio::test]
    async fn register_needs_a_target_and_deregister_is_idempotent() {
        let memory = InMemoryProvider::new();
        let zone = memory
            .create_zone(Name::parse("example.com").unwrap())
            .unwrap();
        let registry = ServiceRegistry::new(Arc::new(memory.clone()));
        let bare = ServiceInstance::new(
            "x",
            "_http._tcp".parse().unwrap(),
            Name::parse("example.com").unwrap(),
        )
        .unwrap();
        assert!(matches!(
            registry.register(&bare).await,
            Err(Error::InvalidInput(_))
        ));
        let web = instance("web", "h1.example.com", "1");
        let first = registry.register(&web).await.unwrap();
        assert_eq!(
            (first.requests, first.atomic),
            (3, true),
            "zone lookup, SRV read, one atomic batch"
        );
        registry.register(&web).await.unwrap();
        assert_eq!(memory.list_record_sets(&zone).await.unwrap().len(), 2 + 5);
        assert!(registry.deregister(&web).await.unwrap().instance_removed);
        assert!(registry.deregister(&web).await.unwrap().instance_removed);
        assert_eq!(memory.list_record_sets(&zone).await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn re_registering_with_a_new_weight_replaces_the_old_value() {
        let memory = InMemoryProvider::new();
        let zone = memory
            .create_zone(Name::parse("example.com").unwrap())
            .unwrap();
        let registry = ServiceRegistry::new(Arc::new(memory.clone()));
        let weighted = |w| {
            let mut inst = instance("web", "h1.example.com", "1");
            let target = inst.targets()[0].clone().with_weight(w);
            inst = inst.with_target(target);
            inst
        };
        registry.register(&weighted(10)).await.unwrap();
        registry.register(&weighted(20)).await.unwrap();
        let srv = memory
            .lookup(&zone.name, weighted(20).name(), RecordType::SRV)
            .unwrap();
        assert_eq!(srv.len(), 1, "old weight left behind: {srv}");
        // Leaving with a stale configuration still removes this (host, port).
        assert!(
            registry
                .deregister(&weighted(10))
                .await
                .unwrap()
                .instance_removed
        );
        assert_eq!(memory.list_record_sets(&zone).await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn a_target_joining_on_the_same_host_keeps_its_address() {
        let memory = InMemoryProvider::new();
        memory
            .create_zone(Name::parse("example.com").unwrap())
            .unwrap();
        let on_port = |port| {
            ServiceInstance::new(
                "web",
                "_http._tcp".parse().unwrap(),
                Name::parse("example.com").unwrap(),
            )
            .unwrap()
            .with_target(
                Target::new(Name::parse("h1.example.com").unwrap(), port)
                    .with_address("192.0.2.1".parse().unwrap()),
            )
        };
        let registry = ServiceRegistry::new(Arc::new(memory.clone()));
        registry.register(&on_port(80)).await.unwrap();
        registry
            .register(&instance("web", "h2.example.com", ""))
            .await
            .unwrap();
        // h1:81 joins while h1:80 leaves (and h2 keeps the instance alive).
        let racing = JoinDuringRead {
            inner: memory.clone(),
            rtype: RecordType::SRV,
            joiner: Mutex::new(Some(on_port(81))),
        };
        ServiceRegistry::new(Arc::new(racing))
            .deregister(&on_port(80))
            .await
            .unwrap();
        assert_published(&memory, &on_port(81)).await;
    }

    #[tokio::test]
    async fn unguarded_race_keeps_the_joiners_subtypes() {
        let caps = Capabilities::default().with_preconditions(false);
        let joiner = instance("web", "h2.example.com", "1").with_subtype("_admin".parse().unwrap());
        let leaver = instance("web", "h1.example.com", "1").with_subtype("_admin".parse().unwrap());
        let memory = race(caps, RecordType::SRV, leaver, joiner.clone()).await;
        assert_published(&memory, &joiner).await;
    }

    #[tokio::test]
    async fn deregister_works_under_a_tiny_request_limit() {
        let caps = Capabilities::default().with_max_records_per_request(Some(4));
        let memory = InMemoryProvider::with_capabilities(caps);
        let zone = memory
            .create_zone(Name::parse("example.com").unwrap())
            .unwrap();
        let registry = ServiceRegistry::new(Arc::new(memory.clone()));
        let web = instance("web", "h1.example.com", "1")
            .with_subtype("_a".parse().unwrap())
            .with_subtype("_b".parse().unwrap());
        registry.register(&web).await.unwrap();
        assert!(registry.deregister(&web).await.unwrap().instance_removed);
        assert_eq!(memory.list_record_sets(&zone).await.unwrap().len(), 2);
    }
}
