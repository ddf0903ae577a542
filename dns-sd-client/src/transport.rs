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
use hickory_resolver::TokioResolver;

use crate::cache::Answer;
use crate::error::{Error, Result};

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
}

/// CNAME links followed before giving up, as resolvers commonly allow.
const MAX_CNAME_CHAIN: usize = 8;

/// Asks for (name, type), following CNAMEs: hickory follows them for most
/// types but stops short for SRV (it treats an SRV answer like a CNAME).
pub(crate) async fn query(
    resolver: &TokioResolver,
    name: &Name,
    rtype: RecordType,
) -> Result<Response> {
    let mut current = name.clone();
    let mut lowest_ttl = u32::MAX;
    for _ in 0..=MAX_CNAME_CHAIN {
        let (response, mut alias) = query_once(resolver, &current, rtype).await?;
        if alias.is_none() && rtype == RecordType::SRV && response.answer.records().is_empty() {
            alias = cname_at(resolver, &current).await?;
        }
        match alias {
            Some((target, ttl)) if response.answer.records().is_empty() => {
                lowest_ttl = lowest_ttl.min(ttl);
                current = target;
            }
            _ => {
                let ttl = response.ttl.min(lowest_ttl);
                return Ok(Response { ttl, ..response });
            }
        }
    }
    Err(Error::Transport {
        name: name.clone(),
        record_type: rtype,
        message: format!("more than {MAX_CNAME_CHAIN} CNAME links"),
    })
}

/// hickory's resolver mistakes the SRV records behind a CNAME for a chain
/// to follow and reports "no records"; asking for the CNAME itself, which it
/// does not chase, tells whether there is one. Only done after a negative
/// SRV answer, so a normal lookup costs nothing more.
async fn cname_at(resolver: &TokioResolver, name: &Name) -> Result<Option<(Name, u32)>> {
    let (response, _) = query_once(resolver, name, RecordType::CNAME).await?;
    let ttl = response.ttl;
    Ok(response.answer.records().iter().find_map(|r| match r {
        RData::CNAME(target) => Some((target.clone(), ttl)),
        _ => None,
    }))
}

/// One question; also returns where a CNAME at `name` points when the
/// answer holds no records of the type asked for.
async fn query_once(
    resolver: &TokioResolver,
    name: &Name,
    rtype: RecordType,
) -> Result<(Response, Option<(Name, u32)>)> {
    let lookup = match resolver
        .lookup(name_to_hickory(name), record_type_to_hickory(rtype))
        .await
    {
        Ok(lookup) => lookup,
        Err(e) => return negative_or_error(e, name, rtype).map(|r| (r, None)),
    };
    let mut values = Vec::new();
    let mut ttl = u32::MAX;
    let mut alias = None;
    for r in lookup.answers() {
        let t = record_type_from_hickory(r.record_type());
        if t == rtype {
            values.push(convert(r, name, rtype)?);
            ttl = ttl.min(ttl_of(r));
        } else if let h::RData::CNAME(target) = &r.data
            && rtype != RecordType::CNAME
            && name_from_hickory(&r.name).is_ok_and(|owner| owner == *name)
            && let Ok(target) = name_from_hickory(&target.0)
        {
            alias = Some((target, ttl_of(r)));
        }
    }
    let additionals = group(lookup.additionals());
    if values.is_empty() {
        return Ok((
            Response {
                answer: Answer::NoData,
                ttl: 0,
                additionals,
            },
            alias,
        ));
    }
    Ok((
        Response {
            answer: Answer::Records(values.into()),
            ttl,
            additionals,
        },
        None,
    ))
}

/// A TTL with the top bit set counts as 0 (RFC 2181 section 8).
fn ttl_of(r: &Record) -> u32 {
    if r.ttl > i32::MAX as u32 { 0 } else { r.ttl }
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
            // such an answer should not be cached.
            Ok(Response {
                answer,
                ttl: no.negative_ttl.unwrap_or(0),
                additionals: Vec::new(),
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
