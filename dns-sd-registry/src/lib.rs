#![doc = include_str!("../README.md")]
//!
//! # Contents
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
#![cfg_attr(docsrs, feature(doc_cfg))]

mod plan;
mod registry;
mod report;
#[cfg(feature = "suite")]
pub mod suite;

pub use plan::{LeavePlan, LeaveState, plan_leave, plan_restore, targets_of_host};
pub use registry::{ServiceRegistry, unusable_address};
pub use report::{RegistryReport, TxtPolicy};
