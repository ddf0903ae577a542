//! Everything behind the fake's lock: zones, credentials, knobs, the
//! seeded generators and the request log.

use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use wiremock::Request;

use super::ids;
use super::types::LoggedRequest;
use super::zones::Zone;
use crate::fake_http::unused_id;

/// The default API token, 40 characters like a real one.
pub(crate) const DEFAULT_TOKEN: &str = "fakeCloudflareTestToken_0123456789abcdef";

/// How long a lost answer is held back by default.
pub(crate) const DEFAULT_LOST_DELAY: Duration = Duration::from_secs(30);

/// Mixed into the seed of the id generator, so ids and fault draws are
/// independent streams.
const ID_STREAM: u64 = 0x9e37_79b9_7f4a_7c15;

/// What the credentials of a request allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Denied,
    ReadOnly,
    Full,
}

/// The accepted credentials.
#[derive(Debug, Clone)]
pub(crate) struct Credentials {
    /// The token with DNS edit permission.
    pub(crate) token: String,
    /// Tokens with read permission only.
    pub(crate) read_only: Vec<String>,
    /// The legacy `X-Auth-Email` and `X-Auth-Key` pair, if configured.
    pub(crate) legacy: Option<(String, String)>,
}

/// A header as text.
fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

impl Credentials {
    /// The bearer token of `Authorization`, if that header is present
    /// (`Some("")` for another scheme).
    pub(crate) fn bearer(request: &Request) -> Option<&str> {
        let value = header(request, "authorization")?;
        Some(match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => "",
        })
    }

    /// What `request`'s credentials allow. `Authorization` wins over the
    /// legacy headers when both are sent.
    pub(crate) fn access(&self, request: &Request) -> Access {
        if let Some(token) = Self::bearer(request) {
            return self.token_access(token);
        }
        match (
            header(request, "x-auth-email"),
            header(request, "x-auth-key"),
            &self.legacy,
        ) {
            (Some(email), Some(key), Some((want_email, want_key)))
                if email.eq_ignore_ascii_case(want_email) && key == want_key =>
            {
                Access::Full
            }
            _ => Access::Denied,
        }
    }

    /// What a bearer token allows.
    pub(crate) fn token_access(&self, token: &str) -> Access {
        if !token.is_empty() && token == self.token {
            Access::Full
        } else if !token.is_empty() && self.read_only.iter().any(|t| t == token) {
            Access::ReadOnly
        } else {
            Access::Denied
        }
    }
}

/// The test's settings.
#[derive(Debug, Clone)]
pub(crate) struct Knobs {
    pub(crate) throttle_share: f64,
    pub(crate) retry_after_secs: u64,
    pub(crate) server_error_share: f64,
    pub(crate) latency: Duration,
    /// Write answers still to hold back.
    pub(crate) lost_answers: usize,
    pub(crate) lost_delay: Duration,
    /// Answers still to cut in half.
    pub(crate) malformed: usize,
    /// The fake's own page-size limit for records.
    pub(crate) max_per_page: usize,
}

impl Default for Knobs {
    fn default() -> Self {
        Self {
            throttle_share: 0.0,
            retry_after_secs: 1,
            server_error_share: 0.0,
            latency: Duration::ZERO,
            lost_answers: 0,
            lost_delay: DEFAULT_LOST_DELAY,
            malformed: 0,
            max_per_page: 5_000_000,
        }
    }
}

/// Everything behind the lock.
#[derive(Debug)]
pub(crate) struct State {
    /// Zones in creation order.
    pub(crate) zones: Vec<Zone>,
    pub(crate) credentials: Credentials,
    pub(crate) knobs: Knobs,
    /// Draws the throttling and server-error shares.
    pub(crate) fault_rng: StdRng,
    /// Draws zone and record ids.
    pub(crate) id_rng: StdRng,
    pub(crate) log: Vec<LoggedRequest>,
    /// The account every zone belongs to.
    pub(crate) account_id: String,
}

impl State {
    pub(crate) fn new() -> Self {
        let mut state = Self {
            zones: Vec::new(),
            credentials: Credentials {
                token: DEFAULT_TOKEN.to_owned(),
                read_only: Vec::new(),
                legacy: None,
            },
            knobs: Knobs::default(),
            fault_rng: StdRng::seed_from_u64(0),
            id_rng: StdRng::seed_from_u64(ID_STREAM),
            log: Vec::new(),
            account_id: String::new(),
        };
        state.account_id = ids::hex_id(&mut state.id_rng);
        state
    }

    /// Restarts both generators from `seed`.
    pub(crate) fn reseed(&mut self, seed: u64) {
        self.fault_rng = StdRng::seed_from_u64(seed);
        self.id_rng = StdRng::seed_from_u64(seed ^ ID_STREAM);
    }

    /// The zone with id `id`.
    pub(crate) fn zone(&self, id: &str) -> Option<&Zone> {
        self.zones.iter().find(|z| z.id == id)
    }

    /// The zone with id `id` and the id generator, borrowed together.
    pub(crate) fn zone_and_rng(&mut self, id: &str) -> Option<(&mut Zone, &mut StdRng)> {
        let zone = self.zones.iter_mut().find(|z| z.id == id)?;
        Some((zone, &mut self.id_rng))
    }

    /// Adds an empty zone with a canonical `name` and returns its id.
    pub(crate) fn add_zone(&mut self, name: String) -> String {
        let id = unused_id(
            || ids::hex_id(&mut self.id_rng),
            |id| self.zones.iter().any(|z| z.id == id),
        );
        self.zones.push(Zone {
            id: id.clone(),
            name,
            created_on: ids::now_rfc3339(),
            records: Vec::new(),
        });
        id
    }
}
