//! The provider contract: [`DnsProvider`], [`Zone`], [`Capabilities`],
//! [`ApplyReport`] and the conveniences in [`DnsProviderExt`].

use std::fmt;
use std::future::Future;
use std::ops::RangeInclusive;
use std::sync::Arc;

use async_trait::async_trait;

use crate::change::Change;
use crate::error::{Error, Result};
use crate::name::Name;
use crate::rdata::RecordType;
use crate::retry::RetryPolicy;
use crate::set::{MAX_TTL, RecordSet};

/// A hosted zone at a provider.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Zone {
    /// The provider's id for the zone (Route 53 `Z…`, Cloudflare's hex id,
    /// the zone name for the in-memory provider).
    pub id: String,
    /// The zone apex.
    pub name: Name,
    /// Whether the zone is private (answered only inside some network).
    pub private: bool,
}

impl Zone {
    /// A public zone with this id and apex.
    pub fn new(id: impl Into<String>, name: Name) -> Self {
        Self {
            id: id.into(),
            name,
            private: false,
        }
    }

    /// The same zone marked private or public.
    pub fn with_private(mut self, private: bool) -> Self {
        self.private = private;
        self
    }

    /// The zone of `zones` that holds `name`: the one whose apex is the
    /// longest suffix of `name`, label by label; the public one when a
    /// public and a private zone share the apex. The rule
    /// [`DnsProvider::find_zone`] follows, for backends that look zones up
    /// in their own caches.
    ///
    /// ```
    /// use dns_core::{Name, Zone};
    /// let zones = [
    ///     Zone::new("z1", Name::parse("example.com").unwrap()),
    ///     Zone::new("z2", Name::parse("sub.example.com").unwrap()),
    /// ];
    /// let found = Zone::longest_match(&zones, &Name::parse("a.sub.example.com").unwrap());
    /// assert_eq!(found.map(|z| z.id.as_str()), Some("z2"));
    /// assert!(Zone::longest_match(&zones, &Name::parse("example.org").unwrap()).is_none());
    /// ```
    pub fn longest_match<'a>(
        zones: impl IntoIterator<Item = &'a Self>,
        name: &Name,
    ) -> Option<&'a Self> {
        zones
            .into_iter()
            .filter(|z| name.is_subdomain_of(&z.name))
            .max_by_key(|z| (z.name.labels().len(), !z.private))
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.id)
    }
}

/// How a provider stores data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecordModel {
    /// Record sets with value lists (Route 53, the in-memory provider).
    RecordSets,
    /// One record per value, each with its own id (Cloudflare).
    Records,
}

/// What a provider can do, as data: callers and the conformance suite read
/// this instead of guessing from the provider's name.
///
/// ```
/// use dns_core::{Capabilities, RecordType};
/// let caps = Capabilities::default().with_max_records_per_request(Some(200)).with_raw_labels(false);
/// assert!(caps.atomic_batches);
/// assert_eq!(caps.max_records_per_request, Some(200));
/// assert!(caps.supports(RecordType::SRV));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// Whether one `apply` that fits in one request is all-or-nothing.
    pub atomic_batches: bool,
    /// Whether [`Change::Require`] is checked atomically with the rest of
    /// the batch. Without it the provider refuses `Require` as unsupported.
    pub preconditions: bool,
    /// How the provider stores data.
    pub model: RecordModel,
    /// The most record values one request may carry; larger batches are
    /// split (and are then not atomic). `None`: no limit.
    pub max_records_per_request: Option<usize>,
    /// The record types that can be written.
    pub record_types: Vec<RecordType>,
    /// Whether labels may hold any octets (spaces, dots, UTF-8): RFC 6763
    /// instance names. Without it only letters, digits, `-`, `_` and a
    /// leftmost `*` are accepted, and other names fail with
    /// [`Error::Unsupported`] before any request.
    pub raw_labels: bool,
    /// The TTLs the provider accepts.
    pub ttl_range: RangeInclusive<u32>,
    /// Provider-specific per-record extras it exposes (e.g. `proxied`,
    /// `comment`, `tags`, `alias`, `routing-policy`).
    pub extras: Vec<String>,
}

impl Default for Capabilities {
    /// Everything the model can express: atomic batches, preconditions,
    /// every modelled type, raw labels, no request limit.
    fn default() -> Self {
        Self {
            atomic_batches: true,
            preconditions: true,
            model: RecordModel::RecordSets,
            max_records_per_request: None,
            record_types: RecordType::MODELLED.to_vec(),
            raw_labels: true,
            ttl_range: 0..=MAX_TTL,
            extras: Vec::new(),
        }
    }
}

impl Capabilities {
    /// Sets [`Capabilities::atomic_batches`].
    pub fn with_atomic_batches(mut self, atomic: bool) -> Self {
        self.atomic_batches = atomic;
        self
    }

    /// Sets [`Capabilities::preconditions`].
    pub fn with_preconditions(mut self, preconditions: bool) -> Self {
        self.preconditions = preconditions;
        self
    }

    /// Sets [`Capabilities::model`].
    pub fn with_model(mut self, model: RecordModel) -> Self {
        self.model = model;
        self
    }

    /// Sets [`Capabilities::max_records_per_request`].
    pub fn with_max_records_per_request(mut self, max: Option<usize>) -> Self {
        self.max_records_per_request = max.map(|m| m.max(1));
        self
    }

    /// Sets [`Capabilities::record_types`].
    pub fn with_record_types(mut self, types: impl IntoIterator<Item = RecordType>) -> Self {
        self.record_types = types.into_iter().collect();
        self
    }

    /// Sets [`Capabilities::raw_labels`].
    pub fn with_raw_labels(mut self, raw: bool) -> Self {
        self.raw_labels = raw;
        self
    }

    /// Sets [`Capabilities::ttl_range`].
    pub fn with_ttl_range(mut self, range: RangeInclusive<u32>) -> Self {
        self.ttl_range = range;
        self
    }

    /// Sets [`Capabilities::extras`].
    pub fn with_extras(mut self, extras: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.extras = extras.into_iter().map(Into::into).collect();
        self
    }

    /// Whether records of `rtype` can be written.
    pub fn supports(&self, rtype: RecordType) -> bool {
        self.record_types.contains(&rtype)
    }

    /// Whether the provider can store `name` (always, with raw labels).
    pub fn can_store_name(&self, name: &Name) -> bool {
        self.raw_labels
            || name
                .labels()
                .iter()
                .enumerate()
                .all(|(i, l)| l.is_hostname_like() || (i == 0 && l.is_wildcard()))
    }

    /// Checks a batch against these capabilities and the zone, as every
    /// provider must before sending anything: names inside the zone, types
    /// supported, names storable, no IP address as a target name (an SRV,
    /// MX, CNAME, NS or PTR value of `192.0.2.1.`), TTLs in range, preconditions supported,
    /// the apex SOA and NS sets left alone (no `Delete`, `Remove` or
    /// `Upsert` of them: a zone without them stops resolving), no single
    /// change larger than one request, and a batch with
    /// [`Change::Require`] small enough for one request (so the
    /// precondition guards all of it).
    ///
    /// ```
    /// use dns_core::{Capabilities, Change, Error, Name, RData, RecordSet, Zone};
    /// let zone = Zone::new("z1", Name::parse("example.com").unwrap());
    /// let set = |n: &str| RecordSet::new(Name::parse(n).unwrap(), 60,
    ///     [RData::A("192.0.2.1".parse().unwrap())]).unwrap();
    /// let caps = Capabilities::default().with_raw_labels(false);
    /// assert!(caps.check("memory", &zone, &[Change::Add(set("www.example.com"))]).is_ok());
    /// assert!(matches!(caps.check("memory", &zone, &[Change::Add(set("www.example.org"))]),
    ///     Err(Error::InvalidInput(_))));
    /// assert!(matches!(caps.check("memory", &zone, &[Change::Add(set(r"a\032b.example.com"))]),
    ///     Err(Error::Unsupported { .. })));
    /// let apex_ns = Change::Delete { name: zone.name.clone(), rtype: dns_core::RecordType::NS };
    /// assert!(matches!(caps.check("memory", &zone, &[apex_ns]), Err(Error::InvalidInput(_))));
    /// ```
    pub fn check(&self, provider: &str, zone: &Zone, changes: &[Change]) -> Result<()> {
        for change in changes {
            let name = change.name();
            if !name.is_subdomain_of(&zone.name) {
                return Err(Error::InvalidInput(format!(
                    "{change}: {name} is not inside zone {}",
                    zone.name
                )));
            }
            let rtype = change.record_type();
            let writes = !matches!(change, Change::Delete { .. } | Change::Require(_));
            if writes && !self.supports(rtype) {
                return Err(Error::unsupported(
                    provider,
                    format!("writing {rtype} records"),
                ));
            }
            if matches!(change, Change::Require(_)) && !self.preconditions {
                return Err(Error::unsupported(
                    provider,
                    "atomic preconditions (Change::Require)",
                ));
            }
            let targets = change.values().iter().filter_map(|v| v.target_name());
            if let Some(bad) = std::iter::once(name)
                .chain(targets)
                .find(|n| !self.can_store_name(n))
            {
                return Err(Error::unsupported(
                    provider,
                    format!("the name {bad:#} (labels other than letters, digits, '-' and '_')"),
                ));
            }
            if let Some(bad) = change
                .values()
                .iter()
                .filter_map(|v| v.target_name())
                .find(|n| is_address_like(n))
            {
                return Err(Error::InvalidInput(format!(
                    "{change}: the target {bad:#} is an IP address written as a name; \
                     a target must be a host name with its own A/AAAA records"
                )));
            }
            let apex_guard = matches!(rtype, RecordType::SOA | RecordType::NS)
                && name == &zone.name
                && matches!(
                    change,
                    Change::Delete { .. } | Change::Remove(_) | Change::Upsert(_)
                );
            if apex_guard {
                return Err(Error::InvalidInput(format!(
                    "{change}: the apex {rtype} set of {} is the provider's; changing or deleting it would break the zone",
                    zone.name
                )));
            }
            if let Some(max) = self.max_records_per_request
                && change.record_count() > max
            {
                return Err(Error::InvalidInput(format!(
                    "{change}: {} values exceed the provider's {max} records per request",
                    change.record_count()
                )));
            }
            if let Change::Upsert(set) | Change::Add(set) = change
                && !self.ttl_range.contains(&set.ttl())
            {
                return Err(Error::InvalidInput(format!(
                    "{change}: TTL {} is outside {}..={}",
                    set.ttl(),
                    self.ttl_range.start(),
                    self.ttl_range.end()
                )));
            }
        }
        let total: usize = changes.iter().map(Change::record_count).sum();
        if let Some(max) = self.max_records_per_request
            && total > max
            && changes.iter().any(|c| matches!(c, Change::Require(_)))
        {
            return Err(Error::InvalidInput(format!(
                "a batch with preconditions must fit in one request to stay atomic: \
                 {total} records exceed the provider's {max} per request"
            )));
        }
        Ok(())
    }
}

/// Whether `name` ends in an all-digit label, as `192.0.2.1.` does: no
/// top-level domain is all digits (RFC 3696 section 2), so such a target is
/// an address someone wrote where a host name belongs.
fn is_address_like(name: &Name) -> bool {
    name.labels()
        .last()
        .is_some_and(|l| l.as_bytes().iter().all(u8::is_ascii_digit))
}

/// What an [`apply`](DnsProvider::apply) did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApplyReport {
    /// Requests sent to the provider (0 for an empty batch).
    pub requests: usize,
    /// Whether the batch took effect all-or-nothing.
    pub atomic: bool,
    /// Provider change ids (Route 53 `GetChange` ids), when it gives them.
    pub change_ids: Vec<String>,
    /// The indices (into the batch given to `apply`) of the changes that
    /// took effect, ascending: every index after a successful apply; in
    /// the report of an [`Error::PartiallyApplied`], exactly those carried
    /// by the requests that succeeded (and those that needed no write).
    pub applied: Vec<usize>,
}

impl ApplyReport {
    /// A report of `requests` requests, atomic or not, that applied
    /// nothing yet (see [`ApplyReport::with_applied`]).
    pub fn new(requests: usize, atomic: bool) -> Self {
        Self {
            requests,
            atomic,
            change_ids: Vec::new(),
            applied: Vec::new(),
        }
    }

    /// The same report saying that the changes at `indices` took effect
    /// (sorted, duplicates dropped).
    ///
    /// ```
    /// use dns_core::ApplyReport;
    /// let report = ApplyReport::new(2, false).with_applied([3, 0, 1, 3]);
    /// assert_eq!(report.applied, [0, 1, 3]);
    /// ```
    pub fn with_applied(mut self, indices: impl IntoIterator<Item = usize>) -> Self {
        self.applied = indices.into_iter().collect();
        self.applied.sort_unstable();
        self.applied.dedup();
        self
    }

    /// Turns `error`, which stopped an apply of `total` changes after this
    /// report's changes took effect, into [`Error::PartiallyApplied`];
    /// `error` unchanged when nothing had taken effect.
    ///
    /// ```
    /// use dns_core::{ApplyReport, Error};
    /// let failed = Error::Conflict { message: "x".into() };
    /// let partial = ApplyReport::new(2, false).with_applied(0..1000).into_partial_error(1501, failed);
    /// assert_eq!(partial.applied().map(<[usize]>::len), Some(1000));
    /// assert!(partial.to_string().starts_with("1000 of 1501 changes were applied"));
    /// ```
    pub fn into_partial_error(self, total: usize, error: Error) -> Error {
        if self.applied.is_empty() {
            return error;
        }
        Error::PartiallyApplied {
            report: Box::new(self),
            total,
            source: Box::new(error),
        }
    }
}

/// A DNS provider: hosted zones and their record sets.
///
/// The contract every implementation keeps (the conformance suite checks it):
///
/// * **Names** are absolute [`Name`]s, compared without regard to ASCII case.
///   Backends convert to and from their provider's form (octal escapes,
///   punycode) losslessly, or refuse a name they cannot store with
///   [`Error::Unsupported`] before sending anything
///   ([`Capabilities::raw_labels`]).
/// * **Listing** returns every record set of the zone, through all pages,
///   including types this crate does not model ([`RData::Opaque`](crate::RData::Opaque)),
///   which are never altered by changes to other sets.
/// * **Changes** follow [`Change`]: `Upsert`, `Delete`, `Add`, `Remove`,
///   `Require`. `Add` and `Remove` never lose a value written concurrently
///   by another process or another provider instance, and are idempotent, so
///   a retry never duplicates a record.
/// * **Atomicity**: when [`Capabilities::atomic_batches`] is set, a batch
///   that fits in one request ([`Capabilities::max_records_per_request`])
///   takes effect entirely or not at all; larger batches are split into the
///   fewest requests the limits allow and [`ApplyReport::atomic`] says
///   whether they were. Invalid input fails before any request
///   ([`Capabilities::check`]).
/// * **Concurrency**: implementations are `Send + Sync` and safe to share
///   (`Arc<dyn DnsProvider>`) and to clone across tasks.
/// * **Validation**: [`apply`](Self::apply) is provided and runs
///   [`validate`](Self::validate) before it calls
///   [`apply_validated`](Self::apply_validated), which backends implement;
///   so whatever a backend refuses without looking at the zone (bad names,
///   TTLs, values, the apex SOA and NS, a `Require` that cannot fit one
///   request, unsupported types) it refuses in `validate`, before any
///   request, and `validate` and `apply` cannot disagree.
/// * **Partial failure**: when a batch larger than one request fails
///   after some requests took effect, the error is
///   [`Error::PartiallyApplied`], whose [`ApplyReport::applied`] lists
///   exactly the changes that took effect.
/// * **Errors** are [`Error`]; [`Error::is_retryable`] says whether trying
///   again may help, [`Error::attempts`] how often it was tried already.
///   No credential appears in `Debug`, logs or errors, even when a server
///   or proxy echoes one back.
/// * **Retries**: a backend retries retryable failures (throttling, 5xx,
///   transport errors) under its [`RetryPolicy`] (set with its builder's
///   `with_retry`); callers must not add another layer, which would only
///   multiply the requests a failing provider costs. An error that comes
///   back after retries is [`Error::Retried`].
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use dns_core::{Change, DnsProvider, DnsProviderExt, InMemoryProvider, Name, RData, RecordSet, RecordType};
///
/// # tokio_test_block_on(async {
/// let memory = InMemoryProvider::new();
/// memory.create_zone(Name::parse("example.com")?)?;
/// let provider: Arc<dyn DnsProvider> = Arc::new(memory);
///
/// let zone = provider.find_zone(&Name::parse("www.example.com")?).await?;
/// let www = Name::parse("www.example.com")?;
/// let ip = |s: &str| RData::A(s.parse().unwrap());
///
/// // Two writers add their own address; neither loses the other's.
/// provider.add(&zone, RecordSet::new(www.clone(), 60, [ip("192.0.2.1")])?).await?;
/// provider.add(&zone, RecordSet::new(www.clone(), 60, [ip("192.0.2.2")])?).await?;
/// // Removing one keeps the other; removing it again changes nothing.
/// let one = RecordSet::new(www.clone(), 60, [ip("192.0.2.1")])?;
/// provider.remove(&zone, one.clone()).await?;
/// provider.remove(&zone, one).await?;
///
/// let set = provider.get_record_set(&zone, &www, RecordType::A).await?.unwrap();
/// assert_eq!(set.values(), [ip("192.0.2.2")]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
/// # }
/// ```
#[async_trait]
pub trait DnsProvider: Send + Sync + fmt::Debug + 'static {
    /// A short name for messages: `memory`, `route53`, `cloudflare`.
    fn provider_name(&self) -> &str;

    /// What this provider can do.
    fn capabilities(&self) -> Capabilities;

    /// Every hosted zone, through all pages.
    async fn list_zones(&self) -> Result<Vec<Zone>>;

    /// The zone that holds `name`: the one whose apex is the longest suffix
    /// of `name` (an exact label-wise match, not a string prefix search).
    /// [`Error::ZoneNotFound`] when none does. When a public and a private
    /// zone share the apex the public one is returned.
    async fn find_zone(&self, name: &Name) -> Result<Zone> {
        let zones = self.list_zones().await?;
        Zone::longest_match(&zones, name)
            .cloned()
            .ok_or_else(|| Error::ZoneNotFound {
                zone: name.to_string(),
            })
    }

    /// Every record set of `zone`, through all pages, sorted by name in
    /// canonical order and then by type.
    async fn list_record_sets(&self, zone: &Zone) -> Result<Vec<RecordSet>>;

    /// The set at (`name`, `rtype`), or `None`. Backends override this with
    /// a cheaper query than listing the zone.
    async fn get_record_set(
        &self,
        zone: &Zone,
        name: &Name,
        rtype: RecordType,
    ) -> Result<Option<RecordSet>> {
        let sets = self.list_record_sets(zone).await?;
        Ok(sets
            .into_iter()
            .find(|s| s.name() == name && s.record_type() == rtype))
    }

    /// Applies `changes` in order, with the semantics of [`Change`] and the
    /// atomicity the capabilities declare. An empty batch does nothing.
    ///
    /// Runs [`validate`](Self::validate), then
    /// [`apply_validated`](Self::apply_validated) for a non-empty batch.
    /// Implementations must not override it: it is what keeps `validate`
    /// and `apply` in agreement. On success [`ApplyReport::applied`] lists
    /// every change.
    ///
    /// ```
    /// use dns_core::{Change, DnsProvider, Error, InMemoryProvider, Name, RData, RecordSet};
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let memory = InMemoryProvider::new();
    /// let zone = memory.create_zone(Name::parse("example.com")?)?;
    /// let outside = RecordSet::new(Name::parse("www.example.org")?, 60, [RData::A("192.0.2.1".parse()?)])?;
    /// let bad = [Change::Add(outside)];
    /// // validate and apply refuse the same batch, and apply sends nothing.
    /// assert!(matches!(memory.validate(&zone, &bad), Err(Error::InvalidInput(_))));
    /// let before = memory.requests();
    /// assert!(matches!(memory.apply(&zone, &bad).await, Err(Error::InvalidInput(_))));
    /// assert_eq!(memory.requests(), before);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    async fn apply(&self, zone: &Zone, changes: &[Change]) -> Result<ApplyReport> {
        self.validate(zone, changes)?;
        if changes.is_empty() {
            return Ok(ApplyReport::new(0, true));
        }
        let mut report = self.apply_validated(zone, changes).await?;
        report.applied = (0..changes.len()).collect();
        Ok(report)
    }

    /// Applies a non-empty batch that [`validate`](Self::validate) accepted:
    /// what a backend implements instead of [`apply`](Self::apply). Every
    /// refusal that does not depend on the zone's contents belongs in
    /// `validate`, not here. When a split batch fails after some of its
    /// requests took effect, return [`Error::PartiallyApplied`] (see
    /// [`ApplyReport::into_partial_error`]).
    async fn apply_validated(&self, zone: &Zone, changes: &[Change]) -> Result<ApplyReport>;

    /// Checks `changes` as [`apply`](Self::apply) does before it sends
    /// anything, without sending anything: names in `zone`, types, TTLs and
    /// values this provider can store. Callers use it to refuse bad input
    /// before even looking the zone up (a `Zone` with an empty id will do).
    /// The default runs [`Capabilities::check`]; backends with further
    /// rules (Cloudflare's TTL floor, its SRV owner shape, Route 53's value
    /// lengths) add them.
    fn validate(&self, zone: &Zone, changes: &[Change]) -> Result<()> {
        self.capabilities()
            .check(self.provider_name(), zone, changes)
    }
}

macro_rules! forward_provider {
    ($ty:ty) => {
        // Every method forwarded, so a method added to the trait later
        // cannot silently fall back to its default here.
        #[deny(clippy::missing_trait_methods)]
        #[async_trait]
        impl<T: DnsProvider + ?Sized> DnsProvider for $ty {
            fn provider_name(&self) -> &str {
                (**self).provider_name()
            }
            fn capabilities(&self) -> Capabilities {
                (**self).capabilities()
            }
            async fn list_zones(&self) -> Result<Vec<Zone>> {
                (**self).list_zones().await
            }
            async fn find_zone(&self, name: &Name) -> Result<Zone> {
                (**self).find_zone(name).await
            }
            async fn list_record_sets(&self, zone: &Zone) -> Result<Vec<RecordSet>> {
                (**self).list_record_sets(zone).await
            }
            async fn get_record_set(
                &self,
                zone: &Zone,
                name: &Name,
                rtype: RecordType,
            ) -> Result<Option<RecordSet>> {
                (**self).get_record_set(zone, name, rtype).await
            }
            async fn apply(&self, zone: &Zone, changes: &[Change]) -> Result<ApplyReport> {
                (**self).apply(zone, changes).await
            }
            async fn apply_validated(
                &self,
                zone: &Zone,
                changes: &[Change],
            ) -> Result<ApplyReport> {
                (**self).apply_validated(zone, changes).await
            }
            fn validate(&self, zone: &Zone, changes: &[Change]) -> Result<()> {
                (**self).validate(zone, changes)
            }
        }
    };
}

forward_provider!(Arc<T>);
forward_provider!(Box<T>);

/// Conveniences over any [`DnsProvider`], including `dyn DnsProvider`.
pub trait DnsProviderExt: DnsProvider {
    /// The zone holding the name given in presentation form.
    fn zone_for(&self, name: &str) -> impl Future<Output = Result<Zone>> + Send {
        async move {
            let name = Name::parse(name)?;
            self.find_zone(&name).await
        }
    }

    /// Applies one [`Change::Upsert`].
    fn upsert(
        &self,
        zone: &Zone,
        set: RecordSet,
    ) -> impl Future<Output = Result<ApplyReport>> + Send {
        async move { self.apply(zone, &[Change::Upsert(set)]).await }
    }

    /// Applies one [`Change::Delete`].
    fn delete(
        &self,
        zone: &Zone,
        name: Name,
        rtype: RecordType,
    ) -> impl Future<Output = Result<ApplyReport>> + Send {
        async move { self.apply(zone, &[Change::Delete { name, rtype }]).await }
    }

    /// Applies one [`Change::Add`].
    fn add(&self, zone: &Zone, set: RecordSet) -> impl Future<Output = Result<ApplyReport>> + Send {
        async move { self.apply(zone, &[Change::Add(set)]).await }
    }

    /// Applies one [`Change::Remove`].
    fn remove(
        &self,
        zone: &Zone,
        set: RecordSet,
    ) -> impl Future<Output = Result<ApplyReport>> + Send {
        async move { self.apply(zone, &[Change::Remove(set)]).await }
    }

    /// Applies `changes`, retrying retryable failures under `policy`. Safe
    /// for batches of `Add`, `Remove`, `Upsert`, `Delete`: they are idempotent.
    ///
    /// Deprecated: every backend already retries under its own
    /// [`RetryPolicy`], so this multiplies the attempts (8 × 8 requests for
    /// a persistent 5xx with the defaults). Call [`DnsProvider::apply`]
    /// and configure retries on the backend's builder.
    #[deprecated(
        since = "0.1.0",
        note = "backends retry under their own RetryPolicy (builder `with_retry`); call `apply`"
    )]
    fn apply_with_retry(
        &self,
        zone: &Zone,
        changes: &[Change],
        policy: &RetryPolicy,
    ) -> impl Future<Output = Result<ApplyReport>> + Send {
        async move { policy.run(|| self.apply(zone, changes)).await }
    }
}

impl<T: DnsProvider + ?Sized> DnsProviderExt for T {}
