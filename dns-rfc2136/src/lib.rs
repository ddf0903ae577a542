//! An RFC 2136 dynamic update backend for [`dns_core`]: BIND, Knot,
//! PowerDNS and any other server that takes UPDATE messages.
//!
//! * **Writes**: a batch of [`Change`](dns_core::Change)s is one UPDATE
//!   message, applied atomically by the server (RFC 2136 3.7). `Add` and
//!   `Remove` add and delete single records without reading first;
//!   `Upsert` and `Delete` replace or delete a whole RRset;
//!   [`Change::Require`](dns_core::Change::Require) becomes UPDATE
//!   prerequisites, so guarded writes are checked by the server itself.
//!   Only batches past the 64 KiB message limit are split.
//! * **Reads**: `list_record_sets` transfers the zone (AXFR over TCP,
//!   TSIG-verified message by message), `get_record_set` asks one query.
//!   Types the model does not know are kept verbatim
//!   ([`Opaque`](dns_core::Opaque)).
//! * **Auth**: TSIG with HMAC-SHA256/384/512 ([`TsigKey`], readable from
//!   BIND key files). GSS-TSIG (Windows DNS) is not supported.
//! * **Errors**: REFUSED and rejected keys are
//!   [`Error::Auth`](dns_core::Error::Auth), NOTAUTH/NOTZONE
//!   [`Error::ZoneNotFound`](dns_core::Error::ZoneNotFound), failed
//!   prerequisites [`Error::PreconditionFailed`](dns_core::Error::PreconditionFailed);
//!   timeouts and SERVFAIL are retried under one
//!   [`RetryPolicy`](dns_core::RetryPolicy).
//!
//! See `docs/rfc2136.md` for server set-up (BIND, Knot, PowerDNS).
//!
//! ```no_run
//! use dns_core::{DnsProvider, DnsProviderExt, Name, RData, RecordSet};
//! use dns_rfc2136::{Rfc2136Builder, TsigKey};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let key = TsigKey::from_bind_file("/etc/bind/update.key")?.remove(0);
//! let provider = Rfc2136Builder::new("192.0.2.53:53".parse()?)
//!     .with_zone(Name::parse("example.com")?)
//!     .with_tsig_key(key)
//!     .build()?;
//! let zone = provider.zone_for("www.example.com").await?;
//! let www = RecordSet::new(Name::parse("www.example.com")?, 300, [RData::A("192.0.2.10".parse()?)])?;
//! provider.add(&zone, www).await?;
//! # Ok(())
//! # }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod builder;
mod exchange;
mod keyfile;
mod provider;
mod tsig;
mod update;

pub use builder::{ENV_SERVER, ENV_TSIG_KEY_FILE, Rfc2136Builder};
pub use provider::Rfc2136Provider;
pub use tsig::{TsigAlgorithm, TsigError, TsigKey};

/// The provider's short name in messages.
const PROVIDER: &str = "rfc2136";
