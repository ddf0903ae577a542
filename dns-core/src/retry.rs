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

    /// Runs `op` until it succeeds, fails with a non-retryable error, or the
    /// attempts or time run out.
    ///
    /// The error type may be [`Error`] itself or any type that carries one
    /// ([`AsRef<Error>`]), so a backend can keep its own details (a
    /// provider's raw error codes) next to the error that decides retries.
    pub async fn run<T, E, F, Fut>(&self, mut op: F) -> std::result::Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<T, E>>,
        E: AsRef<Error>,
    {
        let start = Instant::now();
        let mut attempt = 1;
        loop {
            let failure = match op().await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            let err = failure.as_ref();
            if !err.is_retryable() || attempt >= self.max_attempts {
                return Err(failure);
            }
            let wait = self.delay(attempt - 1, err);
            if start.elapsed().saturating_add(wait) > self.max_elapsed {
                tracing::debug!(attempt, ?wait, "retry budget exhausted: {err}");
                return Err(failure);
            }
            tracing::debug!(attempt, ?wait, "retrying after: {err}");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
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
        assert!(matches!(out, Err(Error::RateLimited { .. })));
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
        assert!(matches!(out, Err(Error::InvalidInput(_))));
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
        assert!(matches!(out, Err(Error::RateLimited { .. })));
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
        assert!(out.is_err());
        // waits of 3 s each: attempts at 0, 3, 6, 9; the next wait would pass 10 s
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        assert!(start.elapsed() >= Duration::from_secs(9));
        assert!(start.elapsed() < Duration::from_secs(10));
    }
}
