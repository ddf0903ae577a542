//! Cloudflare's per-record extras, typed: proxying, comment, tags.

use dns_core::{Name, RData};

/// Extras Cloudflare keeps per record. They do not change DNS answers
/// (except `proxied`, which replaces an A/AAAA/CNAME answer with
/// Cloudflare's edge addresses).
///
/// They apply to the records a change **creates**; records that already
/// exist keep theirs (an Upsert or Add that keeps a value, or changes only
/// its TTL, never flips its proxying, comment or tags). The default creates
/// DNS-only records without comment or tags, because a service record must
/// resolve to the instance, not to a proxy.
///
/// ```
/// use dns_cloudflare::RecordOptions;
/// let opts = RecordOptions::new()
///     .with_comment("managed by dnsctl")
///     .with_tag("owner:platform").unwrap();
/// assert!(!opts.proxied);
/// assert!(RecordOptions::new().with_tag("no spaces: allowed").is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordOptions {
    /// Proxy A/AAAA/CNAME records through Cloudflare (ignored for other
    /// types, which cannot be proxied). Proxied records always have the
    /// automatic TTL.
    pub proxied: bool,
    /// A note shown in the dashboard.
    pub comment: Option<String>,
    /// Tags, `name` or `name:value`.
    pub tags: Vec<String>,
}

impl RecordOptions {
    /// DNS only, no comment, no tags.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`RecordOptions::proxied`].
    pub fn with_proxied(mut self, proxied: bool) -> Self {
        self.proxied = proxied;
        self
    }

    /// Sets [`RecordOptions::comment`].
    pub fn with_comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// Adds a tag: `name` or `name:value`, the name made of letters, digits,
    /// `_` and `-`.
    pub fn with_tag(mut self, tag: impl Into<String>) -> dns_core::Result<Self> {
        let tag = tag.into();
        let name = tag.split_once(':').map_or(tag.as_str(), |(n, _)| n);
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(dns_core::Error::InvalidInput(format!(
                "Cloudflare tag {tag:?}: the name before ':' must be letters, digits, '_' or '-'"
            )));
        }
        self.tags.push(tag);
        Ok(self)
    }
}

/// One record as Cloudflare stores it, with its id and extras
/// ([`CloudflareProvider::list_records`](crate::CloudflareProvider::list_records)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CloudflareRecord {
    /// Cloudflare's record id.
    pub id: String,
    /// The owner name.
    pub name: Name,
    /// The data.
    pub data: RData,
    /// The TTL; 1 means automatic.
    pub ttl: u32,
    /// Proxying, comment and tags.
    pub options: RecordOptions,
}
