//! The fake's state: zones, changes, knobs, counters and the batch log.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::ids;
use super::names;
use super::types::{BatchLog, FakeRecordSet, RequestCounts};
use crate::fake_http::unused_id;

/// Identifies a set within a zone and orders the zone like Route 53 lists
/// it: (reversed escaped name, type, set identifier).
pub(crate) type SetKey = (String, String, Option<String>);

/// The records of one zone, in listing order.
pub(crate) type SetMap = BTreeMap<SetKey, FakeRecordSet>;

/// The key of a set whose name is already canonical.
pub(crate) fn set_key(set: &FakeRecordSet) -> SetKey {
    (
        names::reversed(&set.name),
        set.rtype.clone(),
        set.set_identifier.clone(),
    )
}

/// A hosted zone.
#[derive(Debug, Clone)]
pub(crate) struct Zone {
    /// The bare id, `Z…`.
    pub(crate) id: String,
    /// The canonical apex name, with a trailing dot.
    pub(crate) name: String,
    pub(crate) private: bool,
    pub(crate) caller_reference: String,
    pub(crate) sets: SetMap,
}

/// One accepted change batch, for `GetChange`.
#[derive(Debug, Clone)]
pub(crate) struct ChangeRecord {
    /// The bare id, `C…`.
    pub(crate) id: String,
    pub(crate) submitted_at: String,
    pub(crate) comment: Option<String>,
    /// `GetChange` calls seen so far.
    pub(crate) polls: u32,
    /// Polls answered PENDING before INSYNC (fixed at submission).
    pub(crate) insync_after: u32,
}

/// The test's settings.
#[derive(Debug, Clone)]
pub(crate) struct Knobs {
    pub(crate) throttle_share: f64,
    pub(crate) prior_request_share: f64,
    pub(crate) latency: Duration,
    pub(crate) auth_failure: bool,
    pub(crate) insync_after: u32,
    pub(crate) modelled_messages: bool,
    pub(crate) server_error_share: f64,
    pub(crate) lost_answers: usize,
}

impl Default for Knobs {
    fn default() -> Self {
        Self {
            throttle_share: 0.0,
            prior_request_share: 0.0,
            latency: Duration::ZERO,
            auth_failure: false,
            insync_after: 1,
            modelled_messages: true,
            server_error_share: 0.0,
            lost_answers: 0,
        }
    }
}

/// Everything behind the fake's lock.
#[derive(Debug)]
pub(crate) struct State {
    /// Zones by bare id (so `ListHostedZones` pages in id order).
    pub(crate) zones: BTreeMap<String, Zone>,
    pub(crate) changes: HashMap<String, ChangeRecord>,
    pub(crate) knobs: Knobs,
    /// Draws the throttling and prior-request shares.
    pub(crate) rng: StdRng,
    pub(crate) counts: RequestCounts,
    pub(crate) batches: Vec<BatchLog>,
}

impl State {
    pub(crate) fn new() -> Self {
        Self {
            zones: BTreeMap::new(),
            changes: HashMap::new(),
            knobs: Knobs::default(),
            rng: StdRng::seed_from_u64(0),
            counts: RequestCounts::default(),
            batches: Vec::new(),
        }
    }

    /// Adds a zone with its apex SOA and NS sets and returns its id.
    pub(crate) fn create_zone(&mut self, name: String, private: bool) -> String {
        let id = unused_id(|| ids::random_id('Z'), |id| self.zones.contains_key(id));
        let servers = [
            "ns-1536.awsdns-00.co.uk.",
            "ns-0.awsdns-00.com.",
            "ns-1024.awsdns-00.org.",
            "ns-512.awsdns-00.net.",
        ];
        let soa = format!(
            "{} awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400",
            servers[1]
        );
        let mut sets = SetMap::new();
        for set in [
            FakeRecordSet::simple(name.clone(), "NS", 172_800, servers),
            FakeRecordSet::simple(name.clone(), "SOA", 900, [soa]),
        ] {
            sets.insert(set_key(&set), set);
        }
        let caller_reference = ids::request_id();
        self.zones.insert(
            id.clone(),
            Zone {
                id: id.clone(),
                name,
                private,
                caller_reference,
                sets,
            },
        );
        id
    }

    /// Records an accepted change and returns it.
    pub(crate) fn new_change(&mut self, comment: Option<String>) -> ChangeRecord {
        let id = unused_id(|| ids::random_id('C'), |id| self.changes.contains_key(id));
        let change = ChangeRecord {
            id: id.clone(),
            submitted_at: ids::now_iso8601(),
            comment,
            polls: 0,
            insync_after: self.knobs.insync_after,
        };
        self.changes.insert(id, change.clone());
        change
    }
}
