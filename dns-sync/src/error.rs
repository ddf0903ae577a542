//! [`SyncError`], the one error type of the crate.

use std::fmt;

/// Everything that can go wrong reading desired state, planning or applying.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// A desired-state file is not valid: the message names the zone, the
    /// entry and, for syntax and field errors, the line.
    #[error("{0}")]
    Read(String),
    /// Desired state that cannot be a zone's content (a name outside the
    /// zone, a set given twice, a name in the reserved owner-marker tree).
    #[error("invalid desired state: {0}")]
    Invalid(String),
    /// The provider failed while the plan was computed or applied.
    #[error("{provider}: {source}")]
    Provider {
        /// The provider's name.
        provider: String,
        /// What it reported.
        #[source]
        source: Box<dns_core::Error>,
    },
    /// The provider failed after part of the batch took effect.
    #[error("{provider}: {} of {} changes were applied before this failure: {source}", applied.len(), applied.len() + not_applied.len())]
    Partial {
        /// The provider's name.
        provider: String,
        /// The changes that took effect.
        applied: Vec<dns_core::Change>,
        /// The changes that did not.
        not_applied: Vec<dns_core::Change>,
        /// What the provider reported.
        #[source]
        source: Box<dns_core::Error>,
    },
    /// A safety rule refused the plan; nothing was applied. Plan again with
    /// the `force` option to go ahead.
    #[error("plan for {zone} on {provider} refused: {}", join(refusals))]
    Refused {
        /// The provider's name.
        provider: String,
        /// The zone apex.
        zone: String,
        /// Every rule the plan broke, with its numbers.
        refusals: Vec<Refusal>,
    },
}

fn join(refusals: &[Refusal]) -> String {
    let shown: Vec<String> = refusals.iter().map(ToString::to_string).collect();
    shown.join("; ")
}

/// A safety rule a plan broke, with the numbers that broke it.
///
/// ```
/// use dns_sync::Refusal;
/// let r = Refusal::TooManyChanges { updates: 3, deletes: 1, owned: 10, threshold_percent: 30 };
/// assert_eq!(r.to_string(),
///     "it would update 3 and delete 1 of the 10 owned sets (40.0%, above the 30% threshold)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// Updates plus deletes exceed the threshold share of the owned sets.
    TooManyChanges {
        /// Owned sets the plan updates.
        updates: usize,
        /// Owned sets the plan deletes.
        deletes: usize,
        /// Owned sets in the zone before the plan.
        owned: usize,
        /// The threshold, in percent.
        threshold_percent: u8,
    },
    /// The plan changes the apex SOA or NS set.
    ApexChange {
        /// `SOA` or `NS`.
        rtype: dns_core::RecordType,
    },
    /// The desired state for the zone is empty while it owns sets: the
    /// classic "source came back empty, zone wiped" accident.
    EmptyDesiredState {
        /// Owned sets the plan would delete.
        owned: usize,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooManyChanges {
                updates,
                deletes,
                owned,
                threshold_percent,
            } => {
                // Counts are far below 2^52, so the division is exact enough.
                #[allow(clippy::cast_precision_loss)]
                let share = (updates + deletes) as f64 * 100.0 / *owned as f64;
                write!(
                    f,
                    "it would update {updates} and delete {deletes} of the {owned} owned sets \
                     ({share:.1}%, above the {threshold_percent}% threshold)"
                )
            }
            Self::ApexChange { rtype } => {
                write!(f, "it would change the apex {rtype} set")
            }
            Self::EmptyDesiredState { owned } => write!(
                f,
                "the desired state is empty and would delete all {owned} owned sets"
            ),
        }
    }
}

/// `Result` with [`SyncError`].
pub type Result<T, E = SyncError> = std::result::Result<T, E>;

impl SyncError {
    pub(crate) fn provider(provider: &str, source: dns_core::Error) -> Self {
        Self::Provider {
            provider: provider.to_owned(),
            source: Box::new(source),
        }
    }
}
