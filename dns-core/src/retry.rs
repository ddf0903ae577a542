//! [`RetryPolicy`]: jittered exponential backoff that reads only
//! [`Error::is_retryable`] and [`Error::retry_after`].

use std::future::Future;
use std::time::Duration;

use rand::RngExt;
use tokio::time::Instant;

use crate::error::Error;

/// When and how often to retry a failed operation.
///
/// Retries happen only for errors whose [`Error::is_retryable`] is true.
/// The wait before retry *n* (0-based) is drawn uniformly from
/// `[0, min(max_backoff, initial_backoff * 2^n)]` ("full jitter", so many
/// clients that failed together do not retry together), and is never shorter
/// than the provider's [`Error::retry_after`]. Attempts stop at
/// `max_attempts`, or when the next wait would end after `max_elapsed`; the
/// last error is returned.
///
/// ```
/// use std::time::Duration;
/// use dns_core::{Error, RetryPolicy};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
/// let policy = RetryPolicy::new()
///     .with_max_attempts(4)
///     .with_initial_backoff(Duration::from_millis(10));
/// let mut calls = 0;
/// let out = policy.run(|| {
///     calls += 1;
///     let fail = calls < 3;
///     async move {
///         if fail { Err(Error::RateLimited { retry_after: None, message: "slow down".into() }) }
///         else { Ok("done") }
///     }
/// }).await;
/// assert_eq!(out.unwrap(), "done");
/// assert_eq!(calls, 3);
/// # });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_elapsed: Duration,
}

impl Default for RetryPolicy {
    /// 8 attempts, backoff from 100 ms up to 10 s, at most 60 s in all.
    fn default() -> Self {
        Self {
            max_attempts: 8,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
            max_elapsed: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The default policy.
    pub fn new() -> Self {
        Self::default()
    }

    /// One attempt, no retries.
    pub fn never() -> Self {
        Self::default().with_max_attempts(1)
    }

    /// Total attempts, the first included (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The backoff ceiling before the first retry; it doubles per retry.
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The largest backoff ceiling.
    pub fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The time budget for all attempts and waits together.
    pub fn with_max_elapsed(mut self, elapsed: Duration) -> Self {
        self.max_elapsed = elapsed;
        self
    }

    /// Total attempts allowed.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The ceiling of the jittered wait before retry `retry` (0-based).
    pub fn backoff_ceiling(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.min(31));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }

    /// The wait before retry `retry` (0-based) after `error`: jittered, and
    /// at least the provider's retry-after.
    pub fn delay(&self, retry: u32, error: &Error) -> Duration {
        let ceiling = self.backoff_ceiling(retry);
        let jittered = if ceiling.is_zero() {
            ceiling
        } else {
            rand::rng().random_range(Duration::ZERO..=ceiling)
        };
        jittered.max(error.retry_after().unwrap_or_default())
    }

    /// The backoff before the first retry.
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// The largest backoff ceiling.
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// The time budget for all attempts and waits together.
    pub fn max_elapsed(&self) -> Duration {
        self.max_elapsed
    }

    /// Runs `op` until it succeeds, fails with a non-retryable error, or the
    /// attempts or time run out.
    ///
    /// The error type may be [`Error`] itself or any type that carries one
    /// ([`AsRef<Error>`] and [`AsMut<Error>`]), so a backend can keep its
    /// own details (a provider's raw error codes) next to the error that
    /// decides retries.
    ///
    /// A retryable error returned after more than one attempt is wrapped
    /// in [`Error::Retried`] with the number of attempts, so nobody above
    /// retries it again; an error that was not retried is returned as is.
    pub async fn run<T, E, F, Fut>(&self, mut op: F) -> std::result::Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<T, E>>,
        E: AsRef<Error> + AsMut<Error>,
    {
        let start = Instant::now();
        let mut attempt = 1;
        loop {
            let mut failure = match op().await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            let err = failure.as_ref();
            if !err.is_retryable() {
                return Err(failure);
            }
            if attempt >= self.max_attempts {
                mark_retried(failure.as_mut(), attempt);
                return Err(failure);
            }
            let wait = self.delay(attempt - 1, err);
            if start.elapsed().saturating_add(wait) > self.max_elapsed {
                tracing::debug!(attempt, ?wait, "retry budget exhausted: {err}");
                mark_retried(failure.as_mut(), attempt);
                return Err(failure);
            }
            tracing::debug!(attempt, ?wait, "retrying after: {err}");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

/// Marks the error a retry loop gives up with after `attempts` attempts.
fn mark_retried(error: &mut Error, attempts: u32) {
    if attempts > 1 {
        let taken = std::mem::replace(error, Error::InvalidInput(String::new()));
        *error = taken.retried(attempts);
    }
}

/// The pause before compare-and-swap attempt `attempt` (1 for the first
/// repeat) after a concurrent writer changed what a read-modify-write read:
/// a random wait of 5 ms up to a ceiling that doubles from 50 ms per
/// attempt to at most 1 s, so writers that collided spread out instead of
/// colliding again. Not a [`RetryPolicy`]: a conflict is not a failure of
/// the provider, and the request that follows is a fresh read.
///
/// Every compare-and-swap loop in the workspace (the backends' `Add` and
/// `Remove`, the service registry) waits with this.
///
/// ```
/// use std::time::Duration;
/// use dns_core::conflict_backoff;
/// for attempt in 1..20 {
///     let wait = conflict_backoff(attempt);
///     assert!(wait >= Duration::from_millis(5) && wait <= Duration::from_secs(1));
/// }
/// assert!(conflict_backoff(1) <= Duration::from_millis(50));
/// ```
pub fn conflict_backoff(attempt: u32) -> Duration {
    let ceiling = conflict_backoff_ceiling(attempt);
    let ms = rand::rng().random_range(5..=ceiling.as_millis().max(5));
    Duration::from_millis(u64::try_from(ms).unwrap_or(1_000))
}

/// The ceiling [`conflict_backoff`] draws below: 50 ms doubled per attempt
/// after the first, at most 1 s.
pub fn conflict_backoff_ceiling(attempt: u32) -> Duration {
    let ms = (50u64 << attempt.saturating_sub(1).min(5)).min(1_000);
    Duration::from_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Result;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn throttled(after: Option<Duration>) -> Error {
        Error::RateLimited {
            retry_after: after,
            message: "429".into(),
        }
    }

    #[test]
    fn ceiling_doubles_and_caps() {
        let p = RetryPolicy::new()
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_secs(1));
        assert_eq!(p.backoff_ceiling(0), Duration::from_millis(100));
        assert_eq!(p.backoff_ceiling(3), Duration::from_millis(800));
        assert_eq!(p.backoff_ceiling(4), Duration::from_secs(1));
        assert_eq!(p.backoff_ceiling(200), Duration::from_secs(1));
        for retry in 0..10 {
            assert!(p.delay(retry, &throttled(None)) <= p.backoff_ceiling(retry));
        }
        assert!(p.delay(0, &throttled(Some(Duration::from_secs(5)))) >= Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn an_absurd_retry_after_ends_the_retries_without_overflow() {
        let out: Result<()> = RetryPolicy::new()
            .run(|| async {
                tokio::time::sleep(Duration::from_millis(5)).await;
                Err(throttled(Some(Duration::MAX)))
            })
            .await;
        assert!(matches!(out.unwrap_err().root(), Error::RateLimited { .. }));
    }

    #[tokio::test(start_paused = true)]
    async fn stops_on_non_retryable_error() {
        let calls = AtomicU32::new(0);
        let out: Result<()> = RetryPolicy::new()
            .run(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(Error::InvalidInput("no".into()))
            })
            .await;
        let err = out.unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)));
        assert_eq!(err.attempts(), 1, "a refusal is not marked as retried");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn stops_after_max_attempts() {
        let calls = AtomicU32::new(0);
        let out: Result<()> = RetryPolicy::new()
            .with_max_attempts(3)
            .run(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(throttled(None))
            })
            .await;
        let err = out.unwrap_err();
        assert!(matches!(err.root(), Error::RateLimited { .. }), "{err}");
        assert_eq!(err.attempts(), 3);
        assert!(err.to_string().ends_with("(after 3 attempts)"), "{err}");
        assert!(err.is_retryable());
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn honours_retry_after_and_time_budget() {
        let start = Instant::now();
        let calls = AtomicU32::new(0);
        let out: Result<()> = RetryPolicy::new()
            .with_max_attempts(100)
            .with_max_elapsed(Duration::from_secs(10))
            .run(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(throttled(Some(Duration::from_secs(3))))
            })
            .await;
        assert_eq!(out.unwrap_err().attempts(), 4);
        // waits of 3 s each: attempts at 0, 3, 6, 9; the next wait would pass 10 s
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        assert!(start.elapsed() >= Duration::from_secs(9));
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn conflict_backoff_grows_and_caps() {
        assert_eq!(conflict_backoff_ceiling(1), Duration::from_millis(50));
        assert_eq!(conflict_backoff_ceiling(2), Duration::from_millis(100));
        assert_eq!(conflict_backoff_ceiling(6), Duration::from_secs(1));
        assert_eq!(conflict_backoff_ceiling(u32::MAX), Duration::from_secs(1));
        assert_eq!(conflict_backoff_ceiling(0), Duration::from_millis(50));
        for attempt in 0..40 {
            let wait = conflict_backoff(attempt);
            assert!(wait >= Duration::from_millis(5), "{wait:?}");
            assert!(wait <= conflict_backoff_ceiling(attempt), "{wait:?}");
        }
    }
}
