//! A stateful fake of the Cloudflare v4 DNS records API, for testing
//! Cloudflare clients without Cloudflare, alone or behind Stoplight Prism
//! validating against Cloudflare's OpenAPI schema (every answer it gives
//! is valid against `fixtures/cloudflare-dns-openapi.json`).
//!
//! [`FakeCloudflare`] serves, on `http://127.0.0.1:PORT` (paths with or
//! without the `/client/v4` prefix):
//!
//! * `GET /zones` (`name` with its `[operator:]value` form, `status`,
//!   `account.id`, `page`, `per_page` 5–50, default 20) and
//!   `GET /zones/{zone_id}`;
//! * `GET /zones/{zone_id}/dns_records`: creation order (or `order` +
//!   `direction`), filters `type`, `name`, `content`, `comment`, `tag` and
//!   their `.exact`/`.contains`/`.startswith`/`.endswith` forms, `proxied`,
//!   `match`, `tag_match`; `per_page` 1–5,000,000, default 100, then capped
//!   by [`FakeCloudflare::with_max_per_page`]; `result_info` with `page`,
//!   `per_page` (the size used), `count`, `total_count`, `total_pages`;
//! * `POST /zones/{zone_id}/dns_records`, and `GET`, `PATCH` (only the
//!   given fields change), `PUT` (the whole record: absent fields go back
//!   to their defaults) and `DELETE` (`result: {id}`) of
//!   `/zones/{zone_id}/dns_records/{id}`;
//! * `POST /zones/{zone_id}/dns_records/batch`: deletes, patches, puts,
//!   then posts, on a copy that replaces the zone only if every operation
//!   succeeded; the result holds the deleted records and the resulting
//!   ones; a failure is HTTP 400 with the errors of the first failing
//!   operation and changes nothing;
//! * `GET /user/tokens/verify`.
//!
//! # Records
//!
//! Stored and answered as JSON objects: `id` (32 hex digits), `name` (full,
//! lower-case, no trailing dot; requests may send `@`, a relative name, or
//! a full one; with a trailing dot a name outside the zone is `9000 DNS
//! name is invalid.`), `type`, `content`, `proxiable` (A, AAAA, CNAME),
//! `proxied` (false by default), `ttl` (1 = automatic, else 30–86,400; a
//! proxied record's is 1), `comment` (absent when there is none: the
//! schema does not allow `null`), `tags`, `meta: {}`, `settings`,
//! `created_on`, `modified_on`; `priority` for MX, SRV and URI; `data` for
//! the types set through it.
//!
//! * A and AAAA must be addresses (9005, 9006); AAAA is stored in its
//!   RFC 5952 form.
//! * SRV takes `data{priority, weight, port, target}` and a name starting
//!   with `_service._proto` (or, for a DNS-SD instance, `<instance>.` and
//!   then `_service._proto`); it is answered with that `data`, a top-level
//!   `priority` and `content` = `"weight port target"`.
//! * CAA takes `data{flags, tag, value}`; `content` = `flags tag "value"`.
//! * URI takes `priority` and `data{weight, target}`; `content` =
//!   `weight "target"`.
//! * MX needs `priority`; CNAME, NS, MX and PTR content must be a host name
//!   (PTR may hold the spaces of DNS-SD instance names).
//! * TXT content is stored as sent; over 4,096 bytes is 9015.
//! * The other types keep `data` as sent and get a `content` written from
//!   it, or keep a `content` sent without `data`.
//! * Proxying anything but A, AAAA and CNAME: `1004` with `9004` in its
//!   `error_chain`; a bad TTL: 9021; a missing field: `1004`/`9101`; a
//!   field out of range (SRV port 70000): `1004`/`9102`; an unknown type:
//!   `1004`/`9103`; an SRV name without `_service._proto`: `1004`/`9104`
//!   (the 91xx chain codes are the fake's choice).
//! * Same name, type and value as another record: `81058 An identical
//!   record already exists.`; a CNAME where an A, AAAA or CNAME is:
//!   81053; an A or AAAA where a CNAME is: 81054; NS mixed with other types
//!   below the apex: 81056. All checked against the zone as it is at that
//!   point of a batch.
//! * Unknown zone: HTTP 404, codes 7003 and 7000; unknown record (also
//!   inside a batch, which then fails with HTTP 400): `81044 Record does
//!   not exist.`
//!
//! # Credentials
//!
//! `Authorization: Bearer <token>` with [`FakeCloudflare::token`], a token
//! from [`FakeCloudflare::with_read_only_token`] (reads only), or the pair
//! `X-Auth-Email` + `X-Auth-Key` set by [`FakeCloudflare::with_legacy_key`].
//! Anything else, and a write with a read-only token, is HTTP 403 `10000
//! Authentication error`.
//!
//! # Faults
//!
//! Drawn from a generator seeded with [`FakeCloudflare::with_seed`], so a
//! run repeats: HTTP 429 with `retry-after` and `10100 More than 1200
//! requests per 300 seconds reached. Please wait and consider throttling
//! your request speed` (the global limit's answer; the newer 971 would
//! break the schema's `code >= 1000`), and an edge's HTTP 502 HTML page;
//! neither touches the state. Lost answers (applied, answered 30 s late)
//! and truncated bodies count down. Every request is logged.

mod conflict;
mod error;
mod ids;
mod list;
mod names;
mod ops;
mod record;
mod respond;
mod route;
mod state;
mod types;
mod zones;

use std::fmt;
use std::time::Duration;

use serde_json::Value;

pub use types::{Fault, LoggedRequest};

use crate::fake_http::FakeServer;
use state::State;

/// A fake Cloudflare v4 DNS API on localhost.
///
/// Cloning is cheap and shares the server and its state; the server stops
/// when the last clone is dropped. The `with_*` methods change the shared
/// state and return the fake, for chaining after
/// [`start`](Self::start).
///
/// # Example
///
/// ```
/// use dns_testkit::cloudflare::FakeCloudflare;
/// use serde_json::json;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let fake = FakeCloudflare::start().await.with_max_per_page(50);
/// let zone = fake.add_zone("example.com");
/// assert_eq!(zone.len(), 32);
///
/// // Seeded records skip validation: a proxied record, say.
/// fake.seed_record(&zone, json!({"type": "A", "name": "www", "content": "192.0.2.7", "proxied": true}));
/// let records = fake.records(&zone);
/// assert_eq!(records[0]["name"], "www.example.com");
/// assert_eq!(records[0]["proxiable"], true);
///
/// // Clients call `fake.uri()` with `Authorization: Bearer {fake.token()}`.
/// assert!(fake.uri().starts_with("http://127.0.0.1:"));
/// assert_eq!(fake.request_count(), 0);
/// # });
/// ```
#[derive(Clone)]
pub struct FakeCloudflare {
    server: FakeServer<State>,
}

impl fmt::Debug for FakeCloudflare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeCloudflare")
            .field("uri", &self.uri())
            .finish_non_exhaustive()
    }
}

impl FakeCloudflare {
    /// Starts a fake with no zones on a free localhost port, accepting
    /// [`token`](Self::token), seeded with 0.
    pub async fn start() -> Self {
        Self {
            server: FakeServer::start(State::new(), respond::respond).await,
        }
    }

    /// The base URL, `http://127.0.0.1:PORT`, standing for
    /// `https://api.cloudflare.com/client/v4`.
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The API token with DNS edit permission (a fixed test string unless
    /// [`with_token`](Self::with_token) changed it).
    pub fn token(&self) -> String {
        self.server.lock().credentials.token.clone()
    }

    /// Accepts `token` instead of the default one.
    #[must_use]
    pub fn with_token(self, token: impl Into<String>) -> Self {
        self.server.lock().credentials.token = token.into();
        self
    }

    /// Also accepts `token`, for reads only: writes with it are HTTP 403
    /// `10000 Authentication error`.
    #[must_use]
    pub fn with_read_only_token(self, token: impl Into<String>) -> Self {
        self.server.lock().credentials.read_only.push(token.into());
        self
    }

    /// Also accepts the legacy `X-Auth-Email` (case-insensitive) and
    /// `X-Auth-Key` pair, with full access.
    #[must_use]
    pub fn with_legacy_key(self, email: impl Into<String>, key: impl Into<String>) -> Self {
        self.server.lock().credentials.legacy = Some((email.into(), key.into()));
        self
    }

    /// Caps the records per page below what a request asks for (default
    /// 5,000,000, the API's own maximum), so tests can force many pages.
    /// `result_info.per_page` reports the size used.
    #[must_use]
    pub fn with_max_per_page(self, cap: usize) -> Self {
        self.server.lock().knobs.max_per_page = cap.max(1);
        self
    }

    /// Restarts the generators of faults and of ids from `seed` (0 until
    /// this is called), so runs repeat.
    #[must_use]
    pub fn with_seed(self, seed: u64) -> Self {
        self.server.lock().reseed(seed);
        self
    }

    /// How long a lost answer is held back (default 30 s).
    #[must_use]
    pub fn with_lost_answer_delay(self, delay: Duration) -> Self {
        self.server.lock().knobs.lost_delay = delay;
        self
    }

    /// Answers this share (0.0–1.0) of all requests with HTTP 429,
    /// `retry-after: {retry_after_secs}` and code 10100, without touching
    /// the state.
    pub fn set_throttle(&self, share: f64, retry_after_secs: u64) {
        let mut state = self.server.lock();
        state.knobs.throttle_share = share;
        state.knobs.retry_after_secs = retry_after_secs;
    }

    /// Answers this share (0.0–1.0) of all requests with an edge's HTTP 502
    /// HTML page, without touching the state. Drawn before throttling.
    pub fn set_server_errors(&self, share: f64) {
        self.server.lock().knobs.server_error_share = share;
    }

    /// Delays every answer by `latency`. The state is read and changed
    /// when the request arrives and the answer waits afterwards, so
    /// concurrent clients race as they do against the real service.
    pub fn set_latency(&self, latency: Duration) {
        self.server.lock().knobs.latency = latency;
    }

    /// Applies the next `n` writes (POST, PATCH, PUT, DELETE, batch) that
    /// pass authentication (and the throttling and server-error draws)
    /// normally, but holds their answers back for the lost-answer delay,
    /// so a client with a shorter timeout gives up on a change that was
    /// made. Failed writes count too.
    pub fn lose_next_answers(&self, n: usize) {
        self.server.lock().knobs.lost_answers = n;
    }

    /// Handles the next `n` requests normally (writes are applied), then
    /// answers each with HTTP 200 and the first half of its body, which is
    /// not valid JSON.
    pub fn set_malformed_next(&self, n: usize) {
        self.server.lock().knobs.malformed = n;
    }

    /// Every request answered since the start or the last
    /// [`clear_log`](Self::clear_log), in arrival order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.server.lock().log.clone()
    }

    /// How many requests [`requests`](Self::requests) holds.
    pub fn request_count(&self) -> usize {
        self.server.lock().log.len()
    }

    /// Empties the request log.
    pub fn clear_log(&self) {
        self.server.lock().log.clear();
    }

    /// Creates an empty, active zone and returns its id (32 hex digits).
    ///
    /// # Panics
    ///
    /// If `name` is not a zone name the schema allows (two or more labels,
    /// letters, digits and hyphens, a last label of 2–20 characters).
    pub fn add_zone(&self, name: &str) -> String {
        let Some(canonical) = names::zone_name(name) else {
            panic!("invalid zone name {name:?}");
        };
        self.server.lock().add_zone(canonical)
    }

    /// The ids of all zones, in creation order.
    pub fn zone_ids(&self) -> Vec<String> {
        self.server
            .lock()
            .zones
            .iter()
            .map(|z| z.id.clone())
            .collect()
    }

    /// Stores `record` (a JSON object) in a zone without any check (for
    /// proxied records, unusual types, or states the API would refuse) and
    /// returns its id. Only what every record has is filled in: an id (a
    /// given unused `id` is kept), the full lower-case name, `created_on`,
    /// `modified_on`, `proxiable`, and the defaults `proxied: false`,
    /// `ttl: 1`, `tags: []`, `meta: {}`, `settings: {}`.
    ///
    /// # Panics
    ///
    /// If there is no zone `zone_id` or `record` is not an object.
    pub fn seed_record(&self, zone_id: &str, record: Value) -> String {
        let Value::Object(record) = record else {
            panic!("seed_record needs a JSON object, got {record}");
        };
        let now = ids::now_rfc3339();
        let mut state = self.server.lock();
        let Some((zone, rng)) = state.zone_and_rng(zone_id) else {
            drop(state);
            panic!("no zone {zone_id}");
        };
        ops::seed(zone, record, &now, rng)
    }

    /// The records of a zone now, in creation order (a PUT or PATCH keeps
    /// a record's place), as the API returns them.
    ///
    /// # Panics
    ///
    /// If there is no zone `zone_id`.
    pub fn records(&self, zone_id: &str) -> Vec<Value> {
        let state = self.server.lock();
        let Some(zone) = state.zone(zone_id) else {
            drop(state);
            panic!("no zone {zone_id}");
        };
        zone.records.clone()
    }
}

/// The conformance suite's fault hook: [`Fault::Throttle`](dns_core::conformance::Fault::Throttle) is
/// [`set_throttle`](FakeCloudflare::set_throttle) with `retry-after: 0`,
/// [`Fault::ServerError`](dns_core::conformance::Fault::ServerError) [`set_server_errors`](FakeCloudflare::set_server_errors),
/// [`Fault::LoseAnswers`](dns_core::conformance::Fault::LoseAnswers) [`lose_next_answers`](FakeCloudflare::lose_next_answers)
/// (so give the client a timeout shorter than
/// [`with_lost_answer_delay`](FakeCloudflare::with_lost_answer_delay));
/// each call first turns the others off.
///
/// ```
/// use dns_core::conformance::{Fault, FaultInjector};
/// use dns_testkit::cloudflare::FakeCloudflare;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let fake = FakeCloudflare::start().await;
/// fake.set(Fault::Throttle(0.5));
/// fake.set(Fault::Off);
/// # });
/// ```
impl dns_core::conformance::FaultInjector for FakeCloudflare {
    fn set(&self, fault: dns_core::conformance::Fault) {
        use dns_core::conformance::Fault;
        let mut state = self.server.lock();
        let knobs = &mut state.knobs;
        knobs.throttle_share = 0.0;
        knobs.server_error_share = 0.0;
        knobs.lost_answers = 0;
        match fault {
            Fault::Throttle(share) => {
                knobs.throttle_share = share;
                knobs.retry_after_secs = 0;
            }
            Fault::ServerError(share) => knobs.server_error_share = share,
            Fault::LoseAnswers(n) => knobs.lost_answers = n,
            _ => {}
        }
    }
}
