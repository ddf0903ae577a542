#![doc = include_str!("../README.md")]
//!
//! # What is in the crate
//!
//! With its feature in brackets; items of features that are off are not
//! there at all.
//!
//! * `TestServer` and `TestServerBuilder` (`server`): an authoritative
//!   server (UDP and TCP on one port) that reads the provider on every
//!   query, so what a test registers through the provider, or through a
//!   `dns_sd_registry::ServiceRegistry` on it, is on the wire at once. It answers
//!   like a real authoritative server (AA, NXDOMAIN and NODATA with the
//!   SOA, REFUSED outside its zones, truncation over UDP), and can act like
//!   different servers: with or without the RFC 6763 additional records,
//!   keeping or lower-casing names inside record data.
//! * `DelayProxy` with `QueryLogEntry` and `Transport` (`proxy`): sits in
//!   front of any server, adds a fixed delay to each query and records
//!   them, so a test can assert how many round trips a client needed
//!   (`DelayProxy::round_trips`) without timing anything.
//! * `hostile::HostileServer` (`hostile`): a DNS responder on localhost
//!   whose replies a test scripts per question: well-formed answers with
//!   hostile content (records for other names, control characters in
//!   labels, TTLs with the top bit set), garbage, cut-off messages,
//!   compression-pointer loops, wrong message IDs, or silence.
//! * `route53::FakeRoute53` (`route53`): a stateful fake of the Amazon
//!   Route 53 API that follows its documented behaviour, for testing
//!   clients built on `aws-sdk-route53`.
//! * `cloudflare::FakeCloudflare` (`cloudflare`): a stateful fake of the
//!   Cloudflare v4 DNS records API, following its documented behaviour.
//! * `moto::Moto` (`moto`): starts [moto], the Route 53 emulator that
//!   `scripts/test.sh` installs, on a free port and kills it when dropped.
//! * `prism::Prism` (`prism`): starts [Stoplight Prism] as a mock or as a
//!   proxy that validates every exchange against the Cloudflare DNS
//!   OpenAPI document, and collects the violations it reports.
//! * [`peer`] (always): the harness for peer processes that `moto` and
//!   `prism` use: start a program, wait until it is ready, keep its output
//!   for error messages, record its PID under `target/tmp` and kill it
//!   when dropped. `moto::MotoError` and `prism::PrismError` are its
//!   [`peer::PeerError`].
//!
//! Names go on the wire as raw labels, so DNS-SD instance names with
//! spaces, dots or UTF-8 are served as they are stored.
//!
//! [moto]: https://docs.getmoto.org/
//! [Stoplight Prism]: https://stoplight.io/open-source/prism
// On docs.rs (all features), show the feature each item needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(any(feature = "bind9", feature = "knot"))]
pub mod authoritative;
#[cfg(feature = "cloudflare")]
pub mod cloudflare;
#[cfg(any(feature = "route53", feature = "cloudflare"))]
mod fake_http;
#[cfg(feature = "hostile")]
pub mod hostile;
#[cfg(feature = "moto")]
pub mod moto;
pub mod peer;
#[cfg(feature = "prism")]
pub mod prism;
#[cfg(feature = "proxy")]
mod proxy;
#[cfg(feature = "proxy")]
mod querylog;
#[cfg(feature = "route53")]
pub mod route53;

/// The local authoritative server, from the `dns-server` crate (where it is
/// `ZoneServer`); the tests of this workspace know it by this name.
#[cfg(feature = "server")]
pub use dns_server::{ZoneServer as TestServer, ZoneServerBuilder as TestServerBuilder};
#[cfg(feature = "proxy")]
pub use proxy::DelayProxy;
#[cfg(feature = "proxy")]
pub use querylog::{QueryLogEntry, Transport};
