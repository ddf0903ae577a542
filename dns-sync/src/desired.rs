//! [`DesiredState`] and [`DesiredZone`]: what a zone should hold.

use std::collections::BTreeMap;

use dns_core::{Name, RecordSet, RecordType, ServiceInstance};

use crate::error::{Result, SyncError};
use crate::owner;

/// The record sets one zone should hold, keyed by (name, type).
///
/// A set given twice is refused; the sets DNS-SD instances share (the
/// service PTR set, the type-enumeration PTR, a host's addresses) are
/// merged, keeping the shortest TTL so no instance is cached longer than
/// it asked.
///
/// ```
/// use dns_core::{Name, RData, RecordSet, ServiceInstance, Target};
/// use dns_sync::DesiredZone;
/// let apex = Name::parse("example.com")?;
/// let mut zone = DesiredZone::new(apex.clone());
/// zone.add_set(RecordSet::new(Name::parse("www.example.com")?, 300,
///     [RData::A("192.0.2.1".parse()?)])?)?;
/// for host in ["a", "b"] {
///     let instance = ServiceInstance::new(host, "_http._tcp".parse()?, apex.clone())?
///         .with_target(Target::new(Name::parse(&format!("{host}.example.com"))?, 80));
///     zone.add_service(&instance)?;
/// }
/// // www A, two SRV, two TXT, one shared PTR, one enumeration PTR.
/// assert_eq!(zone.sets().count(), 7);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredZone {
    apex: Name,
    sets: BTreeMap<(Name, RecordType), RecordSet>,
}

impl DesiredZone {
    /// An empty desired zone: applied with the `sync` policy, it deletes
    /// every set the owner owns there (a safety rule refuses that unless
    /// forced).
    pub fn new(apex: Name) -> Self {
        Self {
            apex,
            sets: BTreeMap::new(),
        }
    }

    /// The zone apex.
    pub fn apex(&self) -> &Name {
        &self.apex
    }

    /// Adds a set. Refused: a name outside the zone or in the reserved
    /// owner-marker tree (`_dns-sync.<apex>`), a (name, type) given twice.
    pub fn add_set(&mut self, set: RecordSet) -> Result<()> {
        self.check_name(set.name())?;
        let key = (set.name().to_lowercase(), set.record_type());
        if self.sets.contains_key(&key) {
            return Err(SyncError::Invalid(format!(
                "{} {} is given twice",
                set.name(),
                set.record_type()
            )));
        }
        self.sets.insert(key, set);
        Ok(())
    }

    /// Adds the record sets that publish `instance`. Its SRV and TXT sets
    /// are its own (refused if present already); PTR and address sets are
    /// merged with those of other instances.
    pub fn add_service(&mut self, instance: &ServiceInstance) -> Result<()> {
        let records = instance.records();
        for set in records.srv.iter().chain(&records.txt) {
            self.add_set(set.clone())?;
        }
        let shared = records
            .addresses
            .iter()
            .chain(&records.ptr)
            .chain(&records.subtypes)
            .chain(&records.enumeration);
        for set in shared {
            self.merge_set(set.clone())?;
        }
        Ok(())
    }

    /// Adds a set, or merges its values into the set already at its
    /// (name, type), keeping the shorter TTL.
    pub fn merge_set(&mut self, set: RecordSet) -> Result<()> {
        self.check_name(set.name())?;
        let key = (set.name().to_lowercase(), set.record_type());
        let merged = match self.sets.get(&key) {
            Some(existing) => existing.union(set.values(), existing.ttl().min(set.ttl())),
            None => set,
        };
        self.sets.insert(key, merged);
        Ok(())
    }

    /// The sets, sorted by name (canonical order) and type.
    pub fn sets(&self) -> impl ExactSizeIterator<Item = &RecordSet> + '_ {
        self.sets.values()
    }

    /// The set at (`name`, `rtype`), if desired.
    pub fn get(&self, name: &Name, rtype: RecordType) -> Option<&RecordSet> {
        self.sets.get(&(name.to_lowercase(), rtype))
    }

    /// Whether no set is desired.
    pub fn is_empty(&self) -> bool {
        self.sets.is_empty()
    }

    fn check_name(&self, name: &Name) -> Result<()> {
        if !name.is_subdomain_of(&self.apex) {
            return Err(SyncError::Invalid(format!(
                "{name} is outside the zone {}",
                self.apex
            )));
        }
        if owner::is_reserved(name, &self.apex) {
            return Err(SyncError::Invalid(format!(
                "{name} is in the tree {} reserved for owner markers",
                owner::marker_root(&self.apex)
            )));
        }
        Ok(())
    }
}

/// The desired state of one or more zones.
///
/// ```
/// use dns_core::Name;
/// use dns_sync::{DesiredState, DesiredZone};
/// let mut state = DesiredState::new();
/// state.add_zone(DesiredZone::new(Name::parse("example.com")?))?;
/// assert!(state.zone(&Name::parse("EXAMPLE.com")?).is_some());
/// assert!(state.add_zone(DesiredZone::new(Name::parse("example.com")?)).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DesiredState {
    zones: Vec<DesiredZone>,
}

impl DesiredState {
    /// No zones.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a zone; a zone given twice is refused.
    pub fn add_zone(&mut self, zone: DesiredZone) -> Result<()> {
        if self.zone(zone.apex()).is_some() {
            return Err(SyncError::Invalid(format!(
                "zone {} is given twice",
                zone.apex()
            )));
        }
        self.zones.push(zone);
        Ok(())
    }

    /// The zones, in the order given.
    pub fn zones(&self) -> &[DesiredZone] {
        &self.zones
    }

    /// The zone with this apex.
    pub fn zone(&self, apex: &Name) -> Option<&DesiredZone> {
        self.zones.iter().find(|z| z.apex() == apex)
    }
}
