//! DNS-SD (RFC 6763) discovery and RFC 2782 SRV selection over unicast DNS,
//! on hickory-resolver.
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
//!
//! # Example
//!
//! A zone served from memory by `dns-testkit`, one instance registered
//! through `dns-core`'s registry, then discovered over real DNS:
//!
//! ```
//! use std::sync::Arc;
//! use dns_core::{InMemoryProvider, Name, ServiceInstance, Target, TxtProperties};
//! use dns_sd_registry::ServiceRegistry;
//! use dns_sd_client::{DnsSdClient, Selection};
//! use dns_testkit::TestServer;
//!
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! let memory = InMemoryProvider::new();
//! let domain = Name::parse("example.com")?;
//! memory.create_zone(domain.clone())?;
//! let server = TestServer::start(memory.clone()).await?;
//!
//! let web = ServiceInstance::new("Web 1", "_http._tcp".parse()?, domain.clone())?
//!     .with_target(Target::new(Name::parse("web-1.example.com")?, 8080)
//!         .with_address("192.0.2.10".parse()?))
//!     .with_txt(TxtProperties::new().with("path", "/")?);
//! ServiceRegistry::new(Arc::new(memory.clone())).register(&web).await?;
//!
//! let client = DnsSdClient::with_name_servers([server.addr()])?;
//! let found = client.discover(&"_http._tcp".parse()?, &domain).await?;
//! let instance = found.instance("Web 1").expect("registered above");
//! assert_eq!(instance.txt.get_str("path"), Some("/"));
//! let Selection::Target(target) = instance.pick(&mut rand::rng()) else { panic!() };
//! assert_eq!(target.socket_addrs().next(), Some("192.0.2.10:8080".parse()?));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

mod cache;
mod client;
mod clock;
mod config;
mod error;
mod failover;
mod instance;
pub mod select;
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
