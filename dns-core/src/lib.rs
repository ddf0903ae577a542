//! The portable core of DNS service registration and discovery.
//!
//! `dns-core` holds what every DNS provider backend and the resolver share,
//! and nothing that talks to a network:
//!
//! * the record model: raw-label [`Name`]s, [`RecordType`], typed [`RData`]
//!   ([`Srv`], [`Txt`], [`Mx`], [`Caa`], and [`Opaque`] for types it does not
//!   model), [`RecordSet`];
//! * RFC 6763 DNS-SD: [`TxtProperties`], [`ServiceType`], [`ServiceInstance`]
//!   and the record sets that publish an instance;
//! * the provider contract: [`DnsProvider`] (object-safe, use it as
//!   `Arc<dyn DnsProvider>`), [`Change`] with its precise semantics,
//!   [`Capabilities`], the one [`Error`] type and a [`RetryPolicy`];
//! * [`InMemoryProvider`], the reference implementation;
//! * [`ServiceRegistry`]: join and leave a service over any provider without
//!   losing a concurrent registration or leaving orphans;
//! * with the `conformance` feature, the suite every provider must pass.
//!
//! Backends live in their own crates (`dns-route53`, `dns-cloudflare`); the
//! resolver side in `dns-sd-client`.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use dns_core::{DnsProvider, InMemoryProvider, Name, ServiceInstance, ServiceRegistry, Target, TxtProperties};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let memory = InMemoryProvider::new();
//! let zone = memory.create_zone(Name::parse("example.com")?)?;
//! let registry = ServiceRegistry::new(Arc::new(memory.clone()));
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
//! * `conformance`: the [`conformance`] module, public async test functions
//!   that take a provider and a zone. Every backend's tests run them.
//! * `hickory`: the [`hickory`] module, lossless conversions to and
//!   from hickory-proto's names and record data.

mod change;
mod error;
#[cfg(feature = "hickory")]
pub mod hickory;
mod memory;
mod name;
mod provider;
mod rdata;
mod registry;
mod retry;
mod service;
mod set;
mod txt;

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;

pub use change::{Change, Expected, Precondition};
pub use error::{Error, ParseError, Result};
pub use memory::InMemoryProvider;
pub use name::{Label, MAX_LABEL_OCTETS, MAX_NAME_OCTETS, Name};
pub use provider::{ApplyReport, Capabilities, DnsProvider, DnsProviderExt, RecordModel, Zone};
pub use rdata::{Caa, Mx, Opaque, RData, RecordType, Srv};
pub use registry::{RegistryReport, ServiceRegistry};
pub use retry::{RetryPolicy, conflict_backoff, conflict_backoff_ceiling};
pub use service::{
    Protocol, SERVICE_TYPE_ENUMERATION, ServiceInstance, ServiceRecords, ServiceType, Target,
};
pub use set::{MAX_TTL, RecordSet};
pub use txt::{Escapes, MAX_CHARACTER_STRING, Txt, TxtProperties, TxtValue};
