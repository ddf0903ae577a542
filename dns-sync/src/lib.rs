//! Declarative DNS sync as a library: desired state in, a reviewed plan
//! out, applied to one or several providers, touching only what it owns.
//!
//! * [`DesiredState`] / [`DesiredZone`]: the record sets (any type) and
//!   DNS-SD service instances a zone should hold, built in code or read
//!   with [`read_desired`] from YAML or JSON;
//! * [`plan`]: desired against one zone at one provider, normalised to
//!   what it stores, with [`Policy`], [`Filter`] and safety refusals;
//!   [`apply`] takes the [`Plan`] by value; [`plan_all`] / [`apply_all`]
//!   do several providers at once;
//! * ownership markers ([`Marker`], [`marker_name`]): what a sync owns,
//!   recorded in the zone in a documented format (see `docs/sync.md`).
//!
//! The crate depends on the `dns-core` provider contract only, so it works
//! on every backend.
//!
//! # File format
//!
//! [`read_desired`] reads this, in YAML or JSON (the same fields):
//!
//! ```yaml
//! zones:
//!   - zone: example.com.
//!     records:
//!       - name: www            # relative to the zone; "@" is the apex; a trailing dot makes it absolute
//!         type: A
//!         ttl: 300             # optional, 300 when absent
//!         values: [192.0.2.1, 192.0.2.2]
//!       - name: "@"
//!         type: TXT
//!         values: ['"v=spf1 -all"']   # presentation form, as in a zone file
//!     services:                # DNS-SD instances (RFC 6763)
//!       - instance: Web Front  # the instance label, any text
//!         type: _http._tcp
//!         domain: "@"          # optional, relative to the zone like names
//!         ttl: 120             # optional, 120 when absent
//!         targets:
//!           - host: web1
//!             port: 8080
//!             priority: 0      # optional
//!             weight: 0        # optional
//!             addresses: [192.0.2.10]   # optional A/AAAA for the host
//!         txt: [path=/, tls]   # optional, key=value or a bare key
//!         subtypes: [_printer] # optional
//!         announce: true       # optional: list the type under _services._dns-sd._udp
//! ```
//!
//! Values are in presentation form (names in them are absolute). Unknown
//! fields, a key given twice, a value of the wrong type and a value that
//! does not parse for its record type are refused with the line (for a
//! repeated key in YAML, the line of the entry holding it). A set given
//! twice, a name outside the zone or in the reserved `_dns-sync` tree are
//! refused naming the entry (`records[3] (www A)`).

mod apply;
mod desired;
mod error;
mod export;
mod file;
mod normalise;
mod owner;
mod ownership;
mod plan;
mod policy;
pub mod render;
mod zonefile;

pub use apply::{Applied, apply, apply_all, plan_all};
pub use plan::{Destination, LeftAlone, Plan, Step, TtlAdjustment, plan};
pub use policy::{Filter, Policy, SyncOptions};
pub use render::Style;
pub use zonefile::read_zone_file;

pub use desired::{DesiredState, DesiredZone};
pub use error::{Refusal, Result, SyncError};
pub use export::{export_yaml, export_zone};
pub use file::{DEFAULT_TTL, read_desired};
pub use owner::{MARKER_LABEL, MARKER_TTL, Marker, OwnerId, marker_name, marker_root};
