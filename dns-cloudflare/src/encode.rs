//! dns-core values to and from Cloudflare record JSON.
//!
//! * Names are sent without the trailing dot, as given (ASCII: host-name
//!   labels, `_` labels, a leading `*`, punycode `xn--` labels). Listed
//!   names that are not ASCII are converted to punycode.
//! * SRV goes as `data{priority, weight, port, target}` (the service and
//!   protocol are in the owner name); CAA as `data{flags, tag, value}`; MX
//!   as `content` plus `priority`.
//! * TXT content is the quoted form: strings of at most 255 octets, `"` and
//!   `\` escaped with a backslash, other octets outside printable ASCII as
//!   RFC 1035 decimal `\DDD`. Content that is not quoted (written by other
//!   tools) is read as one text, split at 255 octets.

use dns_core::{Caa, Error, Escapes, Mx, Name, RData, RecordType, Result, Srv, Txt};
use serde_json::{Value, json};

use crate::options::{CloudflareRecord, RecordOptions};
use crate::wire::{RecordBody, RecordJson};

/// Cloudflare's limit on one TXT record, in wire octets.
pub(crate) const MAX_TXT_OCTETS: usize = 4_096;

/// A name as Cloudflare takes it: presentation form without the final dot.
pub(crate) fn name_to_api(name: &Name) -> String {
    if name.is_root() {
        return ".".to_owned();
    }
    let s = name.to_string();
    s.strip_suffix('.').unwrap_or(&s).to_owned()
}

/// A listed name: ASCII as is, anything else through IDNA to punycode.
pub(crate) fn name_from_api(text: &str) -> Result<Name> {
    let parsed = if text.is_ascii() {
        Name::parse(text)
    } else {
        Name::from_idna(text)
    };
    parsed.map_err(|e| unreadable(text, &e.to_string()))
}

fn unreadable(what: &str, why: &str) -> Error {
    crate::api::unexpected(format!("cannot read {what:?} from Cloudflare: {why}"))
}

/// The body that creates `value` at `name`.
pub(crate) fn body(
    name: &Name,
    value: &RData,
    ttl: u32,
    options: &RecordOptions,
) -> Result<RecordBody> {
    let rtype = value.record_type();
    let mut body = RecordBody {
        rtype: rtype.to_string(),
        name: name_to_api(name),
        content: None,
        data: None,
        priority: None,
        ttl,
        proxied: None,
        comment: options.comment.clone(),
        tags: (!options.tags.is_empty()).then(|| options.tags.clone()),
    };
    match value {
        RData::A(ip) => body.content = Some(ip.to_string()),
        RData::AAAA(ip) => body.content = Some(ip.to_string()),
        RData::CNAME(n) | RData::PTR(n) | RData::NS(n) => body.content = Some(name_to_api(n)),
        RData::MX(mx) => {
            body.content = Some(name_to_api(&mx.exchange));
            body.priority = Some(mx.preference);
        }
        RData::SRV(srv) => {
            body.data = Some(json!({
                "priority": srv.priority,
                "weight": srv.weight,
                "port": srv.port,
                "target": name_to_api(&srv.target),
            }));
        }
        RData::TXT(txt) => {
            if txt.wire_len() > MAX_TXT_OCTETS {
                return Err(Error::InvalidInput(format!(
                    "TXT at {name}: {} octets on the wire, Cloudflare stores at most {MAX_TXT_OCTETS}",
                    txt.wire_len()
                )));
            }
            body.content = Some(txt.to_string_with(Escapes::Decimal));
        }
        RData::CAA(caa) => {
            let text = String::from_utf8(caa.value.clone()).map_err(|_| {
                Error::InvalidInput(format!(
                    "CAA at {name}: Cloudflare takes the value as text; {caa} is not UTF-8"
                ))
            })?;
            body.data = Some(json!({ "flags": caa.flags, "tag": caa.tag, "value": text }));
        }
        RData::Opaque(o) => body.content = Some(o.text().to_owned()),
        // RData is non-exhaustive; a value this backend cannot encode is refused.
        #[allow(unreachable_patterns)]
        other => {
            return Err(Error::unsupported(
                crate::PROVIDER,
                format!("writing {} records", other.record_type()),
            ));
        }
    }
    // Only these types can be proxied; say so explicitly for them, so a
    // default elsewhere never turns proxying on.
    if matches!(rtype, RecordType::A | RecordType::AAAA | RecordType::CNAME) {
        body.proxied = Some(options.proxied);
        if options.proxied {
            // Cloudflare serves proxied records with its own TTL.
            body.ttl = 1;
        }
    }
    Ok(body)
}

/// The body that changes only the TTL of an existing record (a batch patch
/// needs the record's identity fields; proxying, comment and tags are left
/// out so they stay as they are).
pub(crate) fn ttl_patch(name: &Name, value: &RData, ttl: u32) -> Result<RecordBody> {
    let mut b = body(name, value, ttl, &RecordOptions::default())?;
    b.proxied = None;
    b.comment = None;
    b.tags = None;
    Ok(b)
}

fn field<T: TryFrom<u64>>(data: &Value, key: &str) -> Option<T> {
    data.get(key)?.as_u64().and_then(|v| T::try_from(v).ok())
}

/// Reads one listed record.
pub(crate) fn record(json: &RecordJson) -> Result<CloudflareRecord> {
    let name = name_from_api(&json.name)?;
    let rtype: RecordType = json
        .rtype
        .parse()
        .map_err(|e: dns_core::ParseError| unreadable(&json.rtype, &e.to_string()))?;
    let content = json.content.as_deref().unwrap_or_default();
    let bad = |why: &str| unreadable(&format!("{} {} {content}", json.name, json.rtype), why);
    let data = match rtype {
        RecordType::SRV => {
            if let Some(d) = json.data.as_ref().filter(|d| d.get("port").is_some()) {
                let target = d
                    .get("target")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("SRV data has no target"))?;
                RData::SRV(Srv::new(
                    field(d, "priority").or(json.priority).unwrap_or(0),
                    field(d, "weight").ok_or_else(|| bad("SRV data has no weight"))?,
                    field(d, "port").ok_or_else(|| bad("SRV data has no port"))?,
                    name_from_api(target)?,
                ))
            } else {
                // "weight port target" with a separate priority, or all four.
                let fields = content.split_whitespace().count();
                let text = match (fields, json.priority) {
                    (3, Some(p)) => format!("{p} {content}"),
                    _ => content.to_owned(),
                };
                RData::parse(RecordType::SRV, &text).map_err(|e| bad(&e.to_string()))?
            }
        }
        RecordType::MX => RData::MX(Mx::new(json.priority.unwrap_or(0), name_from_api(content)?)),
        RecordType::CAA => match json.data.as_ref().filter(|d| d.get("tag").is_some()) {
            Some(d) => RData::CAA(
                Caa::new(
                    field(d, "flags").unwrap_or(0),
                    d.get("tag").and_then(Value::as_str).unwrap_or_default(),
                    d.get("value").and_then(Value::as_str).unwrap_or_default(),
                )
                .map_err(|e| bad(&e.to_string()))?,
            ),
            None => RData::parse(RecordType::CAA, content).map_err(|e| bad(&e.to_string()))?,
        },
        RecordType::TXT => RData::TXT(txt(content)),
        RecordType::CNAME => RData::CNAME(name_from_api(content)?),
        RecordType::PTR => RData::PTR(name_from_api(content)?),
        RecordType::NS => RData::NS(name_from_api(content)?),
        other => {
            let text = if content.is_empty() {
                json.data.as_ref().map(Value::to_string).unwrap_or_default()
            } else {
                content.to_owned()
            };
            RData::parse(other, &text).map_err(|e| bad(&e.to_string()))?
        }
    };
    Ok(CloudflareRecord {
        id: json.id.clone(),
        name,
        data,
        ttl: json.ttl,
        options: RecordOptions {
            proxied: json.proxied.unwrap_or(false),
            comment: json.comment.clone().filter(|c| !c.is_empty()),
            tags: json.tags.clone(),
        },
    })
}

/// TXT content: the quoted form when it parses, else one plain text.
pub(crate) fn txt(content: &str) -> Txt {
    let trimmed = content.trim();
    if trimmed.starts_with('"')
        && let Ok(t) = Txt::parse_with(trimmed, Escapes::Decimal)
    {
        return t;
    }
    Txt::from_text(content)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn n(s: &str) -> Name {
        Name::parse(s).unwrap()
    }

    fn listed(body: &RecordBody) -> RecordJson {
        RecordJson {
            id: "0123456789abcdef0123456789abcdef".into(),
            rtype: body.rtype.clone(),
            name: body.name.clone(),
            content: body.content.clone(),
            ttl: body.ttl,
            proxied: body.proxied,
            comment: body.comment.clone(),
            tags: body.tags.clone().unwrap_or_default(),
            data: body.data.clone(),
            priority: body.priority,
        }
    }

    #[test]
    fn shapes_match_the_api() {
        let srv = RData::SRV(Srv::new(10, 60, 8080, n("h1.example.com")));
        let b = body(
            &n("_http._tcp.example.com"),
            &srv,
            300,
            &RecordOptions::new(),
        )
        .unwrap();
        assert_eq!(b.name, "_http._tcp.example.com");
        assert_eq!(b.content, None);
        assert_eq!(b.proxied, None, "SRV cannot be proxied");
        assert_eq!(
            b.data,
            Some(json!({"priority": 10, "weight": 60, "port": 8080, "target": "h1.example.com"}))
        );
        let a = body(
            &n("www.example.com"),
            &RData::A("192.0.2.1".parse().unwrap()),
            120,
            &RecordOptions::new(),
        )
        .unwrap();
        assert_eq!(a.proxied, Some(false), "proxying is off unless asked for");
        assert_eq!(a.ttl, 120);
        let proxied = body(
            &n("www.example.com"),
            &RData::A("192.0.2.1".parse().unwrap()),
            120,
            &RecordOptions::new().with_proxied(true),
        )
        .unwrap();
        assert_eq!((proxied.proxied, proxied.ttl), (Some(true), 1));
        let txt = RData::TXT(Txt::new([&b"say \"hi\" \\ \x00\xff"[..], b"b"]).unwrap());
        let t = body(&n("t.example.com"), &txt, 60, &RecordOptions::new()).unwrap();
        assert_eq!(
            t.content.as_deref(),
            Some(r#""say \"hi\" \\ \000\255" "b""#)
        );
        let mx = RData::MX(Mx::new(5, n("mx.example.com")));
        let m = body(&n("example.com"), &mx, 60, &RecordOptions::new()).unwrap();
        assert_eq!(
            (m.content.as_deref(), m.priority),
            (Some("mx.example.com"), Some(5))
        );
    }

    #[test]
    fn every_modelled_value_round_trips() {
        let values = [
            RData::A("192.0.2.1".parse().unwrap()),
            RData::AAAA("2001:db8::1".parse().unwrap()),
            RData::CNAME(n("c.example.com")),
            RData::PTR(n("web._http._tcp.example.com")),
            RData::NS(n("ns1.example.net")),
            RData::MX(Mx::new(10, n("mx.example.com"))),
            RData::SRV(Srv::new(0, 5, 443, n("h.example.com"))),
            RData::CAA(Caa::new(128, "issue", "ca.example.net; x=y").unwrap()),
            RData::TXT(Txt::from_text("x".repeat(600))),
            RData::TXT(Txt::empty()),
        ];
        for v in values {
            let b = body(&n("x.example.com"), &v, 300, &RecordOptions::new()).unwrap();
            let back = record(&listed(&b)).unwrap();
            assert_eq!(back.data, v, "{v}");
            assert_eq!(back.name, n("x.example.com"));
        }
    }

    #[test]
    fn reads_what_cloudflare_and_other_tools_write() {
        let mut j = listed(
            &body(
                &n("_sip._tcp.example.com"),
                &RData::SRV(Srv::new(10, 5, 5060, n("sip.example.com"))),
                60,
                &RecordOptions::new(),
            )
            .unwrap(),
        );
        // Without data: Cloudflare's "weight port target" and a separate priority.
        j.data = None;
        j.content = Some("5 5060 sip.example.com".into());
        j.priority = Some(10);
        assert_eq!(
            record(&j).unwrap().data,
            RData::SRV(Srv::new(10, 5, 5060, n("sip.example.com")))
        );
        // Unquoted TXT from another tool is one text.
        assert_eq!(txt("v=spf1 -all"), Txt::from_text("v=spf1 -all"));
        assert_eq!(txt(r#""a" "b""#), Txt::new(["a", "b"]).unwrap());
        // A unicode name from the API becomes punycode.
        assert_eq!(
            name_from_api("bücher.example.com").unwrap(),
            n("xn--bcher-kva.example.com")
        );
        // Unknown types are kept verbatim.
        j.rtype = "SSHFP".into();
        j.content = Some("2 1 123456789abcdef67890123456789abcdef67890".into());
        let r = record(&j).unwrap();
        assert_eq!(
            r.data.to_string(),
            "2 1 123456789abcdef67890123456789abcdef67890"
        );
        assert_eq!(r.data.record_type().to_string(), "SSHFP");
    }

    #[test]
    fn refuses_what_cloudflare_cannot_store() {
        let big = RData::TXT(Txt::from_text("x".repeat(5_000)));
        assert!(matches!(
            body(&n("t.example.com"), &big, 60, &RecordOptions::new()),
            Err(Error::InvalidInput(_))
        ));
        let caa = RData::CAA(Caa::new(0, "issue", vec![0xff, 0xfe]).unwrap());
        assert!(matches!(
            body(&n("t.example.com"), &caa, 60, &RecordOptions::new()),
            Err(Error::InvalidInput(_))
        ));
    }

    proptest! {
        #[test]
        fn any_txt_round_trips(strings in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..5)) {
            let t = Txt::new(strings.iter().flat_map(|s| s.chunks(255).map(<[u8]>::to_vec).collect::<Vec<_>>().into_iter().chain(s.is_empty().then(Vec::new)))).unwrap();
            let b = body(&n("t.example.com"), &RData::TXT(t.clone()), 60, &RecordOptions::new()).unwrap();
            prop_assert_eq!(record(&listed(&b)).unwrap().data, RData::TXT(t));
        }
    }
}
