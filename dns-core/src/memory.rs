//! [`InMemoryProvider`]: the reference implementation of the contract.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;

use crate::change::Change;
use crate::error::{Error, Result};
use crate::name::Name;
use crate::provider::{ApplyReport, Capabilities, DnsProvider, Zone};
use crate::rdata::{Opaque, RData, RecordType};
use crate::set::RecordSet;

type Key = (Name, RecordType);

/// A provider that keeps zones in memory: the reference semantics every
/// backend is measured against, and a fast stand-in for tests, examples and
/// the local DNS server.
///
/// * Clones share the same zones (it is an `Arc` inside).
/// * Each `apply` chunk runs under one write lock: atomic, and `Add`/`Remove`
///   can never lose a concurrent writer's values.
/// * [`InMemoryProvider::with_capabilities`] makes it act like another
///   provider: a per-request record limit (batches are then split and
///   reported non-atomic, as Route 53 splits), no raw labels (names
///   Cloudflare cannot store are refused), fewer record types.
/// * [`InMemoryProvider::with_latency`] adds a delay to every call, so tests
///   see the interleavings a remote provider would produce.
/// * New zones get an SOA and an NS set at the apex, as real providers do.
///
/// ```
/// use dns_core::{DnsProvider, InMemoryProvider, Name, RecordType};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let p = InMemoryProvider::new();
/// let zone = p.create_zone(Name::parse("example.com")?)?;
/// let sets = p.list_record_sets(&zone).await?;
/// let types: Vec<RecordType> = sets.iter().map(|s| s.record_type()).collect();
/// assert_eq!(types, [RecordType::NS, RecordType::SOA]);
/// # Ok::<(), dns_core::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct InMemoryProvider {
    inner: Arc<Inner>,
    latency: Option<Duration>,
}

struct Inner {
    capabilities: Capabilities,
    zones: RwLock<BTreeMap<Name, ZoneData>>,
    requests: AtomicUsize,
    version: watch::Sender<u64>,
}

struct ZoneData {
    zone: Zone,
    serial: u32,
    sets: BTreeMap<Key, RecordSet>,
}

impl Default for InMemoryProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for InMemoryProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryProvider")
            .field("zones", &self.read().keys().collect::<Vec<_>>())
            .field("capabilities", &self.inner.capabilities)
            .field("latency", &self.latency)
            .finish()
    }
}

impl InMemoryProvider {
    /// An empty provider with [`Capabilities::default`] (everything).
    pub fn new() -> Self {
        Self::with_capabilities(Capabilities::default())
    }

    /// An empty provider that declares and enforces `capabilities`.
    pub fn with_capabilities(capabilities: Capabilities) -> Self {
        Self {
            inner: Arc::new(Inner {
                capabilities,
                zones: RwLock::default(),
                requests: AtomicUsize::new(0),
                version: watch::Sender::new(0),
            }),
            latency: None,
        }
    }

    /// A handle on the same zones that waits `latency` before every
    /// provider call, as a remote provider would.
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = Some(latency);
        self
    }

    fn read(&self) -> RwLockReadGuard<'_, BTreeMap<Name, ZoneData>> {
        // A panic while holding the lock cannot leave a zone half-changed
        // (changes are staged, then committed), so a poisoned lock is safe to use.
        self.inner.zones.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, BTreeMap<Name, ZoneData>> {
        self.inner.zones.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Creates an empty zone (SOA and NS at the apex); creating an existing
    /// zone returns it unchanged.
    pub fn create_zone(&self, name: Name) -> Result<Zone> {
        let mut zones = self.write();
        if let Some(existing) = zones.get(&name) {
            return Ok(existing.zone.clone());
        }
        let zone = Zone::new(name.to_string(), name.clone());
        let ns = Name::parse("ns1.invalid.")?;
        let soa = Opaque::new(
            RecordType::SOA,
            format!("{ns} hostmaster.{name} 1 3600 600 604800 60"),
        );
        let mut sets = BTreeMap::new();
        for set in [
            RecordSet::new(name.clone(), 3600, [RData::Opaque(soa)])?,
            RecordSet::new(name.clone(), 3600, [RData::NS(ns)])?,
        ] {
            sets.insert((set.name().clone(), set.record_type()), set);
        }
        zones.insert(
            name,
            ZoneData {
                zone: zone.clone(),
                serial: 1,
                sets,
            },
        );
        drop(zones);
        self.bump();
        Ok(zone)
    }

    /// Removes a zone and everything in it; returns whether it existed.
    pub fn delete_zone(&self, name: &Name) -> bool {
        let removed = self.write().remove(name).is_some();
        if removed {
            self.bump();
        }
        removed
    }

    /// Stores a set without any check (test support: seed types the
    /// capabilities do not allow writing, such as opaque types, the way
    /// another tool would have created them).
    pub fn insert_unchecked(&self, zone: &Zone, set: RecordSet) -> Result<()> {
        let mut zones = self.write();
        let data = zones
            .get_mut(&zone.name)
            .ok_or_else(|| Error::ZoneNotFound {
                zone: zone.id.clone(),
            })?;
        data.sets
            .insert((set.name().clone(), set.record_type()), set);
        data.serial = data.serial.wrapping_add(1);
        drop(zones);
        self.bump();
        Ok(())
    }

    /// The zone's serial: it grows by one with every change that touched it.
    pub fn serial(&self, zone: &Name) -> Option<u32> {
        self.read().get(zone).map(|z| z.serial)
    }

    /// The zone whose apex is the longest suffix of `name`, without a call
    /// (for servers answering queries from this provider).
    pub fn zone_of(&self, name: &Name) -> Option<Zone> {
        self.read()
            .values()
            .filter(|z| name.is_subdomain_of(&z.zone.name))
            .max_by_key(|z| z.zone.name.labels().len())
            .map(|z| z.zone.clone())
    }

    /// The set at (`name`, `rtype`) in `zone`, without a call or latency.
    pub fn lookup(&self, zone: &Name, name: &Name, rtype: RecordType) -> Option<RecordSet> {
        self.read()
            .get(zone)
            .and_then(|z| z.sets.get(&(name.clone(), rtype)).cloned())
    }

    /// Every set at `name` in `zone`, and whether the name exists at all
    /// (has sets itself or below it), without a call or latency.
    pub fn lookup_name(&self, zone: &Name, name: &Name) -> (Vec<RecordSet>, bool) {
        let zones = self.read();
        let Some(z) = zones.get(zone) else {
            return (Vec::new(), false);
        };
        let here: Vec<RecordSet> = z
            .sets
            .range(
                (name.clone(), RecordType::from_code(0))
                    ..=(name.clone(), RecordType::from_code(u16::MAX)),
            )
            .map(|(_, s)| s.clone())
            .collect();
        let exists = !here.is_empty() || z.sets.keys().any(|(n, _)| n.is_subdomain_of(name));
        (here, exists)
    }

    /// Provider calls made so far (each `apply` chunk, listing and lookup counts one).
    pub fn requests(&self) -> usize {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// A receiver that changes whenever any zone changes (for servers and
    /// watchers that want to react without polling).
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.version.subscribe()
    }

    fn bump(&self) {
        self.inner.version.send_modify(|v| *v += 1);
    }

    async fn call(&self) {
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
        if let Some(latency) = self.latency {
            tokio::time::sleep(latency).await;
        }
    }

    /// Applies one chunk atomically: stage every change on top of the
    /// current sets, check preconditions and invariants, then commit.
    fn apply_chunk(&self, zone: &Zone, changes: &[Change]) -> Result<()> {
        let mut zones = self.write();
        let data = zones
            .get_mut(&zone.name)
            .ok_or_else(|| Error::ZoneNotFound {
                zone: zone.id.clone(),
            })?;
        let mut staged: BTreeMap<Key, Option<RecordSet>> = BTreeMap::new();
        for change in changes {
            let key = (change.name().clone(), change.record_type());
            let current = match staged.get(&key) {
                Some(s) => s.clone(),
                None => data.sets.get(&key).cloned(),
            };
            let next = match change {
                Change::Upsert(set) => Some(set.clone()),
                Change::Delete { .. } => None,
                Change::Add(set) => Some(match &current {
                    // Rebuilt through the constructor so set rules (one CNAME value) hold.
                    Some(cur) => RecordSet::with_type(
                        set.name().clone(),
                        set.record_type(),
                        set.ttl(),
                        cur.union(set.values(), set.ttl()).into_values(),
                    )?,
                    None => set.clone(),
                }),
                Change::Remove(set) => current
                    .as_ref()
                    .and_then(|cur| cur.difference(set.values())),
                Change::Require(p) => {
                    if !p.holds(current.as_ref()) {
                        return Err(Error::PreconditionFailed {
                            message: format!(
                                "{change}: found {}",
                                current.map_or_else(
                                    || "no set".to_owned(),
                                    |s| s.to_string().trim_end().to_owned()
                                )
                            ),
                        });
                    }
                    continue;
                }
            };
            staged.insert(key, next);
        }
        check_cname_exclusive(&data.sets, &staged)?;
        if staged.is_empty() {
            return Ok(());
        }
        for (key, set) in staged {
            match set {
                Some(set) => {
                    data.sets.insert(key, set);
                }
                None => {
                    data.sets.remove(&key);
                }
            }
        }
        data.serial = data.serial.wrapping_add(1);
        drop(zones);
        self.bump();
        Ok(())
    }
}

/// A CNAME may not share its name with other data (RFC 1034 section 3.6.2),
/// as Route 53 and Cloudflare enforce too.
fn check_cname_exclusive(
    sets: &BTreeMap<Key, RecordSet>,
    staged: &BTreeMap<Key, Option<RecordSet>>,
) -> Result<()> {
    let touched: std::collections::BTreeSet<&Name> = staged.keys().map(|(n, _)| n).collect();
    for name in touched {
        let range = (name.clone(), RecordType::from_code(0))
            ..=(name.clone(), RecordType::from_code(u16::MAX));
        let mut types: Vec<RecordType> = sets
            .range(range)
            .filter(|(k, _)| !staged.contains_key(*k))
            .map(|((_, t), _)| *t)
            .collect();
        types.extend(
            staged
                .iter()
                .filter(|((n, _), s)| n == name && s.is_some())
                .map(|((_, t), _)| *t),
        );
        if types.contains(&RecordType::CNAME) && types.len() > 1 {
            return Err(Error::Provider {
                provider: "memory".into(),
                code: Some("CnameConflict".into()),
                message: format!("a CNAME at {name} cannot share the name with other records"),
                request_id: None,
                retryable: false,
            });
        }
    }
    Ok(())
}

/// Splits `changes` into the fewest consecutive chunks of at most `max`
/// records each, keeping order. A single change larger than `max` is an error.
pub(crate) fn split_batch(changes: &[Change], max: usize) -> Result<Vec<&[Change]>> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut used = 0;
    for (i, change) in changes.iter().enumerate() {
        let w = change.record_count();
        if w > max {
            return Err(Error::InvalidInput(format!(
                "{change}: {w} values exceed the provider's {max} records per request"
            )));
        }
        if used + w > max {
            chunks.push(&changes[start..i]);
            start = i;
            used = 0;
        }
        used += w;
    }
    if start < changes.len() {
        chunks.push(&changes[start..]);
    }
    Ok(chunks)
}

#[async_trait]
impl DnsProvider for InMemoryProvider {
    fn provider_name(&self) -> &str {
        "memory"
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities.clone()
    }

    async fn list_zones(&self) -> Result<Vec<Zone>> {
        self.call().await;
        Ok(self.read().values().map(|z| z.zone.clone()).collect())
    }

    async fn list_record_sets(&self, zone: &Zone) -> Result<Vec<RecordSet>> {
        self.call().await;
        let zones = self.read();
        let data = zones.get(&zone.name).ok_or_else(|| Error::ZoneNotFound {
            zone: zone.id.clone(),
        })?;
        Ok(data.sets.values().cloned().collect())
    }

    async fn get_record_set(
        &self,
        zone: &Zone,
        name: &Name,
        rtype: RecordType,
    ) -> Result<Option<RecordSet>> {
        self.call().await;
        let zones = self.read();
        let data = zones.get(&zone.name).ok_or_else(|| Error::ZoneNotFound {
            zone: zone.id.clone(),
        })?;
        Ok(data.sets.get(&(name.clone(), rtype)).cloned())
    }

    async fn apply_validated(&self, zone: &Zone, changes: &[Change]) -> Result<ApplyReport> {
        let caps = &self.inner.capabilities;
        // `validate` refused single changes over the limit and split
        // batches with preconditions.
        let chunks = match caps.max_records_per_request {
            Some(max) => split_batch(changes, max)?,
            None => vec![changes],
        };
        let atomic = chunks.len() == 1 && caps.atomic_batches;
        let mut done = 0;
        for (n, chunk) in chunks.iter().enumerate() {
            self.call().await;
            if let Err(e) = self.apply_chunk(zone, chunk) {
                return Err(ApplyReport::new(n + 1, false)
                    .with_applied(0..done)
                    .into_partial_error(changes.len(), e));
            }
            done += chunk.len();
        }
        Ok(ApplyReport::new(chunks.len(), atomic))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::DnsProviderExt;

    fn a(n: u8) -> RData {
        RData::A(std::net::Ipv4Addr::new(192, 0, 2, n))
    }

    fn set(name: &str, values: impl IntoIterator<Item = RData>) -> RecordSet {
        RecordSet::new(Name::parse(name).unwrap(), 60, values).unwrap()
    }

    #[test]
    fn split_batch_edges() {
        assert!(
            split_batch(&[], 2).unwrap().is_empty(),
            "no changes, no chunk"
        );
        let full = [Change::Add(set("a.example", [a(1), a(2), a(3)]))];
        assert_eq!(
            split_batch(&full, 3).unwrap().len(),
            1,
            "exactly the limit fits"
        );
    }

    #[tokio::test]
    async fn bookkeeping_serial_requests_versions_and_zones() {
        let p = InMemoryProvider::new();
        let apex = Name::parse("example").unwrap();
        let versions = p.subscribe();
        let v0 = *versions.borrow();
        let zone = p.create_zone(apex.clone()).unwrap();
        let s0 = p.serial(&apex).expect("serial");
        p.apply(&zone, &[Change::Upsert(set("h.example", [a(1)]))])
            .await
            .unwrap();
        p.insert_unchecked(&zone, set("i.example", [a(2)])).unwrap();
        assert_eq!(p.serial(&apex), Some(s0 + 2), "one step per change");
        assert_eq!(*versions.borrow(), v0 + 3, "zone, apply, insert");

        let before = p.requests();
        p.list_record_sets(&zone).await.unwrap();
        p.get_record_set(&zone, &apex, RecordType::SOA)
            .await
            .unwrap();
        p.list_zones().await.unwrap();
        assert_eq!(p.requests(), before + 3);

        assert_eq!(p.provider_name(), "memory");
        let shown = format!("{p:?}");
        assert!(shown.starts_with("InMemoryProvider"), "{shown}");
        assert!(shown.contains("example."), "{shown}");

        assert!(p.delete_zone(&apex), "it existed");
        assert_eq!(*versions.borrow(), v0 + 4);
        assert_eq!(p.serial(&apex), None);
        assert!(!p.delete_zone(&apex), "it is gone");
    }

    /// A CNAME is alone at its name; other types share names freely.
    #[tokio::test]
    async fn cname_exclusivity_is_about_cnames_only() {
        let p = InMemoryProvider::new();
        let zone = p.create_zone(Name::parse("example").unwrap()).unwrap();
        let txt = RData::TXT(crate::Txt::new(["v=1"]).unwrap());
        p.apply(
            &zone,
            &[
                Change::Upsert(set("h.example", [a(1)])),
                Change::Upsert(set("h.example", [txt])),
            ],
        )
        .await
        .expect("A and TXT share a name");
        let cname = RData::CNAME(Name::parse("elsewhere.example").unwrap());
        p.apply(
            &zone,
            &[
                Change::Upsert(set("c.example", [cname.clone()])),
                Change::Upsert(set("d.example", [a(4)])),
            ],
        )
        .await
        .expect("a CNAME alone at its name, beside other names in the batch");
        let err = p
            .apply(&zone, &[Change::Upsert(set("h.example", [cname]))])
            .await
            .unwrap_err();
        assert!(err.to_string().contains("CNAME"), "{err}");
    }

    #[test]
    fn split_batch_uses_fewest_chunks() {
        let one = |n| Change::Add(set("a.example", [a(n)]));
        let changes: Vec<Change> = (0..5).map(one).collect();
        let chunks = split_batch(&changes, 2).unwrap();
        assert_eq!(
            chunks.iter().map(|c| c.len()).collect::<Vec<_>>(),
            [2, 2, 1]
        );
        assert_eq!(split_batch(&changes, 5).unwrap().len(), 1);
        let big = [Change::Add(set("a.example", [a(1), a(2), a(3)]))];
        assert!(split_batch(&big, 2).is_err());
    }

    #[tokio::test]
    async fn limited_provider_splits_and_reports_non_atomic() {
        let p = InMemoryProvider::with_capabilities(
            Capabilities::default().with_max_records_per_request(Some(10)),
        );
        let zone = p.create_zone(Name::parse("example").unwrap()).unwrap();
        let changes: Vec<Change> = (0..25u8)
            .map(|i| Change::Upsert(set(&format!("h{i}.example"), [a(i)])))
            .collect();
        let report = p.apply(&zone, &changes).await.unwrap();
        assert_eq!(report.requests, 3);
        assert!(!report.atomic);
        assert_eq!(p.list_record_sets(&zone).await.unwrap().len(), 25 + 2);
        let small = p.apply(&zone, &changes[..10]).await.unwrap();
        assert_eq!((small.requests, small.atomic), (1, true));
    }

    #[tokio::test]
    async fn a_split_batch_that_fails_says_which_changes_took_effect() {
        let p = InMemoryProvider::with_capabilities(
            Capabilities::default().with_max_records_per_request(Some(2)),
        );
        let zone = p.create_zone(Name::parse("example").unwrap()).unwrap();
        let cname = RData::CNAME(Name::parse("elsewhere.example").unwrap());
        let changes = [
            Change::Upsert(set("h0.example", [a(0)])),
            Change::Upsert(set("h1.example", [a(1)])),
            Change::Upsert(set("h2.example", [a(2)])),
            // Clashes with the A record the change before makes: the
            // second request fails, the first took effect.
            Change::Upsert(set("h2.example", [cname])),
            Change::Upsert(set("h4.example", [a(4)])),
        ];
        let err = p.apply(&zone, &changes).await.unwrap_err();
        assert_eq!(err.applied(), Some(&[0, 1][..]), "{err}");
        match &err {
            Error::PartiallyApplied {
                total,
                source,
                report,
            } => {
                assert_eq!(*total, 5);
                assert!(matches!(**source, Error::Provider { .. }));
                assert!(!report.atomic);
                assert_eq!(report.requests, 2, "the failing request counts");
            }
            other => panic!("expected PartiallyApplied, got {other:?}"),
        }
        assert!(
            err.to_string().starts_with("2 of 5 changes were applied"),
            "{err}"
        );
        let h = |n: &str| p.lookup(&zone.name, &Name::parse(n).unwrap(), RecordType::A);
        assert!(h("h0.example").is_some() && h("h1.example").is_some());
        assert!(h("h2.example").is_none() && h("h4.example").is_none());
        // A failure in the first request is a plain error: nothing happened.
        let err = p.apply(&zone, &changes[2..]).await.unwrap_err();
        assert!(matches!(err, Error::Provider { .. }), "{err}");
    }

    #[tokio::test]
    async fn validate_refuses_a_require_that_cannot_fit_one_request() {
        let p = InMemoryProvider::with_capabilities(
            Capabilities::default().with_max_records_per_request(Some(2)),
        );
        let zone = p.create_zone(Name::parse("example").unwrap()).unwrap();
        let require = Change::Require(crate::Precondition::absent(
            Name::parse("x.example").unwrap(),
            RecordType::A,
        ));
        let fits = [require.clone(), Change::Add(set("a.example", [a(1)]))];
        assert!(p.validate(&zone, &fits).is_ok());
        let split = [
            require,
            Change::Add(set("a.example", [a(1)])),
            Change::Add(set("b.example", [a(2)])),
        ];
        assert!(matches!(
            p.validate(&zone, &split),
            Err(Error::InvalidInput(_))
        ));
        let before = p.requests();
        assert!(matches!(
            p.apply(&zone, &split).await,
            Err(Error::InvalidInput(_))
        ));
        assert_eq!(p.requests(), before, "refused before any request");
    }

    #[tokio::test]
    async fn the_apex_soa_and_ns_are_left_alone() {
        let p = InMemoryProvider::new();
        let zone = p.create_zone(Name::parse("example").unwrap()).unwrap();
        for rtype in [RecordType::SOA, RecordType::NS] {
            let delete = [Change::Delete {
                name: zone.name.clone(),
                rtype,
            }];
            assert!(matches!(
                p.validate(&zone, &delete),
                Err(Error::InvalidInput(_))
            ));
            assert!(matches!(
                p.apply(&zone, &delete).await,
                Err(Error::InvalidInput(_))
            ));
        }
        let ns = RData::NS(Name::parse("ns9.example").unwrap());
        assert!(
            p.apply(&zone, &[Change::Remove(set("example", [ns.clone()]))])
                .await
                .is_err()
        );
        assert!(
            p.apply(&zone, &[Change::Upsert(set("example", [ns.clone()]))])
                .await
                .is_err()
        );
        // Adding a name server is not a deletion; NS below the apex is free.
        p.apply(&zone, &[Change::Add(set("example", [ns.clone()]))])
            .await
            .unwrap();
        p.apply(&zone, &[Change::Upsert(set("sub.example", [ns]))])
            .await
            .unwrap();
        assert_eq!(p.list_record_sets(&zone).await.unwrap().len(), 3);
    }

    #[tokio::test]
    async fn failed_batch_changes_nothing() {
        let p = InMemoryProvider::new();
        let zone = p.create_zone(Name::parse("example").unwrap()).unwrap();
        let serial = p.serial(&zone.name).unwrap();
        let cname = RData::CNAME(Name::parse("elsewhere.example").unwrap());
        let err = p
            .apply(
                &zone,
                &[
                    Change::Add(set("www.example", [a(1)])),
                    Change::Upsert(set("www.example", [cname])),
                ],
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Provider { .. }), "{err}");
        assert_eq!(p.serial(&zone.name), Some(serial));
        assert!(
            p.lookup(
                &zone.name,
                &Name::parse("www.example").unwrap(),
                RecordType::A
            )
            .is_none()
        );
    }

    #[tokio::test]
    async fn add_cannot_make_a_cname_set_with_two_values() {
        let p = InMemoryProvider::new();
        let zone = p.create_zone(Name::parse("example").unwrap()).unwrap();
        let cname = |t: &str| set("www.example", [RData::CNAME(Name::parse(t).unwrap())]);
        p.add(&zone, cname("a.example")).await.unwrap();
        assert!(matches!(
            p.add(&zone, cname("b.example")).await,
            Err(Error::InvalidInput(_))
        ));
        p.add(&zone, cname("A.example")).await.unwrap();
    }

    #[tokio::test]
    async fn unknown_zone_is_reported() {
        let p = InMemoryProvider::new();
        let ghost = Zone::new("ghost.", Name::parse("ghost").unwrap());
        let err = p.add(&ghost, set("a.ghost", [a(1)])).await.unwrap_err();
        assert!(matches!(err, Error::ZoneNotFound { .. }));
        assert!(matches!(
            p.list_record_sets(&ghost).await,
            Err(Error::ZoneNotFound { .. })
        ));
    }

    #[tokio::test]
    async fn find_zone_takes_the_longest_suffix() {
        let p = InMemoryProvider::new();
        p.create_zone(Name::parse("example.com").unwrap()).unwrap();
        let sub = p
            .create_zone(Name::parse("sub.example.com").unwrap())
            .unwrap();
        let found = p
            .find_zone(&Name::parse("a.b.SUB.example.com").unwrap())
            .await
            .unwrap();
        assert_eq!(found, sub);
        let parent = p
            .find_zone(&Name::parse("xsub.example.com").unwrap())
            .await
            .unwrap();
        assert_eq!(parent.name, Name::parse("example.com").unwrap());
        assert!(matches!(
            p.find_zone(&Name::parse("example.org").unwrap()).await,
            Err(Error::ZoneNotFound { .. })
        ));
        assert!(
            p.zone_of(&Name::parse("a.sub.example.com").unwrap())
                .unwrap()
                == sub
        );
    }

    #[tokio::test]
    async fn subscribers_see_changes() {
        let p = InMemoryProvider::new();
        let mut rx = p.subscribe();
        let zone = p.create_zone(Name::parse("example").unwrap()).unwrap();
        assert!(rx.has_changed().unwrap());
        rx.borrow_and_update();
        p.add(&zone, set("x.example", [a(1)])).await.unwrap();
        assert!(rx.has_changed().unwrap());
    }

    #[test]
    fn lookup_name_tells_empty_non_terminals_from_nxdomain() {
        let p = InMemoryProvider::new();
        let zone = p.create_zone(Name::parse("example").unwrap()).unwrap();
        p.insert_unchecked(&zone, set("a.b.example", [a(1)]))
            .unwrap();
        let (sets, exists) = p.lookup_name(&zone.name, &Name::parse("b.example").unwrap());
        assert!(sets.is_empty() && exists);
        let (_, exists) = p.lookup_name(&zone.name, &Name::parse("c.example").unwrap());
        assert!(!exists);
        let (sets, _) = p.lookup_name(&zone.name, &Name::parse("A.B.example").unwrap());
        assert_eq!(sets.len(), 1);
    }
}

/// The conformance suite on the reference provider, as `Arc<dyn>` and
/// `Box<dyn>`, and configured to act like the other providers.
#[cfg(test)]
mod conformance_tests {
    use super::*;
    use crate::conformance::{self, Config};
    use crate::provider::RecordModel;

    fn zone_in(p: &InMemoryProvider) -> Zone {
        p.create_zone(Name::parse("conformance.example").unwrap())
            .unwrap()
    }

    /// Handles on `p`'s zones with 1 ms of latency per call, so concurrent
    /// calls interleave between reads and writes the way remote calls do.
    fn slow_handles(p: &InMemoryProvider, n: usize) -> Vec<Arc<dyn DnsProvider>> {
        (0..n)
            .map(|_| {
                Arc::new(p.clone().with_latency(Duration::from_millis(1))) as Arc<dyn DnsProvider>
            })
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn reference_provider_passes_everything() {
        let p = InMemoryProvider::new();
        let zone = zone_in(&p);
        let handles = slow_handles(&p, 50);
        let mut providers: Vec<Arc<dyn DnsProvider>> = vec![Arc::new(p.clone())];
        providers.extend(handles);
        let counted = p.clone();
        let config = Config::default().with_request_counter(move || counted.requests());
        conformance::run_all(&providers, &zone, &config).await;
        // Only the apex SOA and NS remain: every check cleaned up.
        assert_eq!(p.list_record_sets(&zone).await.unwrap().len(), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn boxed_provider_passes_the_single_provider_checks() {
        let p = InMemoryProvider::new();
        let zone = zone_in(&p);
        let boxed: Box<dyn DnsProvider> = Box::new(p.clone());
        conformance::zones(&boxed, &zone).await;
        conformance::every_type_crud(&boxed, &zone).await;
        conformance::add_remove_semantics(&boxed, &zone).await;
        conformance::txt_round_trip(&boxed, &zone).await;
        conformance::preconditions(&boxed, &zone).await;
        let arc: Arc<dyn DnsProvider> = Arc::new(boxed);
        conformance::remove_last_value_deletes_set(&*arc, &zone).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn route53_like_limits_pass() {
        let caps = Capabilities::default()
            .with_max_records_per_request(Some(1000))
            .with_record_types(RecordType::MODELLED)
            .with_ttl_range(0..=2_147_483_647);
        let p = InMemoryProvider::with_capabilities(caps);
        let zone = zone_in(&p);
        let counted = p.clone();
        let config = Config::default().with_request_counter(move || counted.requests());
        conformance::run_all(&slow_handles(&p, 50), &zone, &config).await;
        assert!(p.requests() > 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn cloudflare_like_provider_refuses_raw_labels_and_still_passes() {
        let caps = Capabilities::default()
            .with_model(RecordModel::Records)
            .with_raw_labels(false)
            .with_preconditions(false)
            .with_max_records_per_request(Some(200))
            .with_ttl_range(60..=86_400);
        let p = InMemoryProvider::with_capabilities(caps);
        let zone = zone_in(&p);
        let counted = p.clone();
        let config = Config::default().with_request_counter(move || counted.requests());
        conformance::run_all(&slow_handles(&p, 10), &zone, &config).await;
    }
}
