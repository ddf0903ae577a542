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
use hickory_proto::rr::Record;
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

pub(crate) async fn query(
    resolver: &TokioResolver,
    name: &Name,
    rtype: RecordType,
) -> Result<Response> {
    match resolver
        .lookup(name_to_hickory(name), record_type_to_hickory(rtype))
        .await
    {
        Ok(lookup) => {
            let mut values = Vec::new();
            let mut ttl = u32::MAX;
            for r in lookup.answers() {
                // A CNAME chain arrives with the final records; only the
                // records of the type asked for are the answer.
                if record_type_from_hickory(r.record_type()) != rtype {
                    continue;
                }
                values.push(convert(r, name, rtype)?);
                ttl = ttl.min(r.ttl);
            }
            let additionals = group(lookup.additionals());
            if values.is_empty() {
                // The resolver reports "no records" as an error; an empty
                // answer here only happens with a CNAME to nothing.
                return Ok(Response {
                    answer: Answer::NoData,
                    ttl: 0,
                    additionals,
                });
            }
            Ok(Response {
                answer: Answer::Records(values.into()),
                ttl,
                additionals,
            })
        }
        Err(e) => negative_or_error(e, name, rtype),
    }
}

fn negative_or_error(e: NetError, name: &Name, rtype: RecordType) -> Result<Response> {
    let (name, record_type) = (name.clone(), rtype);
    match e {
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
        set.ttl = set.ttl.min(r.ttl);
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
