//! [`RecordSet`]: every value of one (name, type) with its TTL.

use std::fmt;

use crate::error::ParseError;
use crate::name::Name;
use crate::rdata::{RData, RecordType};

/// The largest TTL RFC 2181 section 8 allows (2^31 - 1 seconds).
pub const MAX_TTL: u32 = i32::MAX as u32;

/// The one TTL rule every record set, service instance and command line
/// option follows: at most [`MAX_TTL`]. A larger value is refused, never
/// capped, because a silently shortened TTL is not what was asked for.
///
/// ```
/// use dns_core::{MAX_TTL, check_ttl};
/// assert_eq!(check_ttl(300).unwrap(), 300);
/// assert_eq!(check_ttl(MAX_TTL).unwrap(), MAX_TTL);
/// let e = check_ttl(MAX_TTL + 1).unwrap_err();
/// assert_eq!(e.to_string(), r#"invalid TTL "2147483648": above the 2147483647 seconds RFC 2181 section 8 allows"#);
/// ```
pub fn check_ttl(ttl: u32) -> Result<u32, ParseError> {
    if ttl > MAX_TTL {
        return Err(ParseError::new(
            "TTL",
            ttl.to_string(),
            format!("above the {MAX_TTL} seconds RFC 2181 section 8 allows"),
        ));
    }
    Ok(ttl)
}

/// All values of one (name, type), sharing one TTL: the unit DNS answers with
/// and Route 53 stores. Never empty; values are distinct (a duplicate given
/// on construction is dropped, first occurrence kept) and keep their order.
///
/// `Display` prints zone-file lines, one per value.
///
/// ```
/// use dns_core::{Name, RData, RecordSet, Srv};
/// let name = Name::parse("_http._tcp.example.com").unwrap();
/// let set = RecordSet::new(name, 300, [
///     RData::PTR(Name::parse("web._http._tcp.example.com").unwrap()),
/// ]).unwrap();
/// assert_eq!(set.to_string(), "_http._tcp.example.com. 300 IN PTR web._http._tcp.example.com.\n");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSet {
    name: Name,
    rtype: RecordType,
    ttl: u32,
    values: Vec<RData>,
}

impl RecordSet {
    /// A set whose type is that of its values; they must all share one type,
    /// there must be at least one, and a CNAME set holds exactly one.
    pub fn new(
        name: Name,
        ttl: u32,
        values: impl IntoIterator<Item = RData>,
    ) -> Result<Self, ParseError> {
        let values: Vec<RData> = values.into_iter().collect();
        let Some(first) = values.first() else {
            return Err(ParseError::new(
                "record set",
                name.to_string(),
                "has no values (a record set holds at least one)",
            ));
        };
        let rtype = first.record_type();
        Self::with_type(name, rtype, ttl, values)
    }

    /// A set of type `rtype`; every value must be of that type.
    pub fn with_type(
        name: Name,
        rtype: RecordType,
        ttl: u32,
        values: impl IntoIterator<Item = RData>,
    ) -> Result<Self, ParseError> {
        let mut distinct: Vec<RData> = Vec::new();
        for v in values {
            if v.record_type() != rtype {
                return Err(ParseError::new(
                    "record set",
                    format!("{name} {rtype}"),
                    format!("holds a {} value ({v})", v.record_type()),
                ));
            }
            if !distinct.contains(&v) {
                distinct.push(v);
            }
        }
        if distinct.is_empty() {
            return Err(ParseError::new(
                "record set",
                format!("{name} {rtype}"),
                "has no values (a record set holds at least one)",
            ));
        }
        if rtype == RecordType::CNAME && distinct.len() > 1 {
            return Err(ParseError::new(
                "record set",
                format!("{name} {rtype}"),
                "a CNAME set holds exactly one value",
            ));
        }
        check_ttl(ttl)?;
        Ok(Self {
            name,
            rtype,
            ttl,
            values: distinct,
        })
    }

    /// The owner name.
    pub fn name(&self) -> &Name {
        &self.name
    }

    /// The record type.
    pub fn record_type(&self) -> RecordType {
        self.rtype
    }

    /// The TTL in seconds.
    pub fn ttl(&self) -> u32 {
        self.ttl
    }

    /// The values, in order, distinct.
    pub fn values(&self) -> &[RData] {
        &self.values
    }

    /// Takes the values out.
    pub fn into_values(self) -> Vec<RData> {
        self.values
    }

    /// How many values.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Always false: a set has at least one value. Present for symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Whether `value` is in the set.
    pub fn contains(&self, value: &RData) -> bool {
        self.values.contains(value)
    }

    /// Whether both sets hold the same values, in any order.
    pub fn same_values(&self, other: &[RData]) -> bool {
        other.iter().all(|v| self.values.contains(v))
            && self.values.iter().all(|v| other.contains(v))
    }

    /// The same set with another TTL.
    pub fn with_ttl(mut self, ttl: u32) -> Self {
        self.ttl = ttl.min(MAX_TTL);
        self
    }

    /// The (name, type) key.
    pub fn key(&self) -> (&Name, RecordType) {
        (&self.name, self.rtype)
    }

    /// This set plus `values` (those not already present, appended in order).
    pub fn union(&self, values: &[RData], ttl: u32) -> Self {
        let mut merged = self.values.clone();
        for v in values {
            if !merged.contains(v) {
                merged.push(v.clone());
            }
        }
        Self {
            values: merged,
            ttl: ttl.min(MAX_TTL),
            ..self.clone()
        }
    }

    /// This set without `values`; `None` when nothing would remain.
    pub fn difference(&self, values: &[RData]) -> Option<Self> {
        let rest: Vec<RData> = self
            .values
            .iter()
            .filter(|v| !values.contains(v))
            .cloned()
            .collect();
        (!rest.is_empty()).then(|| Self {
            values: rest,
            ..self.clone()
        })
    }
}

impl fmt::Display for RecordSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for v in &self.values {
            writeln!(f, "{} {} IN {} {}", self.name, self.ttl, self.rtype, v)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn a(last: u8) -> RData {
        RData::A(Ipv4Addr::new(192, 0, 2, last))
    }

    fn name() -> Name {
        Name::parse("www.example.").unwrap()
    }

    #[test]
    fn construction_rules() {
        assert!(RecordSet::new(name(), 60, []).is_err());
        let mixed = RecordSet::new(name(), 60, [a(1), RData::NS(name())]);
        assert!(mixed.unwrap_err().to_string().contains("NS value"));
        let cname = |n| RData::CNAME(Name::parse(n).unwrap());
        assert!(RecordSet::new(name(), 60, [cname("a."), cname("b.")]).is_err());
        assert!(RecordSet::new(name(), MAX_TTL + 1, [a(1)]).is_err());
        let set = RecordSet::new(name(), 60, [a(1), a(2), a(1)]).unwrap();
        assert_eq!(set.values(), [a(1), a(2)]);
    }

    #[test]
    fn union_and_difference() {
        let set = RecordSet::new(name(), 60, [a(1), a(2)]).unwrap();
        let more = set.union(&[a(2), a(3)], 30);
        assert_eq!(more.values(), [a(1), a(2), a(3)]);
        assert_eq!(more.ttl(), 30);
        assert_eq!(
            more.difference(&[a(1), a(9)]).unwrap().values(),
            [a(2), a(3)]
        );
        assert!(more.difference(&[a(1), a(2), a(3)]).is_none());
        assert!(more.same_values(&[a(3), a(1), a(2)]));
        assert!(!more.same_values(&[a(3), a(1)]));
    }
}
