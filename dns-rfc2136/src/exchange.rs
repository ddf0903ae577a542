//! Talking to the server: one TCP connection per operation, TSIG signing
//! and verification of every signed exchange (by hickory's multiplexer),
//! and the translation of answers into [`dns_core::Error`].
//!
//! Every operation is one request message: an UPDATE, an AXFR, or a query.
//! The count of them is kept for callers that measure cost.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use dns_core::{Error, Name};
use futures::StreamExt as _;
use hickory_net::client::{Client, ClientHandle as _};
use hickory_net::runtime::TokioRuntimeProvider;
use hickory_net::tcp::TcpClientStream;
use hickory_net::xfer::{DnsHandle as _, DnsMultiplexer};
use hickory_net::{DnsError, NetError};
use hickory_proto::op::{DnsRequest, DnsResponse, Message, ResponseCode};
use hickory_proto::rr::{Record, TSigner};

use crate::PROVIDER;

/// How the connection to one server is made, and the message count.
#[derive(Clone)]
pub(crate) struct Exchange {
    pub(crate) server: SocketAddr,
    pub(crate) timeout: Duration,
    /// The transfer of a large zone takes longer than one answer.
    pub(crate) transfer_timeout: Duration,
    pub(crate) signer: Option<TSigner>,
    /// The key name, for messages (never the secret).
    pub(crate) key_name: Option<Name>,
    pub(crate) messages: Arc<AtomicUsize>,
}

impl fmt::Debug for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exchange")
            .field("server", &self.server)
            .field("timeout", &self.timeout)
            .field("key", &self.key_name)
            .finish_non_exhaustive()
    }
}

/// What an operation was, for error messages.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Operation {
    Update,
    Transfer,
    Query,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Self::Update => "UPDATE",
            Self::Transfer => "AXFR",
            Self::Query => "query",
        }
    }
}

impl Exchange {
    fn key_text(&self) -> String {
        self.key_name
            .as_ref()
            .map_or_else(|| "no TSIG key".to_owned(), |k| format!("TSIG key {k}"))
    }

    async fn connect(&self, timeout: Duration) -> Result<Client<TokioRuntimeProvider>, Error> {
        let provider = TokioRuntimeProvider::default();
        let (connect, handle) =
            TcpClientStream::new(self.server, None, Some(self.timeout), provider);
        let stream = connect.await.map_err(|e| self.transport("connecting", e))?;
        let mut multiplexer = DnsMultiplexer::new(stream, handle).with_timeout(timeout);
        if let Some(signer) = &self.signer {
            multiplexer = multiplexer.with_signer(signer.clone());
        }
        let (client, background) = Client::<TokioRuntimeProvider>::from_sender(multiplexer);
        tokio::spawn(background);
        Ok(client)
    }

    fn transport(&self, what: &str, error: NetError) -> Error {
        Error::Transport {
            provider: PROVIDER.into(),
            message: format!("{what} {}: {error}", self.server),
            source: Some(Box::new(error)),
        }
    }

    /// A failure to get a usable answer. A signed request whose answer
    /// does not verify is how a server reports BADKEY, BADSIG and BADTIME:
    /// it answers those unsigned (RFC 8945 5.2), which hickory refuses.
    fn failed(&self, op: Operation, zone: &Name, error: NetError) -> Error {
        match error {
            NetError::Timeout | NetError::Io(_) | NetError::NoConnections | NetError::Busy => {
                self.transport(&format!("{} for zone {zone} at", op.as_str()), error)
            }
            NetError::Proto(_) if self.signer.is_some() && !matches!(op, Operation::Query) => {
                Error::Auth {
                    message: format!(
                        "{} for zone {zone} at {}: the answer to a request signed with {} did \
                         not verify (the server rejected the key: BADKEY, BADSIG or BADTIME; \
                         check the key name, secret, algorithm and clock)",
                        op.as_str(),
                        self.server,
                        self.key_text()
                    ),
                }
            }
            other => Error::Provider {
                provider: PROVIDER.into(),
                code: None,
                message: format!(
                    "{} for zone {zone} at {}: {other}",
                    op.as_str(),
                    self.server
                ),
                request_id: None,
                retryable: false,
            },
        }
    }

    /// Maps a response code other than NOERROR to an error.
    pub(crate) fn refusal(
        &self,
        op: Operation,
        zone: &Name,
        code: ResponseCode,
        guarded: bool,
    ) -> Error {
        let what = format!(
            "{} for zone {zone} at {} with {}",
            op.as_str(),
            self.server,
            self.key_text()
        );
        match code {
            ResponseCode::Refused => Error::Auth {
                message: format!(
                    "{what}: REFUSED (the server does not allow this key or address to do \
                     this: allow-update/update-policy/allow-transfer in BIND, the zone ACL in \
                     Knot; or its policy refused the data, such as BIND's check-integrity \
                     for an MX or NS target without an address)"
                ),
            },
            ResponseCode::NotAuth => Error::ZoneNotFound {
                zone: format!(
                    "{zone} ({what}: NOTAUTH, the server is not authoritative for it or rejected the key)"
                ),
            },
            ResponseCode::NotZone => Error::ZoneNotFound {
                zone: format!("{zone} ({what}: NOTZONE)"),
            },
            ResponseCode::YXDomain
            | ResponseCode::YXRRSet
            | ResponseCode::NXDomain
            | ResponseCode::NXRRSet
                if guarded =>
            {
                Error::PreconditionFailed {
                    message: format!("{what}: a prerequisite failed ({code})"),
                }
            }
            ResponseCode::YXRRSet | ResponseCode::NXRRSet => Error::Provider {
                provider: PROVIDER.into(),
                code: Some("CnameConflict".into()),
                message: format!(
                    "{what}: a CNAME would share its name with other records ({code})"
                ),
                request_id: None,
                retryable: false,
            },
            ResponseCode::BADSIG | ResponseCode::BADKEY | ResponseCode::BADTIME => Error::Auth {
                message: format!("{what}: {code}"),
            },
            ResponseCode::ServFail => Error::Provider {
                provider: PROVIDER.into(),
                code: Some("SERVFAIL".into()),
                message: what,
                request_id: None,
                retryable: true,
            },
            other => Error::Provider {
                provider: PROVIDER.into(),
                code: Some(other.to_string()),
                message: what,
                request_id: None,
                retryable: false,
            },
        }
    }

    /// [`refusal`](Self::refusal), after telling apart the two meanings of
    /// NOTAUTH: "not authoritative for the zone" (RFC 2136) and "not
    /// authorized" (RFC 8945, and what Knot answers for a denied key or
    /// address). One SOA query, on this failure path only, decides.
    pub(crate) async fn refused(
        &self,
        op: Operation,
        zone: &Name,
        code: ResponseCode,
        guarded: bool,
    ) -> Error {
        if code == ResponseCode::NotAuth && self.serves(zone).await {
            return Error::Auth {
                message: format!(
                    "{} for zone {zone} at {} with {}: NOTAUTH (the server serves the zone but \
                     did not authorize this key or address)",
                    op.as_str(),
                    self.server,
                    self.key_text()
                ),
            };
        }
        self.refusal(op, zone, code, guarded)
    }

    /// Whether the server answers the zone's SOA with authority.
    async fn serves(&self, zone: &Name) -> bool {
        let mut message = Message::new(
            0,
            hickory_proto::op::MessageType::Query,
            hickory_proto::op::OpCode::Query,
        );
        message.add_query(hickory_proto::op::Query::query(
            dns_core::hickory::name_to_hickory(zone),
            hickory_proto::rr::RecordType::SOA,
        ));
        match self.send(Operation::Query, zone, message).await {
            Ok(answer) => {
                answer.metadata.authoritative
                    && answer.metadata.response_code == ResponseCode::NoError
                    && answer
                        .answers
                        .iter()
                        .any(|r| r.record_type() == hickory_proto::rr::RecordType::SOA)
            }
            Err(_) => false,
        }
    }

    /// Sends one message and returns its one answer, whatever its code.
    pub(crate) async fn send(
        &self,
        op: Operation,
        zone: &Name,
        message: Message,
    ) -> Result<DnsResponse, Error> {
        let client = self.connect(self.timeout).await?;
        self.messages.fetch_add(1, Ordering::Relaxed);
        let mut answers = client.send(DnsRequest::from(message));
        match answers.next().await {
            Some(Ok(answer)) => Ok(answer),
            Some(Err(NetError::Dns(DnsError::ResponseCode(code)))) => {
                Err(self.refusal(op, zone, code, false))
            }
            Some(Err(error)) => Err(self.failed(op, zone, error)),
            None => Err(self.failed(op, zone, NetError::Timeout)),
        }
    }

    /// Every record of the zone by AXFR, the closing SOA left out. Each
    /// message of the transfer is verified when a key is set (hickory's
    /// verifier chains the MACs), so an unsigned or forged message fails.
    pub(crate) async fn transfer(&self, zone: &Name) -> Result<Vec<Record>, Error> {
        let mut client = self.connect(self.transfer_timeout).await?;
        self.messages.fetch_add(1, Ordering::Relaxed);
        let mut stream = client.zone_transfer(dns_core::hickory::name_to_hickory(zone), None);
        let mut records: Vec<Record> = Vec::new();
        while let Some(answer) = stream.next().await {
            let answer = answer.map_err(|e| self.failed(Operation::Transfer, zone, e))?;
            if answer.metadata.response_code != ResponseCode::NoError {
                let code = answer.metadata.response_code;
                return Err(self.refused(Operation::Transfer, zone, code, false).await);
            }
            records.extend(answer.answers.iter().cloned());
        }
        // The transfer starts and ends with the SOA (RFC 5936 2.2); a
        // stream that ended otherwise was cut short.
        let complete = records.len() >= 2
            && records.first().map(Record::record_type) == Some(hickory_proto::rr::RecordType::SOA)
            && records.last().map(Record::record_type) == Some(hickory_proto::rr::RecordType::SOA);
        if !complete {
            return Err(Error::Transport {
                provider: PROVIDER.into(),
                message: format!(
                    "AXFR of {zone} from {} ended before the closing SOA ({} records)",
                    self.server,
                    records.len()
                ),
                source: None,
            });
        }
        records.pop();
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange() -> Exchange {
        Exchange {
            server: SocketAddr::from(([192, 0, 2, 53], 53)),
            timeout: Duration::from_secs(1),
            transfer_timeout: Duration::from_secs(1),
            signer: None,
            key_name: Some(Name::parse("update-key").unwrap_or_else(|_| Name::root())),
            messages: Arc::new(AtomicUsize::new(0)),
        }
    }

    #[test]
    fn response_codes_map_to_typed_errors_naming_zone_and_key() {
        let zone = Name::parse("example.com").unwrap_or_else(|_| Name::root());
        let x = exchange();
        let map = |code, guarded| x.refusal(Operation::Update, &zone, code, guarded);
        assert!(matches!(
            map(ResponseCode::Refused, false),
            Error::Auth { .. }
        ));
        assert!(matches!(
            map(ResponseCode::BADKEY, false),
            Error::Auth { .. }
        ));
        assert!(matches!(
            map(ResponseCode::NotZone, false),
            Error::ZoneNotFound { .. }
        ));
        assert!(matches!(
            map(ResponseCode::NotAuth, false),
            Error::ZoneNotFound { .. }
        ));
        for code in [
            ResponseCode::NXRRSet,
            ResponseCode::YXRRSet,
            ResponseCode::NXDomain,
            ResponseCode::YXDomain,
        ] {
            let e = map(code, true);
            assert!(
                matches!(e, Error::PreconditionFailed { .. }),
                "{code}: {e:?}"
            );
            assert!(!e.is_retryable());
        }
        assert!(matches!(
            map(ResponseCode::YXRRSet, false),
            Error::Provider { code: Some(c), retryable: false, .. } if c == "CnameConflict"
        ));
        assert!(map(ResponseCode::ServFail, false).is_retryable());
        assert!(!map(ResponseCode::FormErr, false).is_retryable());
        for code in [
            ResponseCode::Refused,
            ResponseCode::NotAuth,
            ResponseCode::ServFail,
        ] {
            let text = map(code, false).to_string();
            assert!(
                text.contains("example.com") && text.contains("update-key"),
                "{text}"
            );
            assert_eq!(text.lines().count(), 1, "{text}");
        }
    }
}
