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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use hickory_proto::op::update_message;
    use hickory_proto::rr::{self as h};
    use hickory_server::net::xfer::Protocol;

    use super::*;

    fn request(from: &str) -> Request {
        let name = h::Name::from_ascii("www.example.test.").unwrap();
        let mut set = h::RecordSet::new(name.clone(), h::RecordType::A, 60);
        set.insert(
            h::Record::from_rdata(name, 60, h::RData::A("192.0.2.1".parse().unwrap())),
            0,
        );
        let zone = h::Name::from_ascii("example.test.").unwrap();
        let bytes = update_message::append(set, zone, false, false)
            .to_vec()
            .unwrap();
        Request::from_bytes(bytes, from.parse().unwrap(), Protocol::Tcp).unwrap()
    }

    #[test]
    fn without_keys_only_loopback_is_served() {
        let policy = UpdatePolicy::loopback();
        for local in ["127.0.0.1:5353", "[::1]:5353", "[::ffff:127.0.0.1]:5353"] {
            assert!(
                matches!(policy.authorize(&request(local), 0), Ok(None)),
                "{local}"
            );
        }
        for remote in ["192.0.2.7:5353", "[2001:db8::7]:5353", "10.0.0.1:53"] {
            let refused = policy.authorize(&request(remote), 0).err().unwrap();
            assert_eq!(refused.rcode, ResponseCode::Refused, "{remote}");
        }
    }

    #[test]
    fn with_keys_unsigned_is_refused_even_from_loopback() {
        let key = TSigner::new(
            b"0123456789abcdef".to_vec(),
            hickory_proto::rr::rdata::tsig::TsigAlgorithm::HmacSha256,
            h::Name::from_ascii("k.").unwrap(),
            300,
        )
        .unwrap();
        let policy = UpdatePolicy::loopback().with_key(key);
        let refused = policy
            .authorize(&request("127.0.0.1:5353"), 0)
            .err()
            .unwrap();
        assert_eq!(refused.rcode, ResponseCode::Refused);
        assert!(!format!("{policy:?}").contains("0123456789abcdef"));
    }
}
