//! [`Ownership`]: who owns what in one zone, read from its marker sets.

use std::collections::{BTreeMap, BTreeSet};

use dns_core::{Name, RData, RecordSet, RecordType};

use crate::owner::{Marker, OwnerId, is_reserved, marker_name};

/// One owner's claim at one name: its marker values as read (normally
/// one; two after an interrupted update) and the union of their types.
#[derive(Debug, Clone, Default)]
pub(crate) struct Claim {
    pub(crate) values: Vec<RData>,
    pub(crate) types: BTreeSet<RecordType>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Ownership {
    /// Lowercased owned name -> owner -> claim.
    claims: BTreeMap<Name, BTreeMap<OwnerId, Claim>>,
}

/// Who owns a set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Owner {
    Me,
    Other(OwnerId),
    Nobody,
}

impl Ownership {
    /// Reads the markers among `sets` (the zone's listing).
    pub(crate) fn read(sets: &[RecordSet], apex: &Name) -> Self {
        let mut claims: BTreeMap<Name, BTreeMap<OwnerId, Claim>> = BTreeMap::new();
        for set in sets {
            if set.record_type() != RecordType::TXT || !is_reserved(set.name(), apex) {
                continue;
            }
            for value in set.values() {
                let Some(marker) = Marker::parse(value) else {
                    continue;
                };
                // A marker only counts in the set its name hashes to, so a
                // value copied elsewhere cannot claim anything.
                if marker_name(&marker.name, apex).as_ref() != Some(set.name()) {
                    continue;
                }
                let claim = claims
                    .entry(marker.name.to_lowercase())
                    .or_default()
                    .entry(marker.owner)
                    .or_default();
                claim.values.push(value.clone());
                claim.types.extend(marker.types);
            }
        }
        Self { claims }
    }

    pub(crate) fn owner_of(&self, me: &OwnerId, name: &Name, rtype: RecordType) -> Owner {
        let Some(owners) = self.claims.get(&name.to_lowercase()) else {
            return Owner::Nobody;
        };
        if owners.get(me).is_some_and(|c| c.types.contains(&rtype)) {
            return Owner::Me;
        }
        owners
            .iter()
            .find(|(_, c)| c.types.contains(&rtype))
            .map_or(Owner::Nobody, |(id, _)| Owner::Other(id.clone()))
    }

    /// Every name where `me` has a claim, with the claim.
    pub(crate) fn mine<'a>(
        &'a self,
        me: &'a OwnerId,
    ) -> impl Iterator<Item = (&'a Name, &'a Claim)> + 'a {
        self.claims
            .iter()
            .filter_map(move |(name, owners)| owners.get(me).map(|c| (name, c)))
    }
}
