#![doc = include_str!("../README.md")]
//!
//! # In more detail
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
// On docs.rs (all features), show the feature each item needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

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
