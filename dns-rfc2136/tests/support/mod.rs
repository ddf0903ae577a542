//! Starting BIND or Knot with the test keys and zones, and providers for them.
#![allow(dead_code, reason = "each test file uses some of the helpers")]

use std::sync::Arc;
use std::time::Duration;

use dns_core::{DnsProvider, Name, RetryPolicy, Zone};
use dns_rfc2136::{Rfc2136Builder, Rfc2136Provider, TsigAlgorithm, TsigKey};
use dns_testkit::authoritative::{AuthServer, Flavor, TestKey, TestZone};

/// Test-only secrets, generated for this suite: never use them elsewhere.
pub(crate) const SECRET: &str = "q0Yb8mC7p0rW3T1u+J6l5Xh2VnE9sK4aZcDfGiLoPtM=";
pub(crate) const OTHER_SECRET: &str = "Rk3xv7QmP2wN8sT5yU1zA4bC6dE9fG0hJ+LoMnOpQrs=";
pub(crate) const ZONE: &str = "rfc2136.test";
pub(crate) const OTHER_ZONE: &str = "other.test";

/// A record of a type the model does not know, for `unknown_types_survive`.
pub(crate) const UNKNOWN: &str = "unknown-type HINFO \"test-cpu\" \"test-os\"";

pub(crate) fn key() -> TsigKey {
    TsigKey::new(
        Name::parse("update-key").unwrap(),
        TsigAlgorithm::HmacSha256,
        SECRET,
    )
    .unwrap()
}

/// A key the server knows, allowed only on `other.test`.
pub(crate) fn other_zone_key() -> TsigKey {
    TsigKey::new(
        Name::parse("other-key").unwrap(),
        TsigAlgorithm::HmacSha256,
        OTHER_SECRET,
    )
    .unwrap()
}

/// BIND or Knot serving `rfc2136.test` (key `update-key`) and
/// `other.test` (key `other-key`).
pub(crate) fn start(flavor: Flavor) -> AuthServer {
    let keys = [
        TestKey::new("update-key", "hmac-sha256", SECRET),
        TestKey::new("other-key", "hmac-sha256", OTHER_SECRET),
    ];
    let zones = [
        TestZone::new(ZONE)
            .with_key("update-key")
            .with_records(UNKNOWN),
        TestZone::new(OTHER_ZONE).with_key("other-key"),
    ];
    AuthServer::start(flavor, &keys, &zones)
}

pub(crate) fn builder(server: &AuthServer) -> Rfc2136Builder {
    Rfc2136Builder::new(server.addr())
        .with_zone(Name::parse(ZONE).unwrap())
        .with_tsig_key(key())
        .with_timeout(Duration::from_secs(20))
        .with_retry(
            RetryPolicy::new()
                .with_max_attempts(4)
                .with_initial_backoff(Duration::from_millis(20)),
        )
}

pub(crate) fn provider(server: &AuthServer) -> Rfc2136Provider {
    builder(server).build().unwrap()
}

/// Separate provider instances, for checks with concurrent writers.
pub(crate) fn providers(server: &AuthServer, n: usize) -> Vec<Arc<dyn DnsProvider>> {
    (0..n)
        .map(|_| Arc::new(provider(server)) as Arc<dyn DnsProvider>)
        .collect()
}

pub(crate) fn zone() -> Zone {
    let name = Name::parse(ZONE).unwrap();
    Zone::new(name.to_string(), name)
}
