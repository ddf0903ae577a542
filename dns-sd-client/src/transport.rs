//! One question to the name servers through hickory-resolver, translated
//! into this crate's record model.

use std::collections::BTreeMap;

use dns_core::hickory::{
    name_from_hickory, name_to_hickory, rdata_from_hickory, record_type_from_hickory,
    record_type_to_hickory,
};
use dns_core::{Name, RData, RecordType};
use hickory_net::{DnsError, NetError};
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{self as h, Record};

use crate::cache::Answer;
use crate::error::{Error, Result};
use crate::runtime::DnsResolver;

/// A set of records from the additional section, grouped like a record set.
#[derive(Debug)]
pub(crate) struct ExtraSet {
    pub(crate) name: Name,
    pub(crate) record_type: RecordType,
    pub(crate) ttl: u32,
    pub(crate) values: Vec<RData>,
}

/// A server's answer to one question.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) answer: Answer,
    /// Seconds the answer may be kept (the lowest TTL of the set, or the
    /// negative TTL of RFC 2308; 0 when the server gave no SOA).
    pub(crate) ttl: u32,
    pub(crate) additionals: Vec<ExtraSet>,
    /// Whether the additional section can be taken as complete for the
    /// hosts it has addresses of (see [`additionals_complete`]).
    pub(crate) additionals_complete: bool,
}

/// The largest answer (octets) whose additional section counts as complete
/// when it came over TCP: far below the 65,535 a TCP message may hold, so a
/// set the server left out would have had to be larger than any answer to
/// the question for that set itself.
const SMALL_ANSWER: usize = 4_096;

/// Whether a server that put some of a host's addresses in the additional
/// section put all of them there. RFC 6763 section 12.2 asks servers to add
/// every address record of an SRV target, but a server short of space
/// drops additional sets silently (RFC 2181 section 9), whatever their
/// size, so over UDP nothing proves the section complete. It is complete
/// when the answer came over TCP, is small ([`SMALL_ANSWER`]), was not
/// truncated, and came from a server speaking for the zone (AA): a
/// recursive server adds whatever it has cached.
fn additionals_complete(message: &hickory_proto::op::Message, over_tcp: bool) -> bool {
    use hickory_proto::serialize::binary::BinEncodable;
    over_tcp
        && message.metadata.authoritative
        && !message.metadata.truncation
        && message
            .to_bytes()
            .is_ok_and(|octets| octets.len() <= SMALL_ANSWER)
}

/// CNAME links followed before giving up, as resolvers commonly allow.
const MAX_CNAME_CHAIN: usize = 8;

/// Asks for (name, type), following CNAMEs: hickory follows them for most
/// types but stops short for SRV (it treats an SRV answer like a CNAME).
///
/// Only records owned by the end of the chain count: an answer section
/// holding records of the type asked for under other names (which no
/// honest server sends) is not taken as the answer. The answer lives as
/// long as the shortest TTL of its records and of every link on the way,
/// and is filed by the caller under the question only, never under the
/// names along the chain, so a chain may lead out of the zone without
/// letting that zone's server speak for the names it passes. A chain that
/// loops or has more than [`MAX_CNAME_CHAIN`] links is an error.
pub(crate) async fn query(
    resolver: &DnsResolver,
    name: &Name,
    rtype: RecordType,
    over_tcp: bool,
) -> Result<Response> {
    let mut chain = Chain::new(name, rtype);
    loop {
        let current = chain.end().clone();
        let lookup = match resolver
            .lookup(name_to_hickory(&current), record_type_to_hickory(rtype))
            .await
        {
            Ok(lookup) => lookup,
            Err(e) => {
                let response = negative_or_error(e, &current, rtype)?;
                if rtype == RecordType::SRV
                    && let Some((target, ttl)) = cname_at(resolver, &current).await?
                {
                    chain.link(target, ttl)?;
                    continue;
                }
                return Ok(chain.finish(response));
            }
        };
        for r in lookup.answers() {
            if rtype != RecordType::CNAME
                && let h::RData::CNAME(target) = &r.data
                && name_from_hickory(&r.name).is_ok_and(|owner| owner == *chain.end())
                && let Ok(target) = name_from_hickory(&target.0)
            {
                chain.link(target, ttl_of(r))?;
            }
        }
        let end = chain.end().clone();
        let mut values = Vec::new();
        let mut ttl = u32::MAX;
        for r in lookup.answers() {
            if record_type_from_hickory(r.record_type()) != rtype {
                continue;
            }
            if !name_from_hickory(&r.name).is_ok_and(|owner| owner == end) {
                tracing::debug!(owner = %r.name, question = %name, %rtype, "ignoring an answer record for another name");
                continue;
            }
            values.push(convert(r, name, rtype)?);
            ttl = ttl.min(ttl_of(r));
        }
        let additionals = group(lookup.additionals());
        let additionals_complete =
            !additionals.is_empty() && additionals_complete(lookup.message(), over_tcp);
        if !values.is_empty() {
            let response = Response {
                answer: Answer::Records(values.into()),
                ttl,
                additionals,
                additionals_complete,
            };
            return Ok(chain.finish(response));
        }
        if end == current {
            // No records and no link onwards: the name has no data of
            // this type, though hickory did not call it negative.
            let response = Response {
                answer: Answer::NoData,
                ttl: 0,
                additionals,
                additionals_complete,
            };
            return Ok(chain.finish(response));
        }
        // The chain went on to a name this response holds nothing for.
    }
}

/// The CNAME links followed for one question.
struct Chain {
    question: Name,
    rtype: RecordType,
    names: Vec<Name>,
    lowest_ttl: u32,
}

impl Chain {
    fn new(name: &Name, rtype: RecordType) -> Self {
        Self {
            question: name.clone(),
            rtype,
            names: vec![name.clone()],
            lowest_ttl: u32::MAX,
        }
    }

    fn end(&self) -> &Name {
        // `names` starts with the question and only grows.
        self.names.last().unwrap_or(&self.question)
    }

    fn link(&mut self, target: Name, ttl: u32) -> Result<()> {
        let error = |message: String| Error::Transport {
            name: self.question.clone(),
            record_type: self.rtype,
            message,
        };
        if self.names.contains(&target) {
            return Err(error(format!("CNAME loop at {target}")));
        }
        if self.names.len() > MAX_CNAME_CHAIN {
            return Err(error(format!("more than {MAX_CNAME_CHAIN} CNAME links")));
        }
        self.lowest_ttl = self.lowest_ttl.min(ttl);
        self.names.push(target);
        Ok(())
    }

    fn finish(self, response: Response) -> Response {
        Response {
            ttl: response.ttl.min(self.lowest_ttl),
            ..response
        }
    }
}

/// hickory's resolver mistakes the SRV records behind a CNAME for a chain
/// to follow and reports "no records"; asking for the CNAME itself, which it
/// does not chase, tells whether there is one. Only done after a negative
/// SRV answer, so a normal lookup costs nothing more.
async fn cname_at(resolver: &DnsResolver, name: &Name) -> Result<Option<(Name, u32)>> {
    let lookup = match resolver
        .lookup(
            name_to_hickory(name),
            record_type_to_hickory(RecordType::CNAME),
        )
        .await
    {
        Ok(lookup) => lookup,
        Err(e) => return negative_or_error(e, name, RecordType::CNAME).map(|_| None),
    };
    Ok(lookup.answers().iter().find_map(|r| match &r.data {
        h::RData::CNAME(target) if name_from_hickory(&r.name).is_ok_and(|o| o == *name) => {
            name_from_hickory(&target.0).ok().map(|t| (t, ttl_of(r)))
        }
        _ => None,
    }))
}

/// A TTL with the top bit set counts as 0 (RFC 2181 section 8).
fn ttl_of(r: &Record) -> u32 {
    ttl_value(r.ttl)
}

/// RFC 2181 section 8 for any 32-bit TTL field (also the SOA's MINIMUM,
/// which RFC 2308 makes the negative TTL).
fn ttl_value(ttl: u32) -> u32 {
    if ttl > i32::MAX as u32 { 0 } else { ttl }
}

fn negative_or_error(e: NetError, name: &Name, rtype: RecordType) -> Result<Response> {
    let (name, record_type) = (name.clone(), rtype);
    match e {
        NetError::Dns(DnsError::NoRecordsFound(no)) if no.soa.is_none() && no.ns.is_some() => {
            // A referral: this server is not authoritative and does not
            // recurse, so "no records" would be a lie.
            Err(Error::Server {
                name,
                record_type,
                code: "REFERRAL".to_owned(),
            })
        }
        NetError::Dns(DnsError::NoRecordsFound(no)) => {
            let answer = if no.response_code == ResponseCode::NXDomain {
                Answer::NxDomain
            } else {
                Answer::NoData
            };
            // Without an SOA there is no negative TTL, and RFC 2308 says
            // such an answer should not be cached. hickory's own
            // `negative_ttl` takes the fields as sent, top bit and all.
            let ttl = no
                .soa
                .as_ref()
                .map_or(0, |soa| ttl_value(soa.ttl).min(ttl_value(soa.data.minimum)));
            Ok(Response {
                answer,
                ttl,
                additionals: Vec::new(),
                additionals_complete: false,
            })
        }
        NetError::Dns(DnsError::ResponseCode(code)) => Err(Error::Server {
            name,
            record_type,
            code: mnemonic(code),
        }),
        NetError::Timeout => Err(Error::Timeout { name, record_type }),
        other => Err(Error::Transport {
            name,
            record_type,
            message: other.to_string(),
        }),
    }
}

fn convert(r: &Record, name: &Name, rtype: RecordType) -> Result<RData> {
    rdata_from_hickory(&r.data).map_err(|e| Error::Transport {
        name: name.clone(),
        record_type: rtype,
        message: format!("unreadable record data: {e}"),
    })
}

/// Groups additional records by (name, type) with the lowest TTL of each
/// group; records that cannot be read are skipped, since nothing depends on
/// an additional record being there.
fn group(records: &[Record]) -> Vec<ExtraSet> {
    let mut sets: BTreeMap<(Name, RecordType), ExtraSet> = BTreeMap::new();
    for r in records {
        let rtype = record_type_from_hickory(r.record_type());
        if rtype.code() == 41 {
            continue; // OPT pseudo-record
        }
        let (Ok(name), Ok(value)) = (name_from_hickory(&r.name), rdata_from_hickory(&r.data))
        else {
            tracing::debug!(name = %r.name, "skipping unreadable additional record");
            continue;
        };
        let set = sets
            .entry((name.clone(), rtype))
            .or_insert_with(|| ExtraSet {
                name,
                record_type: rtype,
                ttl: u32::MAX,
                values: Vec::new(),
            });
        set.ttl = set.ttl.min(ttl_of(r));
        if !set.values.contains(&value) {
            set.values.push(value);
        }
    }
    sets.into_values().collect()
}

/// The response code as RFC 1035/6895 name it (`SERVFAIL`, `REFUSED`...).
fn mnemonic(code: ResponseCode) -> String {
    match code {
        ResponseCode::FormErr => "FORMERR".to_owned(),
        ResponseCode::ServFail => "SERVFAIL".to_owned(),
        ResponseCode::NXDomain => "NXDOMAIN".to_owned(),
        ResponseCode::NotImp => "NOTIMP".to_owned(),
        ResponseCode::Refused => "REFUSED".to_owned(),
        ResponseCode::NotAuth => "NOTAUTH".to_owned(),
        other => format!("RCODE{}", u16::from(other)),
    }
}
