//! `join` and `leave`: argument mapping and printing over
//! [`ServiceRegistry`], which holds every rule (a join without `--txt` keeps
//! the published TXT, a leave keeps addresses another SRV still points at,
//! leave without `--port`, round-robin sets). Nothing here decides what to
//! write.

use std::net::IpAddr;

use dns_core::{Name, ServiceInstance, Srv, Target as SrvTarget, TxtProperties};
use dns_sd_registry::{Registration, RegistryReport, ServiceRegistry};
use serde::Serialize;

use crate::address;
use crate::cli::{Global, JoinArgs};
use crate::failure::{Context, Failure};
use crate::output;
use crate::provider::{self, Target};
use crate::signals::Signals;

/// What one host publishes: its service instance and/or its address in a
/// round-robin set, resolved before any request is sent.
#[derive(Debug)]
struct Publication {
    /// The instance with this host's target (without one for a leave
    /// without `--port`: the registry reads the ports from the zone).
    instance: Option<ServiceInstance>,
    /// This host's SRV target name.
    host: Option<Name>,
    /// This host's addresses.
    addresses: Vec<IpAddr>,
    /// The round-robin name (`--a-record`).
    round_robin: Option<Name>,
    ttl: u32,
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
    if !leaving && !args.force_address {
        let unusable = addresses
            .iter()
            .find_map(|ip| dns_sd_registry::unusable_address(*ip).map(|why| (ip, why)));
        if let Some((ip, why)) = unusable {
            return Err(Failure::usage(format!(
                "--address {ip} is {why}: no client can connect to it \
                 (--force-address publishes it anyway)"
            )));
        }
    }
    let publication = publication(&target.domain, args, addresses, txt, leaving)?;
    // Withdrawing an address that should never have been published is fine.
    let registry = ServiceRegistry::new(target.provider.clone())
        .with_any_address(leaving || args.force_address);
    publication.check(&registry, command)?;
    if leaving {
        return leave(global, &target, &registry, &publication).await;
    }
    join(global, &target, &registry, &publication).await?;
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
    let signal = match args.refresh {
        // The registry re-asserts the registration (writing only what went
        // missing) and finishes a refresh under way before the leave.
        Some(period) => {
            registry
                .keep_registered(&publication.registrations(), period, signals.wait())
                .await
        }
        None => signals.wait().await,
    };
    tracing::info!(signal, "leaving");
    leave(global, &target, &registry, &publication).await
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
    addresses: Vec<IpAddr>,
    txt: TxtProperties,
    leaving: bool,
) -> Result<Publication, Failure> {
    let mut host = None;
    let instance = match &args.service {
        None => None,
        Some(service) => {
            let name = match (&args.host, addresses.first()) {
                (Some(host), _) => Name::clone(host),
                (None, Some(ip)) => address::host_name_for(*ip, domain)?,
                (None, None) => return Err(Failure::usage("--service needs --host or --address")),
            };
            let label = match &args.instance {
                Some(label) => label.clone(),
                None => name
                    .labels()
                    .first()
                    .cloned()
                    .ok_or_else(|| Failure::usage("--host must not be the root"))?,
            };
            let mut instance = ServiceInstance::from_label(label, service.clone(), domain.clone())
                .map_err(|e| Failure::usage(format!("instance name: {e}")))?
                .with_txt(txt)
                .with_ttl(args.ttl);
            for subtype in &args.subtypes {
                instance = instance.with_subtype(subtype.clone());
            }
            // A leave without --port withdraws every port of the host, as
            // the registry reads them from the zone.
            if !(leaving && args.port.is_none()) {
                let mut srv = SrvTarget::new(name.clone(), args.port.unwrap_or(0))
                    .with_priority(args.priority)
                    .with_weight(args.weight);
                for ip in &addresses {
                    srv = srv.with_address(*ip);
                }
                instance = instance.with_target(srv);
            }
            host = Some(name);
            Some(instance)
        }
    };
    Ok(Publication {
        instance,
        host,
        addresses,
        round_robin: args.a_record.as_deref().cloned(),
        ttl: args.ttl,
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
    /// What `--refresh` re-asserts.
    fn registrations(&self) -> Vec<Registration> {
        let mut all = Vec::new();
        if let Some(instance) = self.instance.as_ref().filter(|i| !i.targets().is_empty()) {
            all.push(Registration::Instance(instance.clone()));
        }
        if let Some(name) = &self.round_robin {
            all.push(Registration::RoundRobin {
                name: name.clone(),
                addresses: self.addresses.clone(),
                ttl: self.ttl,
            });
        }
        all
    }

    /// Refuses what the provider could not store (TTL, names, values)
    /// before any request, with the registry's own checks.
    fn check(&self, registry: &ServiceRegistry, command: &str) -> Result<(), Failure> {
        let usage = |e: dns_core::Error| Failure::usage(format!("{command}: {e}"));
        if let Some(instance) = self.instance.as_ref().filter(|i| !i.targets().is_empty()) {
            registry.check(instance).map_err(usage)?;
        }
        if let Some(name) = &self.round_robin {
            registry
                .check_round_robin(name, &self.addresses, self.ttl)
                .map_err(|e| Failure::usage(format!("{command} --a-record {name}: {e}")))?;
        }
        Ok(())
    }

    /// The report: `targets` as written or withdrawn (as published); the
    /// addresses of those targets and of the round-robin set.
    fn done(
        &self,
        action: &'static str,
        targets: &[Srv],
        instance_removed: Option<bool>,
        addresses_kept: bool,
    ) -> Done<'_> {
        let mut addresses: Vec<String> = Vec::new();
        // A leave that kept the host's addresses (another SRV still points
        // at the host) withdrew none of them: report none, as before.
        let with_targets = !targets.is_empty() && !addresses_kept;
        let round_robin = self.round_robin.is_some();
        if with_targets || round_robin {
            for ip in &self.addresses {
                let ip = ip.to_string();
                if !addresses.contains(&ip) {
                    addresses.push(ip);
                }
            }
        }
        Done {
            action,
            instance: self.instance.as_ref().map(|i| i.name().to_string()),
            targets: targets
                .iter()
                .map(|t| TargetJson {
                    target: t.target.to_string(),
                    port: t.port,
                    priority: t.priority,
                    weight: t.weight,
                })
                .collect(),
            a_record: self.round_robin.as_ref().map(ToString::to_string),
            addresses,
            instance_removed,
        }
    }
}

fn failed(what: &str, name: &Name, target: &Target) -> String {
    format!("{what} {name} on {}", target.provider.provider_name())
}

async fn join(
    global: &Global,
    target: &Target,
    registry: &ServiceRegistry,
    publication: &Publication,
) -> Result<(), Failure> {
    let mut targets = Vec::new();
    if let Some(instance) = &publication.instance {
        let report =
            registry
                .register(instance)
                .await
                .context(failed("join", instance.name(), target))?;
        targets = report.targets;
    }
    if let Some(name) = &publication.round_robin {
        registry
            .join_round_robin(name, &publication.addresses, publication.ttl)
            .await
            .context(failed("join", name, target))?;
    }
    print(global, &publication.done("joined", &targets, None, false))
}

async fn leave(
    global: &Global,
    target: &Target,
    registry: &ServiceRegistry,
    publication: &Publication,
) -> Result<(), Failure> {
    let mut removed = None;
    let mut kept = false;
    let mut targets = Vec::new();
    if let Some(instance) = &publication.instance {
        let report: RegistryReport = match &publication.host {
            Some(host) if instance.targets().is_empty() => {
                registry
                    .deregister_host(instance, host, &publication.addresses)
                    .await
            }
            _ => registry.deregister(instance).await,
        }
        .context(failed("leave", instance.name(), target))?;
        if !publication.addresses.is_empty() {
            for (host, owner) in &report.kept_addresses {
                output::note(&format!(
                    "keeping the addresses of {host}: {owner} still points at it"
                ));
            }
        }
        removed = Some(report.instance_removed);
        kept = publication
            .host
            .as_ref()
            .is_some_and(|h| report.kept_addresses.iter().any(|(k, _)| k == h));
        targets = report.targets;
    }
    if let Some(name) = &publication.round_robin {
        registry
            .leave_round_robin(name, &publication.addresses)
            .await
            .context(failed("leave", name, target))?;
    }
    print(global, &publication.done("left", &targets, removed, kept))
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
