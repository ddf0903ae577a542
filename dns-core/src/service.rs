//! The DNS-SD (RFC 6763) layout of a service: [`ServiceType`],
//! [`ServiceInstance`], [`Target`] and the record sets they need.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use crate::error::ParseError;
use crate::name::{Label, Name};
use crate::rdata::{RData, Srv};
use crate::set::RecordSet;
use crate::txt::TxtProperties;

/// The transport label of a service type. RFC 6763 section 7: `_tcp` for
/// TCP, `_udp` for everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// `_tcp`.
    Tcp,
    /// `_udp` (any protocol other than TCP).
    Udp,
}

impl Protocol {
    /// The label, `_tcp` or `_udp`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Tcp => "_tcp",
            Self::Udp => "_udp",
        }
    }
}

/// The name under which service types are listed (RFC 6763 section 9).
pub const SERVICE_TYPE_ENUMERATION: &str = "_services._dns-sd._udp";

/// A service type such as `_http._tcp`.
///
/// The service name follows RFC 6335 section 5.1 (as RFC 6763 section 7
/// asks): 1 to 15 letters, digits and hyphens, at least one letter, no
/// hyphen at either end or twice in a row.
///
/// ```
/// use dns_core::{Name, ServiceType};
/// let t: ServiceType = "_http._tcp".parse().unwrap();
/// let domain = Name::parse("example.com").unwrap();
/// assert_eq!(t.name_in(&domain).unwrap().to_string(), "_http._tcp.example.com.");
/// assert_eq!(t.subtype_name_in("_printer".parse().unwrap(), &domain).unwrap().to_string(),
///            "_printer._sub._http._tcp.example.com.");
/// assert!("_way-too-long-service-name._tcp".parse::<ServiceType>().is_err());
/// assert!("http._tcp".parse::<ServiceType>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceType {
    service: String,
    protocol: Protocol,
}

impl ServiceType {
    /// A service type from its name (with or without the leading `_`) and protocol.
    pub fn new(service: &str, protocol: Protocol) -> Result<Self, ParseError> {
        let bare = service.strip_prefix('_').unwrap_or(service);
        let fail = |reason: &str| Err(ParseError::new("service name", service, reason));
        if bare.is_empty() || bare.len() > 15 {
            return fail("must be 1 to 15 characters (RFC 6335)");
        }
        if !bare.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return fail("may hold only letters, digits and '-'");
        }
        if !bare.bytes().any(|b| b.is_ascii_alphabetic()) {
            return fail("needs at least one letter");
        }
        if bare.starts_with('-') || bare.ends_with('-') || bare.contains("--") {
            return fail("may not start or end with '-' or hold \"--\"");
        }
        Ok(Self {
            service: bare.to_owned(),
            protocol,
        })
    }

    /// The service name without the leading underscore (`http`).
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The protocol.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The two labels, `_http` and `_tcp`.
    fn labels(&self) -> [Label; 2] {
        // Both are short ASCII, so the labels are always valid.
        [
            Label::new(format!("_{}", self.service)).unwrap_or_else(|_| unreachable!()),
            Label::new(self.protocol.label()).unwrap_or_else(|_| unreachable!()),
        ]
    }

    /// `_service._proto.<domain>`: where instances are listed (PTR).
    pub fn name_in(&self, domain: &Name) -> Result<Name, ParseError> {
        Name::from_labels(
            self.labels()
                .into_iter()
                .chain(domain.labels().iter().cloned()),
        )
    }

    /// `<subtype>._sub._service._proto.<domain>` (RFC 6763 section 7.1).
    pub fn subtype_name_in(&self, subtype: Label, domain: &Name) -> Result<Name, ParseError> {
        let sub = Label::new("_sub")?;
        Name::from_labels(
            [subtype, sub]
                .into_iter()
                .chain(self.labels())
                .chain(domain.labels().iter().cloned()),
        )
    }

    /// Reads `_service._proto` off the left of `name` (the rest is the domain).
    pub fn split_name(name: &Name) -> Option<(Self, Name)> {
        let labels = name.labels();
        if labels.len() < 2 {
            return None;
        }
        let service = labels[0].as_str()?.strip_prefix('_')?;
        let protocol = match labels[1].as_str()?.to_ascii_lowercase().as_str() {
            "_tcp" => Protocol::Tcp,
            "_udp" => Protocol::Udp,
            _ => return None,
        };
        let t = Self::new(service, protocol).ok()?;
        let domain = Name::from_labels(labels[2..].iter().cloned()).ok()?;
        Some((t, domain))
    }
}

impl fmt::Display for ServiceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "_{}.{}", self.service, self.protocol.label())
    }
}

impl FromStr for ServiceType {
    type Err = ParseError;

    /// `_name._tcp` or `_name._udp` (a trailing dot is tolerated).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.strip_suffix('.').unwrap_or(s);
        let Some((service, proto)) = trimmed.split_once('.') else {
            return Err(ParseError::new(
                "service type",
                s,
                "must look like _name._tcp or _name._udp",
            ));
        };
        if !service.starts_with('_') {
            return Err(ParseError::new(
                "service type",
                s,
                "the service label must start with '_'",
            ));
        }
        let protocol = match proto.to_ascii_lowercase().as_str() {
            "_tcp" => Protocol::Tcp,
            "_udp" => Protocol::Udp,
            _ => {
                return Err(ParseError::new(
                    "service type",
                    s,
                    "the protocol must be _tcp or _udp",
                ));
            }
        };
        Self::new(service, protocol)
    }
}

/// One place a service instance runs: an SRV value, plus the host's
/// addresses when the registrant publishes them too.
///
/// ```
/// use dns_core::{Name, Target};
/// let t = Target::new(Name::parse("web-1.example.com").unwrap(), 8080)
///     .with_priority(10)
///     .with_weight(60)
///     .with_address("192.0.2.10".parse().unwrap());
/// assert_eq!(t.srv().to_string(), "10 60 8080 web-1.example.com.");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// The host (SRV target).
    pub host: Name,
    /// The port.
    pub port: u16,
    /// SRV priority (lower first).
    pub priority: u16,
    /// SRV weight (share within a priority).
    pub weight: u16,
    /// Addresses to publish as A/AAAA at `host` (may be empty when the host
    /// records are managed elsewhere).
    pub addresses: Vec<IpAddr>,
}

impl Target {
    /// A target at `host:port`, priority 0, weight 0, no addresses.
    pub fn new(host: Name, port: u16) -> Self {
        Self {
            host,
            port,
            priority: 0,
            weight: 0,
            addresses: Vec::new(),
        }
    }

    /// Sets the priority.
    pub fn with_priority(mut self, priority: u16) -> Self {
        self.priority = priority;
        self
    }

    /// Sets the weight.
    pub fn with_weight(mut self, weight: u16) -> Self {
        self.weight = weight;
        self
    }

    /// Adds an address to publish for the host.
    pub fn with_address(mut self, address: IpAddr) -> Self {
        if !self.addresses.contains(&address) {
            self.addresses.push(address);
        }
        self
    }

    /// The SRV data for this target.
    pub fn srv(&self) -> Srv {
        Srv::new(self.priority, self.weight, self.port, self.host.clone())
    }
}

/// A DNS-SD service instance: `<Instance>.<_service>.<_proto>.<domain>`.
///
/// The instance label is raw (spaces, dots and UTF-8 allowed, at most 63
/// octets). [`ServiceInstance::records`] gives the record sets that publish
/// it; `dns-sd-registry`'s `ServiceRegistry` adds and removes them.
///
/// ```
/// use dns_core::{Name, ServiceInstance, Target, TxtProperties};
/// let web = ServiceInstance::new("Web Front.v1", "_http._tcp".parse()?, Name::parse("example.com")?)?
///     .with_target(Target::new(Name::parse("web-1.example.com")?, 8080)
///         .with_address("192.0.2.10".parse()?))
///     .with_txt(TxtProperties::new().with("path", "/")?)
///     .with_ttl(60);
/// assert_eq!(web.name().to_string(), r"Web\032Front\.v1._http._tcp.example.com.");
/// let records = web.records();
/// assert_eq!(records.all().len(), 5); // A, SRV, TXT, PTR and the type-enumeration PTR
/// for set in records.all() { print!("{set}"); }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceInstance {
    instance: Label,
    service: ServiceType,
    domain: Name,
    name: Name,
    service_name: Name,
    targets: Vec<Target>,
    txt: TxtProperties,
    subtypes: Vec<Label>,
    ttl: u32,
    announce_type: bool,
}

impl ServiceInstance {
    /// Default TTL of the records (seconds). Short, so that a crashed
    /// instance that never deregisters stops being handed out soon.
    pub const DEFAULT_TTL: u32 = 120;

    /// An instance with no targets yet. `instance` is the raw label text.
    pub fn new(instance: &str, service: ServiceType, domain: Name) -> Result<Self, ParseError> {
        Self::from_label(Label::new(instance)?, service, domain)
    }

    /// An instance from an already-built label (for non-UTF-8 labels).
    pub fn from_label(
        instance: Label,
        service: ServiceType,
        domain: Name,
    ) -> Result<Self, ParseError> {
        let service_name = service.name_in(&domain)?;
        let name = service_name.prepend(instance.clone())?;
        Ok(Self {
            instance,
            service,
            domain,
            name,
            service_name,
            targets: Vec::new(),
            txt: TxtProperties::new(),
            subtypes: Vec::new(),
            ttl: Self::DEFAULT_TTL,
            announce_type: true,
        })
    }

    /// Adds a target (a later target with the same host and port replaces it).
    pub fn with_target(mut self, target: Target) -> Self {
        self.targets
            .retain(|t| !(t.host == target.host && t.port == target.port));
        self.targets.push(target);
        self
    }

    /// Sets the TXT properties.
    pub fn with_txt(mut self, txt: TxtProperties) -> Self {
        self.txt = txt;
        self
    }

    /// Adds a subtype (RFC 6763 section 7.1), e.g. `_printer`.
    pub fn with_subtype(mut self, subtype: Label) -> Self {
        if !self.subtypes.contains(&subtype) {
            self.subtypes.push(subtype);
        }
        self
    }

    /// Sets the TTL of every record. It is kept as given: a value above
    /// [`MAX_TTL`](crate::MAX_TTL) is refused by the registry's checks
    /// ([`check_ttl`](crate::check_ttl)), never capped, and
    /// [`records`](Self::records) leaves out what cannot be a record set.
    pub fn with_ttl(mut self, ttl: u32) -> Self {
        self.ttl = ttl;
        self
    }

    /// Whether to list the service type under `_services._dns-sd._udp`
    /// (default: yes).
    pub fn with_type_announcement(mut self, announce: bool) -> Self {
        self.announce_type = announce;
        self
    }

    /// The instance label.
    pub fn instance(&self) -> &Label {
        &self.instance
    }

    /// The service type.
    pub fn service(&self) -> &ServiceType {
        &self.service
    }

    /// The domain the service lives in.
    pub fn domain(&self) -> &Name {
        &self.domain
    }

    /// The full instance name.
    pub fn name(&self) -> &Name {
        &self.name
    }

    /// `_service._proto.<domain>`.
    pub fn service_name(&self) -> &Name {
        &self.service_name
    }

    /// The targets.
    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    /// The TXT properties.
    pub fn txt(&self) -> &TxtProperties {
        &self.txt
    }

    /// The subtypes.
    pub fn subtypes(&self) -> &[Label] {
        &self.subtypes
    }

    /// The TTL.
    pub fn ttl(&self) -> u32 {
        self.ttl
    }

    /// Whether the type is announced under `_services._dns-sd._udp`.
    pub fn announces_type(&self) -> bool {
        self.announce_type
    }

    /// The record sets that publish this instance.
    pub fn records(&self) -> ServiceRecords {
        let ttl = self.ttl;
        let set = |name: &Name, values: Vec<RData>| {
            // Values are non-empty and of one type by construction.
            RecordSet::new(name.clone(), ttl, values).ok()
        };
        let ptr_to_instance = RData::PTR(self.name.clone());
        let ptr = set(&self.service_name, vec![ptr_to_instance.clone()]);
        let srv = set(
            &self.name,
            self.targets.iter().map(|t| RData::SRV(t.srv())).collect(),
        );
        let txt = set(&self.name, vec![RData::TXT(self.txt.to_txt())]);
        let mut addresses: Vec<RecordSet> = Vec::new();
        for target in &self.targets {
            for family_v4 in [true, false] {
                let values: Vec<RData> = target
                    .addresses
                    .iter()
                    .filter(|a| a.is_ipv4() == family_v4)
                    .map(|a| RData::from(*a))
                    .collect();
                let Some(new) = set(&target.host, values) else {
                    continue;
                };
                match addresses.iter_mut().find(|s| s.key() == new.key()) {
                    Some(existing) => *existing = existing.union(new.values(), ttl),
                    None => addresses.push(new),
                }
            }
        }
        let subtypes = self
            .subtypes
            .iter()
            .filter_map(|sub| self.service.subtype_name_in(sub.clone(), &self.domain).ok())
            .filter_map(|name| set(&name, vec![ptr_to_instance.clone()]))
            .collect();
        let enumeration = self
            .announce_type
            .then(|| {
                let at = Name::parse(SERVICE_TYPE_ENUMERATION)
                    .ok()?
                    .join(&self.domain)
                    .ok()?;
                set(&at, vec![RData::PTR(self.service_name.clone())])
            })
            .flatten();
        ServiceRecords {
            ptr: ptr.into_iter().collect(),
            srv,
            txt: txt.into_iter().collect(),
            addresses,
            subtypes,
            enumeration,
        }
    }
}

/// The record sets of one [`ServiceInstance`], by role.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceRecords {
    /// `_service._proto.<domain> PTR <instance>` (shared with other instances).
    pub ptr: Vec<RecordSet>,
    /// `<instance> SRV …`, one value per target (shared by the instance's targets).
    pub srv: Option<RecordSet>,
    /// `<instance> TXT …`.
    pub txt: Vec<RecordSet>,
    /// `<host> A/AAAA …` for targets that carry addresses.
    pub addresses: Vec<RecordSet>,
    /// `<sub>._sub._service._proto.<domain> PTR <instance>`.
    pub subtypes: Vec<RecordSet>,
    /// `_services._dns-sd._udp.<domain> PTR _service._proto.<domain>`.
    pub enumeration: Option<RecordSet>,
}

impl ServiceRecords {
    /// Every set, in publishing order: addresses, SRV, TXT, then the PTRs
    /// that point at them (so a browser never finds a PTR to nothing).
    pub fn all(&self) -> Vec<RecordSet> {
        self.addresses
            .iter()
            .chain(&self.srv)
            .chain(&self.txt)
            .chain(&self.ptr)
            .chain(&self.subtypes)
            .chain(&self.enumeration)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdata::RecordType;

    fn domain() -> Name {
        Name::parse("example.com").unwrap()
    }

    #[test]
    fn service_name_rules() {
        for ok in ["_http._tcp", "_a._udp", "_x-y2._tcp.", "_123abc._TCP"] {
            assert!(ok.parse::<ServiceType>().is_ok(), "{ok}");
        }
        for bad in [
            "_._tcp",
            "_123._tcp",
            "_-a._tcp",
            "_a-._tcp",
            "_a--b._tcp",
            "_a._sctp",
            "_a",
            "_a_b._tcp",
        ] {
            assert!(bad.parse::<ServiceType>().is_err(), "{bad}");
        }
        assert_eq!(
            "_HTTP._tcp".parse::<ServiceType>().unwrap().to_string(),
            "_HTTP._tcp"
        );
    }

    #[test]
    fn split_name_reads_type_and_domain() {
        let name = Name::parse("_ipp._tcp.example.com").unwrap();
        let (t, d) = ServiceType::split_name(&name).unwrap();
        assert_eq!(t.to_string(), "_ipp._tcp");
        assert_eq!(d, domain());
        assert!(ServiceType::split_name(&domain()).is_none());
    }

    #[test]
    fn records_cover_every_piece() {
        let host = Name::parse("h1.example.com").unwrap();
        let inst = ServiceInstance::new("Büro Printer.2", "_ipp._tcp".parse().unwrap(), domain())
            .unwrap()
            .with_target(
                Target::new(host.clone(), 631)
                    .with_address("192.0.2.1".parse().unwrap())
                    .with_address("2001:db8::1".parse().unwrap()),
            )
            .with_target(Target::new(host, 632).with_address("192.0.2.2".parse().unwrap()))
            .with_subtype("_color".parse().unwrap())
            .with_ttl(30);
        let r = inst.records();
        assert_eq!(r.srv.as_ref().unwrap().len(), 2);
        assert_eq!(r.addresses.len(), 2);
        let a = r
            .addresses
            .iter()
            .find(|s| s.record_type() == RecordType::A)
            .unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(r.txt[0].values(), [RData::TXT(crate::Txt::empty())]);
        assert_eq!(
            r.subtypes[0].name().to_string(),
            "_color._sub._ipp._tcp.example.com."
        );
        assert_eq!(
            r.enumeration.as_ref().unwrap().to_string(),
            "_services._dns-sd._udp.example.com. 30 IN PTR _ipp._tcp.example.com.\n"
        );
        assert!(r.all().iter().all(|s| s.ttl() == 30));
        assert_eq!(r.all().len(), 1 + 1 + 1 + 2 + 1 + 1);
    }

    #[test]
    fn instance_label_limit_is_enforced() {
        let t: ServiceType = "_http._tcp".parse().unwrap();
        assert!(ServiceInstance::new(&"x".repeat(64), t.clone(), domain()).is_err());
        assert!(ServiceInstance::new("", t, domain()).is_err());
    }
}
