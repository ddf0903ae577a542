//! What the HTTP fakes (`route53`, `cloudflare`) share: a wiremock server
//! that answers every request from one state behind a lock, the seeded
//! fault draw, query decoding, unused ids and UTC timestamps.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use rand::RngExt;
use rand::rngs::StdRng;
use wiremock::{Mock, MockServer, Request, ResponseTemplate, matchers};

/// Answers one request from the state, called with the lock held so each
/// request sees and changes the state as one step.
pub(crate) type Handler<S> = fn(&mut S, &Request) -> ResponseTemplate;

/// A local HTTP server answering every request from a state `S`.
///
/// Cloning is cheap and shares the server and the state; the server stops
/// when the last clone is dropped.
pub(crate) struct FakeServer<S> {
    server: Arc<MockServer>,
    state: Arc<Mutex<S>>,
}

// Not derived: the derive would ask for `S: Clone`, and clones share `S`.
impl<S> Clone for FakeServer<S> {
    fn clone(&self) -> Self {
        Self {
            server: Arc::clone(&self.server),
            state: Arc::clone(&self.state),
        }
    }
}

impl<S> fmt::Debug for FakeServer<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeServer")
            .field("uri", &self.uri())
            .finish_non_exhaustive()
    }
}

impl<S: Send + 'static> FakeServer<S> {
    /// Starts a server on a free localhost port that hands every request,
    /// whatever its method and path, to `handler`.
    pub(crate) async fn start(state: S, handler: Handler<S>) -> Self {
        let state = Arc::new(Mutex::new(state));
        // The fakes keep their own logs; wiremock's would only grow.
        let server = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        let shared = Arc::clone(&state);
        Mock::given(matchers::any())
            .respond_with(move |request: &Request| handler(&mut lock(&shared), request))
            .mount(&server)
            .await;
        Self {
            server: Arc::new(server),
            state,
        }
    }
}

impl<S> FakeServer<S> {
    /// The state, for the test's knobs and inspections.
    pub(crate) fn lock(&self) -> MutexGuard<'_, S> {
        lock(&self.state)
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub(crate) fn uri(&self) -> String {
        self.server.uri()
    }
}

/// Locks `state`, ignoring poisoning: a test that panicked while holding
/// the lock must not fail every later request too.
fn lock<S>(state: &Mutex<S>) -> MutexGuard<'_, S> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Draws against `share` (0.0–1.0). A share of 0 does not touch the
/// generator, so a seeded sequence depends only on the knobs that are on.
pub(crate) fn roll(rng: &mut StdRng, share: f64) -> bool {
    share > 0.0 && rng.random::<f64>() < share
}

/// The query parameters of `request`, decoded, in the collection the
/// caller wants (a map, or a list that keeps repeated names).
pub(crate) fn query<C: FromIterator<(String, String)>>(request: &Request) -> C {
    request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Draws ids until one is not `taken`.
pub(crate) fn unused_id(mut draw: impl FnMut() -> String, taken: impl Fn(&str) -> bool) -> String {
    loop {
        let id = draw();
        if !taken(&id) {
            return id;
        }
    }
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SS.`, `digits` (1–9) digits
/// of the second's fraction, and `Z`, e.g. `2024-05-01T12:30:00.123Z`.
pub(crate) fn now_utc(digits: u32) -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs();
    let (year, month, day) = civil_from_days(secs / 86_400);
    let rem = secs % 86_400;
    let fraction = since.subsec_nanos() / 10_u32.pow(9 - digits);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{fraction:0width$}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        width = digits as usize,
    )
}

/// Year, month and day of the Gregorian calendar for a count of days since
/// 1970-01-01 (Howard Hinnant's algorithm, on unsigned numbers since the
/// clock never goes before 1970 here).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Count from 0000-03-01, so the leap day ends a year.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::{civil_from_days, now_utc};

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(59), (1970, 3, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
    }

    #[test]
    fn timestamps() {
        for (digits, example) in [
            (3, "2024-05-01T12:30:00.123Z"),
            (6, "2024-05-01T12:30:00.123456Z"),
        ] {
            let now = now_utc(digits);
            assert_eq!(now.len(), example.len(), "{now}");
            assert_eq!(now.as_bytes()[10], b'T');
            assert!(now.ends_with('Z'));
        }
    }
}
