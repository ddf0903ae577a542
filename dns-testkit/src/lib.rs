//! Real DNS on localhost for tests: serve the zones of a
//! [`dns_core::InMemoryProvider`] and point the resolver under test at them.
//!
//! * [`TestServer`] is an authoritative server (UDP and TCP on one port)
//!   that reads the provider on every query, so what a test registers
//!   through the provider, or through a [`dns_core::ServiceRegistry`] on
//!   it, is on the wire at once. It answers like a real authoritative
//!   server (AA, NXDOMAIN and NODATA with the SOA, REFUSED outside its
//!   zones, truncation over UDP), and can act like different servers: with
//!   or without the RFC 6763 additional records, keeping or lower-casing
//!   names inside record data.
//! * [`DelayProxy`] sits in front of any server, adds a fixed delay to each
//!   query and records them, so a test can assert how many round trips a
//!   client needed ([`DelayProxy::round_trips`]) without timing anything.
//! * `route53::FakeRoute53` (feature `route53`) is a stateful fake of the
//!   Amazon Route 53 API that follows its documented behaviour, for
//!   testing clients built on `aws-sdk-route53`.
//! * `moto::Moto` (feature `moto`) starts [moto], the Route 53 emulator
//!   that `scripts/test.sh` installs, on a free port and kills it when
//!   dropped.
//!
//! Names go on the wire as raw labels, so DNS-SD instance names with
//! spaces, dots or UTF-8 are served as they are stored.
//!
//! [moto]: https://docs.getmoto.org/
//!
//! # Example
//!
//! Serve an A record and ask for it with a plain UDP query:
//!
//! ```
//! use dns_core::hickory::name_to_hickory;
//! use dns_core::{DnsProviderExt, InMemoryProvider, Name, RData, RecordSet};
//! use dns_testkit::TestServer;
//! use hickory_proto::op::{Message, Query, ResponseCode};
//! use hickory_proto::rr::{RData as HRData, RecordType};
//! use tokio::net::UdpSocket;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let provider = InMemoryProvider::new();
//! let zone = provider.create_zone(Name::parse("example.com")?)?;
//! let www = Name::parse("www.example.com")?;
//! let set = RecordSet::new(www.clone(), 300, [RData::A("192.0.2.7".parse()?)])?;
//! provider.upsert(&zone, set).await?;
//!
//! let server = TestServer::start(provider).await?;
//!
//! let mut query = Message::query();
//! query.add_query(Query::query(name_to_hickory(&www), RecordType::A));
//! let socket = UdpSocket::bind("127.0.0.1:0").await?;
//! socket.send_to(&query.to_vec()?, server.addr()).await?;
//! let mut buffer = [0; 512];
//! let len = socket.recv(&mut buffer).await?;
//! let response = Message::from_vec(&buffer[..len])?;
//!
//! assert_eq!(response.metadata.response_code, ResponseCode::NoError);
//! assert!(response.metadata.authoritative);
//! assert_eq!(response.answers.len(), 1);
//! assert_eq!(response.answers[0].data, HRData::A("192.0.2.7".parse()?));
//! assert_eq!(server.queries(), 1);
//! server.stop().await;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

mod bind;
#[cfg(feature = "cloudflare")]
pub mod cloudflare;
#[cfg(any(feature = "route53", feature = "cloudflare"))]
mod fake_http;
mod handler;
mod lookup;
#[cfg(feature = "moto")]
pub mod moto;
pub mod peer;
#[cfg(feature = "prism")]
pub mod prism;
mod proxy;
mod querylog;
#[cfg(feature = "route53")]
pub mod route53;
mod server;

pub use proxy::DelayProxy;
pub use querylog::{QueryLogEntry, Transport};
pub use server::{TestServer, TestServerBuilder};
