//! The desired-state file format (YAML or JSON), read strictly; the format
//! is documented in the crate documentation.

use serde::Deserialize;

use dns_core::{
    Label, Name, RData, RecordSet, RecordType, ServiceInstance, ServiceType, Target, TxtProperties,
};

use crate::desired::{DesiredState, DesiredZone};
use crate::error::{Result, SyncError};

/// The TTL of a record entry that gives none.
pub const DEFAULT_TTL: u32 = 300;

/// Reads desired state from YAML or JSON text (JSON when it starts with
/// `{`); see the [crate documentation](crate#file-format) for the format.
///
/// ```
/// let state = dns_sync::read_desired("
/// zones:
///   - zone: example.com.
///     records:
///       - { name: www, type: A, values: [192.0.2.1] }
/// ").unwrap();
/// assert_eq!(state.zones()[0].sets().count(), 1);
///
/// let e = dns_sync::read_desired("
/// zones:
///   - zone: example.com.
///     records:
///       - { name: www, type: A, values: [192.0.2.1], tll: 60 }
/// ").unwrap_err();
/// assert!(e.to_string().contains("unknown field `tll`"), "{e}");
/// assert!(e.to_string().contains("line 5"), "{e}");
/// ```
pub fn read_desired(text: &str) -> Result<DesiredState> {
    let file: File = if text.trim_start().starts_with('{') {
        let mut json = serde_json::Deserializer::from_str(text);
        let file = serde_path_to_error::deserialize(&mut json).map_err(|e| describe(&e))?;
        json.end()
            .map_err(|e| SyncError::Read(format!("after the document: {e}")))?;
        file
    } else {
        let yaml = serde_yaml_ng::Deserializer::from_str(text);
        serde_path_to_error::deserialize(yaml).map_err(|e| describe(&e))?
    };
    let mut state = DesiredState::new();
    for zone in file.zones {
        let apex = zone.zone.clone();
        state
            .add_zone(zone.into_desired()?)
            .map_err(|e| SyncError::Read(format!("zone {apex}: {e}")))?;
    }
    Ok(state)
}

/// The path of the field at fault (`zones[0].records[2].values`) and the
/// reason, which carries the line for every error the parser detects.
fn describe<E: std::fmt::Display>(e: &serde_path_to_error::Error<E>) -> SyncError {
    let path = e.path().to_string();
    let inner = e.inner().to_string();
    // serde_yaml_ng prefixes its own copy of the path; keep one.
    let reason = match inner.split_once(": ") {
        Some((p, rest)) if !p.contains(' ') && (p.starts_with('.') || p.starts_with("zones")) => {
            rest.to_owned()
        }
        _ => inner,
    };
    if path == "." {
        SyncError::Read(reason)
    } else {
        SyncError::Read(format!("{path}: {reason}"))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    zones: Vec<ZoneEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ZoneEntry {
    #[serde(deserialize_with = "absolute_name")]
    zone: Name,
    #[serde(default)]
    records: Vec<RecordEntry>,
    #[serde(default)]
    services: Vec<ServiceEntry>,
}

/// A record entry, its type and values already parsed (so a bad value is
/// reported with its line); the name waits for the zone.
#[derive(Debug, Deserialize)]
#[serde(try_from = "RawRecord")]
struct RecordEntry {
    name: String,
    rtype: RecordType,
    ttl: u32,
    values: Vec<RData>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecord {
    name: String,
    #[serde(rename = "type")]
    rtype: String,
    ttl: Option<u32>,
    values: Vec<String>,
}

impl TryFrom<RawRecord> for RecordEntry {
    type Error = String;

    fn try_from(raw: RawRecord) -> std::result::Result<Self, String> {
        let rtype: RecordType = raw.rtype.parse().map_err(|e| format!("{e}"))?;
        if matches!(rtype, RecordType::SOA) {
            return Err("SOA sets are the provider's and cannot be desired".into());
        }
        let ttl = dns_core::check_ttl(raw.ttl.unwrap_or(DEFAULT_TTL)).map_err(|e| e.to_string())?;
        let values = raw
            .values
            .iter()
            .map(|v| RData::parse(rtype, v))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| format!("{} {rtype}: {e}", raw.name))?;
        Ok(Self {
            name: raw.name,
            rtype,
            ttl,
            values,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceEntry {
    #[serde(deserialize_with = "label")]
    instance: Label,
    #[serde(rename = "type", deserialize_with = "service_type")]
    service: ServiceType,
    domain: Option<String>,
    ttl: Option<u32>,
    #[serde(default)]
    targets: Vec<TargetEntry>,
    #[serde(default)]
    txt: Vec<String>,
    #[serde(default)]
    subtypes: Vec<String>,
    announce: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetEntry {
    host: String,
    port: u16,
    #[serde(default)]
    priority: u16,
    #[serde(default)]
    weight: u16,
    #[serde(default)]
    addresses: Vec<std::net::IpAddr>,
}

fn absolute_name<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Name, D::Error> {
    let s = String::deserialize(d)?;
    Name::parse(&s).map_err(serde::de::Error::custom)
}

fn label<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Label, D::Error> {
    let s = String::deserialize(d)?;
    Label::new(&s).map_err(serde::de::Error::custom)
}

fn service_type<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<ServiceType, D::Error> {
    let s = String::deserialize(d)?;
    s.parse().map_err(serde::de::Error::custom)
}

impl ZoneEntry {
    fn into_desired(self) -> Result<DesiredZone> {
        let apex = self.zone;
        let fail = |what: String, e: &dyn std::fmt::Display| {
            SyncError::Read(format!("zone {apex}: {what}: {e}"))
        };
        let mut zone = DesiredZone::new(apex.clone());
        for (i, record) in self.records.into_iter().enumerate() {
            let at = format!("records[{i}] ({} {})", record.name, record.rtype);
            let name =
                Name::parse_relative(&record.name, &apex).map_err(|e| fail(at.clone(), &e))?;
            let set = RecordSet::with_type(name, record.rtype, record.ttl, record.values)
                .map_err(|e| fail(at.clone(), &e))?;
            zone.add_set(set).map_err(|e| fail(at, &e))?;
        }
        for (i, service) in self.services.into_iter().enumerate() {
            let at = format!("services[{i}] ({})", service.service);
            let instance = service
                .into_instance(&apex)
                .map_err(|e| fail(at.clone(), &e))?;
            zone.add_service(&instance).map_err(|e| fail(at, &e))?;
        }
        Ok(zone)
    }
}

impl ServiceEntry {
    fn into_instance(self, apex: &Name) -> std::result::Result<ServiceInstance, String> {
        let domain = match &self.domain {
            Some(d) => Name::parse_relative(d, apex).map_err(|e| e.to_string())?,
            None => apex.clone(),
        };
        let ttl = dns_core::check_ttl(self.ttl.unwrap_or(ServiceInstance::DEFAULT_TTL))
            .map_err(|e| e.to_string())?;
        let mut instance = ServiceInstance::from_label(self.instance, self.service, domain)
            .map_err(|e| e.to_string())?
            .with_ttl(ttl)
            .with_type_announcement(self.announce.unwrap_or(true));
        for t in self.targets {
            let host = Name::parse_relative(&t.host, apex).map_err(|e| e.to_string())?;
            let mut target = Target::new(host, t.port)
                .with_priority(t.priority)
                .with_weight(t.weight);
            for address in t.addresses {
                target = target.with_address(address);
            }
            instance = instance.with_target(target);
        }
        let mut txt = TxtProperties::new();
        for entry in &self.txt {
            match entry.split_once('=') {
                Some((k, v)) => txt.insert(k, v),
                None => txt.insert_flag(entry),
            }
            .map_err(|e| format!("txt {entry:?}: {e}"))?;
        }
        instance = instance.with_txt(txt);
        for sub in &self.subtypes {
            instance = instance.with_subtype(Label::new(sub).map_err(|e| e.to_string())?);
        }
        Ok(instance)
    }
}
