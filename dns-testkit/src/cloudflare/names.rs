//! Zone names, record names and host names inside record content.
//!
//! Cloudflare stores names lower-case without the trailing dot. A record
//! name in a request may be `@` (the apex), relative (`www`, completed with
//! the zone) or full (`www.example.com`, with or without a trailing dot).
//! A name with a trailing dot is taken as absolute, so one outside the zone
//! is refused; one without is completed like a relative name.

use super::error::ApiError;

/// Longest name in presentation form without the trailing dot.
const MAX_NAME: usize = 253;
/// Longest label.
const MAX_LABEL: usize = 63;

/// A zone name as the schema's `zones_name` pattern allows it
/// (`^([a-zA-Z0-9][\-a-zA-Z0-9]*\.)+[\-a-zA-Z0-9]{2,20}$`), lower-cased and
/// without a trailing dot; `None` if it does not match.
pub(crate) fn zone_name(input: &str) -> Option<String> {
    let name = input
        .strip_suffix('.')
        .unwrap_or(input)
        .to_ascii_lowercase();
    let labels: Vec<&str> = name.split('.').collect();
    let (last, rest) = labels.split_last()?;
    let plain = |b: u8| b.is_ascii_alphanumeric() || b == b'-';
    let rest_ok = !rest.is_empty()
        && rest.iter().all(|label| {
            label.len() <= MAX_LABEL
                && label
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphanumeric())
                && label.bytes().all(plain)
        });
    let last_ok = (2..=20).contains(&last.len()) && last.bytes().all(plain);
    (rest_ok && last_ok && name.len() <= MAX_NAME).then_some(name)
}

/// Whether `name` is `zone` or below it (both canonical).
pub(crate) fn in_zone(name: &str, zone: &str) -> bool {
    name == zone
        || name
            .strip_suffix(zone)
            .is_some_and(|prefix| prefix.ends_with('.'))
}

/// `9000 DNS name is invalid.`
fn invalid_name() -> ApiError {
    ApiError::bad_request(9000, "DNS name is invalid.")
}

/// Whether every label is 1–63 octets, the whole at most 253, and there
/// are no control characters. Spaces and other printable characters are
/// allowed, since DNS-SD instance names carry them.
fn well_formed(name: &str) -> bool {
    name.len() <= MAX_NAME
        && !name.chars().any(char::is_control)
        && name
            .split('.')
            .all(|label| !label.is_empty() && label.len() <= MAX_LABEL)
}

/// The full, lower-case name of a record named `input` in `zone`.
pub(crate) fn record_name(input: &str, zone: &str) -> Result<String, ApiError> {
    let (bare, absolute) = match input.strip_suffix('.') {
        Some(bare) => (bare, true),
        None => (input, false),
    };
    let lower = bare.to_ascii_lowercase();
    let full = if lower == "@" {
        zone.to_owned()
    } else if lower.is_empty() {
        return Err(invalid_name());
    } else if in_zone(&lower, zone) {
        lower
    } else if absolute {
        return Err(invalid_name());
    } else {
        format!("{lower}.{zone}")
    };
    if well_formed(&full) {
        Ok(full)
    } else {
        Err(invalid_name())
    }
}

/// A host name inside record content (CNAME, NS, MX, PTR, SRV target):
/// without its trailing dot, case kept. `spaces` allows the spaces of
/// DNS-SD instance names (PTR). `None` if it is not a name; `"."` (no
/// host) stays `"."`.
pub(crate) fn host(input: &str, spaces: bool) -> Option<String> {
    if input == "." {
        return Some(input.to_owned());
    }
    let bare = input.strip_suffix('.').unwrap_or(input);
    let blank = |c: char| c.is_whitespace() && !(spaces && c == ' ');
    (!bare.is_empty() && well_formed(bare) && !bare.chars().any(blank)).then(|| bare.to_owned())
}

/// The canonical form of a name given as a list filter: lower-case,
/// without the trailing dot.
pub(crate) fn filter_form(input: &str) -> String {
    input
        .strip_suffix('.')
        .unwrap_or(input)
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::{host, in_zone, record_name, zone_name};

    #[test]
    fn zone_names() {
        assert_eq!(zone_name("Example.COM."), Some("example.com".to_owned()));
        assert_eq!(
            zone_name("0.0.10.in-addr.arpa"),
            Some("0.0.10.in-addr.arpa".to_owned())
        );
        assert_eq!(zone_name("localhost"), None);
        assert_eq!(zone_name("-bad.com"), None);
        assert_eq!(zone_name("a.b"), None);
        assert_eq!(zone_name("a..com"), None);
    }

    #[test]
    fn record_names() {
        let zone = "example.com";
        for (given, full) in [
            ("@", "example.com"),
            ("WWW", "www.example.com"),
            ("www.Example.com", "www.example.com"),
            ("www.example.com.", "www.example.com"),
            ("example.com", "example.com"),
            ("My Web._http._tcp", "my web._http._tcp.example.com"),
            ("www.other.org", "www.other.org.example.com"),
        ] {
            assert_eq!(record_name(given, zone).unwrap(), full, "{given}");
        }
        for invalid in ["www.other.org.", "", "a..b"] {
            assert_eq!(
                record_name(invalid, zone).unwrap_err().codes(),
                [9000],
                "{invalid}"
            );
        }
        assert!(record_name(&"a".repeat(64), zone).is_err());
        assert!(!in_zone("badexample.com", zone));
    }

    #[test]
    fn hosts() {
        assert_eq!(
            host("Target.example.com.", false).as_deref(),
            Some("Target.example.com")
        );
        assert_eq!(host(".", false).as_deref(), Some("."));
        assert_eq!(host("a b", false), None);
        assert_eq!(
            host("My Web._http._tcp.example.com", true).as_deref(),
            Some("My Web._http._tcp.example.com")
        );
        assert_eq!(host("", true), None);
    }
}
