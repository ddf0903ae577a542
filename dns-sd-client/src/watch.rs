//! Watching a service: a stream of instances added, changed and removed.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use dns_core::{Name, ServiceType};
use futures::Stream;

use crate::client::DnsSdClient;
use crate::error::Result;
use crate::instance::{Discovery, ResolvedInstance};

/// A change seen by [`DnsSdClient::watch`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WatchEvent {
    /// A new instance (the first poll reports every instance as added).
    Added(ResolvedInstance),
    /// An instance whose targets, addresses or TXT data changed; the new state.
    Changed(ResolvedInstance),
    /// An instance that is no longer listed (or lost its SRV records); its
    /// last known state.
    Removed(ResolvedInstance),
}

/// How often [`DnsSdClient::watch_with`] may ask again.
///
/// The watcher polls when the first record of the previous discovery
/// expires from the cache: sooner would only read the cache again. These
/// bounds clamp that interval: `min_interval` protects servers from records
/// with tiny TTLs, `max_interval` bounds how stale a watcher can get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct WatchOptions {
    /// The shortest wait between polls (default 1 s).
    pub min_interval: Duration,
    /// The longest wait between polls (default 1 hour).
    pub max_interval: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        Self {
            min_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(3_600),
        }
    }
}

impl WatchOptions {
    /// Sets the shortest wait between polls.
    pub fn with_min_interval(mut self, d: Duration) -> Self {
        self.min_interval = d;
        self
    }

    /// Sets the longest wait between polls.
    pub fn with_max_interval(mut self, d: Duration) -> Self {
        self.max_interval = d;
        self
    }
}

struct State {
    client: DnsSdClient,
    service: Name,
    domain: Name,
    options: WatchOptions,
    known: BTreeMap<Name, ResolvedInstance>,
    pending: VecDeque<Result<WatchEvent>>,
    wait: Option<Duration>,
    errors: u32,
}

impl DnsSdClient {
    /// Watches a service type in a domain with [`WatchOptions::default`].
    pub fn watch(
        &self,
        service: &ServiceType,
        domain: &Name,
    ) -> Result<impl Stream<Item = Result<WatchEvent>> + Send + 'static> {
        self.watch_with(service, domain, WatchOptions::default())
    }

    /// Watches a service type: the first poll reports every instance as
    /// [`WatchEvent::Added`], later polls report differences. A failed poll
    /// yields the error and the stream goes on (waiting longer after each
    /// consecutive failure, up to `max_interval`); an instance whose own
    /// lookups failed keeps its last known state rather than being reported
    /// removed.
    pub fn watch_with(
        &self,
        service: &ServiceType,
        domain: &Name,
        options: WatchOptions,
    ) -> Result<impl Stream<Item = Result<WatchEvent>> + Send + 'static> {
        let state = State {
            client: self.clone(),
            service: service.name_in(domain)?,
            domain: domain.clone(),
            options,
            known: BTreeMap::new(),
            pending: VecDeque::new(),
            wait: None,
            errors: 0,
        };
        Ok(futures::stream::unfold(state, |mut s| async move {
            loop {
                if let Some(event) = s.pending.pop_front() {
                    return Some((event, s));
                }
                if let Some(wait) = s.wait.take() {
                    tokio::time::sleep(wait).await;
                }
                s.poll().await;
            }
        }))
    }
}

impl State {
    async fn poll(&mut self) {
        match self.client.discover_at(&self.service, &self.domain).await {
            Ok(found) => {
                let until = found
                    .valid_until
                    .saturating_duration_since(self.client.now());
                // Failed lookups are not cached, so ask again soon (backing
                // off) rather than when the records that did answer expire.
                let wait = if found.failures.is_empty() {
                    self.errors = 0;
                    until
                } else {
                    self.errors = self.errors.saturating_add(1);
                    until.min(self.backoff())
                };
                self.diff(found);
                // Not `clamp`: it panics when the bounds are the wrong way round.
                let wait = wait.max(self.options.min_interval);
                self.wait = Some(wait.min(self.options.max_interval));
            }
            Err(e) => {
                self.errors = self.errors.saturating_add(1);
                self.wait = Some(self.backoff().min(self.options.max_interval));
                self.pending.push_back(Err(e));
            }
        }
    }

    /// Doubles with each consecutive failure, from `min_interval` (at least
    /// 100 ms, so a server refusing at once cannot make a hot loop).
    fn backoff(&self) -> Duration {
        let base = self.options.min_interval.max(Duration::from_millis(100));
        base.saturating_mul(1 << self.errors.min(16))
    }

    fn diff(&mut self, found: Discovery) {
        // An instance whose own lookups failed keeps its last known state:
        // a timeout is not a removal.
        let failed: BTreeSet<&Name> = found.failures.iter().map(|f| &f.name).collect();
        let mut current: BTreeMap<Name, ResolvedInstance> = BTreeMap::new();
        for instance in found.instances {
            let shaky = failed.contains(&instance.name)
                || instance.targets.iter().any(|t| failed.contains(t.host()));
            let keep = match (shaky, self.known.get(&instance.name)) {
                (true, Some(old)) => old.clone(),
                _ => instance,
            };
            current.insert(keep.name.clone(), keep);
        }
        for name in failed {
            if let (false, Some(old)) = (current.contains_key(name), self.known.get(name)) {
                current.insert(name.clone(), old.clone());
            }
        }
        for (name, old) in &self.known {
            if !current.contains_key(name) {
                self.pending.push_back(Ok(WatchEvent::Removed(old.clone())));
            }
        }
        for (name, new) in &current {
            match self.known.get(name) {
                None => self.pending.push_back(Ok(WatchEvent::Added(new.clone()))),
                Some(old) if old != new => {
                    self.pending.push_back(Ok(WatchEvent::Changed(new.clone())));
                }
                Some(_) => {}
            }
        }
        self.known = current;
    }
}
