#![doc = include_str!("../README.md")]
//!
//! # Contents
//!
//! * [`ZoneServer`] and [`ZoneServerBuilder`]: UDP and TCP on one port,
//!   answering from the zones of an [`InMemoryProvider`](dns_core::InMemoryProvider)
//!   as an authoritative server does (AA, NXDOMAIN and NODATA with the SOA,
//!   REFUSED outside its zones, truncation over UDP), optionally with the
//!   RFC 6763 section 12 additional records.
//! * [`UpdatePolicy`]: who may change the zones with RFC 2136 dynamic
//!   updates and read them with AXFR: holders of a TSIG key, or, without
//!   keys, clients on the loopback interface only.
//! * [`ZoneStore`]: the zones kept in a directory, each written atomically
//!   after every update, so that a restart (or a crash mid-write) never
//!   loses the last state.
// On docs.rs (all features), show the feature each item needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod bind;
mod handler;
mod lookup;
mod policy;
mod server;
mod store;
mod update;
mod writes;
mod xfr;

pub use bind::udp_and_tcp as bind_udp_and_tcp;
/// hickory's TSIG key type, which [`UpdatePolicy::with_key`] takes.
pub use hickory_proto::rr::TSigner;
pub use policy::UpdatePolicy;
pub use server::{ZoneServer, ZoneServerBuilder};
pub use store::ZoneStore;
