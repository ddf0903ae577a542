//! `browse`, `resolve`, `discover` and `watch`: DNS-SD lookups with tables
//! for people and JSON for programs.

use std::collections::BTreeMap;

use dns_core::{Label, Name, ServiceType, TxtProperties, TxtValue};
use dns_sd_client::{
    Discovery, DnsSdClient, ResolvedInstance, ResolvedTarget, WatchEvent, WatchOptions,
};
use futures::StreamExt;
use serde::Serialize;
use serde::ser::Serializer;

use crate::cli::{Global, InstanceArg, ServiceArg, ServiceName, WatchArgs};
use crate::failure::{Context, Failure};
use crate::output::{self, Table};

/// The resolver `--server` and `--timeout` describe.
pub(crate) fn client(global: &Global) -> Result<DnsSdClient, Failure> {
    DnsSdClient::builder()
        .with_name_servers(global.servers.iter().copied())
        .with_timeout(global.timeout)
        .with_attempts(2)
        .build()
        .context("setting up the resolver")
}

/// An instance as `--json` shows it.
#[derive(Debug, Serialize)]
pub(crate) struct InstanceJson {
    name: String,
    instance: String,
    targets: Vec<TargetJson>,
    txt: TxtJson,
}

/// A target with its addresses.
#[derive(Debug, Serialize)]
pub(crate) struct TargetJson {
    pub(crate) priority: u16,
    pub(crate) weight: u16,
    pub(crate) port: u16,
    pub(crate) target: String,
    pub(crate) addresses: Vec<String>,
}

impl From<&ResolvedTarget> for TargetJson {
    fn from(t: &ResolvedTarget) -> Self {
        Self {
            priority: t.priority(),
            weight: t.weight(),
            port: t.port(),
            target: t.host().to_string(),
            addresses: t.addresses.iter().map(ToString::to_string).collect(),
        }
    }
}

/// TXT properties as a JSON object in their published order: values as
/// strings, flags (keys without `=`) as `true`.
#[derive(Debug)]
pub(crate) struct TxtJson(Vec<(String, Option<String>)>);

impl Serialize for TxtJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(untagged)]
        enum Value<'a> {
            Text(&'a str),
            Flag(bool),
        }
        serializer.collect_map(
            self.0
                .iter()
                .map(|(k, v)| (k, v.as_deref().map_or(Value::Flag(true), Value::Text))),
        )
    }
}

impl TxtJson {
    fn new(txt: &TxtProperties, instance: &Name) -> Self {
        Self(
            txt.iter()
                .map(|(key, value)| {
                    let value = match value {
                        TxtValue::Flag => None,
                        TxtValue::Bytes(bytes) => Some(match std::str::from_utf8(bytes) {
                            Ok(text) => text.to_owned(),
                            Err(_) => {
                                output::warn(&format!(
                                    "{instance}: TXT value of {key:?} is not UTF-8; shown with replacement characters"
                                ));
                                String::from_utf8_lossy(bytes).into_owned()
                            }
                        }),
                    };
                    (key.to_owned(), value)
                })
                .collect(),
        )
    }

    /// `key=value flag` as a table cell.
    fn cell(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| match v {
                Some(v) => format!("{k}={v}"),
                None => k.clone(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The instance label as written (unescaped), or the whole name when the
/// name is not an instance name.
pub(crate) fn label(instance: &ResolvedInstance) -> String {
    instance
        .instance_label()
        .map_or_else(|| instance.name.to_string(), raw_label)
}

/// A label's text as its owner wrote it ("API v1.2"); presentation form
/// with escapes only when it is not UTF-8.
pub(crate) fn raw_label(label: &Label) -> String {
    label
        .as_str()
        .map_or_else(|| label.to_string(), str::to_owned)
}

impl From<&ResolvedInstance> for InstanceJson {
    fn from(i: &ResolvedInstance) -> Self {
        Self {
            name: i.name.to_string(),
            instance: label(i),
            targets: i.targets.iter().map(TargetJson::from).collect(),
            txt: TxtJson::new(&i.txt, &i.name),
        }
    }
}

fn instances_table(instances: &[&ResolvedInstance]) -> Table {
    let mut table = Table::new(&[
        "INSTANCE",
        "TARGET",
        ">PORT",
        ">PRIO",
        ">WEIGHT",
        "ADDRESSES",
        "TXT",
    ]);
    for instance in instances {
        let txt = TxtJson::new(&instance.txt, &instance.name).cell();
        if instance.targets.is_empty() {
            table.row(vec![
                label(instance),
                "-".into(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                txt.clone(),
            ]);
        }
        // Priority order, heavier first: the order a reader compares them in.
        let mut targets: Vec<&ResolvedTarget> = instance.targets.iter().collect();
        targets.sort_by(|a, b| {
            (a.priority(), std::cmp::Reverse(a.weight()), a.host()).cmp(&(
                b.priority(),
                std::cmp::Reverse(b.weight()),
                b.host(),
            ))
        });
        for t in targets {
            let addresses: Vec<String> = t.addresses.iter().map(ToString::to_string).collect();
            table.row(vec![
                label(instance),
                t.host().to_string(),
                t.port().to_string(),
                t.priority().to_string(),
                t.weight().to_string(),
                if addresses.is_empty() {
                    "-".into()
                } else {
                    addresses.join(",")
                },
                txt.clone(),
            ]);
        }
    }
    table
}

/// Looks up every instance; lookups that failed are reported on stderr and
/// make the command fail after printing what was found.
pub(crate) async fn discover_service(
    client: &DnsSdClient,
    service: &ServiceName,
) -> Result<Discovery, Failure> {
    let name = service_name(&service.service, &service.domain)?;
    client
        .discover(&service.service, &service.domain)
        .await
        .context(format_args!("discovering {name}"))
}

pub(crate) fn service_name(service: &ServiceType, domain: &Name) -> Result<Name, Failure> {
    service
        .name_in(domain)
        .map_err(|e| Failure::usage(format!("{service} in {domain}: {e}")))
}

/// Warnings for the parts of a discovery that are missing; an error when
/// some lookups failed (the result is incomplete).
pub(crate) fn incomplete(found: &Discovery) -> Option<Failure> {
    for name in &found.missing {
        output::warn(&format!(
            "{name} is listed but has no SRV records (a stale PTR?)"
        ));
    }
    if found.failures.is_empty() {
        return None;
    }
    for f in &found.failures {
        output::warn(&format!(
            "{} {} lookup failed: {}",
            f.name, f.record_type, f.error
        ));
    }
    Some(Failure::failed(format!(
        "discovering {}: {} lookup(s) failed, the result above is incomplete",
        found.service,
        found.failures.len()
    )))
}

/// `dnsctl browse`.
pub(crate) async fn browse(global: &Global, args: &ServiceArg) -> Result<(), Failure> {
    let client = client(global)?;
    let service = &args.service;
    let name = service_name(&service.service, &service.domain)?;
    let names = client
        .browse(&service.service, &service.domain)
        .await
        .context(format_args!("browsing {name}"))?;
    #[derive(Serialize)]
    struct Listed {
        name: String,
        instance: String,
    }
    let listed: Vec<Listed> = names
        .iter()
        .map(|n| Listed {
            name: n.to_string(),
            instance: n.labels().first().map(raw_label).unwrap_or_default(),
        })
        .collect();
    if global.json {
        #[derive(Serialize)]
        struct Browse<'a> {
            service: String,
            instances: &'a [Listed],
        }
        return output::json(
            &Browse {
                service: name.to_string(),
                instances: &listed,
            },
            false,
        );
    }
    let mut table = Table::new(&["INSTANCE", "NAME"]);
    for l in listed {
        table.row(vec![l.instance, l.name]);
    }
    table.print()
}

/// `dnsctl resolve`.
pub(crate) async fn resolve(global: &Global, args: &InstanceArg) -> Result<(), Failure> {
    let client = client(global)?;
    let instance = client
        .resolve(&args.instance)
        .await
        .context(format_args!("resolving {}", args.instance))?;
    if global.json {
        return output::json(&InstanceJson::from(&instance), false);
    }
    instances_table(&[&instance]).print()
}

/// `dnsctl discover`.
pub(crate) async fn discover(global: &Global, args: &ServiceArg) -> Result<(), Failure> {
    let client = client(global)?;
    let found = discover_service(&client, &args.service).await?;
    if global.json {
        #[derive(Serialize)]
        struct Discover {
            service: String,
            instances: Vec<InstanceJson>,
        }
        output::json(
            &Discover {
                service: found.service.to_string(),
                instances: found.instances.iter().map(InstanceJson::from).collect(),
            },
            false,
        )?;
    } else {
        let all: Vec<&ResolvedInstance> = found.instances.iter().collect();
        let table = instances_table(&all);
        if table.is_empty() {
            output::line(&format!("no instances of {}", found.service))?;
        } else {
            table.print()?;
        }
    }
    incomplete(&found).map_or(Ok(()), Err)
}

/// `dnsctl watch`: one line (or JSON object) per event until `--events`.
pub(crate) async fn watch(global: &Global, args: &WatchArgs) -> Result<(), Failure> {
    let client = client(global)?;
    let service = &args.service.service;
    let name = service_name(&service.service, &service.domain)?;
    let options = WatchOptions::default()
        .with_min_interval(args.min_interval)
        .with_max_interval(args.max_interval.max(args.min_interval));
    let stream = client
        .watch_with(&service.service, &service.domain, options)
        .context(format_args!("watching {name}"))?;
    let mut stream = std::pin::pin!(stream);
    let mut seen = 0u64;
    while args.events.is_none_or(|max| seen < max) {
        let Some(event) = stream.next().await else {
            break;
        };
        let (kind, instance) = match event {
            Ok(WatchEvent::Added(i)) => ("added", i),
            Ok(WatchEvent::Changed(i)) => ("changed", i),
            Ok(WatchEvent::Removed(i)) => ("removed", i),
            Ok(_) => continue,
            Err(e) => {
                output::warn(&format!("watching {name}: {e} (will retry)"));
                continue;
            }
        };
        seen += 1;
        if global.json {
            #[derive(Serialize)]
            struct Event {
                event: &'static str,
                instance: InstanceJson,
            }
            output::json(
                &Event {
                    event: kind,
                    instance: InstanceJson::from(&instance),
                },
                true,
            )?;
        } else {
            let targets: Vec<String> = instance
                .targets
                .iter()
                .map(|t| format!("{}:{}", t.host(), t.port()))
                .collect();
            output::line(&format!(
                "{kind:<8} {}  {}",
                instance.name,
                targets.join(" ")
            ))?;
        }
    }
    Ok(())
}

/// Every address of every target, by host name (for `hosts`).
pub(crate) fn addresses_by_host(found: &Discovery) -> BTreeMap<Name, Vec<std::net::IpAddr>> {
    let mut hosts: BTreeMap<Name, Vec<std::net::IpAddr>> = BTreeMap::new();
    for t in found.instances.iter().flat_map(|i| &i.targets) {
        let list = hosts.entry(t.host().clone()).or_default();
        for ip in &t.addresses {
            if !list.contains(ip) {
                list.push(*ip);
            }
        }
    }
    hosts
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn txt_flags_are_true_and_values_strings_in_order() {
        let txt = TxtProperties::new()
            .with("path", "/v1")
            .unwrap()
            .with_flag("tls")
            .unwrap()
            .with("a", "")
            .unwrap();
        let json = serde_json::to_string(&TxtJson::new(&txt, &Name::root())).unwrap();
        assert_eq!(json, r#"{"path":"/v1","tls":true,"a":""}"#);
    }
}
