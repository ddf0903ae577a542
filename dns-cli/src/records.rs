//! `records list` and `records apply`: zone inspection and scripted,
//! reviewed changes.

use std::collections::BTreeMap;
use std::path::Path;

use dns_core::{Change, DnsProvider, Name, RData, RecordSet, RecordType, Zone};
use serde::{Deserialize, Serialize};

use crate::cli::{self, Global, RecordsCommand};
use crate::failure::{Context, Failure};
use crate::output::{self, Table};
use crate::provider::{self, Target};

/// `dnsctl records ...`.
pub(crate) async fn run(global: &Global, command: &RecordsCommand) -> Result<(), Failure> {
    let (kind, domain) = provider::require(global, "records")?;
    match command {
        RecordsCommand::List { rtype, name } => {
            let target = provider::connect(global, kind, domain).await?;
            list(global, &target, *rtype, name.as_deref()).await
        }
        RecordsCommand::Export { format } => {
            let target = provider::connect(global, kind, domain).await?;
            export(&target, *format).await
        }
        RecordsCommand::Apply { file, yes } => {
            // The file is read and checked before anything is sent.
            let changes = read_changes(file, &domain)?;
            let target = provider::connect(global, kind, domain).await?;
            // What the provider would refuse is found before any request,
            // against --zone; the hosted zone found later is checked again.
            let provisional = Zone::new("", target.domain.clone());
            target
                .provider
                .validate(&provisional, &changes)
                .map_err(|e| Failure::usage(e.to_string()))?;
            apply(global, &target, &changes, *yes).await
        }
    }
}

/// A record set as `records list --json` prints it.
#[derive(Debug, Serialize)]
struct SetJson {
    name: String,
    #[serde(rename = "type")]
    rtype: String,
    ttl: u32,
    values: Vec<String>,
}

impl From<&RecordSet> for SetJson {
    fn from(set: &RecordSet) -> Self {
        Self {
            name: set.name().to_string(),
            rtype: set.record_type().to_string(),
            ttl: set.ttl(),
            values: set.values().iter().map(ToString::to_string).collect(),
        }
    }
}

async fn zone(target: &Target) -> Result<Zone, Failure> {
    target.zone_for(&target.domain).await
}

async fn list(
    global: &Global,
    target: &Target,
    rtype: Option<RecordType>,
    below: Option<&Name>,
) -> Result<(), Failure> {
    let zone = zone(target).await?;
    let sets = target
        .provider
        .list_record_sets(&zone)
        .await
        .context(format_args!("listing {}", zone.name))?;
    let shown: Vec<&RecordSet> = sets
        .iter()
        .filter(|s| rtype.is_none_or(|t| s.record_type() == t))
        .filter(|s| below.is_none_or(|n| s.name().is_subdomain_of(n)))
        .collect();
    if global.json {
        let json: Vec<SetJson> = shown.iter().map(|s| SetJson::from(*s)).collect();
        return output::json(&json, false);
    }
    let mut table = Table::new(&["NAME", ">TTL", "TYPE", "VALUE"]);
    for set in shown {
        for value in set.values() {
            table.row(vec![
                set.name().to_string(),
                set.ttl().to_string(),
                set.record_type().to_string(),
                value.to_string(),
            ]);
        }
    }
    table.print()
}

/// `records export`: the zone as a sync file or a zone file, on stdout.
async fn export(target: &Target, format: cli::ExportFormat) -> Result<(), Failure> {
    let zone = zone(target).await?;
    let sets = target
        .provider
        .list_record_sets(&zone)
        .await
        .context(format_args!("listing {}", zone.name))?;
    let text = match format {
        cli::ExportFormat::Yaml => dns_sync::export_yaml(&zone.name, &sets).context("exporting")?,
        cli::ExportFormat::Zone => dns_sync::export_zone(&zone.name, &sets),
    };
    // Values are in presentation form, whose escapes cover control
    // characters; the text goes to a file as written.
    output::rendered(&text)
}

/// One change as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeSpec {
    action: Action,
    name: String,
    #[serde(rename = "type")]
    rtype: String,
    ttl: Option<u32>,
    #[serde(default)]
    values: Vec<String>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Action {
    Upsert,
    Delete,
    Add,
    Remove,
}

/// Reads and checks a file of changes: every name in `zone`, every value
/// valid for its type. Nothing is sent before this succeeds, and every
/// problem with the file (missing, not UTF-8, not YAML or JSON, a key given
/// twice, a field of the wrong type) is a usage error naming the line or
/// the field.
fn read_changes(path: &Path, zone: &Name) -> Result<Vec<Change>, Failure> {
    let shown = path.display();
    let bytes = if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
            .map_err(|e| Failure::usage(format!("reading changes from stdin: {e}")))?;
        bytes
    } else {
        std::fs::read(path).map_err(|e| Failure::usage(format!("reading {shown}: {e}")))?
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        Failure::usage(format!(
            "{shown}: not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let specs = parse_specs(&text).map_err(|why| Failure::usage(format!("{shown}: {why}")))?;
    specs
        .iter()
        .enumerate()
        .map(|(i, spec)| to_change(spec, zone).map_err(|why| format!("change {}: {why}", i + 1)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|why| Failure::usage(format!("{shown}: {why}")))
}

/// The changes of a file: JSON when it starts like JSON, YAML otherwise.
/// Parsed straight into [`ChangeSpec`]s (no untyped tree in between, which
/// would let a repeated key silently win), with the path of the field at
/// fault in every error (`[2].ttl`).
fn parse_specs(text: &str) -> Result<Vec<ChangeSpec>, String> {
    let parsed = if text.trim_start().starts_with(['{', '[']) {
        let mut json = serde_json::Deserializer::from_str(text);
        let document = serde_path_to_error::deserialize::<_, Document>(&mut json)
            .map_err(|e| format!("not valid JSON: {}", describe(&e)))?;
        json.end()
            .map_err(|e| format!("not valid JSON: {e}"))
            .map(|()| document)
    } else {
        let yaml = serde_yaml_ng::Deserializer::from_str(text);
        serde_path_to_error::deserialize::<_, Document>(yaml)
            .map_err(|e| format!("not valid YAML or JSON: {}", describe(&e)))
    };
    let Document(list) = parsed?;
    if list.is_empty() {
        return Err("no changes".into());
    }
    Ok(list)
}

/// `change N: field: why at line L column C`, or just the reason when the
/// document as a whole is wrong.
fn describe<E: std::fmt::Display>(e: &serde_path_to_error::Error<E>) -> String {
    use serde_path_to_error::Segment;
    let mut at: Vec<String> = Vec::new();
    for segment in e.path() {
        match segment {
            Segment::Seq { index } => at.push(format!("change {}", index + 1)),
            Segment::Map { key } if key != "changes" => at.push(key.clone()),
            Segment::Map { .. } | Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    // serde_yaml_ng puts its own path (`.[0].ttl: `) before the reason.
    let inner = e.inner().to_string();
    let reason = match inner.split_once(": ") {
        Some((path, rest)) if path.starts_with('.') && !path.contains(' ') => rest.to_owned(),
        _ => inner,
    };
    at.push(reason);
    at.join(": ")
}

/// The document: a list of changes, or an object with only a `changes`
/// list.
#[derive(Debug)]
struct Document(Vec<ChangeSpec>);

impl<'de> Deserialize<'de> for Document {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{self, MapAccess, SeqAccess, Visitor};

        struct Changes;

        impl<'de> Visitor<'de> for Changes {
            type Value = Vec<ChangeSpec>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of changes, or an object with only a \"changes\" list")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut list = Vec::new();
                while let Some(spec) = seq.next_element()? {
                    list.push(spec);
                }
                Ok(list)
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut changes = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key != "changes" {
                        return Err(de::Error::unknown_field(&key, &["changes"]));
                    }
                    if changes.is_some() {
                        return Err(de::Error::duplicate_field("changes"));
                    }
                    changes = Some(map.next_value()?);
                }
                changes.ok_or_else(|| de::Error::missing_field("changes"))
            }
        }

        deserializer.deserialize_any(Changes).map(Document)
    }
}

fn to_change(spec: &ChangeSpec, zone: &Name) -> Result<Change, String> {
    let name = if spec.name == "@" {
        zone.clone()
    } else {
        let name = Name::parse(&spec.name).map_err(|e| e.to_string())?;
        if cli::is_relative(&spec.name, &name) {
            cli::complete_name(&spec.name, &name, Some(zone))?
        } else {
            name
        }
    };
    if !name.is_subdomain_of(zone) {
        return Err(format!("{name} is outside the zone {zone}"));
    }
    let rtype: RecordType = spec
        .rtype
        .parse()
        .map_err(|e: dns_core::ParseError| e.to_string())?;
    if let Action::Delete = spec.action {
        if !spec.values.is_empty() {
            return Err(
                "delete removes the whole set: use remove to take out single values".into(),
            );
        }
        return Ok(Change::Delete { name, rtype });
    }
    if spec.values.is_empty() {
        return Err(format!("{} needs values", action_word(spec.action)));
    }
    let ttl = match (spec.ttl, spec.action) {
        (Some(ttl), _) => ttl,
        // The TTL of a removal does not matter: values are matched without it.
        (None, Action::Remove) => dns_core::ServiceInstance::DEFAULT_TTL,
        (None, _) => return Err(format!("{} needs a ttl", action_word(spec.action))),
    };
    let values = spec
        .values
        .iter()
        .map(|v| {
            RData::parse(rtype, v)
                .map_err(|e| format!("value {v:?}: {e}"))
                .and_then(|data| complete_target(data, v, zone))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let set = RecordSet::with_type(name, rtype, ttl, values).map_err(|e| e.to_string())?;
    Ok(match spec.action {
        Action::Upsert => Change::Upsert(set),
        Action::Add => Change::Add(set),
        Action::Remove => Change::Remove(set),
        Action::Delete => unreachable!("handled above"),
    })
}

/// A value's target name follows the rule of every name dnsctl reads
/// ([`cli::CliName`]): `0 0 80 host9` points at `host9.` under the zone.
fn complete_target(data: RData, text: &str, zone: &Name) -> Result<RData, String> {
    let Some(target) = data.target_name() else {
        return Ok(data);
    };
    let written = text.split_ascii_whitespace().last().unwrap_or_default();
    if !cli::is_relative(written, target) {
        return Ok(data);
    }
    let full = cli::complete_name(written, target, Some(zone))?;
    Ok(match data {
        RData::SRV(mut srv) => {
            srv.target = full;
            RData::SRV(srv)
        }
        RData::MX(mut mx) => {
            mx.exchange = full;
            RData::MX(mx)
        }
        RData::CNAME(_) => RData::CNAME(full),
        RData::NS(_) => RData::NS(full),
        RData::PTR(_) => RData::PTR(full),
        other => other,
    })
}

fn action_word(action: Action) -> &'static str {
    match action {
        Action::Upsert => "upsert",
        Action::Delete => "delete",
        Action::Add => "add",
        Action::Remove => "remove",
    }
}

/// One step of the plan: the change and the set before and after it.
#[derive(Debug, Serialize)]
struct Step {
    change: String,
    before: Option<SetJson>,
    after: Option<SetJson>,
}

async fn apply(
    global: &Global,
    target: &Target,
    changes: &[Change],
    yes: bool,
) -> Result<(), Failure> {
    let zone = zone(target).await?;
    target
        .provider
        .validate(&zone, changes)
        .map_err(|e| Failure::usage(e.to_string()))?;
    let current = target
        .provider
        .list_record_sets(&zone)
        .await
        .context(format_args!("listing {}", zone.name))?;
    let steps = plan(&current, changes);
    let mut applied = false;
    let mut requests = 0;
    if yes {
        // The provider retries what can be retried: no second layer here.
        let report = match target.provider.apply(&zone, changes).await {
            Ok(report) => report,
            Err(e) => {
                // A split apply that failed part-way: say exactly which
                // changes took effect, numbered as in the file.
                let partial = e
                    .applied()
                    .map(|done| format!(" ({})", partial_note(done, changes.len())))
                    .unwrap_or_default();
                return Err(e).context(format_args!(
                    "applying {} change(s) to {}{partial}",
                    changes.len(),
                    zone.name
                ));
            }
        };
        applied = true;
        requests = report.requests;
    }
    if global.json {
        #[derive(Serialize)]
        struct Plan<'a> {
            zone: String,
            steps: &'a [Step],
            applied: bool,
        }
        return output::json(
            &Plan {
                zone: zone.name.to_string(),
                steps: &steps,
                applied,
            },
            false,
        );
    }
    for step in &steps {
        output::line(&step.change)?;
        let before: &[String] = step.before.as_ref().map_or(&[], |s| &s.values);
        let after: &[String] = step.after.as_ref().map_or(&[], |s| &s.values);
        for v in before.iter().filter(|v| !after.contains(v)) {
            output::line(&format!("  - {v}"))?;
        }
        for v in after {
            let mark = if before.contains(v) { ' ' } else { '+' };
            output::line(&format!("  {mark} {v}"))?;
        }
    }
    if applied {
        output::line(&format!(
            "applied {} change(s) in {requests} request(s)",
            changes.len()
        ))
    } else {
        output::line("dry run: nothing was changed; run again with --yes to apply")
    }
}

/// What each change will do, applied in order to a copy of the zone.
fn plan(current: &[RecordSet], changes: &[Change]) -> Vec<Step> {
    let mut zone: BTreeMap<(Name, RecordType), RecordSet> = current
        .iter()
        .map(|s| ((s.name().to_lowercase(), s.record_type()), s.clone()))
        .collect();
    changes
        .iter()
        .map(|change| {
            let key = (change.name().to_lowercase(), change.record_type());
            let before = zone.get(&key).cloned();
            let after = match change {
                Change::Upsert(set) => Some(set.clone()),
                Change::Delete { .. } => None,
                Change::Add(set) => Some(match &before {
                    Some(b) => b.union(set.values(), set.ttl()),
                    None => set.clone(),
                }),
                Change::Remove(set) => before.as_ref().and_then(|b| b.difference(set.values())),
                _ => before.clone(),
            };
            match &after {
                Some(set) => zone.insert(key, set.clone()),
                None => zone.remove(&key),
            };
            Step {
                change: change.to_string(),
                before: before.as_ref().map(SetJson::from),
                after: after.as_ref().map(SetJson::from),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn zone() -> Name {
        Name::parse("example.com").unwrap()
    }

    fn parse(text: &str) -> Result<Vec<Change>, String> {
        parse_specs(text)?
            .iter()
            .map(|spec| to_change(spec, &zone()))
            .collect()
    }

    #[test]
    fn files_read_every_action() {
        let changes = parse(
            "changes:\n\
             - {action: add, name: www.example.com, type: A, ttl: 120, values: [192.0.2.1]}\n\
             - {action: remove, name: www.example.com, type: A, values: [192.0.2.2]}\n\
             - {action: upsert, name: '@', type: TXT, ttl: 60, values: ['\"a=b\" \"c\"']}\n\
             - {action: delete, name: old.example.com, type: CNAME}\n",
        )
        .unwrap();
        let shown: Vec<String> = changes.iter().map(ToString::to_string).collect();
        assert_eq!(shown[0], "ADD www.example.com. A [192.0.2.1]");
        assert_eq!(shown[1], "REMOVE www.example.com. A [192.0.2.2]");
        assert_eq!(shown[2], "UPSERT example.com. TXT [\"a=b\" \"c\"]");
        assert_eq!(shown[3], "DELETE old.example.com. CNAME");
    }

    #[test]
    fn bad_changes_are_refused_with_the_reason() {
        let one = |yaml: &str| parse(yaml).unwrap_err();
        assert!(
            one("- {action: add, name: www.other.org, type: A, ttl: 60, values: [192.0.2.1]}")
                .contains("outside the zone")
        );
        assert!(
            one("- {action: add, name: www.example.com, type: A, values: [192.0.2.1]}")
                .contains("needs a ttl")
        );
        assert!(
            one("- {action: add, name: www.example.com, type: A, ttl: 60, values: [not-an-ip]}")
                .contains("not-an-ip")
        );
        assert!(
            one("- {action: delete, name: www.example.com, type: A, values: [192.0.2.1]}")
                .contains("remove")
        );
        assert!(
            one("- {action: add, name: www.example.com, type: A, ttl: 60}")
                .contains("needs values")
        );
        assert!(one("- {action: replace, name: www.example.com, type: A}").contains("replace"));
        assert!(one("- {action: add, name: www.example.com, type: A, ttl: 60, values: [192.0.2.1], extra: 1}").contains("extra"));
    }

    proptest::proptest! {
        /// No file makes the reader panic: it yields changes or a reason.
        #[test]
        fn change_files_never_panic(text in ".{0,200}|[-:{}\\[\\], a-z0-9\n\"']{0,200}") {
            let _ = parse(&text);
        }

        #[test]
        fn change_file_fields_never_panic(
            action in "[a-z]{0,8}", name in ".{0,30}", rtype in "[A-Z]{0,6}",
            ttl in proptest::prelude::any::<i64>(), value in ".{0,40}",
        ) {
            let doc = serde_json::json!([{
                "action": action, "name": name, "type": rtype, "ttl": ttl, "values": [value]
            }]);
            let _ = parse(&doc.to_string());
        }
    }

    #[test]
    fn repeated_keys_are_refused_with_their_line() {
        let e = parse("- {action: add, name: www.example.com, type: A, ttl: 60, values: [192.0.2.1]}\n- {action: add, action: remove, name: www.example.com, type: A, ttl: 60, values: [192.0.2.1]}").unwrap_err();
        assert!(
            e.contains("change 2")
                && e.contains("duplicate field `action`")
                && e.contains("line 2"),
            "{e}"
        );
        let e = parse(r#"{"changes": [], "changes": []}"#).unwrap_err();
        assert!(e.contains("duplicate field `changes`"), "{e}");
        let e =
            parse("- {action: add, name: www.example.com, type: A, ttl: -1, values: [192.0.2.1]}")
                .unwrap_err();
        assert!(e.contains("change 1: ttl:") && e.contains("-1"), "{e}");
    }

    #[test]
    fn names_without_a_domain_are_in_the_zone() {
        let c = parse(
            "- {action: add, name: www, type: CNAME, ttl: 60, values: [web]}\n- {action: add, name: other.org., type: A, ttl: 60, values: [192.0.2.1]}",
        );
        assert!(
            c.as_ref().unwrap_err().contains("outside the zone"),
            "{c:?}"
        );
        let c = parse("- {action: add, name: www, type: CNAME, ttl: 60, values: [web]}\n- {action: add, name: _x._tcp, type: SRV, ttl: 60, values: ['0 0 80 host9', '0 0 81 host9.example.org']}").unwrap();
        assert_eq!(
            c[0].to_string(),
            "ADD www.example.com. CNAME [web.example.com.]"
        );
        assert_eq!(
            c[1].to_string(),
            "ADD _x._tcp.example.com. SRV [0 0 80 host9.example.com., 0 0 81 host9.example.org.]"
        );
    }

    #[test]
    fn the_plan_follows_changes_in_order() {
        let www = Name::parse("www.example.com").unwrap();
        let a = |s: &str| RData::A(s.parse().unwrap());
        let current = [RecordSet::new(www.clone(), 120, [a("192.0.2.1"), a("192.0.2.2")]).unwrap()];
        let changes = [
            Change::Add(RecordSet::new(www.clone(), 120, [a("192.0.2.3")]).unwrap()),
            Change::Remove(RecordSet::new(www.clone(), 120, [a("192.0.2.1")]).unwrap()),
            Change::Delete {
                name: www,
                rtype: RecordType::A,
            },
        ];
        let steps = plan(&current, &changes);
        assert_eq!(
            steps[0].after.as_ref().unwrap().values,
            ["192.0.2.1", "192.0.2.2", "192.0.2.3"]
        );
        assert_eq!(
            steps[1].after.as_ref().unwrap().values,
            ["192.0.2.2", "192.0.2.3"]
        );
        assert_eq!(steps[2].before.as_ref().unwrap().values.len(), 2);
        assert!(steps[2].after.is_none());
    }
}

/// What a part-way failure of `records apply` tells the operator: the
/// changes that took effect, as 1-based ranges in file order.
fn partial_note(done: &[usize], total: usize) -> String {
    let mut ranges: Vec<String> = Vec::new();
    let mut sorted = done.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        ranges.push(if start == end {
            format!("{}", start + 1)
        } else {
            format!("{}-{}", start + 1, end + 1)
        });
        i += 1;
    }
    let applied = if ranges.is_empty() {
        "none".to_owned()
    } else {
        ranges.join(", ")
    };
    format!(
        "applied before the failure: changes {applied} of {total}, numbered as in the file; \
         the others were not applied, and applying the file again completes it"
    )
}

#[cfg(test)]
mod partial_tests {
    use super::partial_note;

    #[test]
    fn applied_changes_are_listed_as_ranges_in_file_order() {
        let note = partial_note(&(0..1000).collect::<Vec<_>>(), 1501);
        assert!(note.contains("changes 1-1000 of 1501"), "{note}");
        let note = partial_note(&[4, 0, 1, 2, 7], 9);
        assert!(note.contains("changes 1-3, 5, 8 of 9"), "{note}");
        assert!(partial_note(&[], 3).contains("changes none of 3"));
    }
}
