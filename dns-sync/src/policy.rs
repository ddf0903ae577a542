//! What a sync may do: [`Policy`], [`Filter`] and [`SyncOptions`].

use dns_core::{Name, RecordType};

use crate::owner::OwnerId;

/// Which kinds of change a sync makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Policy {
    /// Create, update and delete owned sets.
    #[default]
    Sync,
    /// Create and update; never delete.
    UpsertOnly,
    /// Create only; never update or delete.
    CreateOnly,
}

impl Policy {
    /// Whether updates are allowed.
    pub fn updates(self) -> bool {
        !matches!(self, Self::CreateOnly)
    }

    /// Whether deletes are allowed.
    pub fn deletes(self) -> bool {
        matches!(self, Self::Sync)
    }
}

impl std::str::FromStr for Policy {
    type Err = crate::SyncError;

    /// `sync`, `upsert-only` or `create-only`.
    ///
    /// ```
    /// use dns_sync::Policy;
    /// assert_eq!("upsert-only".parse::<Policy>().unwrap(), Policy::UpsertOnly);
    /// assert!("yolo".parse::<Policy>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sync" => Ok(Self::Sync),
            "upsert-only" => Ok(Self::UpsertOnly),
            "create-only" => Ok(Self::CreateOnly),
            _ => Err(crate::SyncError::Invalid(format!(
                "policy {s:?}: sync, upsert-only or create-only"
            ))),
        }
    }
}

/// Which sets a sync manages at all: sets outside the filter are neither
/// created, updated nor deleted, desired or not.
///
/// Name globs match the owner name relative to the zone (`@` for the
/// apex), ignoring case: `*` matches within one label, `**` across labels.
///
/// ```
/// use dns_core::{Name, RecordType};
/// use dns_sync::Filter;
/// let apex = Name::parse("example.com").unwrap();
/// let f = Filter::default().include("*.svc").exclude("legacy.*").exclude_type(RecordType::MX);
/// let n = |s: &str| Name::parse(s).unwrap();
/// assert!(f.matches(&n("api.svc.example.com"), RecordType::A, &apex));
/// assert!(!f.matches(&n("a.b.svc.example.com"), RecordType::A, &apex));
/// assert!(!f.matches(&n("api.svc.example.com"), RecordType::MX, &apex));
/// assert!(!f.matches(&n("www.example.com"), RecordType::A, &apex));
/// assert!(Filter::default().include("**").matches(&n("a.b.example.com"), RecordType::A, &apex));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    include: Vec<String>,
    exclude: Vec<String>,
    types: Vec<RecordType>,
    exclude_types: Vec<RecordType>,
}

impl Filter {
    /// Manage only names matching one of the included globs (all names
    /// when none is given).
    pub fn include(mut self, glob: impl Into<String>) -> Self {
        self.include.push(glob.into().to_ascii_lowercase());
        self
    }

    /// Never manage names matching this glob.
    pub fn exclude(mut self, glob: impl Into<String>) -> Self {
        self.exclude.push(glob.into().to_ascii_lowercase());
        self
    }

    /// Manage only these types (all when none is given).
    pub fn only_type(mut self, rtype: RecordType) -> Self {
        self.types.push(rtype);
        self
    }

    /// Never manage this type.
    pub fn exclude_type(mut self, rtype: RecordType) -> Self {
        self.exclude_types.push(rtype);
        self
    }

    /// Whether (`name`, `rtype`) in the zone `apex` is managed.
    pub fn matches(&self, name: &Name, rtype: RecordType, apex: &Name) -> bool {
        if self.exclude_types.contains(&rtype)
            || (!self.types.is_empty() && !self.types.contains(&rtype))
        {
            return false;
        }
        // `relative_to` spells the apex `@`, as the globs do.
        let Some(relative) = name.relative_to(apex).map(|r| r.to_ascii_lowercase()) else {
            return false;
        };
        let hit = |globs: &[String]| {
            globs
                .iter()
                .any(|g| glob(g.as_bytes(), relative.as_bytes()))
        };
        (self.include.is_empty() || hit(&self.include)) && !hit(&self.exclude)
    }
}

/// `*` matches any run without a dot, `**` any run at all.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern {
        [] => text.is_empty(),
        [b'*', b'*', rest @ ..] => (0..=text.len()).any(|i| glob(rest, &text[i..])),
        [b'*', rest @ ..] => {
            let run = text.iter().position(|b| *b == b'.').unwrap_or(text.len());
            (0..=run).any(|i| glob(rest, &text[i..]))
        }
        [p, rest @ ..] => text.first() == Some(p) && glob(rest, &text[1..]),
    }
}

/// Everything a plan depends on besides the zones.
///
/// ```
/// use dns_sync::{Policy, SyncOptions};
/// let options = SyncOptions::new("cp-1".parse()?).with_policy(Policy::UpsertOnly);
/// assert_eq!(options.threshold_percent, 30);
/// assert_eq!(options.min_owned, 10);
/// assert!(!options.force && !options.adopt);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncOptions {
    /// Who the sync acts for.
    pub owner: OwnerId,
    /// Which kinds of change it makes.
    pub policy: Policy,
    /// Which sets it manages.
    pub filter: Filter,
    /// Take ownership of unmarked sets the desired state names (never of
    /// another owner's).
    pub adopt: bool,
    /// Apply a plan the safety rules refused.
    pub force: bool,
    /// The largest share (percent) of owned sets a plan may update or
    /// delete without `force`.
    pub threshold_percent: u8,
    /// The threshold applies from this many owned sets on.
    pub min_owned: usize,
}

impl SyncOptions {
    /// The defaults for `owner`: `sync`, everything managed, no adoption,
    /// not forced, 30% of at least 10 owned sets.
    pub fn new(owner: OwnerId) -> Self {
        Self {
            owner,
            policy: Policy::Sync,
            filter: Filter::default(),
            adopt: false,
            force: false,
            threshold_percent: 30,
            min_owned: 10,
        }
    }

    /// Sets [`SyncOptions::policy`].
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Sets [`SyncOptions::filter`].
    pub fn with_filter(mut self, filter: Filter) -> Self {
        self.filter = filter;
        self
    }

    /// Sets [`SyncOptions::adopt`].
    pub fn with_adopt(mut self, adopt: bool) -> Self {
        self.adopt = adopt;
        self
    }

    /// Sets [`SyncOptions::force`].
    pub fn with_force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// Sets [`SyncOptions::threshold_percent`] and [`SyncOptions::min_owned`].
    pub fn with_threshold(mut self, percent: u8, min_owned: usize) -> Self {
        self.threshold_percent = percent;
        self.min_owned = min_owned;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        Name::parse(s).expect("name")
    }

    #[test]
    fn every_policy_name_parses_and_nothing_else_does() {
        for (text, policy) in [
            ("sync", Policy::Sync),
            ("upsert-only", Policy::UpsertOnly),
            ("create-only", Policy::CreateOnly),
        ] {
            assert_eq!(text.parse::<Policy>().expect(text), policy);
        }
        for bad in ["", "Sync", "upsert", "delete"] {
            assert!(bad.parse::<Policy>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn type_filters_include_and_exclude() {
        let apex = n("example.com");
        let www = n("www.example.com");
        let only_a = Filter::default().only_type(RecordType::A);
        assert!(only_a.matches(&www, RecordType::A, &apex));
        assert!(!only_a.matches(&www, RecordType::AAAA, &apex));
        let no_mx = Filter::default().exclude_type(RecordType::MX);
        assert!(!no_mx.matches(&www, RecordType::MX, &apex));
        assert!(no_mx.matches(&www, RecordType::A, &apex));
        assert!(Filter::default().matches(&www, RecordType::MX, &apex));
    }

    #[test]
    fn name_globs_are_relative_to_the_apex() {
        let apex = n("example.com");
        let f = Filter::default().include("@").include("*.svc");
        assert!(f.matches(&apex, RecordType::A, &apex), "the apex is @");
        assert!(f.matches(&n("api.svc.example.com"), RecordType::A, &apex));
        assert!(!f.matches(&n("www.example.com"), RecordType::A, &apex));
        assert!(!f.matches(&n("www.example.org"), RecordType::A, &apex));
        let f = Filter::default().exclude("legacy.*");
        assert!(!f.matches(&n("legacy.db.example.com"), RecordType::A, &apex));
        assert!(f.matches(&n("db.example.com"), RecordType::A, &apex));
    }
}
