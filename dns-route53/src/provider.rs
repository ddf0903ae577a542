//! [`Route53Provider`]: the [`DnsProvider`] over Amazon Route 53.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_route53::Client;
use aws_sdk_route53::types::{
    Change as SdkChange, ChangeAction, ChangeBatch, ChangeStatus, ResourceRecord,
    ResourceRecordSet, RrType,
};
use dns_core::{
    ApplyReport, Capabilities, Change, DnsProvider, Error, MAX_TTL, Name, RecordSet, RecordType,
    Result, Zone,
};
use futures::StreamExt;

use crate::builder::Route53Builder;
use crate::encode;
use crate::error::{Attempts, BatchRejection, Failure, PROVIDER, classify, convert_after};
use crate::native::NativeRecordSet;
use crate::plan::{self, Action, Current, Group, Key, Limits};

/// A hosted zone id without the `/hostedzone/` prefix Route 53 lists it with.
pub(crate) fn bare_id(id: &str) -> &str {
    id.trim_start_matches('/')
        .strip_prefix("hostedzone/")
        .unwrap_or(id)
}

/// The Route 53 backend.
///
/// * **Model**: record sets, as in dns-core. Owner names are stored in
///   lower case with octal escapes (any octet, so RFC 6763 instance names
///   with spaces, dots and UTF-8 work); names inside record data keep their
///   case.
/// * **Add / Remove** are a compare-and-swap: the sets are read, then one
///   change batch DELETEs the exact values read and CREATEs the new ones
///   (or CREATEs a set that was absent). If another writer changed a set in
///   between, Route 53 rejects the whole batch ("not found", "do not
///   match", "already exists"); the sets are read again and the batch
///   rebuilt, up to [`Route53Builder::with_max_cas_attempts`] times, then
///   [`Error::Conflict`]. So concurrent writers never lose each other's
///   values, and a retried batch never duplicates one.
/// * **Upsert** becomes CREATE when the set is absent and UPSERT otherwise;
///   **Delete** becomes a DELETE of the exact values read (nothing when
///   absent).
/// * **Batches**: one `apply` is one all-or-nothing change batch when it
///   fits Route 53's limits (1,000 records and 32,000 value characters per
///   request, UPSERT counting twice). Larger ones are split into the fewest
///   requests, in order, each all-or-nothing but not together
///   ([`ApplyReport::atomic`] is then false). The DELETE and CREATE of one
///   set always travel together.
/// * **Alias and routing-policy sets** (weighted, failover, latency, geo,
///   multivalue) are listed by [`Route53Provider::list_native_record_sets`]
///   and left out of [`DnsProvider::list_record_sets`]. Portable changes
///   never modify or delete them: writing a set whose (name, type) holds one
///   fails with [`Error::Unsupported`], and deleting there deletes nothing.
/// * **Reads**: the sets a batch touches are read in as few listing pages
///   as their place in the zone allows (usually one).
/// * **Errors**: throttling, `PriorRequestNotComplete`, timeouts and 5xx
///   are retried by the SDK under the builder's
///   [`RetryPolicy`](dns_core::RetryPolicy)
///   ([`Route53Builder::with_retry`]): this is the one retry layer, and an
///   error it gives up on is [`Error::Retried`] with the attempts made;
///   `NoSuchHostedZone` is [`Error::ZoneNotFound`]; credential errors are
///   [`Error::Auth`]; InvalidChangeBatch messages are kept, one per failing
///   change, with the request id. A secret key or session token given to
///   the builder never appears in an error or log line.
/// * **Split batches** that fail part-way return
///   [`Error::PartiallyApplied`]: every (name, type) travels in exactly one
///   request, so its report lists exactly the changes that took effect.
/// * **Preconditions** ([`Change::Require`]) are refused as unsupported:
///   Route 53 cannot check a set it does not change inside a batch.
///
/// Cloning is cheap and clones share the client.
///
/// ```no_run
/// use dns_core::{DnsProvider, DnsProviderExt, Name, RData, RecordSet};
/// use dns_route53::Route53Provider;
/// # async fn demo() -> dns_core::Result<()> {
/// let route53 = Route53Provider::from_env().await?;
/// let zone = route53.zone_for("api.example.com").await?;
/// let www = Name::parse("www.example.com")?;
/// let mine = RecordSet::new(www, 60, [RData::A("192.0.2.10".parse().unwrap())])?;
/// let report = route53.add(&zone, mine).await?; // others' addresses are kept
/// for id in &report.change_ids {
///     route53.wait_until_in_sync(id, std::time::Duration::from_secs(120)).await?;
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Route53Provider {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    endpoint: Option<String>,
    region: String,
    max_cas_attempts: u32,
    page_size: i32,
    limits: Limits,
    requests: AtomicU64,
    /// Credentials given explicitly, kept out of every error and log line.
    secrets: Vec<String>,
}

impl fmt::Debug for Route53Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route53Provider")
            .field("endpoint", &self.inner.endpoint)
            .field("region", &self.inner.region)
            .field("max_cas_attempts", &self.inner.max_cas_attempts)
            .field("page_size", &self.inner.page_size)
            .finish_non_exhaustive()
    }
}

/// Why one change batch was not applied.
enum Rejected {
    /// Stale read: re-read and retry.
    Conflict(Vec<String>),
    /// Anything else.
    Failed(Error),
}

impl Route53Provider {
    /// A provider configured from the standard AWS chain; see
    /// [`Route53Builder::from_env`].
    pub async fn from_env() -> Result<Self> {
        Route53Builder::from_env().build().await
    }

    /// A builder with no credentials; see [`Route53Builder::new`].
    pub fn builder() -> Route53Builder {
        Route53Builder::new()
    }

    /// A provider over an SDK client you configured yourself.
    pub fn from_client(client: Client) -> Self {
        Self::from_parts(client, None, String::new(), &Route53Builder::new())
    }

    pub(crate) fn from_parts(
        client: Client,
        endpoint: Option<String>,
        region: String,
        settings: &Route53Builder,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                client,
                endpoint,
                region,
                max_cas_attempts: settings.max_cas_attempts,
                page_size: settings.page_size,
                limits: settings.limits,
                requests: AtomicU64::new(0),
                secrets: settings.secrets(),
            }),
        }
    }

    /// The SDK client, for operations this crate does not wrap.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// API calls this provider (and its clones) made, SDK retries not
    /// counted: for measuring what an operation costs.
    pub fn requests_sent(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    pub(crate) fn count_request(&self) {
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// `text` without any configured secret (for log lines).
    fn scrub(&self, text: String) -> String {
        match Error::InvalidInput(text).redact(&self.inner.secrets) {
            Error::InvalidInput(clean) => clean,
            other => other.to_string(),
        }
    }

    /// `error` without any configured secret in its messages.
    fn clean(&self, error: Error) -> Error {
        error.redact(&self.inner.secrets)
    }

    pub(crate) fn page_size(&self) -> i32 {
        self.inner.page_size
    }

    /// The zone with this id (`Z…` or `/hostedzone/Z…`).
    pub async fn zone_by_id(&self, id: &str) -> Result<Zone> {
        self.count_request();
        let attempts = Attempts::default();
        let out = self
            .client()
            .get_hosted_zone()
            .id(bare_id(id))
            .customize()
            .interceptor(attempts.clone())
            .send()
            .await
            .map_err(|e| self.clean(convert_after(e, Some(id), &attempts)))?;
        let zone = out
            .hosted_zone()
            .ok_or_else(|| Error::ZoneNotFound { zone: id.into() })?;
        zone_of(zone)
    }

    /// Every record set of the zone as Route 53 holds it, alias and
    /// routing-policy sets included, in Route 53's order.
    pub async fn list_native_record_sets(&self, zone: &Zone) -> Result<Vec<NativeRecordSet>> {
        self.list_all(&zone.id).await.map_err(|e| self.clean(e))
    }

    /// Waits until Route 53 reports the change (an id from
    /// [`ApplyReport::change_ids`]) as `INSYNC` on all its name servers,
    /// polling `GetChange` with backoff from 1 s to 10 s. Fails when
    /// `timeout` passes first.
    pub async fn wait_until_in_sync(&self, change_id: &str, timeout: Duration) -> Result<()> {
        self.wait_with_backoff(change_id, timeout, Duration::from_secs(1))
            .await
    }

    /// [`wait_until_in_sync`](Self::wait_until_in_sync) with a chosen
    /// first poll interval (it doubles up to 10 s).
    pub async fn wait_with_backoff(
        &self,
        change_id: &str,
        timeout: Duration,
        first_interval: Duration,
    ) -> Result<()> {
        let id = change_id.trim_start_matches("/change/");
        let deadline = tokio::time::Instant::now() + timeout;
        let mut interval = first_interval;
        loop {
            self.count_request();
            let attempts = Attempts::default();
            let out = self
                .client()
                .get_change()
                .id(id)
                .customize()
                .interceptor(attempts.clone())
                .send()
                .await
                .map_err(|e| self.clean(convert_after(e, None, &attempts)))?;
            let status = out.change_info().map(|c| c.status().clone());
            if status == Some(ChangeStatus::Insync) {
                return Ok(());
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Err(Error::Provider {
                    provider: PROVIDER.into(),
                    code: Some("PENDING".into()),
                    message: format!("change {id} is not INSYNC after {timeout:?}"),
                    request_id: None,
                    retryable: true,
                });
            }
            tokio::time::sleep(interval.min(deadline - now)).await;
            interval = (interval * 2).min(Duration::from_secs(10));
        }
    }

    /// Reads the given keys: exactly one by one (after a conflict, or for a
    /// single key), or through listing windows. Also returns the requests made.
    async fn read_keys(
        &self,
        zone_id: &str,
        keys: &[Key],
        exact: bool,
    ) -> Result<(HashMap<Key, Current>, usize)> {
        if !exact && keys.len() > 1 {
            return self.read_window(zone_id, keys).await;
        }
        // A few at a time: Route 53 allows five requests a second per account.
        let reads = futures::stream::iter(keys.iter().cloned().map(|k| async move {
            let read = self.read_exact(zone_id, &k).await;
            read.map(|r| (k, r))
        }))
        .buffer_unordered(4)
        .collect::<Vec<_>>()
        .await;
        let mut out = HashMap::new();
        let mut requests = 0;
        for read in reads {
            let (key, (current, pages)) = read?;
            requests += pages;
            out.insert(key, current);
        }
        Ok((out, requests))
    }

    /// Sends one change batch. Returns its change id.
    async fn send(&self, zone_id: &str, batch: &[Group]) -> Result<String, Rejected> {
        let changes = plan::ordered(batch)
            .into_iter()
            .map(sdk_change)
            .collect::<Result<Vec<_>>>()
            .map_err(Rejected::Failed)?;
        let batch = ChangeBatch::builder()
            .set_changes(Some(changes))
            .build()
            .map_err(|e| Rejected::Failed(Error::InvalidInput(e.to_string())))?;
        self.count_request();
        let attempts = Attempts::default();
        let sent = self
            .client()
            .change_resource_record_sets()
            .hosted_zone_id(bare_id(zone_id))
            .change_batch(batch)
            .customize()
            .interceptor(attempts.clone())
            .send()
            .await;
        match sent {
            Ok(out) => Ok(out
                .change_info()
                .map(|c| c.id().trim_start_matches("/change/").to_owned())
                .unwrap_or_default()),
            Err(err) => {
                // Only InvalidChangeBatch carries per-change messages.
                let messages = Failure::of(&err).messages;
                match classify(&messages) {
                    BatchRejection::Conflict => Err(Rejected::Conflict(messages)),
                    BatchRejection::Invalid => Err(Rejected::Failed(convert_after(
                        err,
                        Some(zone_id),
                        &attempts,
                    ))),
                }
            }
        }
    }
}

fn zone_of(z: &aws_sdk_route53::types::HostedZone) -> Result<Zone> {
    Ok(Zone::new(bare_id(z.id()), encode::parse_name(z.name())?)
        .with_private(z.config().is_some_and(|c| c.private_zone())))
}

fn sdk_change(c: &plan::NativeChange) -> Result<SdkChange> {
    let invalid = |e: aws_sdk_route53::error::BuildError| Error::InvalidInput(e.to_string());
    let records = c
        .values
        .iter()
        .map(|v| ResourceRecord::builder().value(v).build().map_err(invalid))
        .collect::<Result<Vec<_>>>()?;
    let set = ResourceRecordSet::builder()
        .name(&c.name)
        .r#type(RrType::from(c.set.record_type().to_string().as_str()))
        .ttl(i64::from(c.set.ttl()))
        .set_resource_records(Some(records))
        .build()
        .map_err(invalid)?;
    let action = match c.action {
        Action::Create => ChangeAction::Create,
        Action::Delete => ChangeAction::Delete,
        Action::Upsert => ChangeAction::Upsert,
    };
    SdkChange::builder()
        .action(action)
        .resource_record_set(set)
        .build()
        .map_err(invalid)
}

#[async_trait]
impl DnsProvider for Route53Provider {
    fn provider_name(&self) -> &str {
        PROVIDER
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
            .with_atomic_batches(true)
            .with_preconditions(false)
            .with_max_records_per_request(Some(self.inner.limits.records))
            .with_record_types([
                RecordType::A,
                RecordType::AAAA,
                RecordType::CNAME,
                RecordType::TXT,
                RecordType::SRV,
                RecordType::PTR,
                RecordType::MX,
                RecordType::NS,
                RecordType::CAA,
            ])
            .with_raw_labels(true)
            .with_ttl_range(0..=MAX_TTL)
            .with_extras(["alias (read-only)", "routing-policy (read-only)"])
    }

    async fn list_zones(&self) -> Result<Vec<Zone>> {
        let mut zones = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            self.count_request();
            let attempts = Attempts::default();
            let out = self
                .client()
                .list_hosted_zones()
                .set_marker(marker.take())
                .customize()
                .interceptor(attempts.clone())
                .send()
                .await
                .map_err(|e| self.clean(convert_after(e, None, &attempts)))?;
            for z in out.hosted_zones() {
                zones.push(zone_of(z)?);
            }
            match out.next_marker() {
                Some(next) if out.is_truncated() => marker = Some(next.to_owned()),
                _ => return Ok(zones),
            }
        }
    }

    async fn list_record_sets(&self, zone: &Zone) -> Result<Vec<RecordSet>> {
        let mut sets: Vec<RecordSet> = self
            .list_all(&zone.id)
            .await
            .map_err(|e| self.clean(e))?
            .iter()
            .filter_map(NativeRecordSet::to_record_set)
            .collect();
        sets.sort_by(|a, b| {
            (a.name(), a.record_type().code()).cmp(&(b.name(), b.record_type().code()))
        });
        Ok(sets)
    }

    async fn get_record_set(
        &self,
        zone: &Zone,
        name: &Name,
        rtype: RecordType,
    ) -> Result<Option<RecordSet>> {
        let read = self.read_exact(&zone.id, &(name.clone(), rtype)).await;
        match read.map_err(|e| self.clean(e))?.0 {
            Current::Simple(set) => Ok(Some(set)),
            Current::Absent | Current::Foreign(_) => Ok(None),
        }
    }

    fn validate(&self, zone: &Zone, changes: &[Change]) -> Result<()> {
        self.capabilities().check(PROVIDER, zone, changes)?;
        plan::check_values(changes)
    }

    async fn apply_validated(&self, zone: &Zone, changes: &[Change]) -> Result<ApplyReport> {
        let mut report = ApplyReport::new(0, true);
        let mut settled: Vec<Key> = Vec::new();
        match self
            .apply_rounds(zone, changes, &mut report, &mut settled)
            .await
        {
            Ok(()) => Ok(report),
            // Nothing was written: the batch had no effect.
            Err(e) if report.change_ids.is_empty() => Err(self.clean(e)),
            Err(e) => {
                let applied = changes
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| {
                        settled
                            .iter()
                            .any(|k| k.0 == *c.name() && k.1 == c.record_type())
                    })
                    .map(|(i, _)| i);
                report.atomic = false;
                Err(self.clean(
                    report
                        .with_applied(applied)
                        .into_partial_error(changes.len(), e),
                ))
            }
        }
    }
}

impl Route53Provider {
    /// The compare-and-swap rounds of one apply: read, plan, send batch by
    /// batch; on a conflict read what is still pending again and repeat.
    /// `settled` collects the keys that are as asked: those whose batch
    /// went through, and those that needed no write.
    async fn apply_rounds(
        &self,
        zone: &Zone,
        changes: &[Change],
        report: &mut ApplyReport,
        settled: &mut Vec<Key>,
    ) -> Result<()> {
        let mut pending = plan::keys(changes);
        let mut exact = false;
        let mut last_conflict = Vec::new();
        for attempt in 0..self.inner.max_cas_attempts {
            if attempt > 0 {
                tokio::time::sleep(dns_core::conflict_backoff(attempt)).await;
            }
            let (current, reads) = self.read_keys(&zone.id, &pending, exact).await?;
            report.requests += reads;
            let groups = plan::plan(&pending, &current, changes)?;
            let noop: Vec<Key> = pending
                .iter()
                .filter(|k| groups.iter().all(|g| g.key != **k))
                .cloned()
                .collect();
            let batches = plan::split(groups, self.inner.limits)?;
            let mut conflict = None;
            for batch in &batches {
                report.requests += 1;
                match self.send(&zone.id, batch).await {
                    Ok(id) => {
                        if !report.change_ids.is_empty() {
                            report.atomic = false;
                        }
                        report.change_ids.push(id);
                        settled.extend(batch.iter().map(|g| g.key.clone()));
                        pending.retain(|k| batch.iter().all(|g| g.key != *k));
                    }
                    Err(Rejected::Conflict(messages)) => {
                        conflict = Some(messages);
                        break;
                    }
                    Err(Rejected::Failed(e)) => {
                        settled.extend(noop);
                        return Err(e);
                    }
                }
            }
            match conflict {
                None => return Ok(()),
                Some(messages) => {
                    let messages: Vec<String> =
                        messages.into_iter().map(|m| self.scrub(m)).collect();
                    tracing::debug!(zone = %zone.name, attempt, ?messages, "route53 compare-and-swap conflict; reading again");
                    last_conflict = messages;
                    exact = true;
                }
            }
        }
        Err(Error::Conflict {
            message: format!(
                "the record sets kept changing between read and write ({} attempts): {}",
                self.inner.max_cas_attempts,
                last_conflict.join("; ")
            ),
        })
    }
}
