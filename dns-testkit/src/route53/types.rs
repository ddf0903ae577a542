//! The public data types of the fake: record sets, counters, batch log.

/// A resource record set as the fake stores and lists it.
///
/// `name` is in Route 53's form (lower-case, `\ooo` octal escapes for every
/// octet outside `a-z 0-9 - _`, trailing dot). Alias sets have `alias` set,
/// no `ttl` and no `values`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct FakeRecordSet {
    /// The owner name, e.g. `\052.example.com.`.
    pub name: String,
    /// The record type as Route 53 spells it (`A`, `TXT`, `SRV`, ...).
    pub rtype: String,
    /// The TTL in seconds (absent on alias sets).
    pub ttl: Option<i64>,
    /// The `Value` of each `ResourceRecord`, in the order they were sent.
    pub values: Vec<String>,
    /// `SetIdentifier` of weighted, latency, failover, ... sets.
    pub set_identifier: Option<String>,
    /// `Weight` of a weighted set.
    pub weight: Option<i64>,
    /// `Region` of a latency set.
    pub region: Option<String>,
    /// `Failover`: `PRIMARY` or `SECONDARY`.
    pub failover: Option<String>,
    /// `HealthCheckId`.
    pub health_check_id: Option<String>,
    /// `MultiValueAnswer`.
    pub multi_value_answer: Option<bool>,
    /// `AliasTarget` of an alias set.
    pub alias: Option<FakeAlias>,
}

impl FakeRecordSet {
    /// A simple set: name, type, TTL and values, no routing policy.
    pub fn simple<V: Into<String>>(
        name: impl Into<String>,
        rtype: impl Into<String>,
        ttl: i64,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        Self {
            name: name.into(),
            rtype: rtype.into(),
            ttl: Some(ttl),
            values: values.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// An alias set: name, type and target, no TTL and no values.
    pub fn alias(name: impl Into<String>, rtype: impl Into<String>, target: FakeAlias) -> Self {
        Self {
            name: name.into(),
            rtype: rtype.into(),
            alias: Some(target),
            ..Self::default()
        }
    }
}

/// The `AliasTarget` of an alias set.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FakeAlias {
    /// The hosted zone of the target (e.g. `Z35SXDOTRQ7X7K` for an ELB).
    pub hosted_zone_id: String,
    /// The target name, stored in Route 53's form (lower-case, trailing dot).
    pub dns_name: String,
    /// `EvaluateTargetHealth`.
    pub evaluate_target_health: bool,
}

impl FakeAlias {
    /// An alias target.
    pub fn new(
        hosted_zone_id: impl Into<String>,
        dns_name: impl Into<String>,
        evaluate_target_health: bool,
    ) -> Self {
        Self {
            hosted_zone_id: hosted_zone_id.into(),
            dns_name: dns_name.into(),
            evaluate_target_health,
        }
    }
}

/// How many requests the fake received, per operation.
///
/// Every attempt counts under its operation, including the ones answered
/// with `Throttling`, an auth failure or any other error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RequestCounts {
    /// `ListHostedZones` calls.
    pub list_hosted_zones: u64,
    /// `ListHostedZonesByName` calls.
    pub list_hosted_zones_by_name: u64,
    /// `GetHostedZone` calls.
    pub get_hosted_zone: u64,
    /// `ListResourceRecordSets` calls.
    pub list_resource_record_sets: u64,
    /// `ChangeResourceRecordSets` calls (all attempts).
    pub change_resource_record_sets: u64,
    /// `ChangeResourceRecordSets` calls whose batch was applied.
    pub changes_accepted: u64,
    /// `ChangeResourceRecordSets` calls answered with any error (nothing
    /// applied).
    pub changes_rejected: u64,
    /// `GetChange` calls.
    pub get_change: u64,
    /// Requests of any operation answered with `Throttling`.
    pub throttled: u64,
    /// Requests of any operation answered with the injected 500
    /// `InternalFailure` ([`FakeRoute53::set_server_error_share`](super::FakeRoute53::set_server_error_share)).
    pub server_errors: u64,
    /// Change batches applied whose answer was replaced by a 503
    /// ([`FakeRoute53::lose_next_answers`](super::FakeRoute53::lose_next_answers)).
    pub lost_answers: u64,
    /// Requests of any operation answered with the auth failure.
    pub auth_failures: u64,
    /// Requests the fake does not implement (answered `InvalidInput`).
    pub unknown: u64,
    /// All requests.
    pub total: u64,
}

/// One `ChangeResourceRecordSets` request as the fake received it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchLog {
    /// The hosted zone id from the path (bare, `Z…`).
    pub zone_id: String,
    /// The batch's `Comment`.
    pub comment: Option<String>,
    /// The changes, in order (empty if the body could not be parsed).
    pub changes: Vec<BatchChange>,
    /// `ResourceRecord` elements in the request, UPSERT counted twice (an
    /// alias change counts as one element). The limit is 1,000.
    pub record_elements: usize,
    /// Characters across all `Value` elements, UPSERT counted twice. The
    /// limit is 32,000.
    pub value_chars: usize,
    /// What the fake answered.
    pub outcome: BatchOutcome,
}

/// One change of a [`BatchLog`], as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchChange {
    /// `CREATE`, `DELETE` or `UPSERT` (as sent).
    pub action: String,
    /// The name as sent (not canonicalized).
    pub name: String,
    /// The type as sent.
    pub rtype: String,
    /// The `SetIdentifier`, if any.
    pub set_identifier: Option<String>,
    /// The `Value`s, in order.
    pub values: Vec<String>,
}

/// How the fake answered a `ChangeResourceRecordSets` request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BatchOutcome {
    /// Applied; the `ChangeInfo` id (`/change/C…`).
    Accepted {
        /// The change id, with its `/change/` prefix.
        change_id: String,
    },
    /// Refused; nothing was applied.
    Rejected {
        /// The error code (`InvalidChangeBatch`, `InvalidInput`,
        /// `Throttling`, `PriorRequestNotComplete`, ...).
        code: String,
        /// The messages: one per failing change for `InvalidChangeBatch`,
        /// else the single error message.
        messages: Vec<String>,
    },
}

impl BatchOutcome {
    /// Whether the batch was applied.
    pub fn is_accepted(&self) -> bool {
        matches!(self, Self::Accepted { .. })
    }
}
