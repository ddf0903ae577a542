//! Domain names in Route 53's form: lower-case, `\ooo` octal escapes for
//! every octet outside `a-z 0-9 - _`, and a trailing dot.

use std::fmt::Write as _;

/// Why a name was refused, worded like Route 53's `FATAL problem` texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NameError {
    /// An empty name, or an empty label (`a..b`, `.a`).
    EmptyLabel(String),
    /// A `\` not followed by a character, or by digits that are not three
    /// octal digits of at most `\377`.
    BadEscape(String),
    /// A label of more than 63 octets (the label, escaped).
    LabelTooLong(String),
    /// A name of more than 255 octets in wire form (the name, escaped).
    NameTooLong(String),
}

impl NameError {
    /// The message Route 53 puts in InvalidChangeBatch for this problem.
    pub(crate) fn message(&self) -> String {
        match self {
            Self::EmptyLabel(s) => {
                format!(
                    "FATAL problem: DomainLabelEmpty (Domain label is empty) encountered with '{s}'"
                )
            }
            Self::BadEscape(s) => format!(
                "FATAL problem: InvalidEscapeSequence (Domain name contains an invalid escape sequence) encountered with '{s}'"
            ),
            Self::LabelTooLong(s) => {
                format!(
                    "FATAL problem: DomainLabelTooLong (Domain label is too long) encountered with '{s}'"
                )
            }
            Self::NameTooLong(s) => {
                format!(
                    "FATAL problem: DomainNameTooLong (Domain name is too long) encountered with '{s}'"
                )
            }
        }
    }
}

/// Splits `input` into raw, lower-cased labels. Accepts `\ddd` (three octal
/// digits) and `\c` escapes, raw octets (UTF-8 included), and an optional
/// trailing dot. `"."` is the root, with no labels.
pub(crate) fn parse_labels(input: &str) -> Result<Vec<Vec<u8>>, NameError> {
    if input == "." {
        return Ok(Vec::new());
    }
    let bytes = input.as_bytes();
    let mut labels = Vec::new();
    let mut label = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                let (octet, used) =
                    unescape_at(bytes, i).ok_or_else(|| NameError::BadEscape(input.to_owned()))?;
                label.push(octet.to_ascii_lowercase());
                i += used;
            }
            b'.' => {
                if label.is_empty() {
                    return Err(NameError::EmptyLabel(input.to_owned()));
                }
                labels.push(std::mem::take(&mut label));
                i += 1;
            }
            octet => {
                label.push(octet.to_ascii_lowercase());
                i += 1;
            }
        }
    }
    if !label.is_empty() {
        labels.push(label);
    }
    if labels.is_empty() {
        return Err(NameError::EmptyLabel(input.to_owned()));
    }
    if let Some(long) = labels.iter().find(|l| l.len() > 63) {
        return Err(NameError::LabelTooLong(escape_label(long)));
    }
    let wire: usize = labels.iter().map(|l| l.len() + 1).sum::<usize>() + 1;
    if wire > 255 {
        return Err(NameError::NameTooLong(format_labels(&labels)));
    }
    Ok(labels)
}

/// Decodes the escape starting at `bytes[at]` (a backslash): `\ddd` with
/// three octal digits, or `\c` for the octet `c`. Returns the octet and the
/// number of input bytes used.
pub(crate) fn unescape_at(bytes: &[u8], at: usize) -> Option<(u8, usize)> {
    let next = *bytes.get(at + 1)?;
    if !next.is_ascii_digit() {
        return Some((next, 2));
    }
    let digits = bytes.get(at + 1..at + 4)?;
    let mut value: u32 = 0;
    for &d in digits {
        if !(b'0'..=b'7').contains(&d) {
            return None;
        }
        value = value * 8 + u32::from(d - b'0');
    }
    u8::try_from(value).ok().map(|octet| (octet, 4))
}

/// Writes one label in Route 53's escaped form.
pub(crate) fn escape_label(label: &[u8]) -> String {
    let mut out = String::with_capacity(label.len());
    for &octet in label {
        if octet.is_ascii_lowercase() || octet.is_ascii_digit() || octet == b'-' || octet == b'_' {
            out.push(char::from(octet));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\{octet:03o}");
        }
    }
    out
}

/// Joins labels into the escaped form with a trailing dot.
pub(crate) fn format_labels(labels: &[Vec<u8>]) -> String {
    if labels.is_empty() {
        return ".".to_owned();
    }
    let mut out = String::new();
    for label in labels {
        out.push_str(&escape_label(label));
        out.push('.');
    }
    out
}

/// The Route 53 form of `input`: lower-case, escaped, with a trailing dot.
pub(crate) fn canonical(input: &str) -> Result<String, NameError> {
    parse_labels(input).map(|labels| format_labels(&labels))
}

/// Like [`canonical`], but keeps going on bad input (lower-cases it and adds
/// the trailing dot), for seeding that bypasses validation.
pub(crate) fn canonical_lenient(input: &str) -> String {
    canonical(input).unwrap_or_else(|_| {
        let mut name = input.to_ascii_lowercase();
        if !name.ends_with('.') {
            name.push('.');
        }
        name
    })
}

/// The sort key of a canonical name: labels reversed, joined with dots,
/// with a trailing dot (`www.example.com.` → `com.example.www.`).
pub(crate) fn reversed(canonical: &str) -> String {
    let trimmed = canonical.strip_suffix('.').unwrap_or(canonical);
    if trimmed.is_empty() {
        return ".".to_owned();
    }
    let mut out = String::with_capacity(canonical.len() + 1);
    for label in trimmed.rsplit('.') {
        out.push_str(label);
        out.push('.');
    }
    out
}

/// Whether canonical `name` is `apex` or under it (both canonical).
pub(crate) fn in_zone(name: &str, apex: &str) -> bool {
    name == apex
        || apex == "."
        || name
            .strip_suffix(apex)
            .is_some_and(|head| head.ends_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_lowercases() {
        assert_eq!(
            canonical("WWW.Example.com").as_deref(),
            Ok("www.example.com.")
        );
        assert_eq!(
            canonical("*.example.com.").as_deref(),
            Ok("\\052.example.com.")
        );
        assert_eq!(
            canonical("\\052.example.com").as_deref(),
            Ok("\\052.example.com.")
        );
        assert_eq!(
            canonical("My Printer._ipp._tcp.x").as_deref(),
            Ok("my\\040printer._ipp._tcp.x.")
        );
        assert_eq!(canonical("é.x").as_deref(), Ok("\\303\\251.x."));
        assert_eq!(canonical("a\\.b.x").as_deref(), Ok("a\\056b.x."));
        assert_eq!(canonical("\\101.x").as_deref(), Ok("a.x."));
    }

    #[test]
    fn refuses_bad_names() {
        assert!(matches!(canonical("a..b"), Err(NameError::EmptyLabel(_))));
        assert!(matches!(canonical(""), Err(NameError::EmptyLabel(_))));
        assert!(matches!(canonical("a\\9.b"), Err(NameError::BadEscape(_))));
        assert!(matches!(
            canonical("a\\400.b"),
            Err(NameError::BadEscape(_))
        ));
        assert!(matches!(
            canonical(&"a".repeat(64)),
            Err(NameError::LabelTooLong(_))
        ));
        assert!(canonical(&"a".repeat(63)).is_ok());
        let long = ["a".repeat(63).as_str(); 4].join(".");
        assert!(matches!(canonical(&long), Err(NameError::NameTooLong(_))));
    }

    #[test]
    fn reverses_and_checks_zone() {
        assert_eq!(reversed("www.example.com."), "com.example.www.");
        assert_eq!(reversed("example.com."), "com.example.");
        assert!(in_zone("www.example.com.", "example.com."));
        assert!(in_zone("example.com.", "example.com."));
        assert!(!in_zone("badexample.com.", "example.com."));
        assert!(!in_zone("com.", "example.com."));
    }
}
