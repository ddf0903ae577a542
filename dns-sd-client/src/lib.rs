#![doc = include_str!("../README.md")]
//!
//! # Contents
//!
//! * [`DnsSdClient`]: browse a service type, enumerate the service types of
//!   a domain, browse subtypes, resolve an instance, discover every instance
//!   of a service in at most three round trips (one when the server adds the
//!   RFC 6763 section 12 records), and watch a service for changes.
//! * [`order`], [`pick`] and [`expected_shares`]: RFC 2782 selection with
//!   weights honoured exactly, and an injectable random number generator.
//! * [`failover`]: try targets in RFC 2782 order until one works.
//! * `SrvResolver` (features `reqwest`, `hyper-util`): reqwest and hyper
//!   URLs naming a DNS-SD service (`http://_http._tcp.example.com/`) connect
//!   to its instances in RFC 2782 order, on their SRV ports; see
//!   `http_resolver`.
//! * With feature `tower`, `DnsSdClient::discover_endpoints`: a service's
//!   endpoints as a `tower::discover::Discover` stream; with feature
//!   `tonic`, a tonic balanced channel fed by it (see "tower and tonic"
//!   above).
//!
//! Answers are cached by (name, type) within their TTLs, negative answers
//! included, with a bound on the number of entries.
//!
//! # Large services
//!
//! At most [`DEFAULT_MAX_IN_FLIGHT`] questions are on the network at once
//! ([`ClientBuilder::with_max_in_flight`]), and a discovery wave of 32
//! questions or more is pipelined over TCP (RFC 7766) on a few connections
//! instead of sent as thousands of datagrams that overflow the server's
//! receive buffer. The address question of the family an SRV answer did
//! not bring is asked only where such records can exist: an answer that
//! came over TCP, small, untruncated and authoritative holds every address
//! record of its targets (RFC 6763 section 12.2; nothing made the server
//! leave any out), so a host that came with A records only has no AAAA
//! records. Over UDP nothing proves that (a server short of space drops
//! additional sets silently), so there the other family is asked, unless
//! [`ClientBuilder::with_complete_additionals`] says to trust it. Against
//! BIND behind a 5 ms path, 1,000 instances take about 120 ms and 2,000
//! about 230 ms, with nothing dropped or resent (docs/performance.md).
//!
//! # What is not taken on trust
//!
//! Answers come from the network, so discovery checks them before use
//! (the full table is in docs/troubleshooting.md, "Answers discovery
//! ignores or rewrites"):
//!
//! * a PTR target is an instance only when it is exactly one label under
//!   the service browsed (under the parent service for a subtype) and that
//!   label holds no ASCII control characters (RFC 6763 sections 4.1 and
//!   4.1.1); other targets are ignored with a warning that shows them
//!   escaped;
//! * a TTL with the top bit set counts as 0 (RFC 2181 section 8) wherever
//!   it appears: answers, additional records, CNAME links, and the SOA TTL
//!   and MINIMUM of negative answers;
//! * additional records are kept only for the questions the answer leads to
//!   next (SRV/TXT of the listed instances, addresses of SRV targets) under
//!   the domain browsed;
//! * answer records owned by names off the CNAME chain are ignored; CNAME
//!   chains are followed (also out of the zone) for at most 8 links, and
//!   the answer is filed only under the question;
//! * SRV records whose target is the instance name itself or whose port is
//!   0 are dropped, and "." records are dropped when real targets remain
//!   ("." alone still means "not available");
//! * replies with a wrong message ID or that cannot be read are never
//!   accepted: the question ends in a typed, retryable error.
// On docs.rs (all features), show the feature each item needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod additionals;
mod cache;
mod client;
mod clock;
mod config;
#[cfg(feature = "tower")]
mod endpoint_set;
#[cfg(feature = "tower")]
mod endpoints;
mod error;
mod failover;
#[cfg(any(feature = "reqwest", feature = "hyper-util"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "reqwest", feature = "hyper-util"))))]
pub mod http_resolver;
mod instance;
mod ptr_targets;
mod runtime;
pub mod select;
mod srv_checks;
mod streams;
#[cfg(feature = "tonic")]
mod tonic_channel;
mod transport;
mod watch;

pub use cache::CacheStats;
pub use client::DnsSdClient;
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{ClientBuilder, DEFAULT_MAX_IN_FLIGHT};
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub use endpoints::{Endpoint, EndpointKey, EndpointOptions, EndpointStream};
pub use error::{Error, NoAddressReason, Result};
pub use failover::{Attempt, Connected, FailoverError, failover};
#[cfg(any(feature = "reqwest", feature = "hyper-util"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "reqwest", feature = "hyper-util"))))]
pub use http_resolver::{FallThrough, SrvResolver};
pub use instance::{Candidate, Discovery, LookupFailure, ResolvedInstance, ResolvedTarget};
pub use select::{Order, Selection, SrvRecord, expected_shares, order, pick};
#[cfg(feature = "tonic")]
#[cfg_attr(docsrs, doc(cfg(feature = "tonic")))]
pub use tonic_channel::{BoxError, balanced_channel, feed_channel, http_endpoint};
pub use watch::{WatchEvent, WatchOptions};

/// The workspace README's examples compile (checked by `cargo test --doc`;
/// they live here because they use this crate as well as `dns-core`).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
