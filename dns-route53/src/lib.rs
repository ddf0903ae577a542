//! Amazon Route 53 backend for [`dns_core`]: a [`DnsProvider`](dns_core::DnsProvider)
//! over the official `aws-sdk-route53`.
//!
//! ```no_run
//! use std::sync::Arc;
//! use dns_core::{ServiceInstance, Target};
//! use dns_sd_registry::ServiceRegistry;
//! use dns_route53::Route53Provider;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! // Credentials, profile and SSO from the standard AWS chain.
//! let route53 = Route53Provider::from_env().await?;
//! let registry = ServiceRegistry::new(Arc::new(route53));
//!
//! let me = ServiceInstance::new("web-1", "_http._tcp".parse()?, "example.com".parse()?)?
//!     .with_target(Target::new("10-1-2-3.example.com".parse()?, 8080)
//!         .with_address("10.1.2.3".parse()?));
//! registry.register(&me).await?;   // safe while other instances join at once
//! registry.deregister(&me).await?; // and at shutdown
//! # Ok(()) }
//! ```
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
