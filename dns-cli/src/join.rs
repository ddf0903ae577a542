//! `join` and `leave`: what the classic boot and shutdown scripts did, as
//! idempotent registry calls that never touch another host's records.

use std::net::IpAddr;

use dns_core::{
    Change, DnsProviderExt, Name, RData, RecordSet, RecordType, RetryPolicy, ServiceInstance,
    ServiceRegistry, Target as SrvTarget, TxtProperties, Zone,
};
use serde::Serialize;

use crate::address;
use crate::cli::{Global, JoinArgs};
use crate::failure::{Context, Failure};
use crate::output;
use crate::provider::{self, Target};

/// What one host publishes: its service instance and/or its address in a
/// round-robin set, resolved before any request is sent.
#[derive(Debug)]
struct Publication {
    instance: Option<ServiceInstance>,
    /// Leave without `--port`: this host's target with the port still to be
    /// read from the zone (the instance has no target yet).
    port_unknown: Option<SrvTarget>,
    /// Leave: no SRV value of this host was found (a repeated leave); the
    /// report then lists no target.
    nothing_registered: bool,
    round_robin: Option<RecordSet>,
    round_robin_v6: Option<RecordSet>,
}

/// `join`, `join --until-signal` and `leave`.
pub(crate) async fn run(global: &Global, args: &JoinArgs, leaving: bool) -> Result<(), Failure> {
    let command = if leaving { "leave" } else { "join" };
    let (kind, domain) = provider::require(global, command)?;
    check_args(args, leaving)?;
    let txt = txt_properties(&args.txt)?;
    let target = provider::connect(global, kind, domain).await?;
    // Signals are caught before joining, so that a SIGTERM arriving while
    // the join is under way still leads to a leave.
    let signals = if args.until_signal {
        Some(Signals::new()?)
    } else {
        None
    };
    let addresses = address::resolve_all(&args.addresses).await?;
    let mut publication = publication(&target.domain, args, &addresses, txt, leaving)?;
    publication.validate(&target, command)?;
    let registry = ServiceRegistry::new(target.provider.clone());
    if leaving {
        return leave(global, &target, &registry, publication).await;
    }
    join(global, &target, &registry, &mut publication).await?;
    let Some(mut signals) = signals else {
        return Ok(());
    };
    let waiting = format!(
        "joined; leaving on SIGTERM or SIGINT (pid {})",
        std::process::id()
    );
    // With --json, stdout carries only the JSON documents.
    if global.json {
        output::note(&waiting);
    } else {
        output::line(&waiting)?;
    }
    let signal = signals.wait().await;
    tracing::info!(signal, "leaving");
    leave(global, &target, &registry, publication).await
}

fn check_args(args: &JoinArgs, leaving: bool) -> Result<(), Failure> {
    let command = if leaving { "leave" } else { "join" };
    if args.service.is_none() && args.a_record.is_none() {
        return Err(Failure::usage(format!(
            "{command} needs --service (a service instance) and/or --a-record (a round-robin address set)"
        )));
    }
    if leaving && args.until_signal {
        return Err(Failure::usage("--until-signal belongs to join"));
    }
    if args.service.is_some() {
        if !leaving && args.port.is_none() {
            return Err(Failure::usage("join --service needs --port"));
        }
        if args.host.is_none() && args.addresses.is_empty() {
            return Err(Failure::usage(
                "--service needs --host or --address to name the SRV target",
            ));
        }
    } else if args.port.is_some()
        || args.instance.is_some()
        || !args.txt.is_empty()
        || args.host.is_some()
        || !args.subtypes.is_empty()
    {
        return Err(Failure::usage(
            "--port, --instance, --txt, --host and --subtype describe a service instance: add --service",
        ));
    }
    if args.a_record.is_some() && args.addresses.is_empty() {
        return Err(Failure::usage("--a-record needs --address"));
    }
    Ok(())
}

/// `key=value` or `key` (a boolean flag), as RFC 6763 section 6.4 has them.
fn txt_properties(items: &[String]) -> Result<TxtProperties, Failure> {
    let mut txt = TxtProperties::new();
    for item in items {
        let done = match item.split_once('=') {
            Some((key, value)) => txt.insert(key, value).map(|_| ()),
            None => txt.insert_flag(item).map(|_| ()),
        };
        done.map_err(|e| Failure::usage(format!("--txt {item:?}: {e}")))?;
    }
    Ok(txt)
}

fn publication(
    domain: &Name,
    args: &JoinArgs,
    addresses: &[IpAddr],
    txt: TxtProperties,
    leaving: bool,
) -> Result<Publication, Failure> {
    let mut port_unknown = None;
    let instance = match &args.service {
        None => None,
        Some(service) => {
            let host = match (&args.host, addresses.first()) {
                (Some(host), _) => host.clone(),
                (None, Some(ip)) => address::host_name_for(*ip, domain)?,
                (None, None) => return Err(Failure::usage("--service needs --host or --address")),
            };
            let label = match &args.instance {
                Some(label) => label.clone(),
                None => host
                    .labels()
                    .first()
                    .cloned()
                    .ok_or_else(|| Failure::usage("--host must not be the root"))?,
            };
            let mut srv = SrvTarget::new(host, args.port.unwrap_or(0))
                .with_priority(args.priority)
                .with_weight(args.weight);
            for ip in addresses {
                srv = srv.with_address(*ip);
            }
            let mut instance = ServiceInstance::from_label(label, service.clone(), domain.clone())
                .map_err(|e| Failure::usage(format!("instance name: {e}")))?
                .with_txt(txt)
                .with_ttl(args.ttl);
            for subtype in &args.subtypes {
                instance = instance.with_subtype(subtype.clone());
            }
            if leaving && args.port.is_none() {
                port_unknown = Some(srv);
            } else {
                instance = instance.with_target(srv);
            }
            Some(instance)
        }
    };
    let set = |v6: bool| -> Result<Option<RecordSet>, Failure> {
        let Some(name) = &args.a_record else {
            return Ok(None);
        };
        let values: Vec<RData> = addresses
            .iter()
            .filter(|ip| ip.is_ipv6() == v6)
            .map(|ip| match ip {
                IpAddr::V4(v4) => RData::A(*v4),
                IpAddr::V6(v6) => RData::AAAA(*v6),
            })
            .collect();
        if values.is_empty() {
            return Ok(None);
        }
        RecordSet::new(name.clone(), args.ttl, values)
            .map(Some)
            .map_err(|e| Failure::usage(format!("--a-record {name}: {e}")))
    };
    Ok(Publication {
        instance,
        port_unknown,
        nothing_registered: false,
        round_robin: set(false)?,
        round_robin_v6: set(true)?,
    })
}

/// What `join`/`leave` print with `--json`.
#[derive(Debug, Serialize)]
struct Done<'a> {
    action: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    instance: Option<String>,
    targets: Vec<TargetJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    a_record: Option<String>,
    addresses: Vec<String>,
    /// For leave: whether the instance itself went (this was its last target).
    #[serde(skip_serializing_if = "Option::is_none")]
    instance_removed: Option<bool>,
}

#[derive(Debug, Serialize)]
struct TargetJson {
    target: String,
    port: u16,
    priority: u16,
    weight: u16,
}

impl Publication {
    /// Refuses what the provider could not store (TTL, names, values)
    /// before any request: the zone is not looked up yet, so names are
    /// checked against `--zone` and those outside it are left to `apply`.
    fn validate(&self, target: &Target, command: &str) -> Result<(), Failure> {
        let provisional = Zone::new("", target.domain.clone());
        let changes: Vec<Change> = self
            .instance
            .iter()
            .flat_map(|i| i.records().all())
            .chain(self.round_robin_sets().cloned())
            .filter(|set| set.name().is_subdomain_of(&target.domain))
            .map(Change::Add)
            .collect();
        target
            .provider
            .validate(&provisional, &changes)
            .map_err(|e| Failure::usage(format!("{command}: {e}")))
    }

    fn round_robin_sets(&self) -> impl Iterator<Item = &RecordSet> {
        self.round_robin.iter().chain(&self.round_robin_v6)
    }

    fn report(&self, action: &str, instance_removed: Option<bool>) -> Done<'_> {
        let targets = self
            .instance
            .iter()
            .filter(|_| !self.nothing_registered)
            .flat_map(|i| i.targets());
        Done {
            action: if action == "join" { "joined" } else { "left" },
            instance: self.instance.as_ref().map(|i| i.name().to_string()),
            targets: targets
                .clone()
                .map(|t| TargetJson {
                    target: t.host.to_string(),
                    port: t.port,
                    priority: t.priority,
                    weight: t.weight,
                })
                .collect(),
            a_record: self.round_robin_sets().next().map(|s| s.name().to_string()),
            addresses: targets
                .flat_map(|t| &t.addresses)
                .map(ToString::to_string)
                .chain(
                    self.round_robin_sets()
                        .flat_map(|s| s.values())
                        .map(ToString::to_string),
                )
                .fold(Vec::new(), |mut all, a| {
                    if !all.contains(&a) {
                        all.push(a);
                    }
                    all
                }),
            instance_removed,
        }
    }
}

async fn join(
    global: &Global,
    target: &Target,
    registry: &ServiceRegistry,
    publication: &mut Publication,
) -> Result<(), Failure> {
    if let Some(instance) = publication.instance.take() {
        let instance = keep_published_txt(target, instance).await?;
        publication.instance = Some(instance.clone());
        registry.register(&instance).await.context(format_args!(
            "join {} on {}",
            instance.name(),
            target.provider.provider_name()
        ))?;
    }
    for set in publication.round_robin_sets() {
        apply_one(target, Change::Add(set.clone()), "join").await?;
    }
    print(global, &publication.report("join", None))
}

async fn leave(
    global: &Global,
    target: &Target,
    registry: &ServiceRegistry,
    mut publication: Publication,
) -> Result<(), Failure> {
    let mut removed = None;
    if let Some(instance) = publication.instance.take() {
        let (instance, found) =
            complete_for_leave(target, instance, publication.port_unknown.take()).await?;
        publication.nothing_registered = !found;
        let report = registry.deregister(&instance).await.context(format_args!(
            "leave {} on {}",
            instance.name(),
            target.provider.provider_name()
        ))?;
        removed = Some(report.instance_removed);
        publication.instance = Some(instance);
    }
    for set in publication.round_robin_sets() {
        apply_one(target, Change::Remove(set.clone()), "leave").await?;
    }
    print(global, &publication.report("leave", removed))
}

/// Fills in what a shutdown script may not know, from one listing of the
/// zone: this host's targets as published (ports, priority, weight; all of
/// them when `--port` was not given), the TXT the instance carries (so a
/// provider without preconditions removes exactly it), and whether another
/// service still points at this host (then its addresses stay).
async fn complete_for_leave(
    target: &Target,
    instance: ServiceInstance,
    port_unknown: Option<SrvTarget>,
) -> Result<(ServiceInstance, bool), Failure> {
    let zone = target.zone_for(instance.name()).await?;
    let sets = target
        .provider
        .list_record_sets(&zone)
        .await
        .context(format_args!("listing {}", zone.name))?;
    let name = instance.name();
    let template = port_unknown
        .clone()
        .or_else(|| instance.targets().first().cloned());
    let Some(mut template) = template else {
        return Ok((instance, false));
    };
    let published: Vec<&dns_core::Srv> = sets
        .iter()
        .filter(|s| s.name() == name)
        .flat_map(|s| s.values())
        .filter_map(|v| match v {
            RData::SRV(srv) if srv.target == template.host => Some(srv),
            _ => None,
        })
        .filter(|srv| port_unknown.is_some() || srv.port == template.port)
        .collect();
    let used_elsewhere = sets
        .iter()
        .filter(|s| s.name() != name)
        .flat_map(|s| s.values().iter().map(move |v| (s.name(), v)))
        .find_map(|(owner, v)| match v {
            RData::SRV(srv) if srv.target == template.host => Some(owner.clone()),
            _ => None,
        });
    if let Some(owner) = used_elsewhere
        && !template.addresses.is_empty()
    {
        output::note(&format!(
            "keeping the addresses of {}: {owner} still points at it",
            template.host
        ));
        template.addresses.clear();
    }
    // A target that matches no SRV value (a second leave, or a join that
    // stopped half-way) still withdraws the host's addresses.
    let mut out = instance.clone();
    let found = !published.is_empty();
    if !found {
        out = out.with_target(template.clone());
    }
    for srv in published {
        let mut t = template.clone();
        t.port = srv.port;
        t.priority = srv.priority;
        t.weight = srv.weight;
        out = out.with_target(t);
    }
    if instance.txt().is_empty()
        && let Some(txt) = single_txt(&sets, name)
    {
        out = out.with_txt(txt);
    }
    Ok((out, found))
}
/// The instance's TXT as properties, when it is one record that reads back
/// exactly (so writing or removing it changes nothing else).
fn single_txt(sets: &[RecordSet], name: &Name) -> Option<TxtProperties> {
    let set = sets
        .iter()
        .find(|s| s.name() == name && s.record_type() == RecordType::TXT)?;
    let [RData::TXT(txt)] = set.values() else {
        return None;
    };
    let props = TxtProperties::from_txt(txt);
    (props.to_txt() == *txt).then_some(props)
}

/// A join without `--txt` keeps the TXT the instance already has: another
/// host of the instance published it, and an empty one would replace it.
async fn keep_published_txt(
    target: &Target,
    instance: ServiceInstance,
) -> Result<ServiceInstance, Failure> {
    if !instance.txt().is_empty() {
        return Ok(instance);
    }
    let zone = target.zone_for(instance.name()).await?;
    let set = target
        .provider
        .get_record_set(&zone, instance.name(), RecordType::TXT)
        .await
        .context(format_args!("reading {} TXT", instance.name()))?;
    Ok(
        match set.and_then(|s| single_txt(std::slice::from_ref(&s), instance.name())) {
            Some(txt) => instance.with_txt(txt),
            None => instance,
        },
    )
}

async fn apply_one(target: &Target, change: Change, command: &str) -> Result<(), Failure> {
    let zone = target.zone_for(change.name()).await?;
    #[allow(deprecated)] // join/leave are being rewritten without this (issue 13)
    target
        .provider
        .apply_with_retry(
            &zone,
            std::slice::from_ref(&change),
            &RetryPolicy::default(),
        )
        .await
        .context(format_args!(
            "{command} {} {} on {}",
            change.name(),
            change.record_type(),
            target.provider.provider_name()
        ))?;
    Ok(())
}

fn print(global: &Global, done: &Done<'_>) -> Result<(), Failure> {
    if global.json {
        return output::json(done, false);
    }
    let mut what = Vec::new();
    if let Some(instance) = &done.instance {
        let targets: Vec<String> = done
            .targets
            .iter()
            .map(|t| format!("{}:{}", t.target, t.port))
            .collect();
        if targets.is_empty() {
            what.push(format!(
                "{instance} (no target of this host was registered)"
            ));
        } else {
            what.push(format!("{instance} (target {})", targets.join(", ")));
        }
    }
    if let Some(name) = &done.a_record {
        what.push(format!("round robin {name}"));
    }
    let mut text = format!("{} {}", done.action, what.join(" and "));
    if !done.addresses.is_empty() {
        text.push_str(&format!("; address {}", done.addresses.join(", ")));
    }
    if done.instance_removed == Some(true) && !done.targets.is_empty() {
        text.push_str("; it was the last target, the instance is gone");
    }
    output::line(&text)
}

/// SIGTERM and SIGINT, registered up front.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl std::fmt::Debug for Signals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signals")
    }
}

impl Signals {
    fn new() -> Result<Self, Failure> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            term: signal(SignalKind::terminate()).context("catching SIGTERM")?,
            int: signal(SignalKind::interrupt()).context("catching SIGINT")?,
        })
    }

    async fn wait(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn txt_items_are_properties_or_flags() {
        let txt = txt_properties(&["path=/api".into(), "tls".into(), "empty=".into()]).unwrap();
        assert_eq!(txt.get_str("path"), Some("/api"));
        assert!(matches!(txt.get("tls"), Some(dns_core::TxtValue::Flag)));
        assert_eq!(txt.get_str("empty"), Some(""));
        assert!(txt_properties(&["=x".into()]).is_err());
    }
}
