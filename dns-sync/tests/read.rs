//! The desired-state reader: every modelled type and DNS-SD instances
//! read, and every malformed file refused with the line at fault.
#![allow(clippy::unwrap_used, reason = "tests")]

use dns_core::{Name, RData, RecordType};
use dns_sync::{SyncError, read_desired};

fn err(text: &str) -> String {
    match read_desired(text) {
        Err(SyncError::Read(e)) => e,
        other => panic!("expected a read error, got {other:?}"),
    }
}

#[test]
fn every_modelled_type_and_a_service_are_read() {
    let state = read_desired(
        r#"
zones:
  - zone: example.com.
    records:
      - { name: www, type: A, ttl: 60, values: [192.0.2.1, 192.0.2.2] }
      - { name: www, type: AAAA, values: ["2001:db8::1"] }
      - { name: alias, type: CNAME, values: [www.example.com.] }
      - { name: "@", type: TXT, values: ['"v=spf1 -all"', '"a b" "c"'] }
      - { name: _sip._tcp, type: SRV, values: [10 5 5060 sip.example.com.] }
      - { name: 1, type: PTR, values: [host.example.com.] }
      - { name: "@", type: MX, values: [10 mx.example.com.] }
      - { name: sub, type: NS, values: [ns1.example.net.] }
      - { name: "@", type: CAA, values: ['0 issue "letsencrypt.org"'] }
      - { name: abs.example.com., type: A, values: [192.0.2.9] }
    services:
      - instance: Web Front
        type: _http._tcp
        targets: [{ host: web1, port: 8080, addresses: [192.0.2.10] }]
        txt: [path=/, tls]
"#,
    )
    .expect("valid file");
    let zone = &state.zones()[0];
    let apex = Name::parse("example.com").unwrap();
    assert_eq!(zone.apex(), &apex);
    let www = zone
        .get(&Name::parse("www.example.com").unwrap(), RecordType::A)
        .unwrap();
    assert_eq!((www.ttl(), www.len()), (60, 2));
    let txt = zone.get(&apex, RecordType::TXT).unwrap();
    assert_eq!(txt.len(), 2);
    for t in RecordType::MODELLED {
        assert!(zone.sets().any(|s| s.record_type() == t), "{t} missing");
    }
    let instance = Name::parse(r"Web\032Front._http._tcp.example.com").unwrap();
    let props = zone.get(&instance, RecordType::TXT).unwrap();
    assert_eq!(props.values()[0].to_string(), r#""path=/" "tls""#);
    assert!(zone.get(&instance, RecordType::SRV).is_some());
    let host = zone
        .get(&Name::parse("web1.example.com").unwrap(), RecordType::A)
        .unwrap();
    assert_eq!(host.values(), [RData::A("192.0.2.10".parse().unwrap())]);
    // 10 records + SRV, TXT, A, PTR, enumeration PTR of the instance.
    assert_eq!(zone.sets().count(), 15);
}

#[test]
fn json_is_read_too() {
    let state = read_desired(
        r#"{"zones": [{"zone": "example.com", "records": [{"name": "www", "type": "A", "values": ["192.0.2.1"]}]}]}"#,
    )
    .expect("valid JSON");
    let set = state.zones()[0].sets().next().unwrap();
    assert_eq!(set.ttl(), dns_sync::DEFAULT_TTL);
}

#[test]
fn unknown_fields_are_refused_with_their_line() {
    let e = err(
        "zones:\n  - zone: example.com.\n    records:\n      - name: www\n        type: A\n        values: [192.0.2.1]\n        tll: 60\n",
    );
    assert!(
        e.contains("unknown field `tll`") && e.contains("line 7"),
        "{e}"
    );
    let e = err("zones:\n  - zone: example.com.\n    color: blue\n");
    assert!(
        e.contains("unknown field `color`") && e.contains("line 3"),
        "{e}"
    );
}

#[test]
fn repeated_keys_are_refused_with_their_line() {
    let e = err(
        "zones:\n  - zone: example.com.\n    records:\n      - name: www\n        type: A\n        values: [192.0.2.1]\n        name: web\n",
    );
    // YAML names the line of the entry holding the repeated key.
    assert!(
        e.contains("duplicate field `name`") && e.contains("line 4"),
        "{e}"
    );
    let e = err("{\"zones\": [{\"zone\": \"example.com\",\n \"zone\": \"example.org\"}]}");
    assert!(
        e.contains("duplicate field `zone`") && e.contains("line 2"),
        "{e}"
    );
}

#[test]
fn bad_values_are_refused_with_their_line() {
    let e = err(
        "zones:\n  - zone: example.com.\n    records:\n      - { name: www, type: A, values: [300.1.1.1] }\n",
    );
    assert!(
        e.contains("not an IPv4 address") && e.contains("line 4"),
        "{e}"
    );
    let e = err(
        "zones:\n  - zone: example.com.\n    records:\n      - { name: www, type: A, ttl: -1, values: [192.0.2.1] }\n",
    );
    assert!(e.contains("ttl") && e.contains("line 4"), "{e}");
    let e = err(
        "zones:\n  - zone: example.com.\n    services:\n      - { instance: a, type: http, targets: [] }\n",
    );
    assert!(e.contains("type") && e.contains("line 4"), "{e}");
}

#[test]
fn contradictions_are_refused_naming_the_entry() {
    let twice = err(
        "zones:\n  - zone: example.com.\n    records:\n      - { name: www, type: A, values: [192.0.2.1] }\n      - { name: WWW, type: A, values: [192.0.2.2] }\n",
    );
    assert!(
        twice.contains("records[1]") && twice.contains("given twice"),
        "{twice}"
    );
    let outside = err(
        "zones:\n  - zone: example.com.\n    records:\n      - { name: www.example.org., type: A, values: [192.0.2.1] }\n",
    );
    assert!(outside.contains("outside the zone"), "{outside}");
    let reserved = err(
        "zones:\n  - zone: example.com.\n    records:\n      - { name: x._dns-sync, type: TXT, values: [a] }\n",
    );
    assert!(
        reserved.contains("reserved for owner markers"),
        "{reserved}"
    );
    let soa = err(
        "zones:\n  - zone: example.com.\n    records:\n      - { name: \"@\", type: SOA, values: [a. b. 1 2 3 4 5] }\n",
    );
    assert!(soa.contains("SOA"), "{soa}");
    let zones = err("zones:\n  - zone: example.com.\n  - zone: Example.com.\n");
    assert!(zones.contains("given twice"), "{zones}");
}
