//! [`UpdatePolicy`]: who may send RFC 2136 updates and ask for AXFR.

use std::fmt;
use std::net::SocketAddr;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::TSigResponseContext;
use hickory_proto::rr::TSigner;
use hickory_proto::rr::rdata::tsig::TsigError;
use hickory_server::server::Request;
use tracing::warn;

/// Who may change the zones (RFC 2136 UPDATE) and transfer them (AXFR).
///
/// With TSIG keys, every update and transfer must be signed by one of them
/// (RFC 8945); anything else is refused, wherever it comes from. Without
/// keys, only clients on the loopback interface are served, unsigned:
/// right for a development server on `127.0.0.1`, and never an open
/// server by accident.
///
/// ```
/// use dns_server::UpdatePolicy;
/// let local = UpdatePolicy::loopback();
/// assert_eq!(local.keys(), 0);
/// ```
#[derive(Clone, Default)]
pub struct UpdatePolicy {
    keys: Vec<TSigner>,
}

impl UpdatePolicy {
    /// Unsigned updates and transfers from loopback addresses only.
    pub fn loopback() -> Self {
        Self::default()
    }

    /// Updates and transfers signed with `key` (repeatable: any of the keys).
    pub fn with_key(mut self, key: TSigner) -> Self {
        self.keys.push(key);
        self
    }

    /// How many TSIG keys are accepted (0: loopback only, unsigned).
    pub fn keys(&self) -> usize {
        self.keys.len()
    }

    /// Checks who sent `request`: `Ok` with the key to sign the answer
    /// with (none for loopback without keys), or the response code and,
    /// for TSIG failures, the TSIG record context of the error answer.
    pub(crate) fn authorize(&self, request: &Request, now: u64) -> Result<Option<Signed>, Refusal> {
        let Some(tsig) = request.signature.as_deref() else {
            if self.keys.is_empty() && is_loopback(request.src()) {
                return Ok(None);
            }
            warn!(src = %request.src(), "unsigned update or transfer refused");
            return Err(Refusal {
                rcode: ResponseCode::Refused,
                context: None,
            });
        };
        let id = request.metadata.id;
        // RFC 8945 section 5.5: one algorithm per key name, so the name
        // alone picks the key.
        let Some(signer) = self.keys.iter().find(|k| k.signer_name() == &tsig.name) else {
            warn!(key = %tsig.name, "update or transfer signed with an unknown key");
            return Err(Refusal {
                rcode: ResponseCode::NotAuth,
                context: Some(TSigResponseContext::unknown_key(id, now, tsig.name.clone())),
            });
        };
        let Ok((_, _, window)) = signer.verify_message_byte(request.as_slice(), None, true) else {
            warn!(key = %tsig.name, "update or transfer with a bad TSIG signature");
            return Err(Refusal {
                rcode: ResponseCode::NotAuth,
                context: Some(TSigResponseContext::bad_signature(id, now, signer.clone())),
            });
        };
        let mac = tsig.data.mac.clone();
        if !window.contains(&now) {
            warn!(key = %tsig.name, "update or transfer signed outside the time window");
            return Err(Refusal {
                rcode: ResponseCode::NotAuth,
                context: Some(TSigResponseContext::new(
                    id,
                    now,
                    signer.clone(),
                    mac,
                    Some(TsigError::BadTime),
                )),
            });
        }
        Ok(Some(Signed {
            signer: signer.clone(),
            request_mac: mac,
        }))
    }
}

impl fmt::Debug for UpdatePolicy {
    // Key names only: the secrets never print.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self
            .keys
            .iter()
            .map(|k| k.signer_name().to_string())
            .collect();
        f.debug_struct("UpdatePolicy")
            .field("keys", &names)
            .finish()
    }
}

/// A request signed with a known key: what its answers are signed with.
pub(crate) struct Signed {
    pub(crate) signer: TSigner,
    pub(crate) request_mac: Vec<u8>,
}

/// Why a request was not served.
pub(crate) struct Refusal {
    pub(crate) rcode: ResponseCode,
    pub(crate) context: Option<TSigResponseContext>,
}

fn is_loopback(addr: SocketAddr) -> bool {
    match addr {
        SocketAddr::V4(v4) => v4.ip().is_loopback(),
        SocketAddr::V6(v6) => {
            v6.ip().is_loopback() || v6.ip().to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}
