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
//! * [`Reaper`]: finds the SRV targets of crashed instances by probing
//!   them ([`Check`]: TCP, HTTP with the `http` feature, or a
//!   [`HealthCheck`] of your own) and removes them through the guarded
//!   leave, within safety limits; a pass over healthy services sends no
//!   write. [`PassReport`] says what it checked, removed and refused.
//! * [`ServiceRegistry::refresh`] and
//!   [`keep_registered`](ServiceRegistry::keep_registered): self-healing
//!   registrations that put back what went missing and write nothing while
//!   intact.
//! * With the `suite` feature, [`suite`]: the rules as public async checks
//!   that run over any provider.
//!
#![cfg_attr(docsrs, feature(doc_cfg))]

mod plan;
mod probe;
mod reap_report;
mod reaper;
#[cfg(feature = "suite")]
pub mod reaper_suite;
mod refresh;
mod registry;
mod report;
#[cfg(feature = "suite")]
pub mod suite;

pub use plan::{LeavePlan, LeaveState, plan_leave, plan_restore, targets_of_host};
#[cfg(feature = "http")]
pub use probe::HttpCheck;
pub use probe::{Check, Endpoint, HealthCheck};
pub use reap_report::{PassReport, Reaped, Refusal, ServiceReport};
pub use reaper::Reaper;
pub use refresh::{Registration, jittered};
pub use registry::{ServiceRegistry, unusable_address};
pub use report::{RegistryReport, TxtPolicy};
