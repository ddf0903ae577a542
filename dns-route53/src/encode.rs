//! Route 53's text forms of names and record values, both ways.
//!
//! Route 53 writes every octet of a name outside `a-z`, `0-9`, `-` and `_`
//! as a three-digit octal escape (`*` is `\052`, a space `\040`) and stores
//! owner names in lower case. TXT strings are quoted, with `"` and `\`
//! escaped by a backslash and octets outside printable ASCII written in
//! octal. These functions produce exactly that and read it back, so any
//! label of raw octets survives a round trip (ASCII case aside, which DNS
//! ignores in owner names).
//!
//! ```
//! use dns_core::{Label, Name, RData, RecordType, Txt};
//! use dns_route53::encode;
//! # fn main() -> Result<(), dns_core::ParseError> {
//! let name = Name::parse("_http._tcp.example.com")?.prepend(Label::new("My Web")?)?;
//! assert_eq!(encode::owner_name(&name), r"my\040web._http._tcp.example.com.");
//! assert_eq!(encode::parse_name(r"my\040web._http._tcp.example.com.")?, name);
//!
//! let txt = RData::TXT(Txt::new([&b"say \"hi\""[..], b"\x01"])?);
//! assert_eq!(encode::value(&txt), r#""say \"hi\"" "\001""#);
//! assert_eq!(encode::parse_value(RecordType::TXT, r#""say \"hi\"" "\001""#)?, txt);
//! # Ok(()) }
//! ```

use std::fmt::Write as _;

use dns_core::{Caa, Escapes, Label, Mx, Name, ParseError, RData, RecordType, Srv, Txt};

/// An owner name as Route 53 stores it: lower case, octal escapes,
/// trailing dot. A wildcard label `*` is sent bare (Route 53 lists it as
/// `\052`; both mean the wildcard).
pub fn owner_name(name: &Name) -> String {
    write_name(name, true)
}

/// A name inside record data (PTR, SRV, CNAME targets): like
/// [`owner_name`] but keeping ASCII case, which DNS-SD instance names use
/// for display.
pub fn data_name(name: &Name) -> String {
    write_name(name, false)
}

fn write_name(name: &Name, lower: bool) -> String {
    if name.is_root() {
        return ".".to_owned();
    }
    let mut out = String::with_capacity(name.wire_len() + 8);
    for label in name.labels() {
        if label.is_wildcard() {
            out.push('*');
        } else {
            push_label(&mut out, label, lower);
        }
        out.push('.');
    }
    out
}

fn push_label(out: &mut String, label: &Label, lower: bool) {
    for &b in label.as_bytes() {
        let b = if lower { b.to_ascii_lowercase() } else { b };
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            out.push(char::from(b));
        } else {
            push_octal(out, b);
        }
    }
}

fn push_octal(out: &mut String, b: u8) {
    // Writing to a String cannot fail.
    let _ = write!(out, "\\{b:03o}");
}

/// Reads a name in Route 53's form (octal `\ooo` escapes, `\X` for a
/// literal `X`, trailing dot optional).
pub fn parse_name(text: &str) -> Result<Name, ParseError> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || bytes == b"." {
        return Ok(Name::root());
    }
    let mut labels = Vec::new();
    let mut current = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                let (octet, used) = unescape(&bytes[i + 1..])
                    .ok_or_else(|| ParseError::new("Route 53 name", text, "has a bad escape"))?;
                current.push(octet);
                i += 1 + used;
            }
            b'.' => {
                labels.push(std::mem::take(&mut current));
                i += 1;
            }
            c => {
                current.push(c);
                i += 1;
            }
        }
    }
    if !current.is_empty() {
        labels.push(current);
    }
    let labels = labels
        .into_iter()
        .map(Label::new)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ParseError::new("Route 53 name", text, e.reason()))?;
    Name::from_labels(labels)
}

/// One escaped octet after a backslash: `ooo` in octal or a literal
/// character. Returns the octet and how many bytes were consumed.
fn unescape(rest: &[u8]) -> Option<(u8, usize)> {
    let first = *rest.first()?;
    if rest.len() >= 3 && rest[..3].iter().all(|d| (b'0'..=b'7').contains(d)) {
        let value = rest[..3]
            .iter()
            .fold(0u16, |acc, d| acc * 8 + u16::from(d - b'0'));
        return u8::try_from(value).ok().map(|v| (v, 3));
    }
    Some((first, 1))
}

/// A TXT value: every character-string quoted, separated by spaces.
pub fn txt_value(txt: &Txt) -> String {
    txt.to_string_with(Escapes::Octal)
}

/// Reads a TXT (or SPF) value.
pub fn parse_txt(text: &str) -> Result<Txt, ParseError> {
    Txt::parse_with(text, Escapes::Octal)
}

/// The Route 53 value of one record.
pub fn value(data: &RData) -> String {
    match data {
        RData::A(ip) => ip.to_string(),
        RData::AAAA(ip) => ip.to_string(),
        RData::CNAME(n) | RData::PTR(n) | RData::NS(n) => data_name(n),
        RData::TXT(t) => txt_value(t),
        RData::SRV(s) => format!(
            "{} {} {} {}",
            s.priority,
            s.weight,
            s.port,
            data_name(&s.target)
        ),
        RData::MX(m) => format!("{} {}", m.preference, data_name(&m.exchange)),
        RData::CAA(c) => c.to_string_with(Escapes::Octal),
        // Opaque values are kept verbatim as Route 53 gave them.
        other => other.to_string(),
    }
}

/// Reads one Route 53 value of type `rtype`. Types the model does not know
/// are kept verbatim as [`RData::Opaque`].
pub fn parse_value(rtype: RecordType, text: &str) -> Result<RData, ParseError> {
    let t = text.trim();
    let fields = |n: usize| -> Result<Vec<&str>, ParseError> {
        let parts: Vec<&str> = t.split_ascii_whitespace().collect();
        if parts.len() == n {
            Ok(parts)
        } else {
            Err(ParseError::new(
                "Route 53 value",
                text,
                format!("needs {n} fields for {rtype}"),
            ))
        }
    };
    let number = |s: &str| {
        s.parse::<u16>()
            .map_err(|_| ParseError::new("Route 53 value", text, format!("{s:?} is not 0-65535")))
    };
    Ok(match rtype {
        RecordType::CNAME => RData::CNAME(parse_name(t)?),
        RecordType::PTR => RData::PTR(parse_name(t)?),
        RecordType::NS => RData::NS(parse_name(t)?),
        RecordType::TXT => RData::TXT(parse_txt(t)?),
        RecordType::SRV => {
            let f = fields(4)?;
            RData::SRV(Srv::new(
                number(f[0])?,
                number(f[1])?,
                number(f[2])?,
                parse_name(f[3])?,
            ))
        }
        RecordType::MX => {
            let f = fields(2)?;
            RData::MX(Mx::new(number(f[0])?, parse_name(f[1])?))
        }
        RecordType::CAA => RData::CAA(Caa::parse_with(t, Escapes::Octal)?),
        // A, AAAA and the types the model keeps verbatim read the same way
        // in every presentation format.
        other => RData::parse(other, t)?,
    })
}

/// The sort key Route 53 lists by: the escaped lower-case labels in reverse
/// order, joined by dots, with a trailing dot (`com.example.www.`).
pub fn sort_key(name: &Name) -> String {
    let mut out = String::with_capacity(name.wire_len() + 8);
    for label in name.labels().iter().rev() {
        // The wildcard is listed, and sorted, escaped.
        push_label(&mut out, label, true);
        out.push('.');
    }
    if out.is_empty() {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn name(s: &str) -> Name {
        Name::parse(s).expect("test name")
    }

    #[test]
    fn names_use_octal_escapes_and_lower_case() {
        let n = Name::from_labels([
            Label::new("My Web").expect("label"),
            Label::new("_http").expect("label"),
            Label::new("_tcp").expect("label"),
            Label::new("Example").expect("label"),
            Label::new("com").expect("label"),
        ])
        .expect("name");
        assert_eq!(owner_name(&n), r"my\040web._http._tcp.example.com.");
        assert_eq!(data_name(&n), r"My\040Web._http._tcp.Example.com.");
        assert_eq!(owner_name(&name("*.example.com")), "*.example.com.");
        assert_eq!(owner_name(&Name::root()), ".");
        let dotted =
            Name::from_labels([Label::new("a.b").expect("l"), Label::new("c").expect("l")])
                .expect("name");
        assert_eq!(owner_name(&dotted), r"a\056b.c.");
        let utf8 = Name::from_labels([Label::new("Büro").expect("l")]).expect("name");
        assert_eq!(owner_name(&utf8), r"b\303\274ro.");
    }

    #[test]
    fn listed_names_parse_back() {
        assert_eq!(
            parse_name(r"\052.example.com.").expect("parse"),
            name("*.example.com")
        );
        assert!(parse_name(r"\052.example.com.").expect("parse").labels()[0].is_wildcard());
        let n = parse_name(r"my\040web._http._tcp.example.com.").expect("parse");
        assert_eq!(n.labels()[0].as_bytes(), b"my web");
        assert_eq!(
            parse_name("example.com").expect("no dot"),
            name("example.com.")
        );
        assert_eq!(
            parse_name(r"a\.b.c.").expect("literal").labels()[0].as_bytes(),
            b"a.b"
        );
        assert!(parse_name("a\\").is_err());
        assert!(parse_name(&"x".repeat(64)).is_err());
    }

    #[test]
    fn txt_quoting() {
        let txt = Txt::new([&b"a \"b\" \\c"[..], b"\x00\x7f\xff", b""]).expect("txt");
        assert_eq!(txt_value(&txt), r#""a \"b\" \\c" "\000\177\377" """#);
        assert_eq!(parse_txt(&txt_value(&txt)).expect("parse"), txt);
        let long = Txt::from_text(vec![b'x'; 600]);
        let v = txt_value(&long);
        assert_eq!(v.matches('"').count(), 6, "600 octets are three strings");
        assert_eq!(parse_txt(&v).expect("parse").concat(), vec![b'x'; 600]);
        assert!(parse_txt("").is_err());
        assert!(parse_txt("\"open").is_err());
        assert_eq!(parse_txt("bare word").expect("bare").strings().len(), 2);
    }

    #[test]
    fn values_of_every_type() {
        let cases = [
            (RecordType::A, "192.0.2.1"),
            (RecordType::AAAA, "2001:db8::1"),
            (RecordType::CNAME, "target.example.com."),
            (RecordType::PTR, r"My\040Web._http._tcp.example.com."),
            (RecordType::NS, "ns-1.awsdns-01.org."),
            (RecordType::SRV, "10 5 8080 host.example.com."),
            (RecordType::SRV, "0 0 0 ."),
            (RecordType::MX, "10 mail.example.com."),
            (RecordType::TXT, r#""v=1" "k=\"q\"""#),
            (RecordType::CAA, r#"0 issue "letsencrypt.org""#),
            (
                RecordType::SOA,
                "ns-1.awsdns-01.org. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400",
            ),
            (
                RecordType::from_code(35),
                r#"100 10 "U" "E2U+sip" "!^.*$!sip:x@example.com!" ."#,
            ),
        ];
        for (rtype, text) in cases {
            let parsed = parse_value(rtype, text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(parsed.record_type(), rtype);
            assert_eq!(value(&parsed), text, "round trip of {rtype} {text}");
        }
        assert!(parse_value(RecordType::SRV, "1 2 host.example.com.").is_err());
        assert!(parse_value(RecordType::SRV, "1 2 70000 host.example.com.").is_err());
        assert!(parse_value(RecordType::A, "not-an-ip").is_err());
    }

    #[test]
    fn sort_key_reverses_labels() {
        assert_eq!(sort_key(&name("www.example.com")), "com.example.www.");
        assert_eq!(sort_key(&name("*.example.com")), r"com.example.\052.");
        assert!(sort_key(&name("a-b.example.com")) < sort_key(&name("a.b.example.com")));
    }

    fn any_label() -> impl Strategy<Value = Label> {
        prop::collection::vec(any::<u8>(), 1..=63).prop_map(|b| Label::new(b).expect("1-63 octets"))
    }

    proptest! {
        #[test]
        fn any_name_round_trips(labels in prop::collection::vec(any_label(), 1..4)) {
            let n = Name::from_labels(labels).expect("short enough");
            let back = parse_name(&owner_name(&n)).expect("parses");
            prop_assert_eq!(&back, &n);
            let exact = parse_name(&data_name(&n)).expect("parses");
            prop_assert_eq!(
                exact.labels().iter().map(Label::as_bytes).collect::<Vec<_>>(),
                n.labels().iter().map(Label::as_bytes).collect::<Vec<_>>()
            );
            prop_assert!(owner_name(&n).bytes().all(|b| b.is_ascii_graphic()));
        }

        #[test]
        fn any_txt_round_trips(bytes in prop::collection::vec(any::<u8>(), 0..1200)) {
            let txt = Txt::from_text(bytes);
            let v = txt_value(&txt);
            prop_assert!(v.bytes().all(|b| (0x20..0x7f).contains(&b)), "printable ASCII only");
            prop_assert_eq!(parse_txt(&v).expect("parses"), txt);
        }

        #[test]
        fn any_strings_round_trip(strings in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..=255), 1..5)) {
            let txt = Txt::new(strings).expect("each at most 255");
            prop_assert_eq!(parse_txt(&txt_value(&txt)).expect("parses"), txt);
        }
    }
}
