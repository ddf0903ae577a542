//! The hickory request handler: protocol checks, EDNS, and fitting the
//! response into what a UDP client can receive.

use std::iter;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use dns_core::InMemoryProvider;
use dns_core::hickory::record_type_from_hickory;
use hickory_proto::op::{Edns, Header, HeaderCounts, Metadata, OpCode, ResponseCode};
use hickory_proto::rr::{DNSClass, Record, RecordType};
use hickory_proto::serialize::binary::BinEncoder;
use hickory_server::net::runtime::Time;
use hickory_server::net::xfer::Protocol;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::{MessageResponseBuilder, Queries};
use tracing::{debug, warn};

use crate::lookup::{self, Options, Sections};
use crate::writes::Writes;

/// The largest UDP response a client that sent no EDNS can take (RFC 1035
/// section 4.2.1).
const PLAIN_UDP_LIMIT: u16 = 512;

/// Answers from the zones of an [`InMemoryProvider`], reading it on every
/// query.
pub(crate) struct Handler {
    pub(crate) provider: InMemoryProvider,
    pub(crate) options: Options,
    pub(crate) queries: Arc<AtomicU64>,
    /// Updates and transfers; without it both are refused.
    pub(crate) writes: Option<Writes>,
}

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        // Counted before the response leaves, so a client that has its
        // answer always sees it counted.
        self.queries.fetch_add(1, Ordering::Relaxed);

        // Echoed as hickory's Catalog does: the encoder takes the UDP size
        // limit from the response's EDNS.
        let edns = request.edns.as_ref().map(|req| {
            let mut edns = Edns::new();
            edns.set_max_payload(req.max_payload().max(PLAIN_UDP_LIMIT));
            edns.set_version(0);
            edns
        });
        if let Some(writes) = &self.writes {
            if request.metadata.op_code == OpCode::Update {
                return writes
                    .update(
                        &self.provider,
                        request,
                        T::current_time(),
                        edns.as_ref(),
                        response_handle,
                    )
                    .await;
            }
            let axfr = request.metadata.op_code == OpCode::Query
                && matches!(request.queries.queries(), [q] if q.query_type() == RecordType::AXFR);
            if axfr {
                return writes
                    .transfer(
                        &self.provider,
                        request,
                        T::current_time(),
                        edns.as_ref(),
                        response_handle,
                    )
                    .await;
            }
        }
        let (metadata, sections) = self.respond(request);
        let sections = sections.unwrap_or_else(|| Sections {
            rcode: metadata.response_code,
            answers: Vec::new(),
            authorities: Vec::new(),
            additionals: Vec::new(),
        });
        let limit = match request.protocol() {
            Protocol::Udp => edns.as_ref().map_or(PLAIN_UDP_LIMIT, Edns::max_payload),
            _ => u16::MAX,
        };
        let kept = fitting_additionals(&request.queries, edns.as_ref(), metadata, &sections, limit);
        debug!(
            src = %request.src(),
            protocol = %request.protocol(),
            query = ?request.queries.queries().first().map(|q| q.original()),
            rcode = %metadata.response_code,
            answers = sections.answers.len(),
            authorities = sections.authorities.len(),
            additional_sets = kept,
            "answering"
        );
        let response = MessageResponseBuilder::new(&request.queries, edns.as_ref()).build(
            metadata,
            sections.answers.iter(),
            sections.authorities.iter(),
            iter::empty(),
            sections.additionals[..kept].iter().flatten(),
        );
        match response_handle.send_response(response).await {
            Ok(info) => info,
            Err(error) => {
                warn!(%error, "failed to send response");
                let mut metadata = Metadata::response_from_request(&request.metadata);
                metadata.response_code = ResponseCode::ServFail;
                ResponseInfo::from(Header {
                    metadata,
                    counts: HeaderCounts::default(),
                })
            }
        }
    }
}

impl Handler {
    /// The response header, and the records when the question reached a zone.
    fn respond(&self, request: &Request) -> (Metadata, Option<Sections>) {
        let mut metadata = Metadata::response_from_request(&request.metadata);
        let error = |mut metadata: Metadata, rcode| {
            metadata.response_code = rcode;
            (metadata, None)
        };
        if request.edns.as_ref().is_some_and(|e| e.version() > 0) {
            return error(metadata, ResponseCode::BADVERS);
        }
        if request.metadata.op_code != OpCode::Query {
            return error(metadata, ResponseCode::NotImp);
        }
        let [query] = request.queries.queries() else {
            return error(metadata, ResponseCode::FormErr);
        };
        if !matches!(query.query_class(), DNSClass::IN | DNSClass::ANY) {
            return error(metadata, ResponseCode::Refused);
        }
        let qtype = query.query_type();
        if matches!(qtype, RecordType::AXFR | RecordType::IXFR) {
            return error(metadata, ResponseCode::Refused);
        }
        if matches!(qtype, RecordType::OPT) {
            return error(metadata, ResponseCode::FormErr);
        }
        match lookup::answer(
            &self.provider,
            query.original().name(),
            record_type_from_hickory(qtype),
            self.options,
        ) {
            Ok(sections) => {
                metadata.authoritative = true;
                metadata.response_code = sections.rcode;
                (metadata, Some(sections))
            }
            Err(rcode) => error(metadata, rcode),
        }
    }
}

/// How many additional sets go out. RFC 2181 section 9: additional data
/// that does not fit is left out without setting TC; only answers or
/// authority records that do not fit set it (hickory's encoder does that,
/// writing what fits).
fn fitting_additionals(
    queries: &Queries,
    edns: Option<&Edns>,
    metadata: Metadata,
    sections: &Sections,
    limit: u16,
) -> usize {
    let all = sections.additionals.len();
    if all == 0 || limit == u16::MAX {
        return all;
    }
    let fits = |kept: usize| {
        let mut buffer = Vec::with_capacity(usize::from(limit));
        let mut encoder = BinEncoder::new(&mut buffer);
        encoder.set_max_size(limit);
        MessageResponseBuilder::new(queries, edns)
            .build(
                metadata,
                sections.answers.iter(),
                sections.authorities.iter(),
                iter::empty::<&Record>(),
                sections.additionals[..kept].iter().flatten(),
            )
            .destructive_emit(&mut encoder)
            .is_ok_and(|info| !info.truncation)
    };
    if fits(all) {
        return all;
    }
    // Each set only adds bytes, so the sets that fit are a prefix.
    (0..all).take_while(|&kept| fits(kept + 1)).count()
}
