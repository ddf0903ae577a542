#![doc = include_str!("../README.md")]
//!
//! # In more detail
//!
//! What it does on Route 53, in short (details on [`Route53Provider`]):
//!
//! * `Add` and `Remove` are compare-and-swap change batches (DELETE of the
//!   exact values read + CREATE), retried on conflict, so concurrent
//!   registrations never lose each other's values and retries never
//!   duplicate one.
//! * One `apply` is one all-or-nothing change batch when it fits Route 53's
//!   per-request limits, otherwise the fewest batches those limits allow.
//! * Names are converted losslessly to and from Route 53's octal escapes
//!   ([`encode`]); TXT strings are quoted and escaped as Route 53 requires.
//! * Alias and routing-policy sets are listed
//!   ([`Route53Provider::list_native_record_sets`]) but never touched by
//!   portable changes.
//! * [`Route53Provider::wait_until_in_sync`] waits for a change to reach
//!   every Route 53 name server.
//!
//! The least-privilege IAM policy needs `route53:ListHostedZones`,
//! `route53:GetHostedZone`, `route53:ListResourceRecordSets`,
//! `route53:ChangeResourceRecordSets` (on the zone) and `route53:GetChange`.
// On docs.rs (all features), show the feature each item needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod builder;
pub mod encode;
mod error;
mod native;
mod plan;
mod provider;
mod read;

pub use builder::{Route53Builder, SIGNING_REGION};
pub use native::{AliasTarget, NativeRecordSet, Routing};
pub use provider::Route53Provider;
