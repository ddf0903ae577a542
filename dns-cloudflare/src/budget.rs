//! [`RequestBudget`]: a client-side token bucket so bulk work slows down
//! before Cloudflare blocks the account.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::lock;

/// No single wait is longer than this (a budget of one request a year
/// would otherwise overflow time arithmetic).
const MAX_WAIT: Duration = Duration::from_secs(24 * 3_600);

/// Cloudflare's global API limit: 1,200 requests per user per 5 minutes.
pub const CLOUDFLARE_LIMIT: (u32, Duration) = (1_200, Duration::from_secs(300));

/// A token bucket shared by every clone (and by every provider built with
/// the same budget), so all the work one account does counts against one
/// limit.
///
/// Cloudflare allows 1,200 requests per user per 5 minutes and then blocks
/// *every* call for 5 minutes. A bucket of `burst` tokens refilled at
/// `rate` lets through at most `burst + rate × window` requests in any
/// window; [`RequestBudget::new`] picks `burst = limit / 4` and
/// `rate = (limit − burst) / window`, so no window of that length ever
/// exceeds the limit, while a short job (a registration: 2–3 requests)
/// never waits.
///
/// Waiting is first come, first served: each request reserves its token and
/// sleeps until the token exists. A `429` with `Retry-After` holds the whole
/// budget until then ([`RequestBudget::hold_off`]), because Cloudflare's
/// block applies to the account, not to one connection.
///
/// ```
/// use std::time::Duration;
/// use dns_cloudflare::RequestBudget;
/// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
/// let budget = RequestBudget::new(40, Duration::from_secs(60)); // burst 10, then 0.5/s
/// let start = tokio::time::Instant::now();
/// for _ in 0..12 {
///     budget.acquire().await;
/// }
/// // 10 at once, then two more at 2 s intervals.
/// assert_eq!(start.elapsed().as_secs(), 4);
/// # });
/// ```
#[derive(Clone)]
pub struct RequestBudget {
    inner: Option<Arc<Mutex<Bucket>>>,
}

struct Bucket {
    burst: f64,
    per_second: f64,
    tokens: f64,
    last: Instant,
    hold_until: Option<Instant>,
    waited: Duration,
}

impl Default for RequestBudget {
    /// Cloudflare's limit: 1,200 requests per 5 minutes (burst 300, then 3/s).
    fn default() -> Self {
        Self::new(CLOUDFLARE_LIMIT.0, CLOUDFLARE_LIMIT.1)
    }
}

impl RequestBudget {
    /// At most `requests` per `window`: a burst of a quarter of them, the
    /// rest spread evenly.
    pub fn new(requests: u32, window: Duration) -> Self {
        let burst = (requests / 4).max(1);
        Self::with_burst(requests, window, burst)
    }

    /// At most `requests` per `window`, `burst` of them at once (clamped to
    /// `1..=requests`).
    pub fn with_burst(requests: u32, window: Duration, burst: u32) -> Self {
        let requests = requests.max(1);
        let burst = burst.clamp(1, requests);
        let seconds = window.as_secs_f64().max(f64::MIN_POSITIVE);
        // Never zero, or the bucket would never refill.
        let per_second =
            (f64::from(requests - burst) / seconds).max(f64::from(requests) / seconds / 1e6);
        Self {
            inner: Some(Arc::new(Mutex::new(Bucket {
                burst: f64::from(burst),
                per_second,
                tokens: f64::from(burst),
                last: Instant::now(),
                hold_until: None,
                waited: Duration::ZERO,
            }))),
        }
    }

    /// No limit at all (tests, or a proxy that limits for you).
    pub fn unlimited() -> Self {
        Self { inner: None }
    }

    /// Waits until a request may go.
    pub async fn acquire(&self) {
        let Some(inner) = &self.inner else { return };
        let wait = {
            let mut bucket = lock(inner);
            let now = Instant::now();
            bucket.refill(now);
            bucket.tokens -= 1.0;
            let mut wait = if bucket.tokens < 0.0 {
                Duration::try_from_secs_f64(-bucket.tokens / bucket.per_second)
                    .unwrap_or(MAX_WAIT)
                    .min(MAX_WAIT)
            } else {
                Duration::ZERO
            };
            if let Some(until) = bucket.hold_until {
                wait = wait.max(until.saturating_duration_since(now));
            }
            bucket.waited += wait;
            wait
        };
        if !wait.is_zero() {
            tracing::debug!(?wait, "cloudflare request budget: waiting");
            tokio::time::sleep(wait).await;
        }
    }

    /// Holds every request back for `delay` (the provider's `Retry-After`).
    pub fn hold_off(&self, delay: Duration) {
        let Some(inner) = &self.inner else { return };
        let mut bucket = lock(inner);
        let now = Instant::now();
        let until = now.checked_add(delay.min(MAX_WAIT)).unwrap_or(now);
        if bucket.hold_until.is_none_or(|u| u < until) {
            bucket.hold_until = Some(until);
        }
    }

    /// Whole tokens available now (`None` when unlimited).
    pub fn available(&self) -> Option<u32> {
        let inner = self.inner.as_ref()?;
        let mut bucket = lock(inner);
        bucket.refill(Instant::now());
        // Truncation is what "whole tokens" means; the value is within 0..=burst.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some(bucket.tokens.max(0.0).floor() as u32)
    }

    /// Total time requests have been told to wait so far, across clones.
    pub fn total_wait(&self) -> Duration {
        self.inner
            .as_ref()
            .map_or(Duration::ZERO, |inner| lock(inner).waited)
    }
}

impl Bucket {
    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        self.last = now;
    }
}

impl fmt::Debug for RequestBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            None => f.write_str("RequestBudget(unlimited)"),
            Some(inner) => {
                let bucket = lock(inner);
                f.debug_struct("RequestBudget")
                    .field("burst", &bucket.burst)
                    .field("per_second", &bucket.per_second)
                    .finish_non_exhaustive()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn never_exceeds_the_limit_in_any_window() {
        let budget = RequestBudget::new(1_200, Duration::from_secs(300));
        let start = Instant::now();
        let mut at = Vec::new();
        for _ in 0..3_000 {
            budget.acquire().await;
            at.push(start.elapsed());
        }
        // Sliding 300 s windows starting at each request.
        let window = Duration::from_secs(300);
        let mut j = 0;
        for i in 0..at.len() {
            while j < at.len() && at[j] < at[i] + window {
                j += 1;
            }
            assert!(
                j - i <= 1_200,
                "{} requests in the window from {:?}",
                j - i,
                at[i]
            );
        }
        // Burst 300 at once, then 3/s: request 3,000 goes after 900 s.
        assert_eq!(at[299], Duration::ZERO);
        let last = at[2_999].as_secs_f64();
        assert!((last - 900.0).abs() < 1.0, "last request at {last} s");
    }

    #[tokio::test(start_paused = true)]
    async fn clones_share_and_hold_off_applies_to_all() {
        let budget = RequestBudget::with_burst(10, Duration::from_secs(10), 2);
        let other = budget.clone();
        budget.acquire().await;
        other.acquire().await;
        assert_eq!(budget.available(), Some(0));
        other.hold_off(Duration::from_secs(30));
        let start = Instant::now();
        budget.acquire().await;
        assert!(start.elapsed() >= Duration::from_secs(30));
        assert!(budget.total_wait() >= Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn extreme_settings_do_not_overflow() {
        let budget = RequestBudget::new(1, Duration::MAX);
        budget.acquire().await;
        budget.acquire().await;
        budget.hold_off(Duration::MAX);
        let start = Instant::now();
        budget.acquire().await;
        assert!(start.elapsed() <= MAX_WAIT * 2);
    }

    #[tokio::test(start_paused = true)]
    async fn unlimited_never_waits() {
        let budget = RequestBudget::unlimited();
        let start = Instant::now();
        for _ in 0..10_000 {
            budget.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        assert_eq!(budget.available(), None);
    }
}
