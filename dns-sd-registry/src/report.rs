//! [`RegistryReport`] and [`TxtPolicy`].

use dns_core::{Name, RecordType, Srv};

/// What a registration does with the instance's TXT record.
///
/// All targets of one instance share its TXT set, so a host that joins
/// without metadata must not blank the metadata another host published.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TxtPolicy {
    /// [`State`](Self::State) when the instance carries TXT properties,
    /// [`KeepPublished`](Self::KeepPublished) when it carries none.
    #[default]
    Auto,
    /// The instance's TXT replaces whatever is published (an empty
    /// property list publishes the one empty string RFC 6763 asks for).
    State,
    /// Whatever TXT is published stays, however many records it has; the
    /// instance's own TXT is written only when none is. Guarded: with
    /// preconditions the batch requires the TXT to be still what was read
    /// (or still absent); without, a TXT someone else stated meanwhile wins
    /// (the registry removes its own value again), and a TXT that went with
    /// the last other host while this one joined is replaced by ours.
    KeepPublished,
}

/// What a [`ServiceRegistry`](crate::ServiceRegistry) call did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegistryReport {
    /// Provider calls: each read or listing counts one, each write the
    /// requests the provider reports. Zone lookups the registry answered
    /// from its cache are not counted.
    pub requests: usize,
    /// Whether every write batch was applied atomically.
    pub atomic: bool,
    /// For a deregistration: whether the instance itself went away (these
    /// were its last targets, so its PTR, TXT and subtype PTRs went too).
    /// False when another target joined while the last one left: the
    /// registry then put the instance's PTR and TXT back.
    pub instance_removed: bool,
    /// How often a concurrent writer made the registry read and plan again.
    pub conflicts: u32,
    /// The SRV values written (registration) or withdrawn as they were
    /// published (deregistration; empty when none of them was there).
    pub targets: Vec<Srv>,
    /// Hosts whose address records were kept, each with an SRV owner that
    /// still points at it.
    pub kept_addresses: Vec<(Name, Name)>,
    /// For a registration: whether the published TXT was kept instead of
    /// written ([`TxtPolicy::KeepPublished`]).
    pub txt_kept: bool,
    /// For a [`refresh`](crate::ServiceRegistry::refresh): the sets that
    /// were missing or lacked this registration's values, and were put
    /// back. Empty when the registration was intact (nothing was written).
    pub restored: Vec<(Name, RecordType)>,
}

impl RegistryReport {
    pub(crate) fn new() -> Self {
        Self {
            atomic: true,
            ..Self::default()
        }
    }
}
