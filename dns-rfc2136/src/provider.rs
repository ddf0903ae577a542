//! [`Rfc2136Provider`]: the [`DnsProvider`] over one RFC 2136 server.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use dns_core::hickory::{
    name_from_hickory, name_to_hickory, rdata_from_hickory, record_type_from_hickory,
    record_type_to_hickory,
};
use dns_core::{
    ApplyReport, Capabilities, Change, DnsProvider, Error, Name, Opaque, RData, RecordSet,
    RecordType, Result, RetryPolicy, Zone,
};
use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::Record;

use crate::PROVIDER;
use crate::exchange::{Exchange, Operation};
use crate::update;

/// A [`DnsProvider`] that writes with RFC 2136 UPDATE messages and lists
/// with AXFR, against one authoritative server (BIND, Knot, PowerDNS).
///
/// * A batch is one UPDATE message, which the server applies entirely or
///   not at all (RFC 2136 3.7); only a batch past the 64 KiB message size
///   is split, and its [`ApplyReport`] then says it was not atomic.
/// * [`Change::Require`] becomes UPDATE prerequisites, checked by the
///   server atomically with the batch.
/// * `find_zone` uses the zones given to the builder, or asks the server
///   for the SOA of the name (a server has no "list zones" call).
/// * Retries: retryable failures (timeouts, connection errors, SERVFAIL)
///   are retried under the builder's [`RetryPolicy`]; this is the only
///   retry layer.
///
/// Made by [`Rfc2136Builder`](crate::Rfc2136Builder).
pub struct Rfc2136Provider {
    pub(crate) exchange: Exchange,
    pub(crate) zones: Vec<Zone>,
    pub(crate) found: Mutex<Vec<Zone>>,
    pub(crate) retry: RetryPolicy,
}

impl fmt::Debug for Rfc2136Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rfc2136Provider")
            .field("server", &self.exchange.server)
            .field("key", &self.exchange.key_name)
            .field("zones", &self.zones)
            .field("timeout", &self.exchange.timeout)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl Rfc2136Provider {
    /// Request messages sent so far (UPDATEs, AXFRs and queries, retries
    /// included), for measuring what an operation costs.
    pub fn messages_sent(&self) -> usize {
        self.exchange.messages.load(Ordering::Relaxed)
    }

    /// The server this provider talks to.
    pub fn server(&self) -> std::net::SocketAddr {
        self.exchange.server
    }

    fn zone_named(name: &Name) -> Zone {
        Zone::new(name.to_string(), name.clone())
    }

    /// One query (over TCP, so large sets are never truncated), retried.
    async fn query(&self, zone: &Name, name: &Name, rtype: RecordType) -> Result<Message> {
        let make = || {
            let mut message = Message::new(0, MessageType::Query, OpCode::Query);
            message.add_query(Query::query(
                name_to_hickory(name),
                record_type_to_hickory(rtype),
            ));
            message
        };
        let answer = self
            .retry
            .run(|| self.exchange.send(Operation::Query, zone, make()))
            .await?;
        Ok(answer.into_message())
    }

    /// The zone holding `name` by asking the server: the SOA in the answer
    /// (at an apex) or in the authority section (below one) names it;
    /// REFUSED or a referral means this server does not serve it, and the
    /// parent is asked next.
    async fn discover_zone(&self, name: &Name) -> Result<Zone> {
        let mut current = Some(name.clone());
        while let Some(candidate) = current {
            let answer = self.query(&candidate, &candidate, RecordType::SOA).await?;
            let code = answer.metadata.response_code;
            if matches!(code, ResponseCode::NoError | ResponseCode::NXDomain)
                && answer.metadata.authoritative
            {
                let soa = answer
                    .answers
                    .iter()
                    .chain(&answer.authorities)
                    .find(|r| r.record_type() == hickory_proto::rr::RecordType::SOA);
                if let Some(soa) = soa {
                    let apex = name_from_hickory(&soa.name)?;
                    if name.is_subdomain_of(&apex) {
                        return Ok(Self::zone_named(&apex));
                    }
                }
            }
            current = candidate.parent();
        }
        Err(Error::ZoneNotFound {
            zone: format!("{name} (no zone holding it at {})", self.exchange.server),
        })
    }

    /// One UPDATE, retried while retryable. A retried UPDATE whose first
    /// answer was lost after it took effect is harmless for Add, Remove,
    /// Upsert and Delete (idempotent); a guarded one then fails its
    /// prerequisite, and the caller reads again, as for any race.
    async fn send_update(&self, zone: &Zone, update: &update::Update) -> Result<()> {
        self.retry
            .run(|| async {
                let answer = self
                    .exchange
                    .send(Operation::Update, &zone.name, update.message.clone())
                    .await?;
                match answer.metadata.response_code {
                    ResponseCode::NoError => Ok(()),
                    code => Err(self
                        .exchange
                        .refused(Operation::Update, &zone.name, code, update.guarded)
                        .await),
                }
            })
            .await
    }
}

/// Groups transferred records into sets, sorted by canonical name and type.
fn group(records: Vec<Record>) -> Result<Vec<RecordSet>> {
    let mut sets: BTreeMap<(Name, u16), (u32, Vec<RData>)> = BTreeMap::new();
    for record in records {
        let name = name_from_hickory(&record.name)?;
        let rtype = record_type_from_hickory(record.record_type());
        // Data the model cannot hold is kept as the server's text.
        let value = rdata_from_hickory(&record.data)
            .unwrap_or_else(|_| RData::Opaque(Opaque::new(rtype, record.data.to_string())));
        let entry = sets
            .entry((name, rtype.code()))
            .or_insert((record.ttl, Vec::new()));
        if !entry.1.contains(&value) {
            entry.1.push(value);
        }
    }
    sets.into_iter()
        .map(|((name, _), (ttl, values))| RecordSet::new(name, ttl, values).map_err(Error::from))
        .collect()
}

#[async_trait]
impl DnsProvider for Rfc2136Provider {
    fn provider_name(&self) -> &str {
        PROVIDER
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
            .with_atomic_batches(true)
            .with_preconditions(true)
            .with_raw_labels(true)
    }

    async fn list_zones(&self) -> Result<Vec<Zone>> {
        let mut zones = self.zones.clone();
        for zone in self
            .found
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            if !zones.contains(zone) {
                zones.push(zone.clone());
            }
        }
        Ok(zones)
    }

    async fn find_zone(&self, name: &Name) -> Result<Zone> {
        if !self.zones.is_empty() {
            return Zone::longest_match(&self.zones, name)
                .cloned()
                .ok_or_else(|| Error::ZoneNotFound {
                    zone: format!("{name} (not inside the zones this provider was given)"),
                });
        }
        let known = self
            .found
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(zone) = Zone::longest_match(&known, name) {
            // A cached parent may hide a child zone the name is really in.
            if &zone.name == name {
                return Ok(zone.clone());
            }
        }
        let zone = self.discover_zone(name).await?;
        let mut found = self.found.lock().unwrap_or_else(PoisonError::into_inner);
        if !found.contains(&zone) {
            found.push(zone.clone());
        }
        Ok(zone)
    }

    async fn list_record_sets(&self, zone: &Zone) -> Result<Vec<RecordSet>> {
        let records = self
            .retry
            .run(|| self.exchange.transfer(&zone.name))
            .await?;
        group(records)
    }

    async fn get_record_set(
        &self,
        zone: &Zone,
        name: &Name,
        rtype: RecordType,
    ) -> Result<Option<RecordSet>> {
        let answer = self.query(&zone.name, name, rtype).await?;
        match answer.metadata.response_code {
            ResponseCode::NoError | ResponseCode::NXDomain => {}
            code => {
                return Err(self
                    .exchange
                    .refusal(Operation::Query, &zone.name, code, false));
            }
        }
        let wanted = record_type_to_hickory(rtype);
        // An NS set below the apex is a delegation: the server answers it
        // as a referral, in the authority section.
        let section = if answer.answers.is_empty() && !answer.metadata.authoritative {
            &answer.authorities
        } else {
            &answer.answers
        };
        let records: Vec<Record> = section
            .iter()
            .filter(|r| {
                r.record_type() == wanted && name_from_hickory(&r.name).is_ok_and(|n| &n == name)
            })
            .cloned()
            .collect();
        Ok(group(records)?.into_iter().next())
    }

    fn validate(&self, zone: &Zone, changes: &[Change]) -> Result<()> {
        self.capabilities().check(PROVIDER, zone, changes)?;
        update::check_batch(changes)?;
        // Planning refuses a change too large for any message and a
        // guarded batch that needs more than one.
        update::plan(&zone.name, changes).map(drop)
    }

    async fn apply_validated(&self, zone: &Zone, changes: &[Change]) -> Result<ApplyReport> {
        let updates = update::plan(&zone.name, changes)?;
        let atomic = updates.len() == 1;
        let mut applied: Vec<usize> = Vec::new();
        for (sent, update) in updates.iter().enumerate() {
            if let Err(error) = self.send_update(zone, update).await {
                return Err(ApplyReport::new(sent + 1, atomic)
                    .with_applied(applied)
                    .into_partial_error(changes.len(), error));
            }
            applied.extend(&update.indices);
        }
        Ok(ApplyReport::new(updates.len(), atomic).with_applied(applied))
    }
}
