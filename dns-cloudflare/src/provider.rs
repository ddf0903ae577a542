//! [`CloudflareProvider`]: the [`DnsProvider`] over Cloudflare's v4 API.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use dns_core::{
    ApplyReport, Capabilities, Change, DnsProvider, Error, Name, RecordModel, RecordSet,
    RecordType, Result, Zone,
};
use reqwest::Method;
use serde_json::Value;
use tokio::time::Instant;

use crate::api::{Api, Failure, unexpected};
use crate::budget::RequestBudget;
use crate::builder::CloudflareBuilder;
use crate::encode;
use crate::options::{CloudflareRecord, RecordOptions};
use crate::plan::{self, Op};
use crate::wire::{Batch, Delete, Patch, RecordJson, ZoneJson};
use crate::{PROVIDER, lock};

/// Cloudflare's TTL bounds: 1 (automatic) or 30 (Enterprise; 60 on other
/// plans, which Cloudflare itself enforces) to 86,400.
pub const TTL_AUTOMATIC: u32 = 1;
const TTL_MIN: u32 = 30;
const TTL_MAX: u32 = 86_400;

/// Tuning the builder sets.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) max_batch: usize,
    pub(crate) page_size: u32,
    pub(crate) zone_page_size: u32,
    pub(crate) max_cas_attempts: u32,
    pub(crate) read_reuse: Duration,
    pub(crate) options: RecordOptions,
    pub(crate) pinned: Vec<Zone>,
    pub(crate) zone_cache_ttl: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_batch: 200,
            page_size: 5_000,
            zone_page_size: 50,
            max_cas_attempts: 10,
            read_reuse: Duration::from_secs(1),
            options: RecordOptions::default(),
            pinned: Vec::new(),
            zone_cache_ttl: Duration::from_secs(300),
        }
    }
}

/// A listing of a whole zone, kept briefly for the next apply.
struct Snapshot {
    zone_id: String,
    /// When the listing began.
    at: Instant,
    /// The provider's write generation when it began.
    generation: u64,
    records: Arc<Vec<CloudflareRecord>>,
}

#[derive(Default)]
struct ZoneCache {
    zones: Vec<Zone>,
    fetched: Option<Instant>,
}

struct Inner {
    api: Api,
    settings: Settings,
    zones: Mutex<ZoneCache>,
    snapshot: Mutex<Option<Snapshot>>,
    /// Records per zone at its last full listing.
    sizes: Mutex<HashMap<String, usize>>,
    /// Bumped before every write, so a listing that overlapped one is not reused.
    generation: AtomicU64,
}

/// The Cloudflare backend.
///
/// * **Model**: one record per value, each with an id
///   ([`RecordModel::Records`]). Listing groups records into dns-core sets
///   by (name, type); a set's TTL is the smallest of its records'.
/// * **Changes** are played over the records at the names they touch and
///   become deletes, patches and posts ([`Change`] semantics unchanged).
///   One operation goes to its own endpoint; several go to
///   `POST /zones/{id}/dns_records/batch`, which Cloudflare runs as one
///   transaction (deletes, patches, then posts), chunked at 200 operations
///   ([`CloudflareBuilder::with_max_batch_size`]); a split apply reports
///   `atomic: false`.
/// * **Add is idempotent and concurrency-safe**: a value already present is
///   named by id in the batch, an absent one is created. If another writer
///   created the same value ("identical record exists", 81057/81058) or
///   deleted a record the plan names (81044) — or our own earlier attempt
///   went through but its answer was lost — the transaction fails, the
///   records are read again and the plan rebuilt (up to
///   [`CloudflareBuilder::with_max_cas_attempts`] times, then
///   [`Error::Conflict`]). A retried create never leaves a duplicate.
/// * **Extras**: records it creates get [`RecordOptions`] (DNS only by
///   default); existing records keep their proxying, comment and tags, and
///   proxied records keep their automatic TTL.
/// * **Names**: ASCII host names (letters, digits, `-`, `_`, a leading
///   `*`, punycode `xn--` labels). Names Cloudflare cannot store (spaces,
///   dots or raw UTF-8 inside a label: RFC 6763 instance names like
///   `Büro Printer`) fail with [`Error::Unsupported`] before any request;
///   use host-name-like instance labels here, or convert IDNs with
///   [`Name::from_idna`].
/// * **SRV owners** must look like `_service._proto.domain` or a DNS-SD
///   instance `label._service._proto.domain`; Cloudflare rejects others, so
///   they fail with [`Error::Unsupported`] before any request.
/// * **TTL**: 1 means automatic; otherwise 30..=86,400 (60 below
///   Enterprise). Other values fail with [`Error::InvalidInput`].
/// * **Rate limits**: every request waits for the [`RequestBudget`];
///   429 answers are retried after `Retry-After`, which also holds back
///   every other request sharing the budget.
/// * **Preconditions** ([`Change::Require`]) are refused: Cloudflare has no
///   conditional write.
///
/// Cloning is cheap; clones share the HTTP client, caches and budget.
///
/// ```no_run
/// use dns_core::{DnsProvider, DnsProviderExt, Name, RData, RecordSet};
/// use dns_cloudflare::CloudflareProvider;
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let cloudflare = CloudflareProvider::from_env()?; // CLOUDFLARE_API_TOKEN
/// let zone = cloudflare.find_zone(&Name::parse("www.example.com")?).await?;
/// let www = RecordSet::new(Name::parse("www.example.com")?, 120, [RData::A("192.0.2.10".parse()?)])?;
/// cloudflare.add(&zone, www.clone()).await?;    // this server joins the round robin
/// cloudflare.remove(&zone, www).await?;         // and leaves it
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct CloudflareProvider {
    inner: Arc<Inner>,
}

impl CloudflareProvider {
    pub(crate) fn new(api: Api, settings: Settings) -> Self {
        Self {
            inner: Arc::new(Inner {
                api,
                settings,
                zones: Mutex::default(),
                snapshot: Mutex::default(),
                sizes: Mutex::default(),
                generation: AtomicU64::new(0),
            }),
        }
    }

    /// A builder.
    pub fn builder() -> CloudflareBuilder {
        CloudflareBuilder::new()
    }

    /// A provider with credentials from the environment
    /// ([`CloudflareBuilder::from_env`]) and default settings.
    pub fn from_env() -> Result<Self> {
        CloudflareBuilder::from_env().build()
    }

    /// HTTP requests sent so far by this provider and its clones (retries
    /// included).
    pub fn requests_sent(&self) -> u64 {
        self.inner.api.requests()
    }

    /// The request budget this provider draws from.
    pub fn budget(&self) -> &RequestBudget {
        &self.inner.api.budget
    }

    /// Every record of the zone with its id, TTL and extras.
    pub async fn list_records(&self, zone: &Zone) -> Result<Vec<CloudflareRecord>> {
        Ok(self.read_zone(&self.inner.api, zone).await?.to_vec())
    }

    /// [`apply`](DnsProvider::apply), creating new records with `options`
    /// instead of the provider's default [`RecordOptions`].
    pub async fn apply_with_options(
        &self,
        zone: &Zone,
        changes: &[Change],
        options: &RecordOptions,
    ) -> Result<ApplyReport> {
        self.check(zone, changes, options)?;
        if changes.is_empty() {
            return Ok(ApplyReport::new(0, true));
        }
        let report = self.apply_checked(zone, changes, options).await?;
        Ok(report.with_applied(0..changes.len()))
    }

    /// Applies a checked, non-empty batch; a failure after a batch request
    /// took effect is [`Error::PartiallyApplied`].
    async fn apply_checked(
        &self,
        zone: &Zone,
        changes: &[Change],
        options: &RecordOptions,
    ) -> Result<ApplyReport> {
        // Count this call's requests only (clones share the provider's counter).
        let (api, counter) = self.inner.api.counted();
        let mut progress = Progress::default();
        let outcome = self
            .cas_rounds(&api, zone, changes, options, &mut progress)
            .await;
        let requests = report(&counter, false).requests;
        match outcome {
            Ok(atomic) => Ok(report(&counter, atomic)),
            Err(e) if progress.settled.is_empty() => Err(e),
            Err(e) => {
                let applied = changes.iter().enumerate().filter_map(|(i, c)| {
                    let name = c.name();
                    (progress.settled.contains(name) || !progress.planned.contains(name))
                        .then_some(i)
                });
                Err(ApplyReport::new(requests, false)
                    .with_applied(applied)
                    .into_partial_error(changes.len(), e))
            }
        }
    }

    /// Read, plan and send until the plan goes through (returning whether
    /// it was atomic), another writer keeps changing the records, or a
    /// request fails.
    async fn cas_rounds(
        &self,
        api: &Api,
        zone: &Zone,
        changes: &[Change],
        options: &RecordOptions,
        progress: &mut Progress,
    ) -> Result<bool> {
        let settings = &self.inner.settings;
        let mut failed: Option<(Vec<Op>, Failure)> = None;
        let mut reuse = true;
        let mut atomic = true;
        let mut attempt = 0;
        while attempt < settings.max_cas_attempts {
            let (current, reused) = self.read_for(api, zone, changes, reuse).await?;
            reuse = false;
            let named = plan::plan_named(changes, &current, options)?;
            progress.planned = named.iter().map(|(n, _)| n.clone()).collect();
            let ops: Vec<Op> = named.iter().map(|(_, op)| op.clone()).collect();
            if ops.iter().all(Op::is_guard) {
                if reused {
                    // Nothing to write per a listing up to a second old
                    // (`read_reuse`): confirm with a fresh read, since a
                    // write elsewhere may have landed after that listing.
                    continue;
                }
                return Ok(atomic);
            }
            attempt += 1;
            if let Some((previous, failure)) = failed.take()
                && previous == ops
                && failure.is_exists()
            {
                // Refused again for a record the listing does not show: a
                // clash the plan cannot see, or a listing that lags. Say so
                // as a conflict (retryable) with Cloudflare's message.
                return Err(Error::Conflict {
                    message: format!(
                        "Cloudflare refuses the same change again: {}",
                        failure.error
                    ),
                });
            }
            let chunks = plan::name_chunks(&named, settings.max_batch)?;
            self.inner.generation.fetch_add(1, Ordering::SeqCst);
            let sent = self.send(api, zone, &chunks).await;
            self.forget_snapshot();
            let (done, f) = match sent {
                Ok(()) => return Ok(atomic && chunks.len() <= 1),
                Err(failure) => failure,
            };
            for chunk in &chunks[..done] {
                progress
                    .settled
                    .extend(chunk.names.iter().map(|n| (*n).clone()));
            }
            if !f.is_stale() {
                return Err(*f.error);
            }
            atomic &= done == 0;
            tracing::debug!(zone = %zone.name, attempt, "cloudflare: records changed meanwhile, planning again: {}", f.error);
            failed = Some((ops, f));
            tokio::time::sleep(dns_core::conflict_backoff(attempt)).await;
        }
        let last = failed.map(|(_, f)| f.error.to_string()).unwrap_or_default();
        Err(Error::Conflict {
            message: format!(
                "records in {} kept changing under {} attempts ({last})",
                zone.name, settings.max_cas_attempts
            ),
        })
    }

    /// Everything refused before a request: the shared capability checks,
    /// Cloudflare's TTL rule, and values it cannot encode.
    fn check(&self, zone: &Zone, changes: &[Change], options: &RecordOptions) -> Result<()> {
        self.capabilities().check(PROVIDER, zone, changes)?;
        for change in changes {
            let (Change::Upsert(set) | Change::Add(set)) = change else {
                continue;
            };
            if set.record_type() == RecordType::SRV && !srv_owner(set.name()) {
                return Err(Error::unsupported(
                    PROVIDER,
                    format!(
                        "an SRV record at {}: Cloudflare wants SRV names of the form _service._proto.domain (or instance._service._proto.domain)",
                        set.name()
                    ),
                ));
            }
            let ttl = set.ttl();
            if ttl != TTL_AUTOMATIC && !(TTL_MIN..=TTL_MAX).contains(&ttl) {
                return Err(Error::InvalidInput(format!(
                    "{change}: Cloudflare TTLs are 1 (automatic) or {TTL_MIN}..={TTL_MAX}, not {ttl}"
                )));
            }
        }
        // Encoding every value once surfaces what Cloudflare cannot store.
        plan::plan(changes, &[], options).map(drop)
    }

    /// The records an apply plans from: a fresh-enough snapshot, the names
    /// one by one in a zone too large for one page, or the whole zone.
    async fn read_for(
        &self,
        api: &Api,
        zone: &Zone,
        changes: &[Change],
        reuse: bool,
    ) -> Result<(Arc<Vec<CloudflareRecord>>, bool)> {
        if reuse && let Some(records) = self.recent_snapshot(zone) {
            return Ok((records, true));
        }
        let mut names: Vec<&Name> = Vec::new();
        for c in changes {
            if !names.contains(&c.name()) {
                names.push(c.name());
            }
        }
        let size = self.known_size(zone);
        let page = self.inner.settings.page_size as usize;
        let one_by_one = names.len() == 1 || (size.is_some_and(|s| s > page) && names.len() <= 8);
        if !one_by_one {
            return Ok((self.read_zone(api, zone).await?, false));
        }
        let mut out = Vec::new();
        for name in names {
            out.extend(self.read_name(api, zone, name, None).await?);
        }
        Ok((Arc::new(out), false))
    }

    async fn read_name(
        &self,
        api: &Api,
        zone: &Zone,
        name: &Name,
        rtype: Option<RecordType>,
    ) -> Result<Vec<CloudflareRecord>> {
        let mut query = vec![("name", encode::name_to_api(name))];
        if let Some(t) = rtype {
            query.push(("type", t.to_string()));
        }
        let items = api
            .list_all(&records_path(zone), &query, self.inner.settings.page_size)
            .await?;
        let records = parse_records(items);
        // The filter is Cloudflare's; keep only exact matches anyway.
        Ok(records
            .into_iter()
            .filter(|r| &r.name == name && rtype.is_none_or(|t| r.data.record_type() == t))
            .collect())
    }

    async fn read_zone(&self, api: &Api, zone: &Zone) -> Result<Arc<Vec<CloudflareRecord>>> {
        // A listing that overlaps a write of this provider must not be
        // reused: it may show the zone from before that write.
        let generation = self.inner.generation.load(Ordering::SeqCst);
        let began = Instant::now();
        let items = api
            .list_all(&records_path(zone), &[], self.inner.settings.page_size)
            .await?;
        let records = Arc::new(parse_records(items));
        lock(&self.inner.sizes).insert(zone.id.clone(), records.len());
        let mut snapshot = lock(&self.inner.snapshot);
        if self.inner.generation.load(Ordering::SeqCst) == generation {
            *snapshot = Some(Snapshot {
                zone_id: zone.id.clone(),
                at: began,
                generation,
                records: records.clone(),
            });
        }
        Ok(records)
    }

    fn known_size(&self, zone: &Zone) -> Option<usize> {
        lock(&self.inner.sizes).get(&zone.id).copied()
    }

    fn recent_snapshot(&self, zone: &Zone) -> Option<Arc<Vec<CloudflareRecord>>> {
        let reuse = self.inner.settings.read_reuse;
        let guard = lock(&self.inner.snapshot);
        guard
            .as_ref()
            .filter(|s| {
                s.zone_id == zone.id
                    && s.at.elapsed() <= reuse
                    && !reuse.is_zero()
                    && s.generation == self.inner.generation.load(Ordering::SeqCst)
            })
            .map(|s| s.records.clone())
    }

    fn forget_snapshot(&self) {
        *lock(&self.inner.snapshot) = None;
    }

    /// Sends a plan: one operation to its endpoint, more as batches.
    /// On failure, also how many batches of the plan had succeeded.
    async fn send(
        &self,
        api: &Api,
        zone: &Zone,
        chunks: &[plan::Chunk<'_>],
    ) -> std::result::Result<(), (usize, Failure)> {
        let base = records_path(zone);
        if let [chunk] = chunks
            && let [op] = chunk.ops.as_slice()
        {
            match op {
                Op::Delete { id } => {
                    api.call::<()>(
                        Method::DELETE,
                        &format!("{base}/{}", path_id(id)),
                        &[],
                        None,
                    )
                    .await
                }
                Op::Patch { id, body, .. } => {
                    api.call(
                        Method::PATCH,
                        &format!("{base}/{}", path_id(id)),
                        &[],
                        Some(body),
                    )
                    .await
                }
                Op::Post { body } => api.call(Method::POST, &base, &[], Some(body)).await,
            }
            .map_err(|f| (0, f))?;
            return Ok(());
        }
        for (done, chunk) in chunks.iter().enumerate() {
            let mut batch = Batch::default();
            for op in &chunk.ops {
                match op {
                    Op::Delete { id } => batch.deletes.push(Delete { id }),
                    Op::Patch { id, body, .. } => batch.patches.push(Patch { id, body }),
                    Op::Post { body } => batch.posts.push(body),
                }
            }
            api.call(Method::POST, &format!("{base}/batch"), &[], Some(&batch))
                .await
                .map_err(|f| (done, f))?;
        }
        Ok(())
    }

    async fn fetch_zones(&self) -> Result<Vec<Zone>> {
        let items = self
            .inner
            .api
            .list_all("/zones", &[], self.inner.settings.zone_page_size)
            .await?;
        let mut zones = Vec::with_capacity(items.len());
        for item in items {
            let z: ZoneJson = serde_json::from_value(item).map_err(malformed("zone"))?;
            zones.push(Zone::new(z.id, encode::name_from_api(&z.name)?));
        }
        for pinned in &self.inner.settings.pinned {
            if !zones.iter().any(|z| z.id == pinned.id) {
                zones.push(pinned.clone());
            }
        }
        let mut cache = lock(&self.inner.zones);
        cache.zones.clone_from(&zones);
        cache.fetched = Some(Instant::now());
        Ok(zones)
    }

    /// The zone list, if fetched within the cache TTL.
    fn fresh_zones(&self) -> Option<Vec<Zone>> {
        let cache = lock(&self.inner.zones);
        let fresh = cache
            .fetched
            .is_some_and(|t| t.elapsed() <= self.inner.settings.zone_cache_ttl);
        fresh.then(|| cache.zones.clone())
    }
}

/// `_service._proto.domain`, or a DNS-SD instance `label._service._proto.domain`.
fn srv_owner(name: &Name) -> bool {
    let underscored = |i: usize| {
        name.labels()
            .get(i)
            .is_some_and(|l| l.as_bytes().first() == Some(&b'_') && l.as_bytes().len() > 1)
    };
    (underscored(0) && underscored(1)) || (underscored(1) && underscored(2))
}

fn records_path(zone: &Zone) -> String {
    format!("/zones/{}/dns_records", path_id(&zone.id))
}

/// An id as one path segment: Cloudflare's ids are hex; anything else is
/// percent-encoded rather than allowed to change the path.
fn path_id(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn report(counter: &AtomicU64, atomic: bool) -> ApplyReport {
    let sent = counter.load(Ordering::Relaxed);
    ApplyReport::new(usize::try_from(sent).unwrap_or(usize::MAX), atomic)
}

/// What a split apply achieved before it failed.
#[derive(Default)]
struct Progress {
    /// Names whose batch took effect.
    settled: Vec<Name>,
    /// Names the last plan had operations at (the others needed none).
    planned: Vec<Name>,
}

fn malformed(what: &'static str) -> impl Fn(serde_json::Error) -> Error {
    move |e| unexpected(format!("unexpected {what} JSON from Cloudflare: {e}"))
}

/// Reads listed records. One that cannot be read is left out with a
/// warning rather than failing the listing: plans never touch it, so it
/// survives every change.
fn parse_records(items: Vec<Value>) -> Vec<CloudflareRecord> {
    items
        .into_iter()
        .filter_map(|item| {
            let parsed = serde_json::from_value::<RecordJson>(item)
                .map_err(malformed("record"))
                .and_then(|json| encode::record(&json));
            parsed
                .map_err(|e| tracing::warn!("cloudflare: leaving out a record: {e}"))
                .ok()
        })
        .collect()
}

/// Groups records into sets by (name, type), sorted as the contract says
/// (names in canonical order, then type).
fn group(records: &[CloudflareRecord]) -> Vec<RecordSet> {
    let mut sets: BTreeMap<(Name, RecordType), (u32, Vec<dns_core::RData>)> = BTreeMap::new();
    for r in records {
        let entry = sets
            .entry((r.name.clone(), r.data.record_type()))
            .or_insert((u32::MAX, Vec::new()));
        entry.0 = entry.0.min(r.ttl);
        entry.1.push(r.data.clone());
    }
    sets.into_iter()
        .filter_map(|((name, rtype), (ttl, values))| {
            RecordSet::with_type(name.clone(), rtype, ttl, values)
                .map_err(|e| {
                    // Cloudflare refuses two CNAMEs at a name; if it ever lists
                    // them, say so rather than fail the whole listing.
                    tracing::warn!("cloudflare: skipping {name} {rtype}: {e}");
                })
                .ok()
        })
        .collect()
}

#[async_trait]
impl DnsProvider for CloudflareProvider {
    fn provider_name(&self) -> &str {
        PROVIDER
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
            .with_model(RecordModel::Records)
            .with_atomic_batches(true)
            .with_preconditions(false)
            .with_max_records_per_request(Some(self.inner.settings.max_batch))
            .with_raw_labels(false)
            .with_ttl_range(TTL_AUTOMATIC..=TTL_MAX)
            .with_extras(["proxied", "comment", "tags"])
    }

    async fn list_zones(&self) -> Result<Vec<Zone>> {
        match self.fresh_zones() {
            Some(zones) => Ok(zones),
            None => self.fetch_zones().await,
        }
    }

    async fn find_zone(&self, name: &Name) -> Result<Zone> {
        let pinned = Zone::longest_match(&self.inner.settings.pinned, name).cloned();
        let cached = self.fresh_zones();
        let known = cached
            .as_deref()
            .and_then(|z| Zone::longest_match(z, name).cloned());
        if let Some(zone) = known.or(pinned) {
            return Ok(zone);
        }
        // Not in a fresh list (or no list yet): fetch once.
        let zones = self.fetch_zones().await?;
        Zone::longest_match(&zones, name)
            .cloned()
            .ok_or_else(|| Error::ZoneNotFound {
                zone: name.to_string(),
            })
    }

    async fn list_record_sets(&self, zone: &Zone) -> Result<Vec<RecordSet>> {
        Ok(group(&self.read_zone(&self.inner.api, zone).await?))
    }

    async fn get_record_set(
        &self,
        zone: &Zone,
        name: &Name,
        rtype: RecordType,
    ) -> Result<Option<RecordSet>> {
        // A zone that fits in one page is read whole for the same one
        // request, and the next apply may plan from it.
        let small = self
            .known_size(zone)
            .is_none_or(|s| s <= self.inner.settings.page_size as usize);
        let records: Vec<CloudflareRecord> = if small {
            self.read_zone(&self.inner.api, zone)
                .await?
                .iter()
                .filter(|r| &r.name == name && r.data.record_type() == rtype)
                .cloned()
                .collect()
        } else {
            self.read_name(&self.inner.api, zone, name, Some(rtype))
                .await?
        };
        Ok(group(&records).pop())
    }

    async fn apply_validated(&self, zone: &Zone, changes: &[Change]) -> Result<ApplyReport> {
        let options = self.inner.settings.options.clone();
        self.apply_checked(zone, changes, &options).await
    }

    fn validate(&self, zone: &Zone, changes: &[Change]) -> Result<()> {
        self.check(zone, changes, &self.inner.settings.options)
    }
}

impl fmt::Debug for CloudflareProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudflareProvider")
            .field("base_url", &self.inner.api.base)
            .field("credentials", &self.inner.api.credentials)
            .field("budget", &self.inner.api.budget)
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Name {
        Name::parse(s).expect("name")
    }

    #[test]
    fn srv_owners_are_service_names_or_instances() {
        for ok in ["_http._tcp.example.com", "web._http._tcp.example.com"] {
            assert!(srv_owner(&name(ok)), "{ok}");
        }
        for bad in [
            "www.example.com",
            "_http.example.com",
            "web._http.example.com",
            "_._tcp.example.com",
            "a.b._http._tcp.example.com",
        ] {
            assert!(!srv_owner(&name(bad)), "{bad}");
        }
    }

    #[test]
    fn ids_stay_one_path_segment() {
        assert_eq!(
            path_id("023e105f4ecef8ad9ca31a8372d0c353"),
            "023e105f4ecef8ad9ca31a8372d0c353"
        );
        assert_eq!(path_id("a-b_C9"), "a-b_C9");
        assert_eq!(path_id("../x?y"), "%2E%2E%2Fx%3Fy");
    }
}
