//! Desired sets made storable by one provider, so a plan computed right
//! after an apply is empty.

use dns_core::{Change, DnsProvider, RecordSet, Zone};

use crate::plan::TtlAdjustment;

/// A desired set as the provider will store it.
pub(crate) enum Normalised {
    /// Storable, with its TTL changed when it had to be.
    Stored(RecordSet, Option<TtlAdjustment>),
    /// Not storable at any TTL; the provider's reason.
    Unstorable(String),
}

/// The TTL is clamped into `capabilities().ttl_range`, then the set is
/// checked with the provider's own `validate` (no request is sent). When
/// that refuses it, the TTL may sit in a gap of the range (Cloudflare
/// takes 1, "automatic", and 30..=86400): the smallest larger TTL the
/// provider accepts is searched for, so a short TTL becomes the shortest
/// the provider allows. A set refused at every TTL (an SRV owner
/// Cloudflare cannot store, a type the provider lacks) is unstorable, with
/// the provider's reason.
pub(crate) fn normalise(provider: &dyn DnsProvider, zone: &Zone, set: &RecordSet) -> Normalised {
    let range = provider.capabilities().ttl_range;
    let accepts = |ttl: u32| {
        provider
            .validate(zone, &[Change::Upsert(set.clone().with_ttl(ttl))])
            .err()
    };
    let clamped = set.ttl().clamp(*range.start(), *range.end());
    let Some(first) = accepts(clamped) else {
        return stored(set, clamped);
    };
    if clamped == *range.end() || accepts(*range.end()).is_some() {
        return Normalised::Unstorable(first.to_string());
    }
    // Invariant: `low` refused, `high` accepted.
    let (mut low, mut high) = (clamped, *range.end());
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        if accepts(mid).is_none() {
            high = mid;
        } else {
            low = mid;
        }
    }
    stored(set, high)
}

fn stored(set: &RecordSet, ttl: u32) -> Normalised {
    let adjustment = (ttl != set.ttl()).then_some(TtlAdjustment {
        desired: set.ttl(),
        planned: ttl,
    });
    Normalised::Stored(set.clone().with_ttl(ttl), adjustment)
}
