//! [`apply`] a reviewed [`Plan`], and sync several providers at once.

use dns_core::{Change, Error};

use crate::desired::DesiredZone;
use crate::error::{Result, SyncError};
use crate::plan::{Destination, Plan, plan};
use crate::policy::SyncOptions;

/// What an [`apply`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Applied {
    /// Requests the provider sent.
    pub requests: usize,
    /// Whether the batch took effect all-or-nothing.
    pub atomic: bool,
    /// Whether `Require` guards protected every set touched.
    pub guarded: bool,
    /// How many changes (steps and marker edits) took effect.
    pub changes: usize,
}

/// Applies a plan through the provider's own `apply` (which batches within
/// its request limits), after checking the plan's safety refusals.
///
/// Refused without writing: a plan with [`Plan::refusals`] not planned
/// with `force`. A failure after part of the batch took effect is
/// [`SyncError::Partial`], listing what was applied.
pub async fn apply(plan: Plan) -> Result<Applied> {
    let provider = &plan.destination.provider;
    let name = provider.provider_name().to_owned();
    if !plan.refusals.is_empty() && !plan.forced {
        return Err(SyncError::Refused {
            provider: name,
            zone: plan.destination.zone.name.to_string(),
            refusals: plan.refusals,
        });
    }
    if plan.is_empty() {
        return Ok(Applied {
            requests: 0,
            atomic: true,
            guarded: plan.guarded,
            changes: 0,
        });
    }
    match provider.apply(&plan.destination.zone, &plan.changes).await {
        Ok(report) => Ok(Applied {
            requests: report.requests,
            atomic: report.atomic,
            guarded: plan.guarded,
            changes: plan.changes.len(),
        }),
        Err(Error::PartiallyApplied { report, source, .. }) => {
            let (applied, not_applied): (Vec<(usize, &Change)>, _) = plan
                .changes
                .iter()
                .enumerate()
                .partition(|(i, _)| report.applied.contains(i));
            Err(SyncError::Partial {
                provider: name,
                applied: applied.into_iter().map(|(_, c)| c.clone()).collect(),
                not_applied: not_applied.into_iter().map(|(_, c)| c.clone()).collect(),
                source,
            })
        }
        Err(e) => Err(SyncError::provider(&name, e)),
    }
}

/// Plans `desired` on every destination at once; each gets its own plan
/// (normalised to what that provider stores) or its own error, in order.
pub async fn plan_all(
    destinations: &[Destination],
    desired: &DesiredZone,
    options: &SyncOptions,
) -> Vec<Result<Plan>> {
    futures::future::join_all(destinations.iter().map(|d| plan(d, desired, options))).await
}

/// Applies each plan on its provider at once; one failing does not stop
/// the others. The results are in the order of `plans`.
pub async fn apply_all(plans: Vec<Plan>) -> Vec<Result<Applied>> {
    futures::future::join_all(plans.into_iter().map(apply)).await
}
