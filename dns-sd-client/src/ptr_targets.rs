//! Which PTR targets a browse accepts. A PTR answer is whatever the server
//! (or anyone who wrote to the zone) put there, so its targets are checked
//! before they become instances or service types to ask about.

use std::collections::BTreeSet;

use dns_core::{Label, Name, RData, ServiceType};

/// The instance names among the targets of a PTR set at `ptr_name` (a
/// service `_x._tcp.<domain>` or a subtype `<sub>._sub._x._tcp.<domain>`),
/// without case-insensitive duplicates (first spelling kept).
///
/// RFC 6763 section 4.1: an instance name is exactly one label directly
/// under `<Service>.<Domain>`, and for a subtype under its parent service
/// (section 7.1). Section 4.1.1 forbids ASCII control characters in that
/// label. Any other target is ignored with a warning, so that a zone cannot
/// make a browser ask about, list or connect to names of its choosing.
pub(crate) fn instances(ptr_name: &Name, records: &[RData]) -> Vec<Name> {
    let service = service_of(ptr_name);
    accept(records, |target| instance_check(&service, target))
}

/// Whether `target` is an instance of the service `ptr_name` lists (see
/// [`instances`]), without logging.
pub(crate) fn is_instance(ptr_name: &Name, target: &Name) -> bool {
    instance_check(&service_of(ptr_name), target).is_ok()
}

fn instance_check(service: &Name, target: &Name) -> Result<(), &'static str> {
    let Some((label, parent)) = split_first(target) else {
        return Err("it is the root");
    };
    if parent != *service {
        return Err("it is not one label under the service");
    }
    if has_control_characters(label) {
        return Err("its instance label holds control characters");
    }
    Ok(())
}

/// The service types among the targets of the PTR set at
/// `_services._dns-sd._udp.<domain>`: names `_service._proto.<domain>` of
/// that same domain (RFC 6763 section 9), without duplicates.
pub(crate) fn service_types(domain: &Name, records: &[RData]) -> Vec<Name> {
    accept(records, |target| match ServiceType::split_name(target) {
        Some((_, d)) if d == *domain => Ok(()),
        _ => Err("it is not a service type of the domain"),
    })
}

/// The PTR targets `check` accepts, once each; the others are logged in
/// escaped presentation form (never raw bytes, which could hold terminal
/// control sequences).
fn accept(records: &[RData], check: impl Fn(&Name) -> Result<(), &'static str>) -> Vec<Name> {
    let mut seen = BTreeSet::new();
    records
        .iter()
        .filter_map(|r| match r {
            RData::PTR(n) => Some(n),
            _ => None,
        })
        .filter(|n| match check(n) {
            Ok(()) => true,
            Err(why) => {
                tracing::warn!(ptr_target = %n, "ignoring a PTR target: {why}");
                false
            }
        })
        .filter(|n| seen.insert((*n).clone()))
        .cloned()
        .collect()
}

/// The service whose instances a PTR name lists: the name itself, or the
/// parent service of a subtype name.
fn service_of(ptr_name: &Name) -> Name {
    match ptr_name.labels() {
        [_, sub, rest @ ..] if sub.as_bytes().eq_ignore_ascii_case(b"_sub") => {
            Name::from_labels(rest.iter().cloned()).unwrap_or_else(|_| ptr_name.clone())
        }
        _ => ptr_name.clone(),
    }
}

fn split_first(name: &Name) -> Option<(&Label, Name)> {
    let (first, rest) = name.labels().split_first()?;
    Some((first, Name::from_labels(rest.iter().cloned()).ok()?))
}

/// RFC 6763 section 4.1.1: bytes 0x00-0x1F and 0x7F.
fn has_control_characters(label: &Label) -> bool {
    label.as_bytes().iter().any(|b| *b < 0x20 || *b == 0x7f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        Name::parse(s).unwrap()
    }

    fn ptrs(targets: &[&str]) -> Vec<RData> {
        targets.iter().map(|t| RData::PTR(n(t))).collect()
    }

    #[test]
    fn only_one_label_under_the_service_is_an_instance() {
        let got = instances(
            &n("_x._tcp.example.com"),
            &ptrs(&[
                "a._x._tcp.example.com",
                "A._X._TCP.example.com",
                "b.a._x._tcp.example.com",
                "_x._tcp.example.com",
                "example.com",
                "a._x._tcp.other.org",
                ".",
            ]),
        );
        assert_eq!(got, vec![n("a._x._tcp.example.com")]);
    }

    #[test]
    fn a_subtype_lists_instances_of_its_parent() {
        let got = instances(
            &n("_s._SUB._x._tcp.example.com"),
            &ptrs(&["a._x._tcp.example.com", "a._s._sub._x._tcp.example.com"]),
        );
        assert_eq!(got, vec![n("a._x._tcp.example.com")]);
    }

    #[test]
    fn the_delete_character_counts_as_control() {
        assert!(has_control_characters(&Label::new(b"a\x7fb").unwrap()));
        assert!(!has_control_characters(&Label::new("Büro ~ 2").unwrap()));
    }
}
