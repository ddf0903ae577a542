#![doc = include_str!("../README.md")]
//!
//! # Contents
//!
//! The parts of the crate:
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
//! * with the `conformance` feature, the suite every provider must pass.
//!
//! Backends live in their own crates (`dns-route53`, `dns-cloudflare`);
//! publishing (join and leave with every safety rule) in `dns-sd-registry`;
//! the resolver side in `dns-sd-client`.
// On docs.rs (all features), show the feature each item needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod change;
mod error;
#[cfg(feature = "hickory")]
pub mod hickory;
mod memory;
mod name;
mod provider;
mod rdata;
mod retry;
mod service;
mod set;
mod terminal;
mod txt;

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;

pub use change::{Change, Expected, Precondition};
pub use error::{Error, ParseError, Result};
pub use memory::InMemoryProvider;
pub use name::{Label, MAX_LABEL_OCTETS, MAX_NAME_OCTETS, Name};
pub use provider::{ApplyReport, Capabilities, DnsProvider, DnsProviderExt, RecordModel, Zone};
pub use rdata::{Caa, Mx, Opaque, RData, RecordType, Srv};
pub use retry::{RetryPolicy, conflict_backoff, conflict_backoff_ceiling};
pub use service::{
    Protocol, SERVICE_TYPE_ENUMERATION, ServiceInstance, ServiceRecords, ServiceType, Target,
};
pub use set::{MAX_TTL, RecordSet, check_ttl};
pub use terminal::{is_unsafe_on_terminal, terminal_safe};
pub use txt::{Escapes, MAX_CHARACTER_STRING, Txt, TxtProperties, TxtValue};
