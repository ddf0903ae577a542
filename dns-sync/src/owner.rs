//! Ownership markers: which sets of a zone a sync owns, recorded in the
//! zone itself so it survives restarts and works on every provider.
//!
//! For every owned name there is one TXT set at
//! `<hash>._dns-sync.<apex>`, where `<hash>` is 13 base32 characters of
//! the FNV-1a hash of the lowercased owned name. Each owner that owns
//! types at that name has one value in it:
//!
//! ```text
//! dns-sync/1 owner=<owner-id> types=A,TXT name=<owned name, lowercased, presentation form>
//! ```
//!
//! Why this shape (the traps other tools fell into):
//! * the marker never sits at the owned name, so it cannot collide with a
//!   CNAME there nor be merged with the user's own TXT set;
//! * its labels are fixed-size (13 octets and `_dns-sync`), so no marker
//!   pushes a label past 63 octets whatever the owned name, and a wildcard
//!   or raw-label owned name needs no special label (it is in the value);
//! * the value lists the types, so a type change is one marker update;
//! * it is plain TXT, which every provider stores, RFC 2136 servers too;
//! * the hash only spreads markers over names: correctness comes from the
//!   full name in the value, so a hash collision shares a marker set
//!   without confusing anyone;
//! * each owner edits only its own value, with `Add`/`Remove`, which the
//!   provider contract guarantees never lose a value written concurrently.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use dns_core::{Label, Name, RData, RecordType, Txt};

use crate::error::SyncError;

/// The label under the apex that holds every owner marker.
pub const MARKER_LABEL: &str = "_dns-sync";

/// The TTL of marker sets: they are read by syncs, not resolvers, so any
/// value every provider accepts will do.
pub const MARKER_TTL: u32 = 300;

const VERSION: &str = "dns-sync/1";

/// `_dns-sync.<apex>`, the tree reserved for markers.
pub fn marker_root(apex: &Name) -> Name {
    // A fixed hostname-like label always fits; fall back to the apex only
    // if the apex is already at the 255-octet limit (then nothing fits).
    Label::new(MARKER_LABEL)
        .ok()
        .and_then(|l| apex.prepend(l).ok())
        .unwrap_or_else(|| apex.clone())
}

/// Whether `name` is in the reserved marker tree of `apex`.
pub(crate) fn is_reserved(name: &Name, apex: &Name) -> bool {
    let root = marker_root(apex);
    root != *apex && name.is_subdomain_of(&root)
}

/// The marker set's name for `owned` in the zone `apex`.
///
/// ```
/// use dns_core::Name;
/// let apex = Name::parse("example.com").unwrap();
/// let long = Name::parse(&format!("{}.example.com", "a".repeat(63))).unwrap();
/// let marker = dns_sync::marker_name(&long, &apex).unwrap();
/// assert!(marker.to_string().ends_with("._dns-sync.example.com."));
/// assert_eq!(marker.labels()[0].as_bytes().len(), 13);
/// // Case does not matter, as in DNS.
/// let www = |s: &str| dns_sync::marker_name(&Name::parse(s).unwrap(), &apex);
/// assert_eq!(www("www.example.com"), www("WWW.Example.com"));
/// assert_ne!(www("www.example.com"), www("ww.example.com"));
/// ```
pub fn marker_name(owned: &Name, apex: &Name) -> Option<Name> {
    let label = Label::new(hash_label(owned)).ok()?;
    marker_root(apex).prepend(label).ok()
}

fn hash_label(name: &Name) -> String {
    // FNV-1a: tiny, stable across platforms and releases (a marker name
    // must never change under a running fleet), no dependency.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for label in name.to_lowercase().labels() {
        for byte in std::iter::once(&u8::try_from(label.as_bytes().len()).unwrap_or(u8::MAX))
            .chain(label.as_bytes())
        {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    (0..13)
        .map(|i| char::from(ALPHABET[((hash >> (i * 5)) & 31) as usize]))
        .collect()
}

/// Who a sync acts for: the `owner=` of its markers.
///
/// 1 to 40 characters: ASCII letters, digits, `-`, `_`, `.`.
///
/// ```
/// use dns_sync::OwnerId;
/// let id: OwnerId = "control-plane.eu1".parse().unwrap();
/// assert_eq!(id.as_str(), "control-plane.eu1");
/// assert!("has space".parse::<OwnerId>().is_err());
/// assert!("".parse::<OwnerId>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OwnerId(String);

impl OwnerId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for OwnerId {
    type Err = SyncError;

    fn from_str(s: &str) -> Result<Self, SyncError> {
        let ok = (1..=40).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(SyncError::Invalid(format!(
                "owner id {s:?}: 1 to 40 ASCII letters, digits, '-', '_' or '.'"
            )))
        }
    }
}

impl fmt::Display for OwnerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One owner's claim on the types at one name: one value of a marker set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    /// The owner.
    pub owner: OwnerId,
    /// The owned name.
    pub name: Name,
    /// The owned types at that name.
    pub types: BTreeSet<RecordType>,
}

impl Marker {
    /// The marker's TXT value.
    ///
    /// ```
    /// use dns_core::{Name, RecordType};
    /// use dns_sync::Marker;
    /// let m = Marker { owner: "cp".parse()?, name: Name::parse("www.example.com")?,
    ///     types: [RecordType::AAAA, RecordType::A].into() };
    /// assert_eq!(m.to_rdata().to_string(), r#""dns-sync/1 owner=cp types=A,AAAA name=www.example.com.""#);
    /// assert_eq!(Marker::parse(&m.to_rdata()), Some(m));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_rdata(&self) -> RData {
        let types: Vec<String> = self.types.iter().map(ToString::to_string).collect();
        RData::TXT(Txt::from_text(format!(
            "{VERSION} owner={} types={} name={}",
            self.owner,
            types.join(","),
            self.name
        )))
    }

    /// Reads a marker value; `None` for anything else (a foreign TXT value
    /// in the tree is ignored, never trusted).
    pub fn parse(value: &RData) -> Option<Self> {
        let RData::TXT(txt) = value else {
            return None;
        };
        // Providers may split a long value into several strings.
        let text = String::from_utf8(txt.concat()).ok()?;
        let rest = text.strip_prefix(VERSION)?.strip_prefix(" owner=")?;
        let (owner, rest) = rest.split_once(" types=")?;
        let (types, name) = rest.split_once(" name=")?;
        let types = types
            .split(',')
            .filter(|t| !t.is_empty())
            .map(RecordType::from_str)
            .collect::<Result<BTreeSet<_>, _>>()
            .ok()?;
        Some(Self {
            owner: owner.parse().ok()?,
            name: Name::parse(name).ok()?,
            types,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Marker names are a format: a fleet upgraded mid-flight must find the
    /// markers the previous release wrote. These are the names the
    /// `dns-sync/1` format gives; a change to the hash or its encoding
    /// fails here.
    #[test]
    fn marker_names_never_change() {
        let apex = Name::parse("example.com").expect("apex");
        for (owned, marker) in [
            ("www.example.com", "k24sxs2s4ixfc._dns-sync.example.com."),
            (
                "_http._tcp.example.com",
                "q3cvhcoc7lhyb._dns-sync.example.com.",
            ),
            ("example.com", "crarco3dkxolj._dns-sync.example.com."),
        ] {
            let owned = Name::parse(owned).expect("name");
            assert_eq!(
                marker_name(&owned, &apex).expect("marker").to_string(),
                marker,
                "{owned}"
            );
        }
    }

    #[test]
    fn owner_ids_are_one_to_forty_safe_characters() {
        for good in ["a", "cp-1_eu.2", &"x".repeat(40)] {
            assert!(good.parse::<OwnerId>().is_ok(), "{good:?}");
        }
        for bad in ["", &"x".repeat(41), "has space", "semi;colon", "é"] {
            assert!(bad.parse::<OwnerId>().is_err(), "{bad:?}");
        }
    }
}
