//! A stateful fake of the Amazon Route 53 REST-XML API (2013-04-01) that
//! follows Route 53's documented behaviour, for testing Route 53 clients
//! built on `aws-sdk-route53` without AWS.
//!
//! [`FakeRoute53`] serves, on `http://127.0.0.1:PORT`:
//!
//! * `ListHostedZones` (100 per page, `Marker`/`NextMarker`, in id order),
//!   `ListHostedZonesByName`, `GetHostedZone`;
//! * `ListResourceRecordSets`: sorted by the escaped name with its labels
//!   reversed, then type, then set identifier; at most 300 per page;
//!   `StartRecordName`/`Type`/`Identifier` start at the first set at or
//!   after that key;
//! * `ChangeResourceRecordSets` with Route 53's semantics: CREATE of an
//!   existing set fails, DELETE must repeat the set exactly, changes apply
//!   in order to a working copy that replaces the zone only if all of them
//!   succeed, 1,000 `ResourceRecord`s and 32,000 value characters per
//!   request (UPSERT counted twice), values checked by type;
//! * `GetChange`: PENDING for [`FakeRoute53::set_insync_after`] polls,
//!   then INSYNC.
//!
//! Knobs make it throttle (`Throttling`, HTTP 400), answer HTTP 500, lose the answer of an applied change (HTTP 503), refuse changes with
//! `PriorRequestNotComplete`, fail authentication, or delay every answer.
//!
//! # Errors on the wire
//!
//! Errors are `<ErrorResponse><Error><Type>Sender</Type><Code>…</Code>
//! <Message>…</Message></Error><RequestId>…</RequestId></ErrorResponse>`
//! with an `x-amzn-RequestId` header. `InvalidChangeBatch` carries every
//! message in `Message` as `[first, second]`, which is what the live
//! service sends, and by default also the `<messages>` list the SDK's model
//! reads into `InvalidChangeBatch::messages()`; the live service does not
//! send that list, so turn it off with
//! [`FakeRoute53::set_modelled_error_messages`] to check that a client
//! copes with `message()` alone.

mod batch;
mod error;
mod ids;
mod names;
mod request;
mod respond;
mod state;
mod types;
mod validate;
mod xml;

use std::fmt;
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;

pub use types::{BatchChange, BatchLog, BatchOutcome, FakeAlias, FakeRecordSet, RequestCounts};

use crate::fake_http::FakeServer;
use state::{State, set_key};

/// A fake Route 53 endpoint on localhost.
///
/// Cloning is cheap and shares the server and its state. The server stops
/// when the last clone is dropped.
///
/// # Example
///
/// ```
/// use aws_sdk_route53::config::retry::RetryConfig;
/// use aws_sdk_route53::config::{BehaviorVersion, Credentials, Region};
/// use aws_sdk_route53::types::{Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType};
/// use dns_testkit::route53::FakeRoute53;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let fake = FakeRoute53::start().await;
/// let zone = fake.create_zone("example.com", false);
///
/// let config = aws_sdk_route53::config::Builder::new()
///     .behavior_version(BehaviorVersion::latest())
///     .region(Region::new("us-east-1"))
///     .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
///     .endpoint_url(fake.endpoint())
///     .retry_config(RetryConfig::disabled())
///     .build();
/// let client = aws_sdk_route53::Client::from_conf(config);
///
/// let set = ResourceRecordSet::builder()
///     .name("www.example.com")
///     .r#type(RrType::A)
///     .ttl(300)
///     .resource_records(ResourceRecord::builder().value("192.0.2.7").build()?)
///     .build()?;
/// let create = Change::builder().action(ChangeAction::Create).resource_record_set(set).build()?;
/// let batch = ChangeBatch::builder().changes(create.clone()).build()?;
/// client.change_resource_record_sets().hosted_zone_id(&zone).change_batch(batch).send().await?;
///
/// // Route 53 refuses to CREATE a set that exists.
/// let again = ChangeBatch::builder().changes(create).build()?;
/// let error = client
///     .change_resource_record_sets()
///     .hosted_zone_id(&zone)
///     .change_batch(again)
///     .send()
///     .await
///     .unwrap_err()
///     .into_service_error();
/// assert!(error.is_invalid_change_batch());
///
/// let names: Vec<_> = fake.record_sets(&zone).into_iter().map(|s| (s.name, s.rtype)).collect();
/// assert_eq!(names, [
///     ("example.com.".to_owned(), "NS".to_owned()),
///     ("example.com.".to_owned(), "SOA".to_owned()),
///     ("www.example.com.".to_owned(), "A".to_owned()),
/// ]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct FakeRoute53 {
    server: FakeServer<State>,
}

impl fmt::Debug for FakeRoute53 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeRoute53")
            .field("endpoint", &self.endpoint())
            .finish_non_exhaustive()
    }
}

impl FakeRoute53 {
    /// Starts a fake with no zones on a free localhost port.
    pub async fn start() -> Self {
        Self {
            server: FakeServer::start(State::new(), respond::respond).await,
        }
    }

    /// The endpoint to give the SDK, `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        self.server.uri()
    }

    /// Creates a hosted zone and returns its bare id (`Z` and 13 upper-case
    /// letters and digits). Like Route 53, the zone starts with an apex SOA
    /// (TTL 900) and an apex NS set of four name servers (TTL 172800).
    ///
    /// # Panics
    ///
    /// If `name` is not a valid domain name.
    pub fn create_zone(&self, name: &str, private: bool) -> String {
        let name = names::canonical(name)
            .unwrap_or_else(|e| panic!("invalid zone name {name:?}: {}", e.message()));
        self.server.lock().create_zone(name, private)
    }

    /// Answers this share (0.0–1.0) of all requests, of any operation, with
    /// HTTP 400 `Throttling` / `Rate exceeded`, without touching the state.
    pub fn set_throttle_share(&self, share: f64) {
        self.server.lock().knobs.throttle_share = share;
    }

    /// Answers this share (0.0–1.0) of `ChangeResourceRecordSets` requests
    /// (for an existing zone) with HTTP 400 `PriorRequestNotComplete`,
    /// without applying them.
    pub fn set_prior_request_share(&self, share: f64) {
        self.server.lock().knobs.prior_request_share = share;
    }

    /// Answers this share (0.0–1.0) of all requests, of any operation, with
    /// HTTP 500 `InternalFailure`, without touching the state. Drawn before
    /// throttling, from the same seeded generator.
    pub fn set_server_error_share(&self, share: f64) {
        self.server.lock().knobs.server_error_share = share;
    }

    /// Applies the next `n` `ChangeResourceRecordSets` requests that
    /// succeed, but answers each with HTTP 503 `ServiceUnavailable`, as a
    /// gateway does when the service's answer was lost: the change is made
    /// and the client believes it failed. Counted in
    /// [`RequestCounts::lost_answers`]; the batch log shows them accepted.
    pub fn lose_next_answers(&self, n: usize) {
        self.server.lock().knobs.lost_answers = n;
    }

    /// Reseeds the generator that draws the throttling and prior-request
    /// shares (the seed is 0 until this is called), so runs repeat.
    pub fn set_seed(&self, seed: u64) {
        self.server.lock().rng = StdRng::seed_from_u64(seed);
    }

    /// Delays every response by `latency`. The state is read and changed
    /// when the request arrives and the answer waits afterwards, so
    /// concurrent clients race the way they do against the real service.
    pub fn set_latency(&self, latency: Duration) {
        self.server.lock().knobs.latency = latency;
    }

    /// Answers every request with HTTP 403 `InvalidClientTokenId` / "The
    /// security token included in the request is invalid." while on.
    pub fn set_auth_failure(&self, on: bool) {
        self.server.lock().knobs.auth_failure = on;
    }

    /// How many `GetChange` polls of a change answer PENDING before it is
    /// INSYNC. The default is 1: the first poll sees PENDING, the second
    /// INSYNC. 0 makes the first poll INSYNC. The `ChangeResourceRecordSets`
    /// answer itself always says PENDING, like Route 53. A change keeps the
    /// value in force when it was submitted.
    pub fn set_insync_after(&self, polls: u32) {
        self.server.lock().knobs.insync_after = polls;
    }

    /// Whether `InvalidChangeBatch` errors also carry the `<messages>` list
    /// that fills the SDK's `InvalidChangeBatch::messages()` (default on).
    /// The live service only sends `Message`, `[first, second]`, which the
    /// SDK exposes as `message()`; turn this off to test against that.
    pub fn set_modelled_error_messages(&self, on: bool) {
        self.server.lock().knobs.modelled_messages = on;
    }

    /// Stores `set` in a zone as it is, bypassing every check (for alias,
    /// weighted, failover, ... sets). The name and an alias target's name
    /// are put in Route 53's form (lower-case, escaped, trailing dot); a set
    /// with the same name, type and set identifier is replaced.
    ///
    /// # Panics
    ///
    /// If there is no zone `zone_id`.
    pub fn insert(&self, zone_id: &str, mut set: FakeRecordSet) {
        set.name = names::canonical_lenient(&set.name);
        if let Some(alias) = &mut set.alias {
            alias.dns_name = names::canonical_lenient(&alias.dns_name);
        }
        let mut state = self.server.lock();
        let Some(zone) = state.zones.get_mut(zone_id) else {
            drop(state);
            panic!("no hosted zone {zone_id}");
        };
        zone.sets.insert(set_key(&set), set);
    }

    /// The sets of a zone now, in Route 53's listing order.
    ///
    /// # Panics
    ///
    /// If there is no zone `zone_id`.
    pub fn record_sets(&self, zone_id: &str) -> Vec<FakeRecordSet> {
        let state = self.server.lock();
        let Some(zone) = state.zones.get(zone_id) else {
            drop(state);
            panic!("no hosted zone {zone_id}");
        };
        zone.sets.values().cloned().collect()
    }

    /// How many requests arrived, per operation, since the start or the
    /// last [`reset_counts`](Self::reset_counts).
    pub fn requests(&self) -> RequestCounts {
        self.server.lock().counts
    }

    /// Every `ChangeResourceRecordSets` request received, in the order it
    /// was handled (refused ones included), since the start or the last
    /// [`reset_counts`](Self::reset_counts).
    pub fn batches(&self) -> Vec<BatchLog> {
        self.server.lock().batches.clone()
    }

    /// Zeroes [`requests`](Self::requests) and empties
    /// [`batches`](Self::batches).
    pub fn reset_counts(&self) {
        let mut state = self.server.lock();
        state.counts = RequestCounts::default();
        state.batches.clear();
    }
}

/// The conformance suite's fault hook: [`Fault::Throttle`](dns_core::conformance::Fault::Throttle) is
/// [`set_throttle_share`](FakeRoute53::set_throttle_share),
/// [`Fault::ServerError`](dns_core::conformance::Fault::ServerError) [`set_server_error_share`](FakeRoute53::set_server_error_share),
/// [`Fault::LoseAnswers`](dns_core::conformance::Fault::LoseAnswers) [`lose_next_answers`](FakeRoute53::lose_next_answers);
/// each call first turns the others off.
///
/// ```
/// use dns_core::conformance::{Fault, FaultInjector};
/// use dns_testkit::route53::FakeRoute53;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let fake = FakeRoute53::start().await;
/// fake.set(Fault::ServerError(1.0));
/// fake.set(Fault::Off);
/// # });
/// ```
impl dns_core::conformance::FaultInjector for FakeRoute53 {
    fn set(&self, fault: dns_core::conformance::Fault) {
        use dns_core::conformance::Fault;
        let mut state = self.server.lock();
        let knobs = &mut state.knobs;
        knobs.throttle_share = 0.0;
        knobs.server_error_share = 0.0;
        knobs.lost_answers = 0;
        match fault {
            Fault::Throttle(share) => knobs.throttle_share = share,
            Fault::ServerError(share) => knobs.server_error_share = share,
            Fault::LoseAnswers(n) => knobs.lost_answers = n,
            _ => {}
        }
    }
}
