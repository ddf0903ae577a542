//! Lossless conversions between this crate's record model and hickory-proto's
//! (feature `hickory`), shared by the resolver and the test server so that
//! names and data cross the wire the same way in both.
//!
//! Names go label by label as raw octets: hickory's own text parser reads
//! `\DDD` as octal and refuses escaped spaces, so DNS-SD instance labels
//! ("My Web", "Büro.2") would not survive a round trip through text.
//!
//! ```
//! use dns_core::{hickory, Name, RData, Srv};
//! let name = Name::parse(r"Büro\0322nd\.floor._ipp._tcp.example.com.").unwrap();
//! let wire = hickory::name_to_hickory(&name);
//! assert_eq!(wire.iter().next(), Some("Büro 2nd.floor".as_bytes()));
//! assert_eq!(hickory::name_from_hickory(&wire).unwrap(), name);
//!
//! let srv = RData::SRV(Srv::new(1, 2, 3, name));
//! let back = hickory::rdata_from_hickory(&hickory::rdata_to_hickory(&srv).unwrap()).unwrap();
//! assert_eq!(back, srv);
//! ```

use hickory_proto::rr::{self as h, rdata as hr};

use crate::{Caa, Label, Mx, Name, Opaque, ParseError, RData, RecordSet, RecordType, Srv, Txt};

/// The hickory name with the same raw labels, always fully qualified.
pub fn name_to_hickory(name: &Name) -> h::Name {
    // hickory only refuses labels over 63 octets, which `Label` already
    // excludes, so the fallback is unreachable.
    let mut out = h::Name::from_labels(name.labels().iter().map(Label::as_bytes))
        .unwrap_or_else(|_| h::Name::root());
    out.set_fqdn(true);
    out
}

/// This crate's name with the same raw labels (the case is kept as sent).
pub fn name_from_hickory(name: &h::Name) -> Result<Name, ParseError> {
    let labels = name.iter().map(Label::new).collect::<Result<Vec<_>, _>>()?;
    Name::from_labels(labels)
}

/// The hickory record type with the same code.
pub fn record_type_to_hickory(rtype: RecordType) -> h::RecordType {
    h::RecordType::from(rtype.code())
}

/// This crate's record type with the same code.
pub fn record_type_from_hickory(rtype: h::RecordType) -> RecordType {
    RecordType::from_code(u16::from(rtype))
}

/// Hickory record data for `rdata`. Opaque data is parsed from its
/// presentation text by hickory and fails if hickory cannot read it.
pub fn rdata_to_hickory(rdata: &RData) -> Result<h::RData, ParseError> {
    Ok(match rdata {
        RData::A(ip) => h::RData::A(hr::A(*ip)),
        RData::AAAA(ip) => h::RData::AAAA(hr::AAAA(*ip)),
        RData::CNAME(n) => h::RData::CNAME(hr::CNAME(name_to_hickory(n))),
        RData::PTR(n) => h::RData::PTR(hr::PTR(name_to_hickory(n))),
        RData::NS(n) => h::RData::NS(hr::NS(name_to_hickory(n))),
        RData::TXT(txt) => h::RData::TXT(hr::TXT::from_bytes(txt.strings().collect())),
        RData::SRV(srv) => h::RData::SRV(hr::SRV::new(
            srv.priority,
            srv.weight,
            srv.port,
            name_to_hickory(&srv.target),
        )),
        RData::MX(mx) => h::RData::MX(hr::MX::new(mx.preference, name_to_hickory(&mx.exchange))),
        RData::CAA(_) | RData::Opaque(_) => {
            let rtype = rdata.record_type();
            h::RData::try_from_str(record_type_to_hickory(rtype), &rdata.to_string()).map_err(
                |e| ParseError::new("record data", rdata.to_string(), format!("hickory: {e}")),
            )?
        }
    })
}

/// This crate's record data for hickory's. Types this crate does not model
/// become [`RData::Opaque`] holding hickory's presentation text.
pub fn rdata_from_hickory(rdata: &h::RData) -> Result<RData, ParseError> {
    Ok(match rdata {
        h::RData::A(a) => RData::A(a.0),
        h::RData::AAAA(a) => RData::AAAA(a.0),
        h::RData::CNAME(n) => RData::CNAME(name_from_hickory(&n.0)?),
        h::RData::PTR(n) => RData::PTR(name_from_hickory(&n.0)?),
        h::RData::NS(n) => RData::NS(name_from_hickory(&n.0)?),
        h::RData::TXT(txt) => RData::TXT(Txt::new(txt.txt_data.iter().map(|s| &s[..]))?),
        h::RData::SRV(srv) => RData::SRV(Srv::new(
            srv.priority,
            srv.weight,
            srv.port,
            name_from_hickory(&srv.target)?,
        )),
        h::RData::MX(mx) => RData::MX(Mx::new(mx.preference, name_from_hickory(&mx.exchange)?)),
        h::RData::CAA(caa) => {
            let text = caa.to_string();
            match text.parse::<Caa>() {
                Ok(caa) => RData::CAA(caa),
                Err(_) => RData::Opaque(Opaque::new(RecordType::CAA, text)),
            }
        }
        other => RData::Opaque(Opaque::new(
            record_type_from_hickory(other.record_type()),
            other.to_string(),
        )),
    })
}

/// One hickory record per value of `set`, all with the set's TTL.
pub fn record_set_to_hickory(set: &RecordSet) -> Result<Vec<h::Record>, ParseError> {
    let name = name_to_hickory(set.name());
    set.values()
        .iter()
        .map(|v| {
            Ok(h::Record::from_rdata(
                name.clone(),
                set.ttl(),
                rdata_to_hickory(v)?,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_modelled_type_round_trips() {
        let n = Name::parse("x.example.com.").unwrap();
        let values = [
            RData::A("192.0.2.1".parse().unwrap()),
            RData::AAAA("2001:db8::1".parse().unwrap()),
            RData::CNAME(n.clone()),
            RData::PTR(Name::parse(r"My\032Web\.v2._http._tcp.example.com.").unwrap()),
            RData::NS(n.clone()),
            RData::TXT(Txt::new([&b"a=\"q\"\\"[..], b"", &[0, 255, 10]]).unwrap()),
            RData::TXT(Txt::empty()),
            RData::SRV(Srv::new(0, 0, 0, Name::root())),
            RData::MX(Mx::new(10, n)),
            RData::CAA(Caa::new(0, "issue", "letsencrypt.org").unwrap()),
        ];
        for v in values {
            let back = rdata_from_hickory(&rdata_to_hickory(&v).unwrap()).unwrap();
            assert_eq!(back, v);
        }
    }

    #[test]
    fn soa_text_is_read_by_hickory() {
        let soa = RData::parse(
            RecordType::SOA,
            "ns1.invalid. h.example. 7 3600 600 604800 60",
        )
        .unwrap();
        let h::RData::SOA(s) = rdata_to_hickory(&soa).unwrap() else {
            panic!("not an SOA");
        };
        assert_eq!((s.serial, s.minimum), (7, 60));
    }

    #[test]
    fn names_keep_raw_octets_and_case() {
        let name = Name::from_labels([
            Label::new([0u8, b'.', b' ', 0xff]).unwrap(),
            Label::new("MiXed").unwrap(),
        ])
        .unwrap();
        let wire = name_to_hickory(&name);
        assert_eq!(wire.num_labels(), 2);
        let back = name_from_hickory(&wire).unwrap();
        assert_eq!(back.labels()[1].as_bytes(), b"MiXed");
        assert_eq!(back.labels()[0].as_bytes(), &[0u8, b'.', b' ', 0xff]);
        assert!(name_to_hickory(&Name::root()).is_root());
    }
}
