//! Amazon Route 53 backend for dns-core.
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
