//! What an authoritative server answers for one question, read from the
//! provider at query time.

use std::collections::HashSet;

use dns_core::hickory::{name_from_hickory, name_to_hickory, record_set_to_hickory};
use dns_core::{InMemoryProvider, Name, RData, RecordSet, RecordType};
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{self as h, Record, rdata as hr};
use tracing::warn;

/// Longest CNAME chain followed inside the served zones, so that a loop
/// cannot keep the server busy.
const MAX_CHAIN: usize = 8;

/// The query type asking for every set at a name.
const ANY: RecordType = RecordType::from_code(255);

/// How the server shapes its answers.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Options {
    /// Add the RFC 6763 section 12 records to PTR and SRV answers.
    pub(crate) additionals: bool,
    /// Lower-case names inside record data, as Knot does.
    pub(crate) lowercase_rdata_names: bool,
}

/// The sections of a response that found its zone.
#[derive(Debug)]
pub(crate) struct Sections {
    pub(crate) rcode: ResponseCode,
    pub(crate) answers: Vec<Record>,
    pub(crate) authorities: Vec<Record>,
    /// Grouped by record set, so that a response that must shrink drops
    /// whole sets rather than leaving a partial one behind.
    pub(crate) additionals: Vec<Vec<Record>>,
}

/// Answers `qname`/`qtype` from the zones of `provider`. `Err` carries the
/// response code of a response without records (REFUSED outside the
/// zones, SERVFAIL for data hickory cannot encode).
pub(crate) fn answer(
    provider: &InMemoryProvider,
    qname: &h::Name,
    qtype: RecordType,
    options: Options,
) -> Result<Sections, ResponseCode> {
    let name = name_from_hickory(qname).map_err(|_| ResponseCode::FormErr)?;
    let zone = provider.zone_of(&name).ok_or(ResponseCode::Refused)?;
    let mut builder = Builder {
        provider,
        options,
        sections: Sections {
            rcode: ResponseCode::NoError,
            answers: Vec::new(),
            authorities: Vec::new(),
            additionals: Vec::new(),
        },
        answered: Vec::new(),
    };

    // Answers are owned by the name with the case the client asked it in,
    // as from servers that compress answer owners against the question;
    // after a CNAME, by its target as the CNAME spells it.
    let mut owner = qname.clone();
    let mut name = name;
    let mut zone = zone.name;
    let mut visited = vec![name.clone()];
    for _ in 0..MAX_CHAIN {
        if qtype == ANY {
            let (sets, exists) = provider.lookup_name(&zone, &name);
            if sets.is_empty() {
                builder.negative(&zone, exists)?;
            }
            for set in sets {
                builder.answer(set, &owner)?;
            }
            break;
        }
        if let Some(set) = provider.lookup(&zone, &name, qtype) {
            builder.answer(set, &owner)?;
            break;
        }
        let cname = (qtype != RecordType::CNAME)
            .then(|| provider.lookup(&zone, &name, RecordType::CNAME))
            .flatten();
        let Some(cname) = cname else {
            let (_, exists) = provider.lookup_name(&zone, &name);
            builder.negative(&zone, exists)?;
            break;
        };
        let target = match cname.values().first() {
            Some(RData::CNAME(target)) => target.clone(),
            _ => break,
        };
        builder.answer(cname, &owner)?;
        // A target outside the zones (or seen before) ends the chain: the
        // client follows it elsewhere, or sees the loop.
        let Some(next) = provider.zone_of(&target) else {
            break;
        };
        if visited.contains(&target) {
            break;
        }
        visited.push(target.clone());
        owner = name_to_hickory(&target);
        name = target;
        zone = next.name;
    }

    if options.additionals {
        builder.additionals()?;
    }
    Ok(builder.sections)
}

struct Builder<'p> {
    provider: &'p InMemoryProvider,
    options: Options,
    sections: Sections,
    /// The sets in the answer section, to find additionals and to keep
    /// them out of the additional section.
    answered: Vec<RecordSet>,
}

impl Builder<'_> {
    fn answer(&mut self, set: RecordSet, owner: &h::Name) -> Result<(), ResponseCode> {
        let mut records = self.convert(&set)?;
        for record in &mut records {
            record.name = owner.clone();
        }
        self.sections.answers.extend(records);
        self.answered.push(set);
        Ok(())
    }

    /// NXDOMAIN or NODATA, with the zone's SOA for negative caching.
    fn negative(&mut self, zone: &Name, exists: bool) -> Result<(), ResponseCode> {
        self.sections.rcode = if exists {
            ResponseCode::NoError
        } else {
            ResponseCode::NXDomain
        };
        let Some(soa) = self.provider.lookup(zone, zone, RecordType::SOA) else {
            return Ok(());
        };
        let mut records = self.convert(&soa)?;
        for record in &mut records {
            // RFC 2308 section 3: negative answers are cached for the
            // smaller of the SOA's TTL and its MINIMUM field.
            if let h::RData::SOA(data) = &record.data {
                record.ttl = record.ttl.min(data.minimum);
            }
        }
        self.sections.authorities.extend(records);
        Ok(())
    }

    /// RFC 6763 section 12: what a client browsing or resolving would ask
    /// for next, when the server holds it.
    fn additionals(&mut self) -> Result<(), ResponseCode> {
        let mut seen: HashSet<(Name, RecordType)> = self
            .answered
            .iter()
            .map(|s| (s.name().clone(), s.record_type()))
            .collect();
        let mut wanted: Vec<(Name, RecordType)> = Vec::new();
        for set in &self.answered {
            for value in set.values() {
                match value {
                    RData::PTR(instance) => {
                        wanted.push((instance.clone(), RecordType::SRV));
                        wanted.push((instance.clone(), RecordType::TXT));
                        if let Some(srv) = self.find(instance, RecordType::SRV) {
                            push_addresses(&mut wanted, &srv);
                        }
                    }
                    RData::SRV(_) => push_addresses(&mut wanted, set),
                    _ => {}
                }
            }
        }
        for (name, rtype) in wanted {
            if !seen.insert((name.clone(), rtype)) {
                continue;
            }
            if let Some(set) = self.find(&name, rtype) {
                let records = self.convert(&set)?;
                self.sections.additionals.push(records);
            }
        }
        Ok(())
    }

    fn find(&self, name: &Name, rtype: RecordType) -> Option<RecordSet> {
        let zone = self.provider.zone_of(name)?;
        self.provider.lookup(&zone.name, name, rtype)
    }

    fn convert(&self, set: &RecordSet) -> Result<Vec<Record>, ResponseCode> {
        let mut records = record_set_to_hickory(set).map_err(|error| {
            warn!(%error, set = %set.name(), "record set hickory cannot encode");
            ResponseCode::ServFail
        })?;
        if self.options.lowercase_rdata_names {
            for record in &mut records {
                lowercase_names(&mut record.data);
            }
        }
        Ok(records)
    }
}

/// A and AAAA of every target of `srv` (hickory's own handler only adds
/// the first target's).
fn push_addresses(wanted: &mut Vec<(Name, RecordType)>, srv: &RecordSet) {
    for value in srv.values() {
        if let RData::SRV(srv) = value {
            wanted.push((srv.target.clone(), RecordType::A));
            wanted.push((srv.target.clone(), RecordType::AAAA));
        }
    }
}

fn lowercase_names(data: &mut h::RData) {
    match data {
        h::RData::PTR(hr::PTR(name))
        | h::RData::CNAME(hr::CNAME(name))
        | h::RData::NS(hr::NS(name)) => *name = name.to_lowercase(),
        h::RData::SRV(srv) => srv.target = srv.target.to_lowercase(),
        h::RData::MX(mx) => mx.exchange = mx.exchange.to_lowercase(),
        h::RData::SOA(soa) => {
            soa.mname = soa.mname.to_lowercase();
            soa.rname = soa.rname.to_lowercase();
        }
        _ => {}
    }
}
