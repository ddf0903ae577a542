//! Domain names as raw labels: [`Label`] and [`Name`].

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use crate::error::ParseError;

/// The most octets one label may hold (RFC 1035 section 2.3.4).
pub const MAX_LABEL_OCTETS: usize = 63;
/// The most octets a name may take on the wire, length bytes and root included.
pub const MAX_NAME_OCTETS: usize = 255;

/// One label of a domain name: 1 to 63 arbitrary octets.
///
/// Labels are raw bytes, not text: an RFC 6763 instance label such as
/// `Büro Printer.2` (a space, a dot and UTF-8 inside one label) is a single
/// `Label`. Equality and hashing ignore ASCII case only; non-ASCII bytes
/// compare exactly, as DNS does.
///
/// ```
/// use dns_core::Label;
/// let l = Label::new("Büro Printer.2").unwrap();
/// assert_eq!(l.as_bytes().len(), 15);
/// assert_eq!(l.to_string(), r"B\195\188ro\032Printer\.2");
/// assert_eq!(Label::new("WWW").unwrap(), Label::new("www").unwrap());
/// ```
#[derive(Clone)]
pub struct Label(Box<[u8]>);

impl Label {
    /// A label from raw octets; fails when empty or longer than 63 octets.
    pub fn new(octets: impl AsRef<[u8]>) -> Result<Self, ParseError> {
        let octets = octets.as_ref();
        if octets.is_empty() {
            return Err(ParseError::new("label", octets, "a label cannot be empty"));
        }
        if octets.len() > MAX_LABEL_OCTETS {
            return Err(ParseError::new(
                "label",
                octets,
                format!(
                    "{} octets is more than the {MAX_LABEL_OCTETS} a label may hold",
                    octets.len()
                ),
            ));
        }
        Ok(Self(octets.into()))
    }

    /// The raw octets.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The label as text when it is valid UTF-8 (instance labels usually are).
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// Whether this label is the wildcard `*`.
    pub fn is_wildcard(&self) -> bool {
        &*self.0 == b"*"
    }

    /// Whether the label is a conventional host name label: letters, digits,
    /// hyphens and underscores only (what every provider can store).
    pub fn is_hostname_like(&self) -> bool {
        self.0
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
    }

    fn lowercase_bytes(&self) -> impl Iterator<Item = u8> + '_ {
        self.0.iter().map(u8::to_ascii_lowercase)
    }

    fn cmp_canonical(&self, other: &Self) -> Ordering {
        self.lowercase_bytes().cmp(other.lowercase_bytes())
    }

    /// Writes the label in presentation form. With `utf8` set, valid UTF-8
    /// sequences and spaces stay as they are (for people); otherwise the output
    /// is plain ASCII with `\DDD` escapes (for zone files and APIs). Both forms
    /// parse back to the same label.
    fn write_escaped(&self, f: &mut fmt::Formatter<'_>, utf8: bool) -> fmt::Result {
        let mut rest: &[u8] = &self.0;
        while !rest.is_empty() {
            if utf8
                && rest[0] >= 0x80
                && let Some(c) = leading_char(rest).filter(|c| !c.is_control())
            {
                write!(f, "{c}")?;
                rest = &rest[c.len_utf8()..];
                continue;
            }
            let b = rest[0];
            match b {
                b'.' | b'\\' | b'"' | b'(' | b')' | b';' | b'@' | b'$' => {
                    write!(f, "\\{}", b as char)?;
                }
                b' ' if utf8 => f.write_str(" ")?,
                0x21..=0x7e => write!(f, "{}", b as char)?,
                _ => write!(f, "\\{b:03}")?,
            }
            rest = &rest[1..];
        }
        Ok(())
    }
}

impl PartialEq for Label {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Eq for Label {}

impl Hash for Label {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.0.len());
        for b in self.lowercase_bytes() {
            state.write_u8(b);
        }
    }
}

impl PartialOrd for Label {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Label {
    fn cmp(&self, other: &Self) -> Ordering {
        self.cmp_canonical(other)
    }
}

impl fmt::Display for Label {
    /// Presentation form; `{:#}` keeps UTF-8 and spaces readable.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_escaped(f, f.alternate())
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Label(\"{self:#}\")")
    }
}

impl FromStr for Label {
    type Err = ParseError;

    /// Parses one label in presentation form (`\.`, `\\`, `\DDD` escapes).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = parse_labels(s, "label")?;
        match <[Self; 1]>::try_from(name)
            .ok()
            .filter(|_| !ends_with_unescaped_dot(s))
        {
            Some([label]) => Ok(label),
            None => Err(ParseError::new(
                "label",
                s,
                "holds an unescaped '.', which would make it more than one label",
            )),
        }
    }
}

/// An absolute domain name: a sequence of raw [`Label`]s under the root.
///
/// * Presentation form follows RFC 1035: `\.` and `\\` escape a dot and a
///   backslash inside a label, `\DDD` is one octet in **decimal**, `\X` is `X`.
///   A trailing dot is optional on input (every `Name` is absolute) and always
///   printed. Unescaped non-ASCII text is kept as its UTF-8 bytes.
/// * Limits: 63 octets per label, 255 octets per name on the wire.
/// * Equality, hashing and ordering ignore ASCII case; ordering is the DNSSEC
///   canonical order (RFC 4034 section 6.1), so sorted zones list parents first.
///
/// # IDNA policy
///
/// [`Name::parse`] never rewrites labels: a UTF-8 label stays UTF-8 bytes,
/// which is what RFC 6763 instance labels need. Host and zone names that a
/// person writes in Unicode (`bücher.example`) should go through
/// [`Name::from_idna`], which applies UTS #46 non-transitional processing
/// (the IDNA2008-compatible mapping browsers use) and yields lower-case
/// A-labels (`xn--bcher-kva.example.`). [`Name::to_unicode`] goes back for
/// display. Backends whose provider stores punycode convert only host and
/// zone names this way; they never punycode an instance label.
///
/// ```
/// use dns_core::Name;
/// let n: Name = r"Büro\032Printer\.2._ipp._tcp.example.com".parse().unwrap();
/// assert_eq!(n.labels().len(), 5);
/// assert_eq!(n.labels()[0].as_str(), Some("Büro Printer.2"));
/// assert_eq!(n.to_string(), r"B\195\188ro\032Printer\.2._ipp._tcp.example.com.");
/// assert_eq!(format!("{n:#}"), r"Büro Printer\.2._ipp._tcp.example.com.");
/// assert_eq!(n, "büro printer\\.2._IPP._TCP.Example.COM.".parse().unwrap());
///
/// let zone: Name = "example.com".parse().unwrap();
/// assert!(n.is_subdomain_of(&zone));
/// assert_eq!(n.relative_to(&zone).unwrap(), r"B\195\188ro\032Printer\.2._ipp._tcp");
///
/// let idn = Name::from_idna("Bücher.Example").unwrap();
/// assert_eq!(idn.to_string(), "xn--bcher-kva.example.");
/// assert_eq!(idn.to_unicode(), "bücher.example.");
/// ```
#[derive(Clone, Default)]
pub struct Name {
    labels: Vec<Label>,
}

impl Name {
    /// The root name `.`.
    pub fn root() -> Self {
        Self::default()
    }

    /// Parses presentation form. See the type documentation for the rules.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let labels = parse_labels(s, "name")?;
        Self::from_labels(labels).map_err(|e| ParseError::new("name", s, e.reason()))
    }

    /// Parses a possibly relative name against `origin`, as a zone file does:
    /// `@` is the origin itself, a name with a trailing dot is absolute, any
    /// other name is relative to `origin`.
    ///
    /// ```
    /// use dns_core::Name;
    /// let zone = Name::parse("example.com").unwrap();
    /// assert_eq!(Name::parse_relative("www", &zone).unwrap().to_string(), "www.example.com.");
    /// assert_eq!(Name::parse_relative("@", &zone).unwrap(), zone);
    /// assert_eq!(Name::parse_relative("other.org.", &zone).unwrap().to_string(), "other.org.");
    /// ```
    pub fn parse_relative(s: &str, origin: &Self) -> Result<Self, ParseError> {
        if s == "@" {
            return Ok(origin.clone());
        }
        if ends_with_unescaped_dot(s) {
            return Self::parse(s);
        }
        let relative = Self::parse(s)?;
        relative
            .join(origin)
            .map_err(|e| ParseError::new("name", s, e.reason()))
    }

    /// Builds a name from labels, checking the 255-octet limit.
    pub fn from_labels(labels: impl IntoIterator<Item = Label>) -> Result<Self, ParseError> {
        let name = Self {
            labels: labels.into_iter().collect(),
        };
        let octets = name.wire_len();
        if octets > MAX_NAME_OCTETS {
            return Err(ParseError::new(
                "name",
                name.to_string(),
                format!("{octets} octets is more than the {MAX_NAME_OCTETS} a name may take"),
            ));
        }
        Ok(name)
    }

    /// Converts a host or zone name written in Unicode to A-labels (punycode)
    /// with UTS #46 non-transitional processing; ASCII input is lower-cased.
    /// Escapes are not interpreted and the result must be a host name
    /// (letters, digits, `-`, `_`): this is for hosts and zones, not instance labels.
    pub fn from_idna(s: &str) -> Result<Self, ParseError> {
        let trimmed = s.strip_suffix('.').unwrap_or(s);
        if trimmed.is_empty() {
            return Err(ParseError::new("host name", s, "is empty"));
        }
        let ascii = idna::domain_to_ascii(trimmed)
            .map_err(|_| ParseError::new("host name", s, "is not a valid IDNA host name"))?;
        // Built from the IDNA output directly: a backslash is not an escape here.
        let labels = ascii
            .split('.')
            .map(|l| Label::new(l).map_err(|e| ParseError::new("host name", s, e.reason())))
            .collect::<Result<Vec<_>, _>>()?;
        if !labels.iter().all(Label::is_hostname_like) {
            return Err(ParseError::new(
                "host name",
                s,
                "holds characters other than letters, digits, '-' and '_'",
            ));
        }
        Self::from_labels(labels)
    }

    /// The name for display: A-labels (`xn--…`) decoded to Unicode, other
    /// labels as in the `{:#}` presentation form.
    pub fn to_unicode(&self) -> String {
        if self.is_root() {
            return ".".to_owned();
        }
        let mut out = String::new();
        for label in &self.labels {
            // A bare `xn--` is no A-label: idna refuses it, and it stays.
            let text = label.as_str().filter(|s| {
                label.is_hostname_like()
                    && s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("xn--"))
            });
            match text.map(idna::domain_to_unicode) {
                Some((unicode, Ok(()))) => out.push_str(&unicode),
                _ => out.push_str(&format!("{label:#}")),
            }
            out.push('.');
        }
        out
    }

    /// The labels, leftmost first; empty for the root.
    pub fn labels(&self) -> &[Label] {
        &self.labels
    }

    /// Whether this is the root name.
    pub fn is_root(&self) -> bool {
        self.labels.is_empty()
    }

    /// Octets this name takes on the wire (uncompressed).
    pub fn wire_len(&self) -> usize {
        self.labels.iter().map(|l| l.0.len() + 1).sum::<usize>() + 1
    }

    /// The name with its leftmost label removed; `None` for the root.
    pub fn parent(&self) -> Option<Self> {
        (!self.is_root()).then(|| Self {
            labels: self.labels[1..].to_vec(),
        })
    }

    /// `label.self`, checking the length limit.
    pub fn prepend(&self, label: Label) -> Result<Self, ParseError> {
        Self::from_labels(std::iter::once(label).chain(self.labels.iter().cloned()))
    }

    /// `self` followed by `suffix` (`www` joined with `example.com.` is
    /// `www.example.com.`), checking the length limit.
    pub fn join(&self, suffix: &Self) -> Result<Self, ParseError> {
        Self::from_labels(self.labels.iter().chain(&suffix.labels).cloned())
    }

    /// Whether the name is a host name as hosts files and RFC 952 / RFC
    /// 1123 section 2.1 have them: not the root, every label letters,
    /// digits and hyphens, none starting or ending with a hyphen. DNS-SD
    /// instance names (spaces, UTF-8) and underscore labels are not.
    ///
    /// ```
    /// use dns_core::Name;
    /// assert!(Name::parse("web-1.example.com").unwrap().is_host_name());
    /// assert!(!Name::parse("_http._tcp.example.com").unwrap().is_host_name());
    /// assert!(!Name::parse(r"web\0101.example.com").unwrap().is_host_name());
    /// assert!(!Name::parse("-a.example.com").unwrap().is_host_name());
    /// ```
    pub fn is_host_name(&self) -> bool {
        !self.is_root()
            && self.labels.iter().all(|label| {
                let b = label.as_bytes();
                b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
                    && b.first() != Some(&b'-')
                    && b.last() != Some(&b'-')
            })
    }

    /// Whether `self` is `zone` or lies below it.
    pub fn is_subdomain_of(&self, zone: &Self) -> bool {
        self.labels.len() >= zone.labels.len()
            && self.labels[self.labels.len() - zone.labels.len()..] == zone.labels[..]
    }

    /// The labels of `self` left of `zone`, or `None` when `self` is not
    /// inside `zone`. Empty for the zone apex.
    pub fn strip_zone(&self, zone: &Self) -> Option<&[Label]> {
        self.is_subdomain_of(zone)
            .then(|| &self.labels[..self.labels.len() - zone.labels.len()])
    }

    /// The presentation form relative to `zone` (`@` for the apex), or `None`
    /// when `self` is not inside `zone`. [`Name::parse_relative`] reverses it.
    pub fn relative_to(&self, zone: &Self) -> Option<String> {
        let labels = self.strip_zone(zone)?;
        if labels.is_empty() {
            return Some("@".to_owned());
        }
        let parts: Vec<String> = labels.iter().map(ToString::to_string).collect();
        Some(parts.join("."))
    }

    /// A copy with ASCII letters lower-cased (the form most providers return).
    pub fn to_lowercase(&self) -> Self {
        Self {
            labels: self
                .labels
                .iter()
                .map(|l| Label(l.lowercase_bytes().collect()))
                .collect(),
        }
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        self.labels == other.labels
    }
}

impl Eq for Name {}

impl Hash for Name {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.labels.hash(state);
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Name {
    /// RFC 4034 canonical order: compare labels right to left.
    fn cmp(&self, other: &Self) -> Ordering {
        self.labels.iter().rev().cmp(other.labels.iter().rev())
    }
}

impl fmt::Display for Name {
    /// Presentation form with a trailing dot; `{:#}` keeps UTF-8 and spaces
    /// readable (both forms parse back to the same name).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_root() {
            return f.write_str(".");
        }
        for label in &self.labels {
            label.write_escaped(f, f.alternate())?;
            f.write_str(".")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name(\"{self:#}\")")
    }
}

impl FromStr for Name {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for Name {
    type Error = ParseError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

/// The first character of `bytes` when they start with valid UTF-8.
fn leading_char(bytes: &[u8]) -> Option<char> {
    (1..=bytes.len().min(4))
        .find_map(|len| std::str::from_utf8(&bytes[..len]).ok())
        .and_then(|s| s.chars().next())
}

/// Whether the final '.' of `s` ends the name rather than being escaped
/// (an even number of backslashes stands before it).
fn ends_with_unescaped_dot(s: &str) -> bool {
    let Some(body) = s.strip_suffix('.') else {
        return false;
    };
    body.bytes().rev().take_while(|b| *b == b'\\').count() % 2 == 0
}

/// Splits presentation form into labels, decoding escapes. A single trailing
/// dot is allowed; `"."` alone is the root.
fn parse_labels(s: &str, what: &'static str) -> Result<Vec<Label>, ParseError> {
    if s.is_empty() {
        return Err(ParseError::new(what, s, "is empty"));
    }
    if s == "." {
        return Ok(Vec::new());
    }
    let bytes = s.as_bytes();
    let mut labels = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    let mut i = 0;
    let mut ended_with_dot = false;
    while i < bytes.len() {
        ended_with_dot = false;
        match bytes[i] {
            b'\\' => {
                let rest = &bytes[i + 1..];
                match rest {
                    [] => return Err(ParseError::new(what, s, "ends with a lone '\\'")),
                    [d0, d1, d2, ..] if d0.is_ascii_digit() => {
                        if !(d1.is_ascii_digit() && d2.is_ascii_digit()) {
                            return Err(ParseError::new(
                                what,
                                s,
                                "a \\DDD escape needs exactly three decimal digits",
                            ));
                        }
                        let value = u16::from(d0 - b'0') * 100
                            + u16::from(d1 - b'0') * 10
                            + u16::from(d2 - b'0');
                        let octet = u8::try_from(value).map_err(|_| {
                            ParseError::new(what, s, format!("\\{value} is not an octet (0-255)"))
                        })?;
                        current.push(octet);
                        i += 4;
                    }
                    [d0, ..] if d0.is_ascii_digit() => {
                        return Err(ParseError::new(
                            what,
                            s,
                            "a \\DDD escape needs exactly three decimal digits",
                        ));
                    }
                    [x, ..] => {
                        // `\X` is X. For a multi-byte X this takes its first
                        // byte; the others (never a dot or a backslash)
                        // follow as plain bytes.
                        current.push(*x);
                        i += 2;
                    }
                }
            }
            b'.' => {
                if current.is_empty() {
                    return Err(ParseError::new(what, s, "has an empty label"));
                }
                labels
                    .push(Label::new(&current).map_err(|e| ParseError::new(what, s, e.reason()))?);
                current.clear();
                ended_with_dot = true;
                i += 1;
            }
            b => {
                current.push(b);
                i += 1;
            }
        }
    }
    if !ended_with_dot {
        labels.push(Label::new(&current).map_err(|e| ParseError::new(what, s, e.reason()))?);
    }
    Ok(labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        Name::parse(s).unwrap()
    }

    fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        value.hash(&mut hasher);
        hasher.finish()
    }

    /// Equal (ASCII case aside) hashes equal, and different names hash
    /// apart: a constant hash would keep maps correct but turn every map of
    /// names into a list.
    #[test]
    fn hashes_follow_equality() {
        assert_eq!(
            hash_of(&n("WWW.Example.com")),
            hash_of(&n("www.example.com"))
        );
        assert_ne!(
            hash_of(&n("www.example.com")),
            hash_of(&n("api.example.com"))
        );
        let label = |s: &str| n(s).labels()[0].clone();
        assert_eq!(hash_of(&label("WWW")), hash_of(&label("www")));
        assert_ne!(hash_of(&label("www")), hash_of(&label("api")));
    }

    #[test]
    fn labels_compare_in_canonical_order() {
        let label = |s: &str| n(s).labels()[0].clone();
        assert!(label("a") < label("B"), "ASCII case is ignored");
        assert!(label("b") > label("A"));
        assert_eq!(
            label("Www").partial_cmp(&label("wWW")),
            Some(Ordering::Equal)
        );
        assert!(label("*").is_wildcard());
        assert!(!label("a").is_wildcard());
        assert!(!label(r"\*x").is_wildcard());
    }

    #[test]
    fn debug_forms_show_the_readable_presentation() {
        assert_eq!(
            format!("{:?}", n(r"My\032Printer.example")),
            r#"Name("My Printer.example.")"#
        );
        assert_eq!(
            format!("{:?}", n(r"My\032Printer.example").labels()[0]),
            r#"Label("My Printer")"#
        );
    }

    #[test]
    fn root_and_the_parsing_traits() {
        assert!(Name::root().is_root());
        assert_eq!(Name::root().to_string(), ".");
        assert_eq!(
            "www.example.com".parse::<Name>().unwrap(),
            n("www.example.com")
        );
        assert_eq!(
            Name::try_from("www.example.com").unwrap(),
            n("www.example.com")
        );
        assert!("a..b".parse::<Name>().is_err());
        assert!(Name::try_from("a..b").is_err());
    }

    #[test]
    fn an_escaped_multi_byte_character_is_itself() {
        assert_eq!(
            n(r"caf\é.example").labels()[0].as_bytes(),
            "café".as_bytes()
        );
        assert_eq!(n(r"\é\.x.example").labels()[0].as_bytes(), "é.x".as_bytes());
    }

    #[test]
    fn lowercase_keeps_every_label() {
        let lower = n("WWW.Example.COM").to_lowercase();
        assert_eq!(lower.to_string(), "www.example.com.");
        assert_eq!(lower.labels()[0].as_bytes(), b"www");
    }

    /// Only A-labels (`xn--` and more, host name characters) are decoded;
    /// every other label keeps its case and bytes.
    #[test]
    fn to_unicode_decodes_a_labels_only() {
        assert_eq!(n("xn--bcher-kva.Example").to_unicode(), "bücher.Example.");
        assert_eq!(n("WWW.Hello.example").to_unicode(), "WWW.Hello.example.");
        assert_eq!(n("xn--.example").to_unicode(), "xn--.example.");
        assert_eq!(n("XN--.example").to_unicode(), "XN--.example.");
        assert_eq!(
            n(r"xn--bcher-kva\032x.example").to_unicode(),
            "xn--bcher-kva x.example."
        );
    }

    #[test]
    fn host_names_are_letters_digits_and_inner_hyphens() {
        for good in ["web-1.example.com", "a.b", "1.example"] {
            assert!(n(good).is_host_name(), "{good}");
        }
        for bad in [
            "_http._tcp.example.com",
            "-a.example.com",
            "a-.example.com",
            "web.-x.com",
            "web.x-.com",
            r"we\032b.example.com",
            "web_1.example.com",
        ] {
            assert!(!n(bad).is_host_name(), "{bad}");
        }
        assert!(!Name::root().is_host_name(), "the root is no host name");
    }

    #[test]
    fn parses_and_prints_escapes() {
        let name = n(r"a\.b\\c\032d\255.example.");
        assert_eq!(name.labels()[0].as_bytes(), b"a.b\\c d\xff");
        assert_eq!(name.to_string(), r"a\.b\\c\032d\255.example.");
        assert_eq!(n(r"\@\$\;.x").labels()[0].as_bytes(), b"@$;");
        assert_eq!(n(r"\@\$\;.x").to_string(), r"\@\$\;.x.");
    }

    #[test]
    fn trailing_dot_is_optional_and_root_is_dot() {
        assert_eq!(n("example.com"), n("example.com."));
        assert!(n(".").is_root());
        assert_eq!(Name::root().to_string(), ".");
        assert_eq!(Name::root().wire_len(), 1);
    }

    #[test]
    fn rejects_malformed_input() {
        for bad in [
            "", "a..b", ".a", "a\\", r"a\25", r"a\256", r"\2x5", "..", "a..",
        ] {
            assert!(Name::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn enforces_label_and_name_limits() {
        let ok = "a".repeat(63);
        assert!(Name::parse(&format!("{ok}.com")).is_ok());
        let long = "a".repeat(64);
        let err = Name::parse(&format!("{long}.com")).unwrap_err();
        assert!(err.to_string().contains("63"), "{err}");
        // 4 labels of 63 octets = 4 * 64 + 1 = 257 > 255
        let too_long = [ok.as_str(); 4].join(".");
        let err = Name::parse(&too_long).unwrap_err();
        assert!(err.to_string().contains("255"), "{err}");
        // 3 labels of 63 + one of 61 = 3*64 + 62 + 1 = 255: exactly at the limit
        let at_limit = format!("{ok}.{ok}.{ok}.{}", "b".repeat(61));
        assert_eq!(n(&at_limit).wire_len(), 255);
    }

    #[test]
    fn case_insensitive_for_ascii_only() {
        assert_eq!(n("WWW.Example.COM"), n("www.example.com"));
        assert_ne!(n("Ä.example"), n("ä.example"));
        use std::collections::HashSet;
        let set: HashSet<Name> = [n("A.b"), n("a.B")].into_iter().collect();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn canonical_order_sorts_parents_first() {
        let mut names = [
            n("z.example"),
            n("a.b.example"),
            n("example"),
            n("B.example"),
        ];
        names.sort();
        let shown: Vec<String> = names.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            ["example.", "B.example.", "a.b.example.", "z.example."]
        );
    }

    #[test]
    fn relative_helpers() {
        let zone = n("example.com");
        let www = n("www.Example.com");
        assert_eq!(www.relative_to(&zone).unwrap(), "www");
        assert_eq!(zone.relative_to(&zone).unwrap(), "@");
        assert!(n("example.org").relative_to(&zone).is_none());
        assert!(!n("xexample.com").is_subdomain_of(&zone));
        assert_eq!(
            Name::parse_relative(r"a\.b", &zone).unwrap().labels().len(),
            3
        );
        assert_eq!(
            Name::parse_relative(r"a\\.", &zone).unwrap().labels().len(),
            1
        );
        assert_eq!(www.parent().unwrap(), zone);
        assert_eq!(
            zone.prepend(Label::new("x").unwrap()).unwrap(),
            n("x.example.com")
        );
    }

    #[test]
    fn idna_policy() {
        assert_eq!(
            Name::from_idna("Bücher.Example.").unwrap(),
            n("xn--bcher-kva.example")
        );
        assert!(Name::from_idna("").is_err());
        assert!(Name::from_idna("a b.example").is_err());
        // parse never punycodes: the instance label keeps its UTF-8 bytes
        assert_eq!(
            n("bücher.example").labels()[0].as_bytes(),
            "bücher".as_bytes()
        );
    }

    #[test]
    fn to_unicode_never_slices_inside_a_character() {
        assert_eq!(n("aaaé.example").to_unicode(), "aaaé.example.");
        assert_eq!(n("xn--bcher-kva.example").to_unicode(), "bücher.example.");
    }

    #[test]
    fn from_idna_does_not_read_escapes() {
        assert!(Name::from_idna(r"a\065.example").is_err());
    }

    #[test]
    fn label_from_str_rejects_dots() {
        assert!("a.".parse::<Label>().is_err());
        assert!("a.b".parse::<Label>().is_err());
        assert_eq!(r"a\.b".parse::<Label>().unwrap().as_bytes(), b"a.b");
    }

    #[test]
    fn alternate_form_round_trips_with_control_and_invalid_utf8() {
        let label = Label::new(b"caf\xc3\xa9 \x00\xff\x0a".as_slice()).unwrap();
        let name = Name::from_labels([label]).unwrap();
        let readable = format!("{name:#}");
        assert_eq!(readable, "café \\000\\255\\010.");
        assert_eq!(n(&readable), name);
    }
}
