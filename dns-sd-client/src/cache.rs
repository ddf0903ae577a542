//! A bounded cache of answers keyed by (name, type), honouring TTLs for
//! positive and negative answers.
//!
//! hickory-resolver has a cache of its own, but it is keyed by question and
//! does not file the records of the additional section under their own
//! names, which is the whole point of RFC 6763 section 12; it also cannot be
//! driven by a test clock. So the resolver's cache is switched off and this
//! one is the only one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dns_core::{Name, RData, RecordType};

use crate::clock::Clock;

/// Later than any cached entry can live: the starting point for "earliest expiry".
pub(crate) const FAR_FUTURE: Duration = Duration::from_secs(400 * 86_400);

/// What a server said about one (name, type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// The records (at least one).
    Records(Arc<[RData]>),
    /// The name exists but has no records of this type.
    NoData,
    /// The name does not exist.
    NxDomain,
}

impl Answer {
    pub(crate) fn records(&self) -> &[RData] {
        match self {
            Self::Records(r) => r,
            Self::NoData | Self::NxDomain => &[],
        }
    }
}

/// An answer and the instant it stops being valid.
#[derive(Debug, Clone)]
pub(crate) struct Fresh {
    pub(crate) answer: Answer,
    pub(crate) expires: Instant,
}

/// Where a set came from: an additional record never replaces a fresh
/// answer to a direct question (RFC 2181 section 5.4.1 ranks it lower).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Answer,
    Additional,
}

/// Limits on what is cached and for how long.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) capacity: usize,
    pub(crate) max_ttl: Duration,
    pub(crate) max_negative_ttl: Duration,
}

/// Counters describing how the cache has been used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that had to ask a server.
    pub misses: u64,
    /// Entries held now (some may have expired and not been swept yet).
    pub entries: usize,
    /// Entries dropped to stay within the bound.
    pub evictions: u64,
}

#[derive(Debug)]
struct Entry {
    fresh: Fresh,
    source: Source,
    last_used: u64,
}

#[derive(Debug, Default)]
struct Inner {
    map: HashMap<(Name, RecordType), Entry>,
    tick: u64,
}

#[derive(Debug)]
pub(crate) struct Cache {
    inner: Mutex<Inner>,
    limits: Limits,
    clock: Arc<dyn Clock>,
    hits: AtomicU64,
    misses: AtomicU64,
    evictions: AtomicU64,
}

impl Cache {
    pub(crate) fn new(limits: Limits, clock: Arc<dyn Clock>) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            limits,
            clock,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
        }
    }

    pub(crate) fn now(&self) -> Instant {
        self.clock.now()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Every update is a single map operation, so a panic elsewhere cannot
        // leave the map half-changed.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The unexpired answer for (name, type), counting a hit or a miss.
    pub(crate) fn get(&self, name: &Name, rtype: RecordType) -> Option<Fresh> {
        let now = self.now();
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        let key = (name.clone(), rtype);
        let found = match inner.map.get_mut(&key) {
            Some(e) if e.fresh.expires > now => {
                e.last_used = tick;
                Some(e.fresh.clone())
            }
            Some(_) => {
                inner.map.remove(&key);
                None
            }
            None => None,
        };
        drop(inner);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Stores an answer valid for `ttl` seconds (capped by the limits; a
    /// zero TTL is not stored, as RFC 1035 asks). Returns what was stored.
    pub(crate) fn insert(
        &self,
        name: &Name,
        rtype: RecordType,
        answer: Answer,
        ttl: u32,
        source: Source,
    ) -> Fresh {
        let cap = match answer {
            Answer::Records(_) => self.limits.max_ttl,
            Answer::NoData | Answer::NxDomain => self.limits.max_negative_ttl,
        };
        let now = self.now();
        let fresh = Fresh {
            answer,
            expires: now + Duration::from_secs(u64::from(ttl)).min(cap),
        };
        if ttl == 0 || self.limits.capacity == 0 {
            return fresh;
        }
        let mut inner = self.lock();
        let key = (name.clone(), rtype);
        if source == Source::Additional
            && inner
                .map
                .get(&key)
                .is_some_and(|e| e.source == Source::Answer && e.fresh.expires > now)
        {
            return fresh;
        }
        if !inner.map.contains_key(&key) && inner.map.len() >= self.limits.capacity {
            let evicted = make_room(&mut inner, now, self.limits.capacity);
            self.evictions.fetch_add(evicted, Ordering::Relaxed);
        }
        inner.tick += 1;
        let last_used = inner.tick;
        inner.map.insert(
            key,
            Entry {
                fresh: fresh.clone(),
                source,
                last_used,
            },
        );
        fresh
    }

    pub(crate) fn clear(&self) {
        self.lock().map.clear();
    }

    pub(crate) fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: self.lock().map.len(),
            evictions: self.evictions.load(Ordering::Relaxed),
        }
    }
}

/// Drops expired entries, then the least recently used eighth, so that the
/// sort this needs is paid once per many inserts rather than on each one.
fn make_room(inner: &mut Inner, now: Instant, capacity: usize) -> u64 {
    let before = inner.map.len();
    inner.map.retain(|_, e| e.fresh.expires > now);
    if inner.map.len() >= capacity {
        let mut ages: Vec<u64> = inner.map.values().map(|e| e.last_used).collect();
        ages.sort_unstable();
        let drop = (capacity / 8).max(1).min(ages.len());
        let threshold = ages[drop - 1];
        inner.map.retain(|_, e| e.last_used > threshold);
    }
    (before - inner.map.len()) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn cache(capacity: usize) -> (Cache, ManualClock) {
        let clock = ManualClock::new();
        let limits = Limits {
            capacity,
            max_ttl: Duration::from_secs(86_400),
            max_negative_ttl: Duration::from_secs(3_600),
        };
        (Cache::new(limits, Arc::new(clock.clone())), clock)
    }

    fn name(s: &str) -> Name {
        Name::parse(s).unwrap()
    }

    fn a(ip: &str) -> Answer {
        Answer::Records(vec![RData::A(ip.parse().unwrap())].into())
    }

    #[test]
    fn entries_expire_at_their_ttl() {
        let (c, clock) = cache(10);
        c.insert(
            &name("a.test"),
            RecordType::A,
            a("192.0.2.1"),
            30,
            Source::Answer,
        );
        clock.advance(Duration::from_secs(29));
        assert!(c.get(&name("A.TEST"), RecordType::A).is_some());
        clock.advance(Duration::from_secs(1));
        assert!(c.get(&name("a.test"), RecordType::A).is_none());
        let s = c.stats();
        assert_eq!((s.hits, s.misses, s.entries), (1, 1, 0));
    }

    #[test]
    fn negative_answers_are_capped_separately() {
        let (c, clock) = cache(10);
        c.insert(
            &name("x.test"),
            RecordType::A,
            Answer::NxDomain,
            86_400,
            Source::Answer,
        );
        clock.advance(Duration::from_secs(3_599));
        assert_eq!(
            c.get(&name("x.test"), RecordType::A).unwrap().answer,
            Answer::NxDomain
        );
        clock.advance(Duration::from_secs(1));
        assert!(c.get(&name("x.test"), RecordType::A).is_none());
    }

    #[test]
    fn zero_ttl_is_not_stored() {
        let (c, _) = cache(10);
        c.insert(
            &name("a.test"),
            RecordType::A,
            a("192.0.2.1"),
            0,
            Source::Answer,
        );
        assert!(c.get(&name("a.test"), RecordType::A).is_none());
    }

    #[test]
    fn additional_records_do_not_replace_answers() {
        let (c, _) = cache(10);
        c.insert(
            &name("h.test"),
            RecordType::A,
            a("192.0.2.1"),
            60,
            Source::Answer,
        );
        c.insert(
            &name("h.test"),
            RecordType::A,
            a("192.0.2.99"),
            60,
            Source::Additional,
        );
        assert_eq!(
            c.get(&name("h.test"), RecordType::A).unwrap().answer,
            a("192.0.2.1")
        );
        c.insert(
            &name("h.test"),
            RecordType::A,
            a("192.0.2.2"),
            60,
            Source::Answer,
        );
        assert_eq!(
            c.get(&name("h.test"), RecordType::A).unwrap().answer,
            a("192.0.2.2")
        );
    }

    #[test]
    fn the_bound_holds_and_recently_used_entries_survive() {
        let (c, _) = cache(64);
        c.insert(
            &name("keep.test"),
            RecordType::A,
            a("192.0.2.1"),
            60,
            Source::Answer,
        );
        for i in 0..1_000 {
            let n = name(&format!("h{i}.test"));
            c.insert(&n, RecordType::A, a("192.0.2.2"), 60, Source::Answer);
            // Touch the entry we want kept, as a busy name would be.
            assert!(
                c.get(&name("keep.test"), RecordType::A).is_some(),
                "lost at {i}"
            );
            assert!(c.stats().entries <= 64);
        }
        assert!(c.stats().evictions >= 1_000 - 64);
    }

    #[test]
    fn additional_records_replace_additional_records_and_expired_answers() {
        let (c, clock) = cache(10);
        let h = name("h.test");
        c.insert(&h, RecordType::A, a("192.0.2.1"), 60, Source::Additional);
        c.insert(&h, RecordType::A, a("192.0.2.2"), 60, Source::Additional);
        assert_eq!(c.get(&h, RecordType::A).unwrap().answer, a("192.0.2.2"));
        c.insert(&h, RecordType::A, a("192.0.2.3"), 10, Source::Answer);
        // The answer expires exactly now: an additional record may replace it.
        clock.advance(Duration::from_secs(10));
        c.insert(&h, RecordType::A, a("192.0.2.4"), 60, Source::Additional);
        assert_eq!(c.get(&h, RecordType::A).unwrap().answer, a("192.0.2.4"));
    }

    #[test]
    fn inserts_evict_the_oldest_and_updates_evict_nothing() {
        let (c, _) = cache(2);
        let insert =
            |n: &str, ip: &str| c.insert(&name(n), RecordType::A, a(ip), 60, Source::Answer);
        insert("a.test", "192.0.2.1");
        insert("b.test", "192.0.2.1");
        // Replacing an entry of a full cache makes no room.
        insert("a.test", "192.0.2.2");
        assert_eq!(c.stats().evictions, 0);
        assert_eq!(c.stats().entries, 2);
        // B is now the oldest.
        insert("c.test", "192.0.2.1");
        assert_eq!(c.stats().evictions, 1);
        assert!(c.get(&name("b.test"), RecordType::A).is_none());
        assert!(c.get(&name("a.test"), RecordType::A).is_some());
        assert!(c.get(&name("c.test"), RecordType::A).is_some());

        c.clear();
        assert_eq!(c.stats().entries, 0);
        assert!(c.get(&name("a.test"), RecordType::A).is_none());
    }

    #[test]
    fn making_room_drops_what_expires_now_before_anything_used() {
        let (c, clock) = cache(2);
        c.insert(
            &name("a.test"),
            RecordType::A,
            a("192.0.2.1"),
            10,
            Source::Answer,
        );
        c.insert(
            &name("b.test"),
            RecordType::A,
            a("192.0.2.1"),
            60,
            Source::Answer,
        );
        // A is the more recently used, but it expires exactly when room is
        // needed: it goes, B stays.
        assert!(c.get(&name("a.test"), RecordType::A).is_some());
        clock.advance(Duration::from_secs(10));
        c.insert(
            &name("c.test"),
            RecordType::A,
            a("192.0.2.1"),
            60,
            Source::Answer,
        );
        assert_eq!(c.stats().evictions, 1);
        assert!(c.get(&name("b.test"), RecordType::A).is_some());
        assert!(c.get(&name("c.test"), RecordType::A).is_some());
    }

    #[test]
    fn a_full_cache_drops_its_least_recently_used_eighth() {
        let (c, _) = cache(16);
        for i in 0..16 {
            c.insert(
                &name(&format!("h{i}.test")),
                RecordType::A,
                a("192.0.2.1"),
                60,
                Source::Answer,
            );
        }
        assert_eq!(c.stats().evictions, 0);
        c.insert(
            &name("new.test"),
            RecordType::A,
            a("192.0.2.1"),
            60,
            Source::Answer,
        );
        // 16 / 8 = 2 dropped, the two inserted first; then the new one in.
        assert_eq!(c.stats().evictions, 2);
        assert_eq!(c.stats().entries, 15);
        assert!(c.get(&name("h0.test"), RecordType::A).is_none());
        assert!(c.get(&name("h1.test"), RecordType::A).is_none());
        assert!(c.get(&name("h2.test"), RecordType::A).is_some());
        assert!(c.get(&name("new.test"), RecordType::A).is_some());
    }

    #[test]
    fn each_lookup_counts_as_a_use_of_its_own() {
        let (c, _) = cache(2);
        let insert =
            |n: &str| c.insert(&name(n), RecordType::A, a("192.0.2.1"), 60, Source::Answer);
        insert("a.test");
        insert("b.test");
        // B looked up, then A: A is the more recently used of the two.
        assert!(c.get(&name("b.test"), RecordType::A).is_some());
        assert!(c.get(&name("a.test"), RecordType::A).is_some());
        insert("c.test");
        assert_eq!(c.stats().evictions, 1);
        assert!(c.get(&name("a.test"), RecordType::A).is_some());
        assert!(c.get(&name("b.test"), RecordType::A).is_none());
        assert!(c.get(&name("c.test"), RecordType::A).is_some());
    }
}
