//! TXT data: [`Txt`] character-strings and RFC 6763 [`TxtProperties`].

use std::fmt;
use std::str::FromStr;

use crate::error::ParseError;

/// The most octets one character-string may hold (RFC 1035 section 3.3).
pub const MAX_CHARACTER_STRING: usize = 255;

/// How a single octet is escaped as `\` plus three digits in presentation
/// text: zone files (RFC 1035) use decimal, Route 53 octal.
///
/// ```
/// use dns_core::{Escapes, Txt};
/// let txt = Txt::new([" \x01"]).unwrap();
/// assert_eq!(txt.to_string_with(Escapes::Decimal), r#"" \001""#);
/// let del = Txt::new([[0x7f]]).unwrap();
/// assert_eq!(del.to_string_with(Escapes::Decimal), r#""\127""#);
/// assert_eq!(del.to_string_with(Escapes::Octal), r#""\177""#);
/// assert_eq!(Txt::parse_with(r#""\177""#, Escapes::Octal).unwrap(), del);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Escapes {
    /// `\DDD` in decimal (RFC 1035 zone files, dig, BIND).
    Decimal,
    /// `\ooo` in octal (Route 53).
    Octal,
}

impl Escapes {
    fn radix(self) -> u16 {
        match self {
            Self::Decimal => 10,
            Self::Octal => 8,
        }
    }
}

/// The data of one TXT record: one or more character-strings of at most 255
/// octets each, kept exactly as given (boundaries included).
///
/// An empty TXT is one empty string, as RFC 6763 section 6.1 asks; there is
/// no TXT with zero strings. Presentation form quotes every string and escapes
/// `"` and `\` with a backslash and any octet outside printable ASCII as
/// decimal `\DDD`, so what [`Display`](fmt::Display) prints, [`Txt::parse`]
/// reads back unchanged.
///
/// ```
/// use dns_core::Txt;
/// let long = "x".repeat(300);
/// let txt = Txt::from_text(&long);
/// assert_eq!(txt.strings().map(<[u8]>::len).collect::<Vec<_>>(), [255, 45]);
/// assert_eq!(txt.concat(), long.as_bytes());
///
/// let quoted = Txt::new(["say \"hi\"", "back\\slash", "é"]).unwrap();
/// assert_eq!(quoted.to_string(), r#""say \"hi\"" "back\\slash" "\195\169""#);
/// assert_eq!(Txt::parse(&quoted.to_string()).unwrap(), quoted);
/// assert_eq!(Txt::empty().to_string(), r#""""#);
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Txt {
    strings: Vec<Box<[u8]>>,
}

impl Txt {
    /// A TXT from its character-strings; each must be at most 255 octets. No
    /// strings at all is taken as the empty TXT (one empty string).
    pub fn new<I, S>(strings: I) -> Result<Self, ParseError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let mut out = Vec::new();
        for s in strings {
            let s = s.as_ref();
            if s.len() > MAX_CHARACTER_STRING {
                return Err(ParseError::new(
                    "TXT",
                    s,
                    format!(
                        "a character-string of {} octets is longer than {MAX_CHARACTER_STRING}; use Txt::from_text to split it",
                        s.len()
                    ),
                ));
            }
            out.push(s.into());
        }
        if out.is_empty() {
            return Ok(Self::empty());
        }
        Ok(Self { strings: out })
    }

    /// A TXT holding `text` split into 255-octet strings (one empty string
    /// when `text` is empty). Never fails.
    pub fn from_text(text: impl AsRef<[u8]>) -> Self {
        let text = text.as_ref();
        if text.is_empty() {
            return Self::empty();
        }
        Self {
            strings: text.chunks(MAX_CHARACTER_STRING).map(Into::into).collect(),
        }
    }

    /// The empty TXT: a single empty string.
    pub fn empty() -> Self {
        Self {
            strings: vec![Box::default()],
        }
    }

    /// Whether this is the empty TXT (one empty string).
    pub fn is_empty(&self) -> bool {
        self.strings.len() == 1 && self.strings[0].is_empty()
    }

    /// The character-strings, in order.
    pub fn strings(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        self.strings.iter().map(|s| &**s)
    }

    /// All strings joined without separators (what SPF-style readers want).
    pub fn concat(&self) -> Vec<u8> {
        self.strings.concat()
    }

    /// Octets the data takes on the wire (a length octet per string).
    pub fn wire_len(&self) -> usize {
        self.strings.iter().map(|s| s.len() + 1).sum()
    }

    /// Parses presentation form: whitespace-separated strings, each either
    /// quoted (`"a b"`) or a bare word (`ab`), with `\"`, `\\`, `\X` and
    /// decimal `\DDD` escapes.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        Self::parse_with(s, Escapes::Decimal)
    }

    /// [`Txt::parse`] with three-digit escapes read as `escapes` says.
    pub fn parse_with(s: &str, escapes: Escapes) -> Result<Self, ParseError> {
        let strings = parse_strings(s, "TXT", Some(MAX_CHARACTER_STRING), escapes)?;
        Ok(Self {
            strings: strings.into_iter().map(Vec::into_boxed_slice).collect(),
        })
    }

    /// Presentation form with three-digit escapes written as `escapes`
    /// says (`Display` writes decimal).
    pub fn to_string_with(&self, escapes: Escapes) -> String {
        let mut out = String::with_capacity(self.wire_len() + 2 * self.strings.len());
        // Writing to a String cannot fail.
        let _ = self.write(&mut out, escapes);
        out
    }

    fn write(&self, out: &mut impl fmt::Write, escapes: Escapes) -> fmt::Result {
        for (n, s) in self.strings.iter().enumerate() {
            if n > 0 {
                out.write_str(" ")?;
            }
            write_quoted(out, s, escapes)?;
        }
        Ok(())
    }
}

/// Reads whitespace-separated, optionally quoted strings with escapes. Each
/// string may be at most `limit` octets.
pub(crate) fn parse_strings(
    s: &str,
    what: &'static str,
    limit: Option<usize>,
    escapes: Escapes,
) -> Result<Vec<Vec<u8>>, ParseError> {
    let bytes = s.as_bytes();
    let mut strings = Vec::new();
    let mut i = 0;
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == bytes.len() {
            break;
        }
        let quoted = bytes[i] == b'"';
        if quoted {
            i += 1;
        }
        let mut current = Vec::new();
        let mut closed = !quoted;
        while i < bytes.len() {
            match bytes[i] {
                b'"' if quoted => {
                    i += 1;
                    closed = true;
                    break;
                }
                b'"' => {
                    return Err(ParseError::new(
                        what,
                        s,
                        "has an unescaped '\"' inside a word",
                    ));
                }
                c if !quoted && c.is_ascii_whitespace() => break,
                b'\\' => {
                    let (octets, used) = unescape(&bytes[i + 1..], escapes)
                        .ok_or_else(|| ParseError::new(what, s, "has a bad '\\' escape"))?;
                    current.extend_from_slice(octets);
                    i += 1 + used;
                }
                c => {
                    current.push(c);
                    i += 1;
                }
            }
        }
        if !closed {
            return Err(ParseError::new(
                what,
                s,
                "has an unterminated quoted string",
            ));
        }
        if let Some(limit) = limit.filter(|l| current.len() > *l) {
            return Err(ParseError::new(
                what,
                s,
                format!(
                    "a string of {} octets is longer than {limit}",
                    current.len()
                ),
            ));
        }
        strings.push(current);
        if quoted && i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            return Err(ParseError::new(
                what,
                s,
                "needs white space after a closing quote",
            ));
        }
    }
    if strings.is_empty() {
        return Err(ParseError::new(
            what,
            s,
            "holds no character-string (write \"\" for an empty one)",
        ));
    }
    Ok(strings)
}

/// Writes `bytes` as one quoted string: `"` and `\` escaped with a
/// backslash, octets outside printable ASCII as three digits in the radix
/// `escapes` names.
pub(crate) fn write_quoted(
    out: &mut impl fmt::Write,
    bytes: &[u8],
    escapes: Escapes,
) -> fmt::Result {
    out.write_str("\"")?;
    for &b in bytes {
        match b {
            b'"' | b'\\' => write!(out, "\\{}", b as char)?,
            0x20..=0x7e => write!(out, "{}", b as char)?,
            _ => match escapes {
                Escapes::Decimal => write!(out, "\\{b:03}")?,
                Escapes::Octal => write!(out, "\\{b:03o}")?,
            },
        }
    }
    out.write_str("\"")
}

/// Decodes the escape after a backslash: three digits in the radix
/// `escapes` names, or any one character. Returns the octets and how many
/// input bytes were used.
fn unescape(rest: &[u8], escapes: Escapes) -> Option<(&[u8], usize)> {
    let radix = escapes.radix();
    let digit = |d: &u8| {
        d.is_ascii_digit()
            .then(|| u16::from(d - b'0'))
            .filter(|v| *v < radix)
    };
    match rest {
        [] => None,
        [d0, d1, d2, ..] if d0.is_ascii_digit() && d1.is_ascii_digit() && d2.is_ascii_digit() => {
            let value = (digit(d0)? * radix + digit(d1)?) * radix + digit(d2)?;
            let octet = u8::try_from(value).ok()?;
            Some((OCTETS.get(usize::from(octet)..=usize::from(octet))?, 3))
        }
        [d0, ..] if d0.is_ascii_digit() => None,
        // Any other character is itself. For a multi-byte one this is its
        // first byte; the others (never a quote, a backslash or white
        // space) follow as plain bytes.
        _ => Some((&rest[..1], 1)),
    }
}

/// Every octet value once, so an escape can return a borrowed one-octet slice.
static OCTETS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = i as u8;
        i += 1;
    }
    table
};

impl fmt::Display for Txt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, Escapes::Decimal)
    }
}

impl fmt::Debug for Txt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Txt({self})")
    }
}

impl FromStr for Txt {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The value of one RFC 6763 TXT property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxtValue<'a> {
    /// A boolean attribute: the key appeared without `=`.
    Flag,
    /// `key=value`; the value may be empty and may hold any octets.
    Bytes(&'a [u8]),
}

/// RFC 6763 section 6 key/value properties of a service instance.
///
/// Building checks the rules (keys are 1+ printable ASCII characters without
/// `=`; one `key=value` fits in 255 octets); reading ([`TxtProperties::from_txt`])
/// is lenient as the RFC asks: empty strings and strings starting with `=` are
/// skipped, the first occurrence of a key wins, keys compare without regard
/// to ASCII case, a string without `=` is a boolean flag, `key=` is an empty
/// value, and values are binary.
///
/// ```
/// use dns_core::{Txt, TxtProperties, TxtValue};
/// let props = TxtProperties::new()
///     .with("path", "/api")?
///     .with_flag("tls")?
///     .with("empty", "")?;
/// let txt = props.to_txt();
/// assert_eq!(txt.to_string(), r#""path=/api" "tls" "empty=""#);
///
/// let read = TxtProperties::from_txt(&Txt::new(["PATH=/v2", "path=/ignored", "=x", "tls"])?);
/// assert_eq!(read.get_str("Path"), Some("/v2"));
/// assert_eq!(read.get("TLS"), Some(TxtValue::Flag));
/// assert_eq!(read.len(), 2);
/// assert!(TxtProperties::new().to_txt().is_empty());
/// # Ok::<(), dns_core::ParseError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TxtProperties {
    entries: Vec<(String, Option<Vec<u8>>)>,
}

impl TxtProperties {
    /// No properties (published as the empty TXT).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key=value`, replacing an earlier value of the same key.
    pub fn insert(&mut self, key: &str, value: impl AsRef<[u8]>) -> Result<&mut Self, ParseError> {
        self.set(key, Some(value.as_ref().to_vec()))
    }

    /// Sets the boolean flag `key` (no `=`), replacing an earlier value.
    pub fn insert_flag(&mut self, key: &str) -> Result<&mut Self, ParseError> {
        self.set(key, None)
    }

    /// Builder form of [`TxtProperties::insert`].
    pub fn with(mut self, key: &str, value: impl AsRef<[u8]>) -> Result<Self, ParseError> {
        self.insert(key, value)?;
        Ok(self)
    }

    /// Builder form of [`TxtProperties::insert_flag`].
    pub fn with_flag(mut self, key: &str) -> Result<Self, ParseError> {
        self.insert_flag(key)?;
        Ok(self)
    }

    fn set(&mut self, key: &str, value: Option<Vec<u8>>) -> Result<&mut Self, ParseError> {
        if key.is_empty() {
            return Err(ParseError::new("TXT key", key, "is empty"));
        }
        if let Some(bad) = key.chars().find(|c| !(' '..='~').contains(c) || *c == '=') {
            return Err(ParseError::new(
                "TXT key",
                key,
                format!("holds {bad:?}; keys are printable ASCII without '='"),
            ));
        }
        let len = key.len() + value.as_ref().map_or(0, |v| v.len() + 1);
        if len > MAX_CHARACTER_STRING {
            return Err(ParseError::new(
                "TXT property",
                key,
                format!("key=value takes {len} octets, more than {MAX_CHARACTER_STRING}"),
            ));
        }
        match self.position(key) {
            Some(i) => self.entries[i].1 = value,
            None => self.entries.push((key.to_owned(), value)),
        }
        Ok(self)
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.entries
            .iter()
            .position(|(k, _)| k.eq_ignore_ascii_case(key))
    }

    /// The value of `key` (any ASCII case), or `None` when absent.
    pub fn get(&self, key: &str) -> Option<TxtValue<'_>> {
        self.position(key).map(|i| match &self.entries[i].1 {
            None => TxtValue::Flag,
            Some(v) => TxtValue::Bytes(v),
        })
    }

    /// The value of `key` as text, when present, not a flag, and UTF-8.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        match self.get(key)? {
            TxtValue::Bytes(v) => std::str::from_utf8(v).ok(),
            TxtValue::Flag => None,
        }
    }

    /// Whether `key` is present (as a flag or with a value).
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Removes `key`; returns whether it was present.
    pub fn remove(&mut self, key: &str) -> bool {
        self.position(key).map(|i| self.entries.remove(i)).is_some()
    }

    /// The properties in order, keys as first written.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, TxtValue<'_>)> + '_ {
        self.entries.iter().map(|(k, v)| {
            (
                k.as_str(),
                v.as_deref().map_or(TxtValue::Flag, TxtValue::Bytes),
            )
        })
    }

    /// How many properties there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Reads properties from TXT data with the RFC 6763 section 6 rules.
    pub fn from_txt(txt: &Txt) -> Self {
        let mut props = Self::new();
        for s in txt.strings() {
            let (key, value) = match s.iter().position(|b| *b == b'=') {
                Some(i) => (&s[..i], Some(s[i + 1..].to_vec())),
                None => (s, None),
            };
            // Empty keys (an empty string, or one starting with '=') are ignored,
            // as are keys that are not printable ASCII.
            if key.is_empty() || !key.iter().all(|b| (0x20..=0x7e).contains(b)) {
                continue;
            }
            let key = String::from_utf8_lossy(key);
            if props.position(&key).is_none() {
                props.entries.push((key.into_owned(), value));
            }
        }
        props
    }

    /// The TXT data: one string per property, in order; the empty TXT when
    /// there are no properties.
    pub fn to_txt(&self) -> Txt {
        let strings = self.entries.iter().map(|(k, v)| {
            let mut s = k.as_bytes().to_vec();
            if let Some(v) = v {
                s.push(b'=');
                s.extend_from_slice(v);
            }
            s
        });
        // Lengths were checked on insert.
        Txt::new(strings).unwrap_or_else(|_| Txt::empty())
    }
}

impl From<&TxtProperties> for Txt {
    fn from(props: &TxtProperties) -> Self {
        props.to_txt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_empty_string_is_the_empty_txt() {
        assert!(Txt::empty().is_empty());
        assert!(!Txt::new(["", ""]).unwrap().is_empty(), "two empty strings");
        assert!(!Txt::new(["a"]).unwrap().is_empty());
        assert!(!Txt::new(["", "a"]).unwrap().is_empty());
    }

    #[test]
    fn wire_length_counts_a_length_octet_per_string() {
        assert_eq!(Txt::empty().wire_len(), 1);
        assert_eq!(Txt::new(["abc", "de"]).unwrap().wire_len(), 4 + 3);
    }

    #[test]
    fn an_escaped_multi_byte_character_is_itself() {
        for text in [r#""\é""#, r#""\€""#, r#""\😀""#] {
            let want = text.replace('\\', "");
            let want = want.trim_matches('"');
            assert_eq!(
                Txt::parse(text).unwrap().strings().collect::<Vec<_>>(),
                [want.as_bytes()],
                "{text}"
            );
        }
        let two = Txt::parse(r#"\é "\€ x""#).unwrap();
        assert_eq!(
            two.strings().collect::<Vec<_>>(),
            ["é".as_bytes(), "€ x".as_bytes()]
        );
    }

    #[test]
    fn octal_escapes_take_octal_digits_only() {
        assert!(Txt::parse_with(r#""\018""#, Escapes::Octal).is_err());
        assert!(Txt::parse_with(r#""\080""#, Escapes::Octal).is_err());
        let t = Txt::parse_with(r#""\017""#, Escapes::Octal).unwrap();
        assert_eq!(t.strings().next(), Some(&[15u8][..]));
        assert_eq!(
            Txt::parse(r#""\018""#).unwrap().strings().next(),
            Some(&[18u8][..])
        );
    }

    /// The whole builder and reader API of the properties, case rules
    /// included (the doc example shows it; this proves it).
    #[test]
    fn properties_build_read_and_edit() {
        let mut props = TxtProperties::new()
            .with("path", "/api")
            .unwrap()
            .with_flag("tls")
            .unwrap()
            .with("empty", "")
            .unwrap();
        assert_eq!(props.len(), 3);
        assert!(!props.is_empty());
        assert_eq!(props.get_str("PATH"), Some("/api"));
        assert_eq!(props.get("Tls"), Some(TxtValue::Flag));
        assert_eq!(props.get_str("tls"), None, "a flag has no text");
        assert_eq!(props.get("empty"), Some(TxtValue::Bytes(b"")));
        assert!(props.contains_key("TLS"));
        assert!(!props.contains_key("nope"));
        assert_eq!(props.get("nope"), None);
        props.insert("Path", "/v2").unwrap();
        assert_eq!(props.len(), 3, "a key set again is replaced");
        assert_eq!(props.get_str("path"), Some("/v2"));
        props.insert_flag("path").unwrap();
        assert_eq!(props.get("path"), Some(TxtValue::Flag));
        assert!(props.remove("TLS"));
        assert!(!props.remove("tls"));
        let keys: Vec<&str> = props.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["path", "empty"], "in order, as first written");
        assert_eq!(props.to_txt().to_string(), r#""path" "empty=""#);
        assert_eq!(Txt::from(&props), props.to_txt());
        assert!(TxtProperties::new().is_empty());
        assert!(TxtProperties::new().to_txt().is_empty());
    }

    #[test]
    fn property_keys_and_sizes_are_checked_when_built() {
        assert!(TxtProperties::new().with("", "x").is_err());
        assert!(TxtProperties::new().with("a=b", "x").is_err());
        assert!(TxtProperties::new().with_flag("tab\tkey").is_err());
        assert!(TxtProperties::new().with_flag("é").is_err());
        assert!(
            TxtProperties::new().with("k", vec![0u8; 253]).is_ok(),
            "255 octets"
        );
        assert!(
            TxtProperties::new().with("k", vec![0u8; 254]).is_err(),
            "256 octets"
        );
        assert!(TxtProperties::new().with_flag(&"k".repeat(255)).is_ok());
        assert!(TxtProperties::new().with_flag(&"k".repeat(256)).is_err());
    }

    #[test]
    fn properties_are_read_leniently() {
        let txt = Txt::new([
            &b"PATH=/v2"[..],
            b"path=/ignored",
            b"=x",
            b"",
            b"tls",
            b"bin=\x00\xff",
            b"k\x01ey=1",
        ])
        .unwrap();
        let read = TxtProperties::from_txt(&txt);
        assert_eq!(read.len(), 3, "{read:?}");
        assert_eq!(read.get_str("path"), Some("/v2"), "the first wins");
        assert_eq!(read.get("TLS"), Some(TxtValue::Flag));
        assert_eq!(read.get("bin"), Some(TxtValue::Bytes(b"\x00\xff")));
    }

    #[test]
    fn escapes_are_written_as_asked() {
        let t = Txt::new([&b"a\x7f b"[..]]).unwrap();
        assert_eq!(t.to_string_with(Escapes::Decimal), r#""a\127 b""#);
        assert_eq!(t.to_string_with(Escapes::Octal), r#""a\177 b""#);
        assert_eq!(t.to_string(), t.to_string_with(Escapes::Decimal));
        assert_eq!(format!("{t:?}"), r#"Txt("a\127 b")"#);
    }

    #[test]
    fn new_rejects_long_strings_and_defaults_to_empty() {
        assert!(Txt::new([vec![0u8; 256]]).is_err());
        assert!(Txt::new([vec![0u8; 255]]).is_ok());
        assert!(Txt::new(Vec::<&str>::new()).unwrap().is_empty());
    }

    #[test]
    fn from_text_splits_at_255() {
        let t = Txt::from_text(vec![b'a'; 510]);
        assert_eq!(t.strings().count(), 2);
        let t = Txt::from_text(vec![b'a'; 511]);
        assert_eq!(
            t.strings().map(<[u8]>::len).collect::<Vec<_>>(),
            [255, 255, 1]
        );
        assert!(Txt::from_text("").is_empty());
    }

    #[test]
    fn parse_accepts_bare_words_and_escapes() {
        let t = Txt::parse(r#"v=spf1 "a b" \"q\" "\065\\" """#).unwrap();
        let strings: Vec<&[u8]> = t.strings().collect();
        assert_eq!(strings, [&b"v=spf1"[..], b"a b", b"\"q\"", b"A\\", b""]);
    }

    #[test]
    fn parse_rejects_broken_input() {
        for bad in [
            r#""open"#,
            "",
            "   ",
            r#""a"b"#,
            r"\2",
            r#""\256""#,
            r#"a"b"#,
        ] {
            assert!(Txt::parse(bad).is_err(), "{bad:?} should not parse");
        }
        let long = format!("\"{}\"", "x".repeat(256));
        assert!(Txt::parse(&long).is_err());
    }

    #[test]
    fn display_escapes_control_and_non_ascii() {
        let t = Txt::new([b"\x00\x7f\xff\n".as_slice()]).unwrap();
        assert_eq!(t.to_string(), r#""\000\127\255\010""#);
        assert_eq!(Txt::parse(&t.to_string()).unwrap(), t);
    }

    #[test]
    fn properties_follow_rfc6763_section6() {
        let txt = Txt::new([
            &b""[..],
            b"=leading",
            b"Key=first",
            b"key=second",
            b"flag",
            b"empty=",
            b"bin=\x00\xff=",
            b"bad\x01key=x",
        ])
        .unwrap();
        let p = TxtProperties::from_txt(&txt);
        assert_eq!(p.len(), 4);
        assert_eq!(p.get("KEY"), Some(TxtValue::Bytes(b"first")));
        assert_eq!(p.get("flag"), Some(TxtValue::Flag));
        assert_eq!(p.get("empty"), Some(TxtValue::Bytes(b"")));
        assert_eq!(p.get("bin"), Some(TxtValue::Bytes(b"\x00\xff=")));
        assert_eq!(p.get("missing"), None);
        assert_eq!(p.get_str("bin"), None);
        assert!(TxtProperties::from_txt(&Txt::empty()).is_empty());
    }

    #[test]
    fn building_checks_keys_and_lengths() {
        let mut p = TxtProperties::new();
        assert!(p.insert("", "x").is_err());
        assert!(p.insert("a=b", "x").is_err());
        assert!(p.insert("tab\t", "x").is_err());
        assert!(p.insert("é", "x").is_err());
        assert!(p.insert("k", vec![0u8; 253]).is_ok());
        assert!(p.insert("k", vec![0u8; 254]).is_err());
        p.insert("K", "v").unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p.get_str("k"), Some("v"));
        assert!(p.remove("k"));
        assert!(!p.remove("k"));
    }
}
