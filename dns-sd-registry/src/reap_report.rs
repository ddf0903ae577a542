//! What a [`Reaper`](crate::Reaper) pass found and did.

use std::fmt;

use dns_core::{Label, Name, Srv};

/// The outcome of one [`Reaper::pass`](crate::Reaper::pass).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PassReport {
    /// One entry per service reaped, in the order they were named.
    pub services: Vec<ServiceReport>,
    /// Provider requests the pass sent: the listings, and the reads and
    /// writes of the removals.
    pub requests: usize,
}

impl PassReport {
    /// The services whose pass was refused by a safety rule.
    pub fn refused(&self) -> impl Iterator<Item = &ServiceReport> {
        self.services.iter().filter(|s| s.refused.is_some())
    }

    /// Targets removed (or, in a dry run, that would have been).
    pub fn removed(&self) -> usize {
        self.services.iter().map(|s| s.removed.len()).sum()
    }
}

/// One service's part of a pass.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceReport {
    /// The service, e.g. `_http._tcp.example.com`.
    pub service: Name,
    /// SRV targets probed.
    pub checked: usize,
    /// Targets that failed every probe of the pass.
    pub dead: usize,
    /// Dead targets removed; in a dry run, the ones that would have been.
    pub removed: Vec<Reaped>,
    /// Dead targets kept because their published value changed (or they
    /// re-registered differently) during the pass.
    pub changed: Vec<Reaped>,
    /// Why nothing was removed, when a safety rule stopped the pass.
    pub refused: Option<Refusal>,
    /// Whether this was a dry run (nothing was written).
    pub dry_run: bool,
}

impl ServiceReport {
    pub(crate) fn new(service: Name, checked: usize) -> Self {
        Self {
            service,
            checked,
            dead: 0,
            removed: Vec::new(),
            changed: Vec::new(),
            refused: None,
            dry_run: false,
        }
    }

    /// Live targets kept: checked, and neither dead nor refused.
    pub fn kept(&self) -> usize {
        self.checked - self.dead
    }
}

/// A dead SRV target.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reaped {
    /// The instance, e.g. `web._http._tcp.example.com`.
    pub instance: Name,
    /// The instance label, e.g. `web`.
    pub label: Label,
    /// The SRV value as it was published.
    pub srv: Srv,
    /// The last probe's error.
    pub error: String,
    /// Whether this was the instance's last target (its TXT and PTRs went
    /// with it).
    pub instance_removed: bool,
}

impl Reaped {
    pub(crate) fn new(instance: Name, label: Label, srv: Srv) -> Self {
        Self {
            instance,
            label,
            srv,
            error: String::new(),
            instance_removed: false,
        }
    }
}

/// Why a pass removed nothing from a service.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// More targets looked dead than one pass may remove: the reaper's own
    /// network is the likelier fault.
    TooMany {
        /// Targets that failed every probe.
        dead: usize,
        /// Targets probed.
        checked: usize,
        /// The most one pass may remove.
        limit: usize,
    },
    /// Every target looked dead, and removing a service's last targets was
    /// not allowed.
    LastTarget {
        /// Targets that failed every probe.
        dead: usize,
        /// Targets probed.
        checked: usize,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooMany {
                dead,
                checked,
                limit,
            } => write!(
                f,
                "{dead} of {checked} targets looked dead, more than the {limit} one pass may \
                 remove: the reaper's own network is the likelier fault"
            ),
            Self::LastTarget { dead, checked } => write!(
                f,
                "{dead} of {checked} targets looked dead: removing a service's last target \
                 needs allow-empty"
            ),
        }
    }
}
