//! Publish DNS-SD (RFC 6763) service instances and round-robin address
//! sets on any [`dns_core::DnsProvider`], with every join/leave rule a
//! fleet relies on enforced in one place.
//!
//! * [`ServiceRegistry`]: join ([`register`](ServiceRegistry::register)),
//!   leave ([`deregister`](ServiceRegistry::deregister), or every port of a
//!   host with [`deregister_host`](ServiceRegistry::deregister_host)) and
//!   round-robin address sets
//!   ([`join_round_robin`](ServiceRegistry::join_round_robin)). Idempotent,
//!   safe under any number of concurrent writers, and never removing what
//!   another host still needs: the instance's TXT when a host joins without
//!   one ([`TxtPolicy`]), a host's addresses while any SRV value still
//!   points at it.
//! * [`plan_leave`] and [`LeaveState`]: the leave protocol as a pure
//!   function, for callers that want to see or test a plan without a
//!   provider.
//! * With the `suite` feature, [`suite`]: the rules as public async checks
//!   that run over any provider.
//!
//! `dnsctl join` and `dnsctl leave` are thin wrappers over this crate: a
//! control plane embedding it gets exactly the guarantees the CLI gives.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use dns_core::{DnsProvider, InMemoryProvider, Name, ServiceInstance, Target, TxtProperties};
//! use dns_sd_registry::ServiceRegistry;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let memory = InMemoryProvider::new();
//! let zone = memory.create_zone(Name::parse("example.com")?)?;
//! let registry = ServiceRegistry::new(Arc::new(memory.clone())).with_zone(zone.clone());
//!
//! let api = ServiceInstance::new("api v1", "_http._tcp".parse()?, Name::parse("example.com")?)?
//!     .with_target(Target::new(Name::parse("10-1-2-3.example.com")?, 8080)
//!         .with_priority(10).with_weight(50)
//!         .with_address("10.1.2.3".parse()?))
//!     .with_txt(TxtProperties::new().with("version", "1.4.2")?.with_flag("tls")?);
//! registry.register(&api).await?;
//!
//! for set in memory.list_record_sets(&zone).await? {
//!     print!("{set}");
//! }
//! // _http._tcp.example.com. 120 IN PTR api\032v1._http._tcp.example.com.
//! // api\032v1._http._tcp.example.com. 120 IN SRV 10 50 8080 10-1-2-3.example.com.
//! // api\032v1._http._tcp.example.com. 120 IN TXT "version=1.4.2" "tls"
//! // ...
//! registry.deregister(&api).await?;
//! assert_eq!(memory.list_record_sets(&zone).await?.len(), 2); // SOA and NS
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! # Feature flags
//!
//! * `suite`: the [`suite`] module (needs a multi-threaded tokio runtime).
#![cfg_attr(docsrs, feature(doc_cfg))]

mod plan;
mod registry;
mod report;
#[cfg(feature = "suite")]
pub mod suite;

pub use plan::{LeavePlan, LeaveState, plan_leave, plan_restore, targets_of_host};
pub use registry::ServiceRegistry;
pub use report::{RegistryReport, TxtPolicy};
