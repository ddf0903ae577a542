//! [`plan`]: desired state against one (zone, provider), without writing.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use dns_core::{Change, DnsProvider, Name, Precondition, RecordSet, RecordType, Zone};

use crate::desired::DesiredZone;
use crate::error::{Refusal, Result, SyncError};
use crate::normalise::{Normalised, normalise};
use crate::owner::{MARKER_TTL, Marker, OwnerId, is_reserved, marker_name};
use crate::ownership::{Owner, Ownership};
use crate::policy::SyncOptions;

/// Where a plan applies: one zone at one provider.
#[derive(Debug, Clone)]
pub struct Destination {
    /// The provider.
    pub provider: Arc<dyn DnsProvider>,
    /// The zone there.
    pub zone: Zone,
}

impl Destination {
    /// The zone `zone` at `provider`.
    pub fn new(provider: Arc<dyn DnsProvider>, zone: Zone) -> Self {
        Self { provider, zone }
    }
}

/// One change to a record set, as people review it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// The set is created.
    Create(RecordSet),
    /// The set changes from `before` to `after`.
    Update {
        /// What the zone holds.
        before: RecordSet,
        /// What it will hold.
        after: RecordSet,
    },
    /// The set is deleted.
    Delete(RecordSet),
}

impl Step {
    /// The (name, type) the step touches.
    pub fn key(&self) -> (&Name, RecordType) {
        match self {
            Self::Create(s) | Self::Delete(s) | Self::Update { after: s, .. } => s.key(),
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values = |s: &RecordSet| {
            let v: Vec<String> = s.values().iter().map(ToString::to_string).collect();
            format!("{} [{}]", s.ttl(), v.join(", "))
        };
        match self {
            Self::Create(s) => write!(f, "create {} {} {}", s.name(), s.record_type(), values(s)),
            Self::Delete(s) => write!(f, "delete {} {} {}", s.name(), s.record_type(), values(s)),
            Self::Update { before, after } => write!(
                f,
                "update {} {} {} -> {}",
                after.name(),
                after.record_type(),
                values(before),
                values(after)
            ),
        }
    }
}

/// Why a set the desired state names was left alone.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LeftAlone {
    /// Another owner's marker claims it.
    OtherOwner {
        /// The set as the zone holds it (or as desired, when absent).
        set: RecordSet,
        /// Who owns it.
        owner: OwnerId,
    },
    /// It exists without any marker (and adoption is off).
    Unowned {
        /// The set as the zone holds it.
        set: RecordSet,
    },
    /// The provider cannot store it (its `validate` refused it).
    Unstorable {
        /// The desired set.
        set: RecordSet,
        /// The provider's reason.
        reason: String,
    },
    /// Creating it would break the CNAME rule at its name (a CNAME beside
    /// other data that stays).
    CnameConflict {
        /// The desired set.
        set: RecordSet,
    },
    /// The policy does not allow this step.
    Policy {
        /// The step withheld.
        step: Step,
    },
}

/// A TTL changed to fit the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TtlAdjustment {
    /// The TTL desired.
    pub desired: u32,
    /// The TTL planned, the nearest the provider accepts.
    pub planned: u32,
}

/// The reviewed difference between desired state and one zone at one
/// provider. Only [`plan`] makes one, and [`apply`](crate::apply) takes it
/// by value: nothing is written without a plan someone could look at.
#[derive(Debug)]
pub struct Plan {
    pub(crate) destination: Destination,
    pub(crate) steps: Vec<Step>,
    pub(crate) changes: Vec<Change>,
    pub(crate) left_alone: Vec<LeftAlone>,
    pub(crate) adjusted: Vec<(RecordSet, TtlAdjustment)>,
    pub(crate) refusals: Vec<Refusal>,
    pub(crate) forced: bool,
    pub(crate) guarded: bool,
    pub(crate) owned: usize,
}

impl Plan {
    /// The destination.
    pub fn destination(&self) -> &Destination {
        &self.destination
    }

    /// The set changes, deletes first (so a CNAME can replace other data).
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The batch [`apply`](crate::apply) sends: the steps, the owner-marker
    /// edits and, where the provider checks them, `Require` guards.
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// Whether applying would change nothing (no step, no marker edit).
    pub fn is_empty(&self) -> bool {
        self.changes.iter().all(|c| matches!(c, Change::Require(_)))
    }

    /// The desired sets left alone, and why.
    pub fn left_alone(&self) -> &[LeftAlone] {
        &self.left_alone
    }

    /// The desired sets whose TTL was changed to fit the provider.
    pub fn ttl_adjustments(&self) -> &[(RecordSet, TtlAdjustment)] {
        &self.adjusted
    }

    /// The safety rules the plan breaks (applied anyway only when planned
    /// with `force`).
    pub fn refusals(&self) -> &[Refusal] {
        &self.refusals
    }

    /// Whether the batch carries `Require` guards for every set it touches.
    pub fn is_guarded(&self) -> bool {
        self.guarded
    }

    /// How many sets the owner owned in the zone when planned.
    pub fn owned(&self) -> usize {
        self.owned
    }
}

impl fmt::Display for Plan {
    /// One line per step and per set left alone, for people.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.destination;
        writeln!(f, "{} on {}:", d.zone.name, d.provider.provider_name())?;
        for step in &self.steps {
            writeln!(f, "  {step}")?;
        }
        for (set, a) in &self.adjusted {
            writeln!(
                f,
                "  note: {} {} TTL {} stored as {}",
                set.name(),
                set.record_type(),
                a.desired,
                a.planned
            )?;
        }
        for l in &self.left_alone {
            writeln!(f, "  left alone: {l:?}")?;
        }
        for r in &self.refusals {
            writeln!(f, "  refused: {r}")?;
        }
        Ok(())
    }
}

type Key = (Name, RecordType);

fn key(set: &RecordSet) -> Key {
    (set.name().to_lowercase(), set.record_type())
}

/// Plans `desired` against the zone of `destination`: reads the zone once
/// and writes nothing.
///
/// ```
/// use std::sync::Arc;
/// use dns_core::{DnsProvider, InMemoryProvider, Name, RData, RecordSet};
/// use dns_sync::{Destination, DesiredZone, SyncOptions, apply, plan};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let memory = InMemoryProvider::new();
/// let zone = memory.create_zone(Name::parse("example.com")?)?;
/// let destination = Destination::new(Arc::new(memory.clone()), zone.clone());
/// let mut desired = DesiredZone::new(zone.name.clone());
/// desired.add_set(RecordSet::new(Name::parse("www.example.com")?, 300,
///     [RData::A("192.0.2.1".parse()?)])?)?;
/// let options = SyncOptions::new("cp".parse()?);
/// let reviewed = plan(&destination, &desired, &options).await?;
/// assert_eq!(reviewed.steps().len(), 1);
/// apply(reviewed).await?;
/// assert!(plan(&destination, &desired, &options).await?.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub async fn plan(
    destination: &Destination,
    desired: &DesiredZone,
    options: &SyncOptions,
) -> Result<Plan> {
    let provider = &destination.provider;
    let zone = &destination.zone;
    let apex = &zone.name;
    if desired.apex() != apex {
        return Err(SyncError::Invalid(format!(
            "desired state for {} planned against zone {apex}",
            desired.apex()
        )));
    }
    let listing = provider
        .list_record_sets(zone)
        .await
        .map_err(|e| SyncError::provider(provider.provider_name(), e))?;
    let ownership = Ownership::read(&listing, apex);
    let me = &options.owner;
    let managed = |name: &Name, rtype| options.filter.matches(name, rtype, apex);
    let current: BTreeMap<Key, RecordSet> = listing
        .into_iter()
        .filter(|s| !is_reserved(s.name(), apex))
        .map(|s| (key(&s), s))
        .collect();

    let mut left_alone = Vec::new();
    let mut adjusted = Vec::new();
    let mut creates = Vec::new();
    let mut updates = Vec::new();
    let mut deletes = Vec::new();
    let mut adopted: Vec<Key> = Vec::new();
    let mut apex_touched: Vec<RecordType> = Vec::new();
    // Desired keys that exist but could not be planned: never deleted.
    let mut kept: BTreeSet<Key> = BTreeSet::new();

    for wanted in desired.sets() {
        let (name, rtype) = wanted.key();
        if !managed(name, rtype) {
            continue;
        }
        let k = key(wanted);
        // Checked before normalising: providers refuse apex NS writes
        // outright, and the refusal must name the rule, not the provider.
        let apex_meta = name == apex && matches!(rtype, RecordType::SOA | RecordType::NS);
        if apex_meta
            && current
                .get(&k)
                .is_none_or(|c| !(c.ttl() == wanted.ttl() && c.same_values(wanted.values())))
        {
            apex_touched.push(rtype);
        }
        let after = match normalise(provider.as_ref(), zone, wanted) {
            Normalised::Stored(set, adjustment) => {
                if let Some(a) = adjustment {
                    adjusted.push((set.clone(), a));
                }
                set
            }
            Normalised::Unstorable(reason) => {
                kept.insert(k);
                left_alone.push(LeftAlone::Unstorable {
                    set: wanted.clone(),
                    reason,
                });
                continue;
            }
        };
        let owner = ownership.owner_of(me, name, rtype);
        match (current.get(&k), owner) {
            (_, Owner::Other(owner)) => left_alone.push(LeftAlone::OtherOwner {
                set: current.get(&k).unwrap_or(wanted).clone(),
                owner,
            }),
            (None, _) => creates.push(Step::Create(after)),
            (Some(before), Owner::Nobody) if !options.adopt => {
                left_alone.push(LeftAlone::Unowned {
                    set: before.clone(),
                });
            }
            (Some(before), owner) => {
                if owner == Owner::Nobody {
                    adopted.push(k);
                }
                if !(before.ttl() == after.ttl() && before.same_values(after.values())) {
                    updates.push(Step::Update {
                        before: before.clone(),
                        after,
                    });
                }
            }
        }
    }
    let mut owned = 0;
    for (k, set) in &current {
        if ownership.owner_of(me, set.name(), k.1) != Owner::Me {
            continue;
        }
        owned += 1;
        if desired.get(set.name(), k.1).is_none() && managed(set.name(), k.1) && !kept.contains(k) {
            deletes.push(Step::Delete(set.clone()));
        }
    }

    // The policy withholds what it does not allow; reported, not dropped.
    if !options.policy.updates() {
        left_alone.extend(updates.drain(..).map(|step| LeftAlone::Policy { step }));
        adopted.clear();
    }
    if !options.policy.deletes() {
        left_alone.extend(deletes.drain(..).map(|step| LeftAlone::Policy { step }));
    }
    drop_cname_conflicts(&current, &deletes, &mut creates, &mut left_alone);

    let mut refusals = safety(desired, options, owned, &creates, &updates, &deletes, apex);
    for rtype in apex_touched {
        let refusal = Refusal::ApexChange { rtype };
        if !refusals.contains(&refusal) {
            refusals.push(refusal);
        }
    }
    let mut steps = deletes;
    steps.extend(updates);
    steps.extend(creates);
    let (changes, guarded) = batch(
        provider.as_ref(),
        zone,
        me,
        &ownership,
        &current,
        &steps,
        &adopted,
    );
    Ok(Plan {
        destination: destination.clone(),
        steps,
        changes,
        left_alone,
        adjusted,
        refusals,
        forced: options.force,
        guarded,
        owned,
    })
}

/// A create that would put a CNAME beside other data (or other data
/// beside a CNAME) that stays is withheld: the provider would refuse the
/// whole batch.
fn drop_cname_conflicts(
    current: &BTreeMap<Key, RecordSet>,
    deletes: &[Step],
    creates: &mut Vec<Step>,
    left_alone: &mut Vec<LeftAlone>,
) {
    let deleted: BTreeSet<Key> = deletes
        .iter()
        .map(|s| (s.key().0.to_lowercase(), s.key().1))
        .collect();
    let mut after: BTreeSet<Key> = current
        .keys()
        .filter(|k| !deleted.contains(*k))
        .cloned()
        .collect();
    after.extend(
        creates
            .iter()
            .map(|s| (s.key().0.to_lowercase(), s.key().1)),
    );
    creates.retain(|step| {
        let (name, rtype) = step.key();
        let name = name.to_lowercase();
        // Only the keys at this name: a scan of the whole zone per create
        // made a 10,000-set plan quadratic.
        let at_name =
            (name.clone(), RecordType::from_code(0))..=(name, RecordType::from_code(u16::MAX));
        let clash = after
            .range(at_name)
            .any(|(_, t)| *t != rtype && (rtype == RecordType::CNAME || *t == RecordType::CNAME));
        if clash && let Step::Create(set) = step {
            left_alone.push(LeftAlone::CnameConflict { set: set.clone() });
        }
        !clash
    });
}

fn safety(
    desired: &DesiredZone,
    options: &SyncOptions,
    owned: usize,
    creates: &[Step],
    updates: &[Step],
    deletes: &[Step],
    apex: &Name,
) -> Vec<Refusal> {
    let mut refusals = Vec::new();
    if desired.is_empty() && owned > 0 && options.policy.deletes() {
        refusals.push(Refusal::EmptyDesiredState { owned });
    }
    let touched = creates.iter().chain(updates).chain(deletes);
    let mut apex_types: Vec<RecordType> = touched
        .map(Step::key)
        .filter(|(n, t)| *n == apex && matches!(*t, RecordType::SOA | RecordType::NS))
        .map(|(_, t)| t)
        .collect();
    apex_types.dedup();
    refusals.extend(
        apex_types
            .into_iter()
            .map(|rtype| Refusal::ApexChange { rtype }),
    );
    // Adoptions count as updates only when they change the set; creates
    // never count (nothing owned is lost by them).
    let share_exceeded =
        (updates.len() + deletes.len()) * 100 > usize::from(options.threshold_percent) * owned;
    if owned >= options.min_owned && share_exceeded {
        refusals.push(Refusal::TooManyChanges {
            updates: updates.len(),
            deletes: deletes.len(),
            owned,
            threshold_percent: options.threshold_percent,
        });
    }
    refusals
}

/// The batch: guards, marker claims, deletes, updates, creates, marker
/// releases. Claims go before the sets they cover and releases after, so
/// a batch the provider splits never leaves an owned set without its
/// marker; a marker left without its set is harmless (the next plan
/// cleans it up).
fn batch(
    provider: &dyn DnsProvider,
    zone: &Zone,
    me: &OwnerId,
    ownership: &Ownership,
    current: &BTreeMap<Key, RecordSet>,
    steps: &[Step],
    adopted: &[Key],
) -> (Vec<Change>, bool) {
    let apex = &zone.name;
    // The types `me` owns at each name once the steps are applied.
    let mut after: BTreeMap<Name, (Name, BTreeSet<RecordType>)> = BTreeMap::new();
    for (name, claim) in ownership.mine(me) {
        let entry = after
            .entry(name.clone())
            .or_insert_with(|| (name.clone(), BTreeSet::new()));
        for t in &claim.types {
            if current.contains_key(&(name.clone(), *t)) {
                entry.1.insert(*t);
            }
        }
    }
    for step in steps {
        let (name, rtype) = step.key();
        let entry = after
            .entry(name.to_lowercase())
            .or_insert_with(|| (name.clone(), BTreeSet::new()));
        if matches!(step, Step::Delete(_)) {
            entry.1.remove(&rtype);
        } else {
            entry.1.insert(rtype);
        }
    }
    for (name, rtype) in adopted {
        if let Some(entry) = after.get_mut(name) {
            entry.1.insert(*rtype);
        } else if let Some(set) = current.get(&(name.clone(), *rtype)) {
            after.insert(name.clone(), (set.name().clone(), [*rtype].into()));
        }
    }
    let mine: BTreeMap<&Name, _> = ownership.mine(me).collect();
    let mut claims = Vec::new();
    let mut releases = Vec::new();
    for (lower, types) in after.iter().map(|(lower, (_, types))| (lower, types)) {
        let Some(marker_at) = marker_name(lower, apex) else {
            continue;
        };
        let old = mine
            .get(lower)
            .map(|c| c.values.as_slice())
            .unwrap_or_default();
        let new = (!types.is_empty()).then(|| {
            // The lowercased name: providers that lowercase names (Route 53)
            // and those that keep the case must read back the value written,
            // or every plan would rewrite the marker.
            Marker {
                owner: me.clone(),
                name: lower.clone(),
                types: types.clone(),
            }
            .to_rdata()
        });
        if let Some(new) = &new
            && !old.contains(new)
            && let Ok(set) = RecordSet::new(marker_at.clone(), MARKER_TTL, [new.clone()])
        {
            claims.push(Change::Add(set));
        }
        let stale: Vec<_> = old
            .iter()
            .filter(|v| Some(*v) != new.as_ref())
            .cloned()
            .collect();
        if let Ok(set) = RecordSet::new(marker_at, MARKER_TTL, stale) {
            releases.push(Change::Remove(set));
        }
    }
    let mut changes = Vec::new();
    let caps = provider.capabilities();
    let set_changes: Vec<Change> = steps
        .iter()
        .map(|s| match s {
            Step::Create(set) | Step::Update { after: set, .. } => Change::Upsert(set.clone()),
            Step::Delete(set) => Change::Delete {
                name: set.name().clone(),
                rtype: set.record_type(),
            },
        })
        .collect();
    let records: usize = claims
        .iter()
        .chain(&set_changes)
        .chain(&releases)
        .map(Change::record_count)
        .sum();
    let guards: Vec<Change> = steps
        .iter()
        .map(|s| {
            let (name, rtype) = s.key();
            let before = match s {
                Step::Create(_) => None,
                Step::Update { before, .. } | Step::Delete(before) => Some(before),
            };
            Change::Require(Precondition::unchanged(name.clone(), rtype, before))
        })
        .collect();
    let guard_records: usize = guards.iter().map(Change::record_count).sum();
    // A guard protects the batch only when the batch is one request. A
    // record count is not every provider's limit (RFC 2136 counts octets,
    // and refuses a guarded batch needing several messages), so the
    // provider's own `validate` has the last word.
    let mut guarded = caps.preconditions
        && !steps.is_empty()
        && caps
            .max_records_per_request
            .is_none_or(|max| records + guard_records <= max);
    if guarded {
        changes.extend(guards);
    }
    changes.extend(claims);
    changes.extend(set_changes);
    changes.extend(releases);
    if guarded && provider.validate(zone, &changes).is_err() {
        changes.retain(|c| !matches!(c, Change::Require(_)));
        guarded = false;
    }
    (changes, guarded)
}
