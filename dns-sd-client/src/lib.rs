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
//!
//! Answers are cached by (name, type) within their TTLs, negative answers
//! included, with a bound on the number of entries.
// On docs.rs (all features), show the feature each item needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod additionals;
mod cache;
mod client;
mod clock;
mod config;
mod error;
mod failover;
mod instance;
mod ptr_targets;
pub mod select;
mod srv_checks;
mod transport;
mod watch;

pub use cache::CacheStats;
pub use client::DnsSdClient;
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::ClientBuilder;
pub use error::{Error, Result};
pub use failover::{Attempt, Connected, FailoverError, failover};
pub use instance::{Candidate, Discovery, LookupFailure, ResolvedInstance, ResolvedTarget};
pub use select::{Order, Selection, SrvRecord, expected_shares, order, pick};
pub use watch::{WatchEvent, WatchOptions};

/// The workspace README's examples compile (checked by `cargo test --doc`;
/// they live here because they use this crate as well as `dns-core`).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
