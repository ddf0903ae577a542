//! Self-healing registrations: a registered instance re-asserts itself
//! periodically, writing only when something of it is missing.

use std::future::Future;
use std::net::IpAddr;
use std::time::Duration;

use dns_core::{Error, Name, RData, RecordSet, RecordType, Result, ServiceInstance};
use rand::RngExt;

use crate::registry::ServiceRegistry;
use crate::report::{RegistryReport, TxtPolicy};

/// What a registration published, for [`ServiceRegistry::keep_registered`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Registration {
    /// A service instance, as given to [`ServiceRegistry::register`].
    Instance(ServiceInstance),
    /// Addresses in a round-robin set, as given to
    /// [`ServiceRegistry::join_round_robin`].
    RoundRobin {
        /// The set's name.
        name: Name,
        /// This host's addresses in it.
        addresses: Vec<IpAddr>,
        /// The sets' TTL.
        ttl: u32,
    },
}

/// `period` with ±20 % of random jitter, so that a fleet started at once
/// does not refresh in step (and hit a provider's rate limit together).
///
/// ```
/// use std::time::Duration;
/// let d = dns_sd_registry::jittered(Duration::from_secs(60));
/// assert!(d >= Duration::from_secs(48) && d <= Duration::from_secs(72));
/// ```
pub fn jittered(period: Duration) -> Duration {
    period.mul_f64(rand::rng().random_range(0.8..=1.2))
}

impl ServiceRegistry {
    /// Re-asserts a registration of `instance`: reads each set it
    /// publishes (its hosts' addresses, SRV, TXT, PTRs) and, only when one
    /// is missing or lacks this instance's values, registers it again with
    /// [`TxtPolicy::KeepPublished`] (a TXT stated by another host stays).
    /// An intact registration costs the reads and sends no write;
    /// [`RegistryReport::restored`] names what was put back.
    ///
    /// This is what brings back a record deleted by hand or by a reaper's
    /// false positive.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use dns_core::*;
    /// use dns_sd_registry::ServiceRegistry;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let memory = InMemoryProvider::new();
    /// let zone = memory.create_zone(Name::parse("example.com")?)?;
    /// let registry = ServiceRegistry::new(Arc::new(memory.clone())).with_zone(zone.clone());
    /// let web = ServiceInstance::new("web", "_http._tcp".parse()?, Name::parse("example.com")?)?
    ///     .with_target(Target::new(Name::parse("h1.example.com")?, 80).with_address("192.0.2.1".parse()?));
    /// registry.register(&web).await?;
    ///
    /// let writes = || memory.requests();
    /// let before = writes();
    /// assert!(registry.refresh(&web).await?.restored.is_empty());
    ///
    /// memory.delete(&zone, web.name().clone(), RecordType::SRV).await?; // by hand
    /// let report = registry.refresh(&web).await?;
    /// assert_eq!(report.restored, [(web.name().clone(), RecordType::SRV)]);
    /// assert!(memory.get_record_set(&zone, web.name(), RecordType::SRV).await?.is_some());
    /// # let _ = before;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn refresh(&self, instance: &ServiceInstance) -> Result<RegistryReport> {
        if instance.targets().is_empty() {
            return Err(Error::InvalidInput(format!(
                "{}: an instance needs at least one target to refresh",
                instance.name()
            )));
        }
        self.check(instance)?;
        let mut report = RegistryReport::new();
        let records = instance.records();
        let mut wanted: Vec<&RecordSet> = records.addresses.iter().collect();
        wanted.extend(&records.srv);
        wanted.extend(
            records
                .ptr
                .iter()
                .chain(&records.subtypes)
                .chain(&records.enumeration),
        );
        let mut missing = Vec::new();
        for set in wanted {
            if !self.holds(set, &mut report).await? {
                missing.push(set.key());
            }
        }
        // Any TXT will do (another host may have stated newer values); an
        // instance without one lost it.
        let zone = self.zone(instance.name(), &mut report).await?;
        if self
            .read(&zone, instance.name(), RecordType::TXT, &mut report)
            .await?
            .is_none()
        {
            missing.push((instance.name(), RecordType::TXT));
        }
        if missing.is_empty() {
            tracing::debug!(instance = %instance.name(), "refresh: intact");
            return Ok(report);
        }
        let restored: Vec<(Name, RecordType)> =
            missing.into_iter().map(|(n, t)| (n.clone(), t)).collect();
        tracing::warn!(instance = %instance.name(), missing = ?restored, "refresh: restoring the registration");
        let again = self
            .register_with(instance, TxtPolicy::KeepPublished)
            .await?;
        report.requests += again.requests;
        report.atomic &= again.atomic;
        report.conflicts += again.conflicts;
        report.targets = again.targets;
        report.txt_kept = again.txt_kept;
        report.restored = restored;
        Ok(report)
    }

    /// Re-asserts this host's addresses in the round-robin sets at `name`
    /// as [`refresh`](Self::refresh) does an instance: reads, and joins
    /// again only when a value is missing.
    pub async fn refresh_round_robin(
        &self,
        name: &Name,
        addresses: &[IpAddr],
        ttl: u32,
    ) -> Result<RegistryReport> {
        self.check_round_robin(name, addresses, ttl)?;
        let mut report = RegistryReport::new();
        let mut restored = Vec::new();
        for v6 in [false, true] {
            let values: Vec<RData> = addresses
                .iter()
                .filter(|ip| ip.is_ipv6() == v6)
                .map(|ip| RData::from(*ip))
                .collect();
            if let Ok(set) = RecordSet::new(name.clone(), ttl, values)
                && !self.holds(&set, &mut report).await?
            {
                restored.push((name.clone(), set.record_type()));
            }
        }
        if restored.is_empty() {
            return Ok(report);
        }
        tracing::warn!(%name, "refresh: restoring this host's round-robin addresses");
        let again = self.join_round_robin(name, addresses, ttl).await?;
        report.requests += again.requests;
        report.restored = restored;
        Ok(report)
    }

    /// Whether the zone's set at `set`'s name and type holds every value of
    /// `set`.
    async fn holds(&self, set: &RecordSet, report: &mut RegistryReport) -> Result<bool> {
        let zone = self.zone(set.name(), report).await?;
        let now = self
            .read(&zone, set.name(), set.record_type(), report)
            .await?;
        Ok(now.is_some_and(|now| set.values().iter().all(|v| now.contains(v))))
    }

    /// Refreshes `registrations` every [`jittered`] `period` until `stop`
    /// completes, and returns what `stop` returned. A refresh under way
    /// when `stop` completes is finished first, so a leave that follows
    /// never races a refresh's write. A failed refresh is logged and
    /// retried at the next period (the provider may be back by then).
    pub async fn keep_registered<T>(
        &self,
        registrations: &[Registration],
        period: Duration,
        stop: impl Future<Output = T>,
    ) -> T {
        tokio::pin!(stop);
        loop {
            tokio::select! {
                done = &mut stop => return done,
                () = tokio::time::sleep(jittered(period)) => {}
            }
            for registration in registrations {
                let outcome = match registration {
                    Registration::Instance(instance) => self.refresh(instance).await,
                    Registration::RoundRobin {
                        name,
                        addresses,
                        ttl,
                    } => self.refresh_round_robin(name, addresses, *ttl).await,
                };
                if let Err(error) = outcome {
                    tracing::warn!(%error, "refresh failed; trying again next period");
                }
            }
        }
    }
}
