//! Checks of record values, type by type, with Route 53's
//! `Invalid Resource Record: FATAL problem: …` messages.

use std::collections::HashSet;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::names::{self, unescape_at};

/// The record types Route 53 accepts.
pub(crate) const KNOWN_TYPES: &[&str] = &[
    "A", "AAAA", "CAA", "CNAME", "DS", "HTTPS", "MX", "NAPTR", "NS", "PTR", "SOA", "SPF", "SRV",
    "SSHFP", "SVCB", "TLSA", "TXT",
];

/// Most values a set may hold.
pub(crate) const MAX_VALUES_PER_SET: usize = 400;

fn fatal(code: &str, description: &str, value: &str) -> String {
    format!(
        "Invalid Resource Record: FATAL problem: {code} ({description}) encountered with '{value}'"
    )
}

/// The messages for every bad value of a set of type `rtype` named `name`
/// (canonical), plus the per-set rules (one value for CNAME and SOA, at
/// most 400 values, no duplicates).
pub(crate) fn check_values(name: &str, rtype: &str, values: &[String]) -> Vec<String> {
    let mut problems: Vec<String> = values
        .iter()
        .filter_map(|v| check_value(rtype, v).err())
        .collect();
    if matches!(rtype, "CNAME" | "SOA") && values.len() > 1 {
        problems.push(format!(
            "RRSet of type {rtype} with DNS name {name} is not permitted to have more than one resource record"
        ));
    }
    if values.len() > MAX_VALUES_PER_SET {
        problems.push(format!(
            "RRSet with DNS name {name} and type {rtype} has {} resource records, more than the limit of {MAX_VALUES_PER_SET}",
            values.len()
        ));
    }
    let mut seen = HashSet::new();
    let mut reported = HashSet::new();
    for value in values {
        if !seen.insert(value) && reported.insert(value) {
            problems.push(format!("Duplicate Resource Record: '{value}'"));
        }
    }
    problems
}

/// Checks one value of a set of type `rtype`.
pub(crate) fn check_value(rtype: &str, value: &str) -> Result<(), String> {
    let fields: Vec<&str> = value.split_ascii_whitespace().collect();
    match rtype {
        "A" => value.parse::<Ipv4Addr>().map(drop).map_err(|_| {
            fatal(
                "ARRDATAIllegalIPv4Address",
                "Value is not a valid IPv4 address",
                value,
            )
        }),
        "AAAA" => value.parse::<Ipv6Addr>().map(drop).map_err(|_| {
            fatal(
                "AAAARRDATAIllegalIPv6Address",
                "Value is not a valid IPv6 address",
                value,
            )
        }),
        "TXT" | "SPF" => check_character_strings(value),
        "CNAME" | "NS" | "PTR" => {
            if fields.len() != 1 || fields[0] != value {
                return Err(fatal(
                    "RRDATANotSingleField",
                    "Value contains spaces",
                    value,
                ));
            }
            check_name(value)
        }
        "MX" => {
            if fields.len() != 2 {
                return Err(fatal(
                    "MXRRDATAIllegalFieldCount",
                    "Value should be 'preference mail-server'",
                    value,
                ));
            }
            check_u16(fields[0], value)?;
            check_name(fields[1])
        }
        "SRV" => {
            if fields.len() != 4 {
                return Err(fatal(
                    "SRVRRDATAIllegalFieldCount",
                    "Value should be 'priority weight port target'",
                    value,
                ));
            }
            for field in &fields[..3] {
                check_u16(field, value)?;
            }
            check_name(fields[3])
        }
        "CAA" => {
            if fields.len() < 3 || fields[0].parse::<u8>().is_err() {
                return Err(fatal(
                    "CAARRDATAIllegalFormat",
                    "Value should be 'flags tag \"value\"'",
                    value,
                ));
            }
            Ok(())
        }
        "SOA" => {
            if fields.len() != 7 {
                return Err(fatal(
                    "SOARRDATAIllegalFieldCount",
                    "Value should have 7 fields",
                    value,
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn check_u16(field: &str, value: &str) -> Result<(), String> {
    field.parse::<u16>().map(drop).map_err(|_| {
        fatal(
            "RRDATAIllegalInteger",
            "Value is not an integer from 0 to 65535",
            value,
        )
    })
}

fn check_name(name: &str) -> Result<(), String> {
    names::parse_labels(name)
        .map(drop)
        .map_err(|e| format!("Invalid Resource Record: {}", e.message()))
}

/// Checks a TXT or SPF value: one or more character-strings in double
/// quotes, separated by spaces, each at most 255 octets once `\"`, `\\`
/// and `\ddd` (octal) escapes are decoded.
pub(crate) fn check_character_strings(value: &str) -> Result<(), String> {
    let unquoted = || {
        fatal(
            "InvalidCharacterString",
            "Value should be enclosed in quotation marks",
            value,
        )
    };
    let bytes = value.as_bytes();
    let mut i = 0;
    let mut strings = 0;
    loop {
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
        if i == bytes.len() {
            break;
        }
        if bytes[i] != b'"' {
            return Err(unquoted());
        }
        i += 1;
        let mut octets = 0usize;
        let mut closed = false;
        while i < bytes.len() {
            match bytes[i] {
                b'"' => {
                    closed = true;
                    i += 1;
                    break;
                }
                b'\\' => {
                    let (_, used) = unescape_at(bytes, i).ok_or_else(|| {
                        fatal(
                            "InvalidEscapeSequence",
                            "Value contains an invalid escape sequence",
                            value,
                        )
                    })?;
                    octets += 1;
                    i += used;
                }
                _ => {
                    octets += 1;
                    i += 1;
                }
            }
        }
        if !closed || (i < bytes.len() && bytes[i] != b' ') {
            return Err(unquoted());
        }
        if octets > 255 {
            return Err(fatal("CharacterStringTooLong", "Value is too long", value));
        }
        strings += 1;
    }
    if strings == 0 {
        return Err(unquoted());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txt_values() {
        assert!(check_character_strings("\"hello\"").is_ok());
        assert!(check_character_strings("\"a\" \"b c\"").is_ok());
        assert!(check_character_strings("\"say \\\"hi\\\" \\\\ \\303\"").is_ok());
        assert!(check_character_strings("\"\"").is_ok());
        assert!(check_character_strings(&format!("\"{}\"", "x".repeat(255))).is_ok());
        let long = check_character_strings(&format!("\"{}\"", "x".repeat(256)));
        assert!(long.is_err_and(|m| m.contains("CharacterStringTooLong (Value is too long)")));
        for bad in ["hello", "\"open", "\"a\"b", "", " "] {
            let err = check_character_strings(bad);
            assert!(
                err.is_err_and(|m| m.contains(
                    "InvalidCharacterString (Value should be enclosed in quotation marks)"
                )),
                "{bad}"
            );
        }
        // Octets, not characters: "é" is two.
        assert!(check_character_strings(&format!("\"{}\"", "é".repeat(128))).is_err());
        assert!(check_character_strings(&format!("\"{}\"", "\\303".repeat(255))).is_ok());
    }

    #[test]
    fn typed_values() {
        assert!(check_value("A", "192.0.2.1").is_ok());
        assert!(check_value("A", "192.0.2").is_err());
        assert!(check_value("AAAA", "2001:db8::1").is_ok());
        assert!(check_value("AAAA", "192.0.2.1").is_err());
        assert!(check_value("SRV", "10 5 80 host.example.com").is_ok());
        assert!(check_value("SRV", "10 5 65536 host.example.com").is_err());
        assert!(check_value("SRV", "10 5 host.example.com").is_err());
        assert!(check_value("MX", "10 mail.example.com.").is_ok());
        assert!(check_value("MX", "mail.example.com.").is_err());
        assert!(check_value("CNAME", "a b").is_err());
        assert!(check_value("CNAME", "target.example.com").is_ok());
    }

    #[test]
    fn set_rules() {
        let two = ["a.example.".to_owned(), "b.example.".to_owned()];
        assert_eq!(check_values("x.example.", "CNAME", &two).len(), 1);
        let dup = [
            "192.0.2.1".to_owned(),
            "192.0.2.1".to_owned(),
            "192.0.2.1".to_owned(),
        ];
        assert_eq!(
            check_values("x.example.", "A", &dup),
            vec!["Duplicate Resource Record: '192.0.2.1'"]
        );
        let many: Vec<String> = (0..401)
            .map(|i| format!("10.0.{}.{}", i / 256, i % 256))
            .collect();
        assert_eq!(check_values("x.example.", "A", &many).len(), 1);
        assert!(check_values("x.example.", "A", &many[..400]).is_empty());
    }
}
