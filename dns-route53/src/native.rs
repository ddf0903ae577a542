//! Record sets as Route 53 holds them, routing extras included.

use aws_sdk_route53::types::ResourceRecordSet;
use dns_core::{Name, ParseError, RData, RecordSet, RecordType};

use crate::encode;

/// How Route 53 answers for a set: the routing policy fields of a
/// `ResourceRecordSet`. Portable changes only ever touch [`Routing::Simple`]
/// sets; the others are listed read-only by
/// [`Route53Provider::list_native_record_sets`](crate::Route53Provider::list_native_record_sets).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Routing {
    /// No routing policy, no set identifier.
    Simple,
    /// Weighted: answered in proportion to `weight` (0-255) among the sets
    /// sharing name and type.
    Weighted {
        /// The set's weight.
        weight: i64,
    },
    /// Failover: `PRIMARY` or `SECONDARY`.
    Failover {
        /// The role, as Route 53 names it.
        role: String,
    },
    /// Latency-based, for one AWS region.
    Latency {
        /// The region, e.g. `eu-west-1`.
        region: String,
    },
    /// Geolocation.
    Geolocation {
        /// Continent, country and subdivision codes present, joined by `/`.
        location: String,
    },
    /// Multivalue answer.
    MultiValue,
    /// Another policy (geoproximity, IP-based); its name.
    Other {
        /// Which policy field was set.
        policy: String,
    },
}

/// The target of an alias set.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AliasTarget {
    /// The hosted zone of the target (an ELB's, CloudFront's, or one of yours).
    pub hosted_zone_id: String,
    /// The target name.
    pub dns_name: Name,
    /// Whether Route 53 checks the target's health.
    pub evaluate_target_health: bool,
}

/// A record set as Route 53 lists it: what dns-core models plus the routing
/// policy, set identifier, health check and alias target.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NativeRecordSet {
    /// Owner name.
    pub name: Name,
    /// Record type.
    pub rtype: RecordType,
    /// TTL; `None` for alias sets, which take the target's.
    pub ttl: Option<u32>,
    /// The values (empty for alias sets).
    pub values: Vec<RData>,
    /// Tells apart sets sharing name and type under a routing policy.
    pub set_identifier: Option<String>,
    /// The routing policy.
    pub routing: Routing,
    /// The alias target, for alias sets.
    pub alias: Option<AliasTarget>,
    /// The health check consulted, if any.
    pub health_check_id: Option<String>,
}

impl NativeRecordSet {
    /// Whether this is a plain set that portable changes may modify: no
    /// routing policy, no set identifier, not an alias.
    pub fn is_portable(&self) -> bool {
        self.routing == Routing::Simple
            && self.set_identifier.is_none()
            && self.alias.is_none()
            && self.health_check_id.is_none()
    }

    /// The portable view of a plain set (`None` for the others).
    pub fn to_record_set(&self) -> Option<RecordSet> {
        if !self.is_portable() {
            return None;
        }
        RecordSet::with_type(
            self.name.clone(),
            self.rtype,
            self.ttl.unwrap_or(0),
            self.values.iter().cloned(),
        )
        .ok()
    }

    /// A short description for messages: "an alias set", "a weighted set (id blue)".
    pub(crate) fn describe(&self) -> String {
        let policy = match &self.routing {
            Routing::Simple => "a",
            Routing::Weighted { .. } => "a weighted",
            Routing::Failover { .. } => "a failover",
            Routing::Latency { .. } => "a latency",
            Routing::Geolocation { .. } => "a geolocation",
            Routing::MultiValue => "a multivalue",
            Routing::Other { .. } => "a routing-policy",
        };
        let kind = if self.alias.is_some() {
            "alias"
        } else {
            "record"
        };
        match &self.set_identifier {
            Some(id) => format!("{policy} {kind} set (set identifier {id:?})"),
            None => format!("{policy} {kind} set"),
        }
    }

    /// Converts a listed set. Values Route 53 holds in a form this crate
    /// cannot read become opaque text rather than failing the listing.
    pub(crate) fn from_sdk(set: &ResourceRecordSet) -> Result<Self, ParseError> {
        let name = encode::parse_name(set.name())?;
        let rtype: RecordType = set.r#type().as_str().parse()?;
        let values = set
            .resource_records()
            .iter()
            .map(|r| {
                encode::parse_value(rtype, r.value()).unwrap_or_else(|_| {
                    RData::Opaque(dns_core::Opaque::new(rtype, r.value().trim()))
                })
            })
            .collect();
        let routing = if let Some(weight) = set.weight() {
            Routing::Weighted { weight }
        } else if let Some(role) = set.failover() {
            Routing::Failover {
                role: role.as_str().to_owned(),
            }
        } else if let Some(region) = set.region() {
            Routing::Latency {
                region: region.as_str().to_owned(),
            }
        } else if let Some(geo) = set.geo_location() {
            let parts: Vec<&str> = [
                geo.continent_code(),
                geo.country_code(),
                geo.subdivision_code(),
            ]
            .into_iter()
            .flatten()
            .collect();
            Routing::Geolocation {
                location: parts.join("/"),
            }
        } else if set.multi_value_answer() == Some(true) {
            Routing::MultiValue
        } else if set.geo_proximity_location().is_some() {
            Routing::Other {
                policy: "geoproximity".into(),
            }
        } else if set.cidr_routing_config().is_some() {
            Routing::Other {
                policy: "ip-based".into(),
            }
        } else {
            Routing::Simple
        };
        let alias = match set.alias_target() {
            Some(a) => Some(AliasTarget {
                hosted_zone_id: a.hosted_zone_id().to_owned(),
                dns_name: encode::parse_name(a.dns_name())?,
                evaluate_target_health: a.evaluate_target_health(),
            }),
            None => None,
        };
        Ok(Self {
            name,
            rtype,
            ttl: set
                .ttl()
                .map(|t| u32::try_from(t.max(0)).unwrap_or(u32::MAX)),
            values,
            set_identifier: set.set_identifier().map(str::to_owned),
            routing,
            alias,
            health_check_id: set.health_check_id().map(str::to_owned),
        })
    }
}
