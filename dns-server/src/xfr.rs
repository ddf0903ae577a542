//! AXFR (RFC 5936): the whole zone, SOA first and last, over as many
//! messages as it takes, each TSIG-signed when the request was.

use dns_core::hickory::record_set_to_hickory;
use dns_core::{DnsProvider, InMemoryProvider, RecordType, Zone};
use hickory_proto::ProtoError;
use hickory_proto::op::Metadata;
use hickory_proto::rr::TSigResponseContext;
use hickory_proto::rr::rdata::tsig::{TSIG, make_tsig_record};
use hickory_proto::rr::{Record, TSigner};
use hickory_proto::serialize::binary::{BinEncodable, BinEncoder};

/// Octets of records per message: under TCP's 65,535 with room for the
/// question, the header and the TSIG record. Large messages keep a big
/// zone within the connection's response queue (see `TCP_RESPONSE_BUFFER`).
const MESSAGE_BUDGET: usize = 60_000;

/// The zone's records in transfer order, cut into messages; `Err` when
/// the zone cannot be read or encoded.
pub(crate) async fn messages(
    provider: &InMemoryProvider,
    zone: &Zone,
) -> Result<Vec<Vec<Record>>, String> {
    let sets = provider
        .list_record_sets(zone)
        .await
        .map_err(|e| e.to_string())?;
    let soa = sets
        .iter()
        .find(|s| s.record_type() == RecordType::SOA && s.name() == &zone.name)
        .ok_or_else(|| format!("{} has no SOA", zone.name))?;
    let soa = record_set_to_hickory(soa).map_err(|e| e.to_string())?;
    let mut all: Vec<Record> = soa.clone();
    for set in sets.iter().filter(|s| s.record_type() != RecordType::SOA) {
        all.extend(record_set_to_hickory(set).map_err(|e| e.to_string())?);
    }
    all.extend(soa);
    let mut out: Vec<Vec<Record>> = Vec::new();
    let mut current: Vec<Record> = Vec::new();
    let mut size = 0;
    for record in all {
        let octets = record.to_bytes().map_err(|e| e.to_string())?.len();
        if size + octets > MESSAGE_BUDGET && !current.is_empty() {
            out.push(std::mem::take(&mut current));
            size = 0;
        }
        size += octets;
        current.push(record);
    }
    out.push(current);
    Ok(out)
}

/// Signs the messages of one transfer (RFC 8945 section 5.3.1): the first
/// answer covers the request's MAC and the full TSIG variables; each later
/// one covers the previous answer's MAC, the message and the timers only.
pub(crate) struct TransferSigner {
    signer: TSigner,
    previous_mac: Vec<u8>,
    first: bool,
    now: u64,
}

impl TransferSigner {
    pub(crate) fn new(signer: TSigner, request_mac: Vec<u8>, now: u64) -> Self {
        Self {
            signer,
            previous_mac: request_mac,
            first: true,
            now,
        }
    }

    /// The TSIG record for one encoded message (without its TSIG).
    pub(crate) fn sign(
        &mut self,
        metadata: &Metadata,
        encoded: &[u8],
    ) -> Result<Box<Record<TSIG>>, ProtoError> {
        let record = if self.first {
            self.first = false;
            TSigResponseContext::new(
                metadata.id,
                self.now,
                self.signer.clone(),
                self.previous_mac.clone(),
                None,
            )
            .sign(encoded)?
        } else {
            let mut tbs = Vec::with_capacity(self.previous_mac.len() + encoded.len() + 16);
            let mut encoder = BinEncoder::new(&mut tbs);
            let mac_len = u16::try_from(self.previous_mac.len())
                .map_err(|_| ProtoError::from("TSIG MAC too long"))?;
            encoder.emit_u16(mac_len)?;
            encoder.emit_vec(&self.previous_mac)?;
            encoder.emit_vec(encoded)?;
            // Timers: 48-bit time signed, then fudge.
            let high = u16::try_from(self.now >> 32).unwrap_or(0);
            encoder.emit_u16(high)?;
            encoder.emit_u32(u32::try_from(self.now & 0xffff_ffff).unwrap_or(0))?;
            encoder.emit_u16(self.signer.fudge())?;
            let mac = self
                .signer
                .sign(&tbs)
                .map_err(|e| ProtoError::from(e.to_string()))?;
            let tsig = TSIG::new(
                self.signer.algorithm().clone(),
                self.now,
                self.signer.fudge(),
                mac,
                metadata.id,
                None,
                Vec::new(),
            );
            Box::new(make_tsig_record(self.signer.signer_name().clone(), tsig))
        };
        self.previous_mac = record.data.mac.clone();
        Ok(record)
    }
}
