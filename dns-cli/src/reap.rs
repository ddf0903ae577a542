//! `reap`: argument mapping and printing over [`Reaper`], which holds
//! every rule (probing, the safety limits, the guarded removal). Nothing
//! here decides what to remove.

use dns_core::Name;
use dns_sd_registry::{Check, PassReport, Reaper, ServiceRegistry, ServiceReport};
use serde::Serialize;

use crate::cli::{CheckSpec, Global, ReapArgs};
use crate::failure::{Context, Failure};
use crate::output;
use crate::provider;
use crate::signals::Signals;

/// What `reap --json` prints: one object per service per pass.
#[derive(Debug, Serialize)]
struct ServiceJson {
    service: String,
    checked: usize,
    removed: Vec<RemovedJson>,
    refused: Option<String>,
    /// Only in a dry run, where `removed` lists what would have gone.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    dry_run: bool,
}

#[derive(Debug, Serialize)]
struct RemovedJson {
    instance: String,
    target: String,
    port: u16,
}

pub(crate) async fn run(global: &Global, args: &ReapArgs) -> Result<(), Failure> {
    let (kind, domain) = provider::require(global, "reap")?;
    let check = match &args.check {
        CheckSpec::Tcp => Check::Tcp,
        CheckSpec::Http { path, tls } => {
            Check::http(path, *tls).map_err(|e| Failure::usage(format!("--check: {e}")))?
        }
    };
    let mut services = Vec::new();
    for service in &args.services {
        let name = service
            .name_in(&domain)
            .map_err(|e| Failure::usage(format!("--service {service} in {domain}: {e}")))?;
        services.push(name);
    }
    let target = provider::connect(global, kind, domain.clone()).await?;
    // Signals are caught before the first pass, so a SIGTERM during it
    // ends the loop after that pass.
    let signals = if args.once {
        None
    } else {
        Some(Signals::new()?)
    };
    let zone = target.zone_for(&domain).await?;
    let registry = ServiceRegistry::new(target.provider.clone()).with_zone(zone);
    let reaper = services
        .into_iter()
        .fold(Reaper::new(registry), Reaper::with_service)
        .with_check(check)
        .with_failures(args.failures)
        .with_interval(args.interval)
        .with_timeout(args.probe_timeout)
        .with_max_remove_percent(args.max_remove)
        .with_allow_empty(args.allow_empty)
        .with_dry_run(args.dry_run);
    let provider_name = target.provider.provider_name().to_owned();
    let Some(mut signals) = signals else {
        let report = reaper
            .pass()
            .await
            .context(format_args!("reap on {provider_name}"))?;
        print(global, &report)?;
        return refusals(&report);
    };
    let mut printed = Ok(());
    let signal = reaper
        .run_until(args.interval, signals.wait(), |outcome| match outcome {
            Ok(report) => {
                if printed.is_ok() {
                    printed = print(global, &report);
                }
            }
            // A service keeps going: the next pass may find the provider back.
            Err(e) => output::warn(&format!("reap on {provider_name}: {e}")),
        })
        .await;
    tracing::info!(signal, "stopping");
    printed
}

/// Exit status 1 when a safety rule refused a service's pass.
fn refusals(report: &PassReport) -> Result<(), Failure> {
    let refused: Vec<String> = report
        .refused()
        .filter_map(|s| {
            s.refused
                .as_ref()
                .map(|why| format!("{}: {why}", s.service))
        })
        .collect();
    if refused.is_empty() {
        return Ok(());
    }
    Err(Failure::failed(format!(
        "refused, nothing removed: {}",
        refused.join("; ")
    )))
}

fn print(global: &Global, report: &PassReport) -> Result<(), Failure> {
    for service in &report.services {
        if global.json {
            output::json(&json(service), true)?;
        } else {
            output::line(&text(service))?;
        }
    }
    Ok(())
}

fn json(service: &ServiceReport) -> ServiceJson {
    ServiceJson {
        service: service.service.to_string(),
        checked: service.checked,
        removed: service
            .removed
            .iter()
            .map(|r| RemovedJson {
                instance: label_text(&r.instance),
                target: r.srv.target.to_string(),
                port: r.srv.port,
            })
            .collect(),
        refused: service.refused.as_ref().map(ToString::to_string),
        dry_run: service.dry_run,
    }
}

/// The instance label in presentation form (`web`, `api\032v1`).
fn label_text(instance: &Name) -> String {
    let text = instance.to_string();
    // The first label ends at the first unescaped dot.
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '.' if !escaped => return text[..i].to_owned(),
            _ => escaped = false,
        }
    }
    text
}

fn text(service: &ServiceReport) -> String {
    let name = &service.service;
    if let Some(why) = &service.refused {
        return format!("{name}: checked {}, refused: {why}", service.checked);
    }
    let verb = if service.dry_run {
        "would remove"
    } else {
        "removed"
    };
    let removed: Vec<String> = service
        .removed
        .iter()
        .map(|r| {
            format!(
                "{}:{} of {}",
                r.srv.target,
                r.srv.port,
                label_text(&r.instance)
            )
        })
        .collect();
    let mut line = format!(
        "{name}: checked {}, {verb} {}",
        service.checked,
        removed.len()
    );
    if !removed.is_empty() {
        line.push_str(&format!(" ({})", removed.join(", ")));
    }
    if !service.changed.is_empty() {
        line.push_str(&format!(
            "; kept {} that changed during the pass",
            service.changed.len()
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_labels_end_at_the_first_unescaped_dot() {
        let n = |s: &str| Name::parse(s).unwrap_or_else(|_| Name::root());
        assert_eq!(label_text(&n("web._http._tcp.example.com")), "web");
        assert_eq!(label_text(&n(r"a\.b._http._tcp.example.com")), r"a\.b");
    }
}
