//! [`Change`]: what [`DnsProvider::apply`](crate::DnsProvider::apply) does to a zone.

use std::fmt;

use crate::name::Name;
use crate::rdata::{RData, RecordType};
use crate::set::RecordSet;

/// One change to a zone. A batch of them goes to
/// [`DnsProvider::apply`](crate::DnsProvider::apply); the changes take effect
/// in the order given, each seeing the effect of those before it.
///
/// | change | afterwards | when the set is absent |
/// |---|---|---|
/// | `Upsert(set)` | the set is exactly `set` (values and TTL) | it is created |
/// | `Delete{name, rtype}` | the set is gone | nothing happens (no error) |
/// | `Add(set)` | `set`'s values are present, other values kept, TTL is `set`'s | it is created |
/// | `Remove(set)` | `set`'s values are absent, other values kept; the set is deleted when none remain | nothing happens |
/// | `Require(p)` | nothing changes; the whole batch fails with [`Error::PreconditionFailed`](crate::Error::PreconditionFailed) unless `p` holds | `Expected::Absent` holds |
///
/// `Add` and `Remove` are idempotent and never lose a value another writer
/// adds or keeps at the same time: providers implement them as a
/// compare-and-swap, a per-record operation or under a lock, never as an
/// unguarded read-modify-write.
///
/// ```
/// use dns_core::{Change, Name, RData, RecordSet, RecordType};
/// let name = Name::parse("www.example.com").unwrap();
/// let ip = RData::A("192.0.2.7".parse().unwrap());
/// let mine = RecordSet::new(name.clone(), 60, [ip]).unwrap();
/// let batch = [
///     Change::Add(mine.clone()),
///     Change::Remove(mine),
///     Change::Delete { name: name.clone(), rtype: RecordType::TXT },
/// ];
/// assert_eq!(batch[2].to_string(), "DELETE www.example.com. TXT");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// Replace the set (or create it).
    Upsert(RecordSet),
    /// Delete the set; deleting an absent set is not an error.
    Delete {
        /// Owner name.
        name: Name,
        /// Record type.
        rtype: RecordType,
    },
    /// Make these values present, keeping the others.
    Add(RecordSet),
    /// Make these values absent, keeping the others.
    Remove(RecordSet),
    /// Fail the batch unless the precondition holds.
    Require(Precondition),
}

impl Change {
    /// The owner name the change touches.
    pub fn name(&self) -> &Name {
        match self {
            Self::Upsert(s) | Self::Add(s) | Self::Remove(s) => s.name(),
            Self::Delete { name, .. } => name,
            Self::Require(p) => &p.name,
        }
    }

    /// The record type the change touches.
    pub fn record_type(&self) -> RecordType {
        match self {
            Self::Upsert(s) | Self::Add(s) | Self::Remove(s) => s.record_type(),
            Self::Delete { rtype, .. } => *rtype,
            Self::Require(p) => p.rtype,
        }
    }

    /// The values the change carries (none for `Delete` and most `Require`s).
    pub fn values(&self) -> &[RData] {
        match self {
            Self::Upsert(s) | Self::Add(s) | Self::Remove(s) => s.values(),
            Self::Delete { .. } => &[],
            Self::Require(p) => match &p.expected {
                Expected::Absent => &[],
                Expected::Exactly(v) => v,
            },
        }
    }

    /// How many records the change counts for against
    /// [`Capabilities::max_records_per_request`](crate::Capabilities::max_records_per_request):
    /// one per value, and one for a change without values.
    pub fn record_count(&self) -> usize {
        self.values().len().max(1)
    }

    /// The verb, as shown in plans and logs.
    pub fn verb(&self) -> &'static str {
        match self {
            Self::Upsert(_) => "UPSERT",
            Self::Delete { .. } => "DELETE",
            Self::Add(_) => "ADD",
            Self::Remove(_) => "REMOVE",
            Self::Require(_) => "REQUIRE",
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.verb(), self.name(), self.record_type())?;
        match self {
            Self::Require(p) => match &p.expected {
                Expected::Absent => f.write_str(" absent"),
                Expected::Exactly(v) => write!(f, " exactly {}", join(v)),
            },
            Self::Delete { .. } => Ok(()),
            _ => write!(f, " {}", join(self.values())),
        }
    }
}

fn join(values: &[RData]) -> String {
    let shown: Vec<String> = values.iter().map(ToString::to_string).collect();
    format!("[{}]", shown.join(", "))
}

/// A condition on one (name, type) that a batch can demand with
/// [`Change::Require`]; it lets a caller act on what it read without racing
/// other writers (a compare-and-swap across several sets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Precondition {
    /// Owner name.
    pub name: Name,
    /// Record type.
    pub rtype: RecordType,
    /// What the set must be.
    pub expected: Expected,
}

/// What a [`Precondition`] expects of a set.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expected {
    /// The set does not exist.
    Absent,
    /// The set exists with exactly these values (in any order; TTL ignored).
    Exactly(Vec<RData>),
}

impl Precondition {
    /// The set (name, type) must not exist.
    pub fn absent(name: Name, rtype: RecordType) -> Self {
        Self {
            name,
            rtype,
            expected: Expected::Absent,
        }
    }

    /// The set must hold exactly `set`'s values.
    pub fn exactly(set: &RecordSet) -> Self {
        Self {
            name: set.name().clone(),
            rtype: set.record_type(),
            expected: Expected::Exactly(set.values().to_vec()),
        }
    }

    /// The precondition that `current` (what was read; `None` for absent) is
    /// still what the zone holds.
    pub fn unchanged(name: Name, rtype: RecordType, current: Option<&RecordSet>) -> Self {
        match current {
            Some(set) => Self::exactly(set),
            None => Self::absent(name, rtype),
        }
    }

    /// Whether `current` satisfies the precondition.
    pub fn holds(&self, current: Option<&RecordSet>) -> bool {
        match (&self.expected, current) {
            (Expected::Absent, None) => true,
            (Expected::Exactly(values), Some(set)) => set.same_values(values),
            _ => false,
        }
    }
}
