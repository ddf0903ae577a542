//! Cloudflare v4 backend for [`dns_core`]: a [`DnsProvider`](dns_core::DnsProvider)
//! over the DNS records API, with `reqwest` and rustls.
//!
//! ```no_run
//! use std::sync::Arc;
//! use dns_core::{ServiceInstance, Target};
//! use dns_sd_registry::ServiceRegistry;
//! use dns_cloudflare::CloudflareProvider;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! // CLOUDFLARE_API_TOKEN, scoped to Zone.DNS: Edit on the zone.
//! let cloudflare = CloudflareProvider::from_env()?;
//! let registry = ServiceRegistry::new(Arc::new(cloudflare));
//!
//! let me = ServiceInstance::new("web-1", "_http._tcp".parse()?, "example.com".parse()?)?
//!     .with_target(Target::new("10-1-2-3.example.com".parse()?, 8080)
//!         .with_address("10.1.2.3".parse()?));
//! registry.register(&me).await?;   // one listing and one transactional batch
//! registry.deregister(&me).await?; // at shutdown
//! # Ok(()) }
//! ```
//!
//! What it does on Cloudflare, in short (details on [`CloudflareProvider`]):
//!
//! * dns-core's record sets become Cloudflare's one-record-per-value model;
//!   an `apply` becomes deletes, patches and posts sent as one transactional
//!   batch (`/dns_records/batch`), chunked at 200 operations.
//! * `Add` and `Remove` are safe under concurrency and idempotent: a plan
//!   built on records that changed meanwhile fails as a whole and is
//!   rebuilt; a retried create never leaves a duplicate.
//! * Every request draws from a [`RequestBudget`] (Cloudflare's 1,200
//!   requests per 5 minutes by default) shared by clones, and 429s are
//!   retried after `Retry-After`.
//! * Proxying, comments and tags are typed [`RecordOptions`]; new records
//!   are DNS only by default and existing ones keep theirs.
//! * Credentials are a [`Secret`]: never in `Debug`, logs or errors.

mod api;
mod budget;
mod builder;
mod encode;
mod options;
mod plan;
mod provider;
mod secret;
mod wire;

/// The provider's short name in errors and logs.
pub const PROVIDER: &str = "cloudflare";

/// Locks a mutex, recovering the data if another thread panicked holding it
/// (every critical section here leaves the data consistent).
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub use budget::{CLOUDFLARE_LIMIT, RequestBudget};
pub use builder::{CloudflareBuilder, DEFAULT_BASE_URL, ENV_EMAIL, ENV_KEY, ENV_TOKEN};
pub use options::{CloudflareRecord, RecordOptions};
pub use provider::{CloudflareProvider, TTL_AUTOMATIC};
pub use secret::{Credentials, Secret};
