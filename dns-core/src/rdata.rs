//! Record types and record data: [`RecordType`], [`RData`] and the typed
//! values [`Srv`], [`Mx`], [`Caa`] and [`Opaque`].

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::error::ParseError;
use crate::name::Name;
use crate::txt::{Escapes, Txt, parse_strings, write_quoted};

/// A DNS record type, by its 16-bit code.
///
/// The types this crate models have constants; every other type is still
/// representable (its data is kept verbatim as [`Opaque`]). Displays as the
/// mnemonic, or `TYPE<n>` (RFC 3597) for types without one here.
///
/// ```
/// use dns_core::RecordType;
/// assert_eq!("srv".parse::<RecordType>().unwrap(), RecordType::SRV);
/// assert_eq!(RecordType::from_code(33), RecordType::SRV);
/// assert_eq!("TYPE65".parse::<RecordType>().unwrap().to_string(), "HTTPS");
/// assert_eq!(RecordType::from_code(65280).to_string(), "TYPE65280");
/// assert!(!RecordType::from_code(6).is_modelled());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordType(u16);

#[allow(clippy::upper_case_acronyms)]
impl RecordType {
    /// IPv4 address.
    pub const A: Self = Self(1);
    /// Name server.
    pub const NS: Self = Self(2);
    /// Canonical name (alias).
    pub const CNAME: Self = Self(5);
    /// Start of authority.
    pub const SOA: Self = Self(6);
    /// Domain name pointer (DNS-SD browsing).
    pub const PTR: Self = Self(12);
    /// Mail exchange.
    pub const MX: Self = Self(15);
    /// Text strings (DNS-SD properties).
    pub const TXT: Self = Self(16);
    /// IPv6 address.
    pub const AAAA: Self = Self(28);
    /// Service location (RFC 2782).
    pub const SRV: Self = Self(33);
    /// Certification authority authorization.
    pub const CAA: Self = Self(257);

    /// The types with typed data in [`RData`]; others are [`RData::Opaque`].
    pub const MODELLED: [Self; 9] = [
        Self::A,
        Self::AAAA,
        Self::CNAME,
        Self::TXT,
        Self::SRV,
        Self::PTR,
        Self::MX,
        Self::NS,
        Self::CAA,
    ];

    /// The type with this code.
    pub const fn from_code(code: u16) -> Self {
        Self(code)
    }

    /// The 16-bit type code.
    pub const fn code(self) -> u16 {
        self.0
    }

    /// Whether [`RData`] has typed data for this type.
    pub fn is_modelled(self) -> bool {
        Self::MODELLED.contains(&self)
    }

    /// The mnemonic, when this crate knows one.
    pub fn mnemonic(self) -> Option<&'static str> {
        MNEMONICS
            .iter()
            .find(|(_, code)| *code == self.0)
            .map(|(m, _)| *m)
    }
}

/// Mnemonics of the types providers commonly list (modelled or not).
const MNEMONICS: &[(&str, u16)] = &[
    ("A", 1),
    ("NS", 2),
    ("CNAME", 5),
    ("SOA", 6),
    ("HINFO", 13),
    ("PTR", 12),
    ("MX", 15),
    ("TXT", 16),
    ("RP", 17),
    ("AFSDB", 18),
    ("AAAA", 28),
    ("LOC", 29),
    ("SRV", 33),
    ("NAPTR", 35),
    ("CERT", 37),
    ("DNAME", 39),
    ("DS", 43),
    ("SSHFP", 44),
    ("RRSIG", 46),
    ("NSEC", 47),
    ("DNSKEY", 48),
    ("TLSA", 52),
    ("SMIMEA", 53),
    ("OPENPGPKEY", 61),
    ("SVCB", 64),
    ("HTTPS", 65),
    ("SPF", 99),
    ("URI", 256),
    ("CAA", 257),
];

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mnemonic() {
            Some(m) => f.write_str(m),
            None => write!(f, "TYPE{}", self.0),
        }
    }
}

impl fmt::Debug for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for RecordType {
    type Err = ParseError;

    /// A mnemonic (any case) or `TYPE<n>`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some((_, code)) = MNEMONICS.iter().find(|(m, _)| m.eq_ignore_ascii_case(s)) {
            return Ok(Self(*code));
        }
        let digits = s
            .get(..4)
            .filter(|p| p.eq_ignore_ascii_case("TYPE"))
            .map(|_| &s[4..]);
        digits
            .and_then(|d| d.parse::<u16>().ok())
            .map(Self)
            .ok_or_else(|| ParseError::new("record type", s, "is not a known mnemonic or TYPE<n>"))
    }
}

/// SRV data (RFC 2782): where one target of a service runs.
///
/// A target of `.` (the root) means the service is deliberately unavailable.
///
/// ```
/// use dns_core::{Name, Srv};
/// let srv: Srv = "10 60 8080 web-1.example.com.".parse().unwrap();
/// assert_eq!((srv.priority, srv.weight, srv.port), (10, 60, 8080));
/// assert_eq!(srv.to_string(), "10 60 8080 web-1.example.com.");
/// assert!(Srv::new(0, 0, 0, Name::root()).is_unavailable());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Srv {
    /// Lower is tried first.
    pub priority: u16,
    /// Relative share among targets of equal priority.
    pub weight: u16,
    /// The port the service listens on.
    pub port: u16,
    /// The host providing the service; `.` means "not available".
    pub target: Name,
}

impl Srv {
    /// SRV data from its four fields.
    pub fn new(priority: u16, weight: u16, port: u16, target: Name) -> Self {
        Self {
            priority,
            weight,
            port,
            target,
        }
    }

    /// Whether the target is `.`: the service is decidedly not available here.
    pub fn is_unavailable(&self) -> bool {
        self.target.is_root()
    }
}

impl fmt::Display for Srv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {}",
            self.priority, self.weight, self.port, self.target
        )
    }
}

impl FromStr for Srv {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let fields: Vec<&str> = s.split_ascii_whitespace().collect();
        let [priority, weight, port, target] = fields[..] else {
            return Err(ParseError::new(
                "SRV",
                s,
                "needs four fields: priority weight port target",
            ));
        };
        let number = |field: &str, what: &str| {
            field
                .parse::<u16>()
                .map_err(|_| ParseError::new("SRV", s, format!("{what} {field:?} is not 0-65535")))
        };
        Ok(Self {
            priority: number(priority, "priority")?,
            weight: number(weight, "weight")?,
            port: number(port, "port")?,
            target: Name::parse(target).map_err(|e| ParseError::new("SRV", s, e.to_string()))?,
        })
    }
}

/// MX data: a mail exchange and its preference (lower first).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mx {
    /// Lower is preferred.
    pub preference: u16,
    /// The mail server.
    pub exchange: Name,
}

impl Mx {
    /// MX data from its fields.
    pub fn new(preference: u16, exchange: Name) -> Self {
        Self {
            preference,
            exchange,
        }
    }
}

impl fmt::Display for Mx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.preference, self.exchange)
    }
}

impl FromStr for Mx {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let fields: Vec<&str> = s.split_ascii_whitespace().collect();
        let [preference, exchange] = fields[..] else {
            return Err(ParseError::new(
                "MX",
                s,
                "needs two fields: preference exchange",
            ));
        };
        Ok(Self {
            preference: preference
                .parse()
                .map_err(|_| ParseError::new("MX", s, "preference is not 0-65535"))?,
            exchange: Name::parse(exchange).map_err(|e| ParseError::new("MX", s, e.to_string()))?,
        })
    }
}

/// CAA data (RFC 8659): which CAs may issue for a name.
///
/// ```
/// use dns_core::Caa;
/// let caa: Caa = r#"0 issue "letsencrypt.org""#.parse().unwrap();
/// assert_eq!(caa.tag, "issue");
/// assert_eq!(caa.value, b"letsencrypt.org");
/// assert_eq!(caa.to_string(), r#"0 issue "letsencrypt.org""#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Caa {
    /// Flags; 128 is "issuer critical".
    pub flags: u8,
    /// The property tag (`issue`, `issuewild`, `iodef`, ...): ASCII letters and digits.
    pub tag: String,
    /// The property value, raw.
    pub value: Vec<u8>,
}

impl Caa {
    /// CAA data from its fields; the tag must be 1+ ASCII letters or digits.
    pub fn new(flags: u8, tag: &str, value: impl Into<Vec<u8>>) -> Result<Self, ParseError> {
        if tag.is_empty() || !tag.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ParseError::new(
                "CAA tag",
                tag,
                "must be ASCII letters and digits",
            ));
        }
        Ok(Self {
            flags,
            tag: tag.to_owned(),
            value: value.into(),
        })
    }

    /// Presentation form (`0 issue "ca.example"`) with three-digit escapes
    /// in the value written as `escapes` says (`Display` writes decimal).
    pub fn to_string_with(&self, escapes: Escapes) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = self.write(&mut out, escapes);
        out
    }

    fn write(&self, out: &mut impl fmt::Write, escapes: Escapes) -> fmt::Result {
        write!(out, "{} {} ", self.flags, self.tag)?;
        write_quoted(out, &self.value, escapes)
    }

    /// Parses presentation form, reading three-digit escapes in the value
    /// as `escapes` says (`FromStr` reads decimal).
    pub fn parse_with(s: &str, escapes: Escapes) -> Result<Self, ParseError> {
        let mut parts = s.trim().splitn(3, |c: char| c.is_ascii_whitespace());
        let (Some(flags), Some(tag), Some(value)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(ParseError::new(
                "CAA",
                s,
                "needs three fields: flags tag value",
            ));
        };
        let flags = flags
            .parse()
            .map_err(|_| ParseError::new("CAA", s, "flags are not 0-255"))?;
        let value = parse_strings(value, "CAA value", None, escapes)?;
        if value.len() != 1 {
            return Err(ParseError::new("CAA", s, "the value must be one string"));
        }
        Self::new(flags, tag, value.concat())
    }
}

impl fmt::Display for Caa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, Escapes::Decimal)
    }
}

impl FromStr for Caa {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_with(s, Escapes::Decimal)
    }
}

/// Data of a type this crate does not model, kept verbatim in the
/// provider's presentation form so it survives a round trip untouched.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Opaque {
    rtype: RecordType,
    text: String,
}

impl Opaque {
    /// Opaque data of type `rtype` in presentation form.
    pub fn new(rtype: RecordType, text: impl Into<String>) -> Self {
        Self {
            rtype,
            text: text.into(),
        }
    }

    /// The record type.
    pub fn record_type(&self) -> RecordType {
        self.rtype
    }

    /// The data, as the provider gave it.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// The data of one record.
///
/// ```
/// use dns_core::{RData, RecordType};
/// let rdata = RData::parse(RecordType::SRV, "0 5 443 api.example.com.").unwrap();
/// assert_eq!(rdata.record_type(), RecordType::SRV);
/// assert_eq!(rdata.to_string(), "0 5 443 api.example.com.");
/// let soa = RData::parse(RecordType::SOA, "ns. host. 1 2 3 4 5").unwrap();
/// assert!(matches!(soa, RData::Opaque(_)));
/// assert!(RData::parse(RecordType::A, "300.1.1.1").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(clippy::upper_case_acronyms)]
pub enum RData {
    /// IPv4 address.
    A(Ipv4Addr),
    /// IPv6 address.
    AAAA(Ipv6Addr),
    /// Canonical name.
    CNAME(Name),
    /// Text strings.
    TXT(Txt),
    /// Service location.
    SRV(Srv),
    /// Pointer.
    PTR(Name),
    /// Mail exchange.
    MX(Mx),
    /// Name server.
    NS(Name),
    /// Certification authority authorization.
    CAA(Caa),
    /// Any other type, kept verbatim.
    Opaque(Opaque),
}

impl RData {
    /// The record type of this data.
    pub fn record_type(&self) -> RecordType {
        match self {
            Self::A(_) => RecordType::A,
            Self::AAAA(_) => RecordType::AAAA,
            Self::CNAME(_) => RecordType::CNAME,
            Self::TXT(_) => RecordType::TXT,
            Self::SRV(_) => RecordType::SRV,
            Self::PTR(_) => RecordType::PTR,
            Self::MX(_) => RecordType::MX,
            Self::NS(_) => RecordType::NS,
            Self::CAA(_) => RecordType::CAA,
            Self::Opaque(o) => o.rtype,
        }
    }

    /// Parses presentation-form data of type `rtype`. Types that are not
    /// modelled become [`RData::Opaque`] with the text trimmed.
    pub fn parse(rtype: RecordType, text: &str) -> Result<Self, ParseError> {
        let t = text.trim();
        let what = "record data";
        Ok(match rtype {
            RecordType::A => Self::A(
                t.parse()
                    .map_err(|_| ParseError::new(what, text, "is not an IPv4 address"))?,
            ),
            RecordType::AAAA => Self::AAAA(
                t.parse()
                    .map_err(|_| ParseError::new(what, text, "is not an IPv6 address"))?,
            ),
            RecordType::CNAME => Self::CNAME(Name::parse(t)?),
            RecordType::PTR => Self::PTR(Name::parse(t)?),
            RecordType::NS => Self::NS(Name::parse(t)?),
            RecordType::TXT => Self::TXT(Txt::parse(t)?),
            RecordType::SRV => Self::SRV(t.parse()?),
            RecordType::MX => Self::MX(t.parse()?),
            RecordType::CAA => Self::CAA(t.parse()?),
            other => {
                if t.is_empty() {
                    return Err(ParseError::new(what, text, "is empty"));
                }
                Self::Opaque(Opaque::new(other, t))
            }
        })
    }

    /// The names inside the data (targets of CNAME, PTR, NS, MX, SRV).
    pub fn target_name(&self) -> Option<&Name> {
        match self {
            Self::CNAME(n) | Self::PTR(n) | Self::NS(n) => Some(n),
            Self::MX(mx) => Some(&mx.exchange),
            Self::SRV(srv) => Some(&srv.target),
            _ => None,
        }
    }

    /// Octets of data this value counts for, roughly as providers count
    /// "value characters" (its presentation length).
    pub fn presentation_len(&self) -> usize {
        self.to_string().len()
    }
}

impl fmt::Display for RData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::A(ip) => ip.fmt(f),
            Self::AAAA(ip) => ip.fmt(f),
            Self::CNAME(n) | Self::PTR(n) | Self::NS(n) => n.fmt(f),
            Self::TXT(t) => t.fmt(f),
            Self::SRV(s) => s.fmt(f),
            Self::MX(m) => m.fmt(f),
            Self::CAA(c) => c.fmt(f),
            Self::Opaque(o) => f.write_str(&o.text),
        }
    }
}

impl From<Ipv4Addr> for RData {
    fn from(ip: Ipv4Addr) -> Self {
        Self::A(ip)
    }
}

impl From<Ipv6Addr> for RData {
    fn from(ip: Ipv6Addr) -> Self {
        Self::AAAA(ip)
    }
}

impl From<std::net::IpAddr> for RData {
    fn from(ip: std::net::IpAddr) -> Self {
        match ip {
            std::net::IpAddr::V4(v4) => Self::A(v4),
            std::net::IpAddr::V6(v6) => Self::AAAA(v6),
        }
    }
}

impl From<Txt> for RData {
    fn from(txt: Txt) -> Self {
        Self::TXT(txt)
    }
}

impl From<Srv> for RData {
    fn from(srv: Srv) -> Self {
        Self::SRV(srv)
    }
}

impl From<Mx> for RData {
    fn from(mx: Mx) -> Self {
        Self::MX(mx)
    }
}

impl From<Caa> for RData {
    fn from(caa: Caa) -> Self {
        Self::CAA(caa)
    }
}

impl From<Opaque> for RData {
    fn from(o: Opaque) -> Self {
        Self::Opaque(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_type_round_trips() {
        for code in [1u16, 2, 5, 6, 12, 15, 16, 28, 33, 65, 99, 257, 4242, 65535] {
            let t = RecordType::from_code(code);
            assert_eq!(t.to_string().parse::<RecordType>().unwrap(), t);
        }
        assert!("BOGUS".parse::<RecordType>().is_err());
        assert!("TYPE70000".parse::<RecordType>().is_err());
        assert!("TYPE".parse::<RecordType>().is_err());
    }

    #[test]
    fn every_modelled_type_round_trips_through_text() {
        let samples = [
            (RecordType::A, "192.0.2.1"),
            (RecordType::AAAA, "2001:db8::1"),
            (RecordType::CNAME, "target.example."),
            (RecordType::TXT, r#""a" "b\"c""#),
            (RecordType::SRV, "0 0 80 ."),
            (RecordType::PTR, r"My\032Printer._ipp._tcp.example."),
            (RecordType::MX, "10 mx.example."),
            (RecordType::NS, "ns1.example."),
            (
                RecordType::CAA,
                r#"128 issuewild "ca.example; policy=\"x\"""#,
            ),
            (RecordType::from_code(44), "1 1 123456789abcdef"),
        ];
        for (t, text) in samples {
            let d = RData::parse(t, text).unwrap();
            assert_eq!(d.record_type(), t);
            assert_eq!(d.to_string(), text, "{t}");
            assert_eq!(RData::parse(t, &d.to_string()).unwrap(), d);
        }
    }

    #[test]
    fn bad_data_is_refused() {
        assert!(RData::parse(RecordType::SRV, "1 2 3").is_err());
        assert!(RData::parse(RecordType::SRV, "1 2 70000 x.").is_err());
        assert!(RData::parse(RecordType::MX, "x mx.").is_err());
        assert!(RData::parse(RecordType::CAA, "0 is-sue \"x\"").is_err());
        assert!(RData::parse(RecordType::from_code(6), "  ").is_err());
        assert!(RData::parse(RecordType::CNAME, "a..b").is_err());
    }

    #[test]
    fn long_caa_value_stays_one_string() {
        let caa = Caa::new(0, "iodef", vec![b'x'; 300]).unwrap();
        let text = caa.to_string();
        assert_eq!(text.matches('"').count(), 2);
        assert_eq!(text.parse::<Caa>().unwrap(), caa);
    }
}
