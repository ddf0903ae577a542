//! Property tests: printing and parsing are inverse, names compare without
//! ASCII case, and no input makes a parser panic.

use dns_core::{Label, Name, RData, RecordType, Txt, TxtProperties, TxtValue};
use proptest::prelude::*;

fn label() -> impl Strategy<Value = Label> {
    prop::collection::vec(any::<u8>(), 1..=63).prop_map(|b| Label::new(b).expect("1..=63 octets"))
}

fn name() -> impl Strategy<Value = Name> {
    // Up to 4 labels of up to 63 octets may pass 255; keep those that fit.
    prop::collection::vec(label(), 0..5)
        .prop_filter_map("fits 255 octets", |labels| Name::from_labels(labels).ok())
}

fn txt() -> impl Strategy<Value = Txt> {
    prop::collection::vec(prop::collection::vec(any::<u8>(), 0..=255), 1..5)
        .prop_map(|strings| Txt::new(strings).expect("strings of at most 255 octets"))
}

fn key() -> impl Strategy<Value = String> {
    "[ -<>-~]{1,9}"
}

fn properties() -> impl Strategy<Value = TxtProperties> {
    prop::collection::vec(
        (
            key(),
            prop::option::of(prop::collection::vec(any::<u8>(), 0..40)),
        ),
        0..8,
    )
    .prop_map(|pairs| {
        let mut props = TxtProperties::new();
        for (k, v) in pairs {
            if props.contains_key(&k) {
                continue;
            }
            match v {
                Some(v) => props.insert(&k, v).expect("valid key and size"),
                None => props.insert_flag(&k).expect("valid key"),
            };
        }
        props
    })
}

/// Flips the ASCII case of some letters, as servers and providers may.
fn recase(name: &Name, mask: u64) -> Name {
    let mut bit = 0;
    let labels = name.labels().iter().map(|l| {
        let bytes: Vec<u8> = l
            .as_bytes()
            .iter()
            .map(|b| {
                bit = (bit + 1) % 64;
                if mask >> bit & 1 == 1 && b.is_ascii_alphabetic() {
                    b ^ 0x20
                } else {
                    *b
                }
            })
            .collect();
        Label::new(bytes).expect("same length")
    });
    Name::from_labels(labels).expect("same length")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn name_presentation_round_trips(n in name()) {
        let printed = n.to_string();
        prop_assert!(printed.is_ascii(), "plain form must be ASCII: {printed}");
        let back = Name::parse(&printed).unwrap();
        prop_assert_eq!(&back, &n);
        // Equality is case-insensitive, so check the octets too.
        for (a, b) in back.labels().iter().zip(n.labels()) {
            prop_assert_eq!(a.as_bytes(), b.as_bytes());
        }
        let readable = format!("{n:#}");
        let back = Name::parse(&readable).unwrap();
        for (a, b) in back.labels().iter().zip(n.labels()) {
            prop_assert_eq!(a.as_bytes(), b.as_bytes());
        }
    }

    #[test]
    fn name_equality_and_hash_ignore_ascii_case(n in name(), mask in any::<u64>()) {
        use std::hash::{BuildHasher, RandomState};
        let other = recase(&n, mask);
        prop_assert_eq!(&other, &n);
        let state = RandomState::new();
        prop_assert_eq!(state.hash_one(&other), state.hash_one(&n));
        prop_assert_eq!(other.cmp(&n), std::cmp::Ordering::Equal);
        prop_assert_eq!(other.to_lowercase().to_string(), n.to_lowercase().to_string());
    }

    #[test]
    fn relative_form_round_trips(zone in name(), extra in prop::collection::vec(label(), 0..3)) {
        if let Ok(full) = Name::from_labels(extra.into_iter().chain(zone.labels().iter().cloned())) {
            let rel = full.relative_to(&zone).unwrap();
            prop_assert_eq!(Name::parse_relative(&rel, &zone).unwrap(), full);
        }
    }

    #[test]
    fn txt_presentation_round_trips(t in txt()) {
        let printed = t.to_string();
        prop_assert!(printed.is_ascii());
        prop_assert_eq!(&Txt::parse(&printed).unwrap(), &t);
        let rdata = RData::TXT(t);
        prop_assert_eq!(RData::parse(RecordType::TXT, &rdata.to_string()).unwrap(), rdata);
    }

    #[test]
    fn txt_from_text_keeps_every_octet(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        let t = Txt::from_text(&bytes);
        prop_assert_eq!(&t.concat(), &bytes);
        prop_assert!(t.strings().all(|s| s.len() <= 255));
        prop_assert_eq!(t.strings().count(), bytes.len().div_ceil(255).max(1));
    }

    #[test]
    fn txt_properties_round_trip(p in properties()) {
        let txt = p.to_txt();
        let back = TxtProperties::from_txt(&txt);
        prop_assert_eq!(&back, &p);
        for (k, v) in p.iter() {
            prop_assert_eq!(back.get(&k.to_ascii_uppercase()), Some(v));
            prop_assert_eq!(back.get(&k.to_ascii_lowercase()), Some(v));
        }
        if p.is_empty() {
            prop_assert!(txt.is_empty());
        }
    }

    #[test]
    fn txt_properties_first_duplicate_wins(k in key(), first in prop::collection::vec(any::<u8>(), 0..20), second in prop::collection::vec(any::<u8>(), 0..20)) {
        let mut a = k.clone().into_bytes();
        a.push(b'=');
        a.extend(&first);
        let mut b = k.to_ascii_uppercase().into_bytes();
        b.push(b'=');
        b.extend(&second);
        let props = TxtProperties::from_txt(&Txt::new([a, b]).unwrap());
        prop_assert_eq!(props.len(), 1);
        prop_assert_eq!(props.get(&k), Some(TxtValue::Bytes(&first)));
    }

    #[test]
    fn parsers_never_panic(s in "\\PC{0,80}|[\\\\. \"0-9a-z=]{0,40}|[\\x00-\\x7f]{0,40}|.{0,40}") {
        let _ = Name::parse(&s);
        let _ = s.parse::<Label>();
        let _ = Name::from_idna(&s);
        let _ = Txt::parse(&s);
        let _ = s.parse::<RecordType>();
        for t in RecordType::MODELLED {
            let _ = RData::parse(t, &s);
        }
        let _ = s.parse::<dns_core::ServiceType>();
    }

    #[test]
    fn printed_names_and_txt_cannot_drive_a_terminal(n in name(), t in txt()) {
        // Presentation form escapes every unprintable octet itself; the
        // readable form ({:#}) keeps UTF-8, and terminal_safe covers it.
        let plain = n.to_string();
        prop_assert!(!plain.chars().any(dns_core::is_unsafe_on_terminal), "{:?}", plain);
        let readable = format!("{n:#}");
        let safe = dns_core::terminal_safe(&readable);
        prop_assert!(!safe.chars().any(dns_core::is_unsafe_on_terminal), "{:?}", safe);
        let shown = t.to_string();
        prop_assert!(!shown.chars().any(dns_core::is_unsafe_on_terminal), "{:?}", shown);
    }

    #[test]
    fn terminal_safe_leaves_nothing_unsafe_and_keeps_safe_text(s in ".{0,60}") {
        let safe = dns_core::terminal_safe(&s);
        prop_assert!(!safe.chars().any(dns_core::is_unsafe_on_terminal), "{:?}", safe);
        if !s.chars().any(dns_core::is_unsafe_on_terminal) {
            prop_assert_eq!(&*safe, s.as_str());
        }
    }

    #[test]
    fn txt_properties_reader_never_panics(strings in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..255), 0..6)) {
        let txt = Txt::new(strings).unwrap();
        let props = TxtProperties::from_txt(&txt);
        prop_assert!(props.len() <= txt.strings().count());
    }
}
