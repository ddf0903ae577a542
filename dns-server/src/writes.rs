//! The requests that need [`UpdatePolicy`]: RFC 2136 updates and AXFR.

use std::iter;

use dns_core::InMemoryProvider;
use dns_core::hickory::name_from_hickory;
use hickory_proto::op::{Edns, Header, HeaderCounts, MessageType, Metadata, OpCode, ResponseCode};
use hickory_proto::rr::TSigResponseContext;
use hickory_proto::rr::rdata::tsig::TSIG;
use hickory_proto::rr::{DNSClass, Record, RecordType};
use hickory_proto::serialize::binary::BinEncoder;
use hickory_server::net::xfer::Protocol;
use hickory_server::server::{Request, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;
use tracing::{debug, warn};

use crate::policy::{Refusal, Signed, UpdatePolicy};
use crate::store::ZoneStore;
use crate::{update, xfr};

/// What the server needs to take writes and give transfers.
pub(crate) struct Writes {
    pub(crate) policy: UpdatePolicy,
    pub(crate) store: Option<ZoneStore>,
    /// Held while an update is checked and applied: prerequisites are
    /// checked on the zone as no other update can change it meanwhile.
    pub(crate) lock: tokio::sync::Mutex<()>,
}

impl Writes {
    /// Answers an UPDATE request.
    pub(crate) async fn update<R: ResponseHandler>(
        &self,
        provider: &InMemoryProvider,
        request: &Request,
        now: u64,
        edns: Option<&Edns>,
        response_handle: R,
    ) -> ResponseInfo {
        let mut metadata =
            Metadata::new(request.metadata.id, MessageType::Response, OpCode::Update);
        let signed = match self.policy.authorize(request, now) {
            Ok(signed) => signed,
            Err(refusal) => return refuse(request, metadata, edns, refusal, response_handle).await,
        };
        metadata.response_code = match zone_of_request(provider, request) {
            Err(rcode) => rcode,
            Ok(zone) => {
                let _serial = self.lock.lock().await;
                let rcode =
                    update::apply(provider, &zone, &request.answers, &request.authorities).await;
                if rcode == ResponseCode::NoError
                    && let Some(store) = &self.store
                    && let Err(error) = store.save(provider, &zone).await
                {
                    // Applied in memory but not on disk: say so, so the
                    // client retries (its adds and removes are idempotent).
                    warn!(%error, zone = %zone.name, "saving the zone after an update failed");
                    ResponseCode::ServFail
                } else {
                    rcode
                }
            }
        };
        debug!(src = %request.src(), rcode = %metadata.response_code, "update answered");
        let context = signed
            .map(|s| TSigResponseContext::new(metadata.id, now, s.signer, s.request_mac, None));
        send_signed(request, metadata, edns, &[], context, response_handle).await
    }

    /// Answers an AXFR request: the zone over as many messages as needed.
    pub(crate) async fn transfer<R: ResponseHandler>(
        &self,
        provider: &InMemoryProvider,
        request: &Request,
        now: u64,
        edns: Option<&Edns>,
        mut response_handle: R,
    ) -> ResponseInfo {
        let mut metadata = Metadata::response_from_request(&request.metadata);
        if request.protocol() == Protocol::Udp {
            // RFC 5936 section 4.2: zone transfers go over TCP.
            metadata.response_code = ResponseCode::Refused;
            return send_signed(request, metadata, edns, &[], None, response_handle).await;
        }
        let signed = match self.policy.authorize(request, now) {
            Ok(signed) => signed,
            Err(refusal) => return refuse(request, metadata, edns, refusal, response_handle).await,
        };
        let zone = match zone_of_request(provider, request) {
            Ok(zone) => zone,
            Err(rcode) => {
                metadata.response_code = rcode;
                let context = signed.map(|s| {
                    TSigResponseContext::new(metadata.id, now, s.signer, s.request_mac, None)
                });
                return send_signed(request, metadata, edns, &[], context, response_handle).await;
            }
        };
        let messages = match xfr::messages(provider, &zone).await {
            Ok(messages) => messages,
            Err(error) => {
                warn!(%error, zone = %zone.name, "transfer failed");
                metadata.response_code = ResponseCode::ServFail;
                return send_signed(request, metadata, edns, &[], None, response_handle).await;
            }
        };
        metadata.authoritative = true;
        let mut signer = signed.map(
            |Signed {
                 signer,
                 request_mac,
             }| xfr::TransferSigner::new(signer, request_mac, now),
        );
        let mut info = None;
        for records in &messages {
            let tsig = match signer.as_mut() {
                None => None,
                Some(signer) => match encode(request, metadata, edns, records)
                    .and_then(|bytes| signer.sign(&metadata, &bytes).map_err(|e| e.to_string()))
                {
                    Ok(tsig) => Some(tsig),
                    Err(error) => {
                        warn!(%error, "signing a transfer message failed");
                        metadata.response_code = ResponseCode::ServFail;
                        return send_signed(request, metadata, edns, &[], None, response_handle)
                            .await;
                    }
                },
            };
            match send(request, metadata, edns, records, tsig, &mut response_handle).await {
                Some(sent) => info = Some(sent),
                None => return unsent(metadata),
            }
        }
        debug!(zone = %zone.name, messages = messages.len(), "transfer sent");
        info.unwrap_or_else(|| unsent(metadata))
    }
}

/// The zone a request names in its question (the zone section of an
/// update): exactly one, class IN, naming a served zone's apex.
fn zone_of_request(
    provider: &InMemoryProvider,
    request: &Request,
) -> Result<dns_core::Zone, ResponseCode> {
    let [query] = request.queries.queries() else {
        return Err(ResponseCode::FormErr);
    };
    if query.query_class() != DNSClass::IN {
        return Err(ResponseCode::FormErr);
    }
    let is_update = request.metadata.op_code == OpCode::Update;
    if is_update && query.query_type() != RecordType::SOA {
        return Err(ResponseCode::FormErr);
    }
    let name = name_from_hickory(query.original().name()).map_err(|_| ResponseCode::FormErr)?;
    match provider.zone_of(&name) {
        Some(zone) if zone.name == name => Ok(zone),
        _ => Err(ResponseCode::NotAuth),
    }
}

fn encode(
    request: &Request,
    metadata: Metadata,
    edns: Option<&Edns>,
    records: &[Record],
) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::with_capacity(512);
    let mut encoder = BinEncoder::new(&mut bytes);
    MessageResponseBuilder::new(&request.queries, edns)
        .build(
            metadata,
            records.iter(),
            iter::empty(),
            iter::empty(),
            iter::empty(),
        )
        .destructive_emit(&mut encoder)
        .map_err(|e| e.to_string())?;
    Ok(bytes)
}

async fn refuse<R: ResponseHandler>(
    request: &Request,
    mut metadata: Metadata,
    edns: Option<&Edns>,
    refusal: Refusal,
    response_handle: R,
) -> ResponseInfo {
    metadata.response_code = refusal.rcode;
    send_signed(
        request,
        metadata,
        edns,
        &[],
        refusal.context,
        response_handle,
    )
    .await
}

/// Sends a response without records, with the TSIG record `context` gives.
async fn send_signed<R: ResponseHandler>(
    request: &Request,
    metadata: Metadata,
    edns: Option<&Edns>,
    records: &[Record],
    context: Option<TSigResponseContext>,
    mut response_handle: R,
) -> ResponseInfo {
    let tsig: Option<Box<Record<TSIG>>> = match context {
        None => None,
        Some(context) => match encode(request, metadata, edns, records)
            .and_then(|bytes| context.sign(&bytes).map_err(|e| e.to_string()))
        {
            Ok(tsig) => Some(tsig),
            Err(error) => {
                warn!(%error, "signing a response failed");
                None
            }
        },
    };
    send(request, metadata, edns, records, tsig, &mut response_handle)
        .await
        .unwrap_or_else(|| unsent(metadata))
}

/// Sends one response with `records` as its answers; `None` when it could
/// not be sent (the connection is gone).
async fn send<R: ResponseHandler>(
    request: &Request,
    metadata: Metadata,
    edns: Option<&Edns>,
    records: &[Record],
    tsig: Option<Box<Record<TSIG>>>,
    response_handle: &mut R,
) -> Option<ResponseInfo> {
    let mut response = MessageResponseBuilder::new(&request.queries, edns).build(
        metadata,
        records.iter(),
        iter::empty(),
        iter::empty(),
        iter::empty(),
    );
    if let Some(tsig) = tsig {
        response.set_signature(tsig);
    }
    match response_handle.send_response(response).await {
        Ok(info) => Some(info),
        Err(error) => {
            warn!(%error, "failed to send a response");
            None
        }
    }
}

/// What the server reports for a response it could not send.
fn unsent(metadata: Metadata) -> ResponseInfo {
    ResponseInfo::from(Header {
        metadata,
        counts: HeaderCounts::default(),
    })
}
