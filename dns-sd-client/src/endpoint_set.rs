//! Which endpoints a balancer should hold, and the changes that take it
//! from what it holds to that.

use std::collections::BTreeMap;

use dns_core::Name;
use tower::discover::Change;

use crate::endpoints::{Endpoint, EndpointKey};
use crate::instance::{ResolvedInstance, ResolvedTarget};
use crate::watch::WatchEvent;

/// The instances last reported by the watch and the endpoints handed out.
#[derive(Debug)]
pub(crate) struct EndpointSet {
    instances: BTreeMap<Name, ResolvedInstance>,
    inserted: BTreeMap<EndpointKey, Endpoint>,
    max_copies: u16,
}

impl EndpointSet {
    pub(crate) fn new(max_copies: u16) -> Self {
        Self {
            instances: BTreeMap::new(),
            inserted: BTreeMap::new(),
            max_copies: max_copies.max(1),
        }
    }

    /// Takes a watch event in; the balancer hears of it at [`Self::reconcile`],
    /// so that the events of one poll make one batch of changes.
    pub(crate) fn record(&mut self, event: WatchEvent) {
        match event {
            WatchEvent::Added(i) | WatchEvent::Changed(i) => {
                self.instances.insert(i.name.clone(), i);
            }
            WatchEvent::Removed(i) => {
                self.instances.remove(&i.name);
            }
        }
    }

    /// The changes that bring the balancer to the endpoints wanted now.
    ///
    /// New keys are inserted before old ones are removed, so a balancer that
    /// acts on each change as it comes never finds itself empty while one
    /// priority group takes over from another. A key whose endpoint changed
    /// is removed and inserted again at once: tower lets a key be reused
    /// only after its Remove.
    pub(crate) fn reconcile(&mut self) -> Vec<Change<EndpointKey, Endpoint>> {
        let wanted = self.wanted();
        let mut changes = Vec::new();
        for (key, endpoint) in &wanted {
            if !self.inserted.contains_key(key) {
                changes.push(Change::Insert(key.clone(), endpoint.clone()));
            }
        }
        for (key, endpoint) in &wanted {
            if let Some(old) = self.inserted.get(key)
                && old != endpoint
            {
                changes.push(Change::Remove(key.clone()));
                changes.push(Change::Insert(key.clone(), endpoint.clone()));
            }
        }
        for key in self.inserted.keys() {
            if !wanted.contains_key(key) {
                changes.push(Change::Remove(key.clone()));
            }
        }
        self.inserted = wanted;
        changes
    }

    /// The lowest-priority group of targets that can be connected to, each
    /// target in as many copies as its weight earns.
    fn wanted(&self) -> BTreeMap<EndpointKey, Endpoint> {
        let live = || {
            self.instances.values().flat_map(|instance| {
                instance
                    .targets
                    .iter()
                    .filter(|t| is_live(t))
                    .map(move |t| (instance, t))
            })
        };
        let mut wanted = BTreeMap::new();
        let Some(best) = live().map(|(_, t)| t.priority()).min() else {
            return wanted;
        };
        let group = || live().filter(move |(_, t)| t.priority() == best);
        let heaviest = group().map(|(_, t)| t.weight()).max().unwrap_or(0);
        for (instance, target) in group() {
            let endpoint = Endpoint::new(instance, target);
            for copy in 0..copies(target.weight(), heaviest, self.max_copies) {
                let key = EndpointKey::new(&instance.name, target, copy);
                // Two SRV records of one instance with the same host and port
                // would share a key; the first (the lower weight, as targets
                // are sorted) stands for both.
                wanted.entry(key).or_insert_with(|| endpoint.clone());
            }
        }
        wanted
    }
}

/// A target a client can connect to: it has an address (so it is not ".",
/// and its host's lookups did not all come back empty).
fn is_live(target: &ResolvedTarget) -> bool {
    !target.addresses.is_empty() && !target.srv.is_unavailable()
}

/// How many copies of an endpoint of this weight go to the balancer when
/// the group's heaviest weight is `heaviest`: proportional, the heaviest
/// getting `max_copies`, every endpoint at least one (weight 0 included:
/// RFC 2782 gives it "a very small chance", which one copy among many
/// approximates).
pub(crate) fn copies(weight: u16, heaviest: u16, max_copies: u16) -> u16 {
    if max_copies <= 1 || weight == 0 || heaviest == 0 {
        return 1;
    }
    let scaled =
        (u32::from(weight) * u32::from(max_copies) + u32::from(heaviest) / 2) / u32::from(heaviest);
    u16::try_from(scaled)
        .unwrap_or(max_copies)
        .clamp(1, max_copies)
}

#[cfg(test)]
mod tests {
    use super::copies;

    #[test]
    fn copies_are_proportional_to_weight_and_bounded() {
        assert_eq!(copies(40, 40, 16), 16);
        assert_eq!(copies(20, 40, 16), 8);
        assert_eq!(copies(10, 40, 16), 4);
        // Tiny weights still get one copy; weight 0 gets exactly one.
        assert_eq!(copies(1, 65_535, 16), 1);
        assert_eq!(copies(0, 40, 16), 1);
        // Copies off: one each, whatever the weight.
        assert_eq!(copies(40, 40, 1), 1);
        assert_eq!(copies(65_535, 65_535, u16::MAX), u16::MAX);
    }
}
