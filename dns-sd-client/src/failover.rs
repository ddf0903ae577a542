//! Trying targets in RFC 2782 order until one works.

use std::future::Future;

use dns_core::Name;
use rand::Rng;

use crate::client::DnsSdClient;
use crate::error::Error;
use crate::instance::ResolvedTarget;
use crate::select::{self, Order};

/// One failed attempt: the target tried and the caller's error.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Attempt<E> {
    /// The target that was tried.
    pub target: ResolvedTarget,
    /// What the attempt function returned.
    pub error: E,
}

/// A successful fail-over: the value, the target that gave it, and the
/// attempts that failed before it, in order.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Connected<T, E> {
    /// What the attempt function returned for the target that worked.
    pub value: T,
    /// The target that worked.
    pub target: ResolvedTarget,
    /// Earlier targets that failed, in the order tried.
    pub failed: Vec<Attempt<E>>,
}

/// Why fail-over found nothing that works.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum FailoverError<E> {
    /// The only SRV records are "." targets: the service is deliberately
    /// unavailable, and no fallback to address records is made.
    #[error("the service is deliberately unavailable (SRV target \".\")")]
    Unavailable,
    /// There are no SRV records.
    #[error("the service has no SRV records")]
    NoTargets,
    /// Every target was tried and failed; the attempts in order.
    #[error("all {} targets failed", .0.len())]
    Exhausted(Vec<Attempt<E>>),
    /// The SRV records could not be looked up.
    #[error(transparent)]
    Lookup(Error),
}

/// Calls `attempt` on each target in one RFC 2782 order (lowest priority
/// first, weighted within a priority) until it returns `Ok`.
///
/// ```
/// use dns_core::{Name, Srv};
/// use dns_sd_client::{failover, ResolvedTarget};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let t = |prio, host: &str| ResolvedTarget::new(
///     Srv::new(prio, 1, 80, Name::parse(host).unwrap()), vec![]);
/// let targets = [t(10, "backup.example."), t(0, "primary.example.")];
/// let done = failover(&targets, &mut rand::rng(), |target| {
///     let host = target.host().to_string();
///     async move { if host.starts_with("primary") { Err("refused") } else { Ok(host) } }
/// }).await.unwrap();
/// assert_eq!(done.value, "backup.example.");
/// assert_eq!(done.failed.len(), 1);
/// assert_eq!(done.failed[0].error, "refused");
/// # });
/// ```
pub async fn failover<T, E, F, Fut, R>(
    targets: &[ResolvedTarget],
    rng: &mut R,
    mut attempt: F,
) -> Result<Connected<T, E>, FailoverError<E>>
where
    F: FnMut(&ResolvedTarget) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    R: Rng + ?Sized,
{
    // The order is drawn up front so the RNG is not held across awaits.
    let order: Vec<ResolvedTarget> = match select::order(targets, rng) {
        Order::Targets(list) => list.into_iter().cloned().collect(),
        Order::Unavailable => return Err(FailoverError::Unavailable),
        Order::NoTargets => return Err(FailoverError::NoTargets),
    };
    let mut failed = Vec::new();
    for target in order {
        match attempt(&target).await {
            Ok(value) => {
                return Ok(Connected {
                    value,
                    target,
                    failed,
                });
            }
            Err(error) => {
                tracing::debug!(host = %target.host(), port = target.port(), "fail-over attempt failed");
                failed.push(Attempt { target, error });
            }
        }
    }
    Err(FailoverError::Exhausted(failed))
}

impl DnsSdClient {
    /// Resolves `name` (an instance, or any SRV owner such as
    /// `_ldap._tcp.example.com`) and runs [`failover`] over its targets.
    pub async fn failover<T, E, F, Fut, R>(
        &self,
        name: &Name,
        rng: &mut R,
        attempt: F,
    ) -> Result<Connected<T, E>, FailoverError<E>>
    where
        F: FnMut(&ResolvedTarget) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        R: Rng + ?Sized,
    {
        let instance = match self.resolve(name).await {
            Ok(i) => i,
            Err(Error::NotFound { .. }) => return Err(FailoverError::NoTargets),
            Err(e) => return Err(FailoverError::Lookup(e)),
        };
        failover(&instance.targets, rng, attempt).await
    }
}
