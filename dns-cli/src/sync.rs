//! `dnsctl sync`: maps the arguments onto `dns-sync` and prints its plans;
//! the planning, ownership and safety rules are the library's.
//!
//! With several `--provider`, each gets its own plan (normalised to what
//! it stores). A provider that cannot be planned or applied does not stop
//! the others; a plan a safety rule refuses stops every provider, so
//! redundant providers never drift apart because one was forced through.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

use dns_core::Name;
use dns_sync::{
    DesiredZone, Destination, Plan, Policy, Style, SyncError, SyncOptions, plan_all, render,
};

use crate::cli::{Global, PolicyArg, SyncArgs};
use crate::failure::Failure;
use crate::output;
use crate::provider;

/// `dnsctl sync FILE`.
pub(crate) async fn run(global: &Global, args: &SyncArgs) -> Result<(), Failure> {
    let (kinds, domain) = provider::require_all(global, "sync")?;
    // Everything the command line and the file can get wrong is found
    // before the first request.
    let desired = read(&args.file, &domain)?;
    let options = options(args)?;
    let mut targets = Vec::with_capacity(kinds.len());
    for kind in kinds {
        targets.push(provider::connect(global, kind, domain.clone()).await?);
    }

    // Each provider's zone, then its plan; a failure is that provider's.
    let mut failures: Vec<(String, SyncError)> = Vec::new();
    let mut destinations = Vec::new();
    for target in &targets {
        let name = target.provider.provider_name().to_owned();
        match target.provider.find_zone(&domain).await {
            Ok(zone) => destinations.push(Destination::new(Arc::clone(&target.provider), zone)),
            Err(e) => failures.push((
                name.clone(),
                SyncError::Provider {
                    provider: name,
                    source: Box::new(e),
                },
            )),
        }
    }
    let mut plans = Vec::new();
    for (destination, result) in destinations
        .iter()
        .zip(plan_all(&destinations, &desired, &options).await)
    {
        match result {
            Ok(plan) => plans.push(plan),
            Err(e) => failures.push((destination.provider.provider_name().to_owned(), e)),
        }
    }

    if targets.len() == 1
        && let Some((_, error)) = failures.pop()
    {
        return Err(Failure::failed(format!("planning: {error}")));
    }
    show(global, args, &domain, &plans, &failures)?;
    for (_, error) in &failures {
        output::warn(&format!("no plan: {error}"));
    }

    let refused: Vec<String> = plans
        .iter()
        .filter(|p| !p.refusals().is_empty())
        .map(|p| refusal(p).to_string())
        .collect();
    if !refused.is_empty() && !args.force {
        return Err(Failure::failed(format!(
            "{}; nothing applied on any provider (--force to apply anyway)",
            refused.join("; ")
        )));
    }
    let unplanned = || {
        let names: Vec<&str> = failures.iter().map(|(n, _)| n.as_str()).collect();
        names.join(", ")
    };
    if args.check {
        let drifted: Vec<String> = plans
            .iter()
            .filter(|p| !p.is_empty())
            .map(|p| {
                format!(
                    "{} set changes on {}",
                    p.steps().len(),
                    p.destination().provider.provider_name()
                )
            })
            .collect();
        if !failures.is_empty() {
            return Err(Failure::failed(format!(
                "could not check {} (see above)",
                unplanned()
            )));
        }
        return if drifted.is_empty() {
            Ok(())
        } else {
            Err(Failure::Drift(format!(
                "{domain} differs from {} ({})",
                args.file.display(),
                drifted.join(", ")
            )))
        };
    }
    if !args.yes {
        if plans.iter().any(|p| !p.is_empty()) {
            output::note("nothing applied (--yes to apply this plan)");
        }
        return if failures.is_empty() {
            Ok(())
        } else {
            Err(Failure::failed(format!(
                "no plan for {} (see above)",
                unplanned()
            )))
        };
    }

    let names: Vec<String> = plans
        .iter()
        .map(|p| p.destination().provider.provider_name().to_owned())
        .collect();
    let mut failed: Vec<String> = failures.iter().map(|(n, _)| n.clone()).collect();
    for (name, result) in names.iter().zip(dns_sync::apply_all(plans).await) {
        match result {
            Ok(applied) => output::note(&format!(
                "{name}: applied {} changes in {} requests",
                applied.changes, applied.requests
            )),
            Err(e) => {
                output::warn(&format!("applying: {e}"));
                failed.push(name.clone());
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else if names.len() + failures.len() == 1 {
        Err(Failure::failed(format!("sync failed on {}", failed[0])))
    } else {
        Err(Failure::failed(format!(
            "sync failed on {} (see above; the other providers are done)",
            failed.join(", ")
        )))
    }
}

fn options(args: &SyncArgs) -> Result<SyncOptions, Failure> {
    let owner = args
        .owner
        .parse()
        .map_err(|e| Failure::usage(format!("--owner {:?}: {e}", args.owner)))?;
    let mut options = SyncOptions::new(owner);
    options.policy = match args.policy {
        PolicyArg::Sync => Policy::Sync,
        PolicyArg::UpsertOnly => Policy::UpsertOnly,
        PolicyArg::CreateOnly => Policy::CreateOnly,
    };
    options.force = args.force;
    Ok(options)
}

/// Prints every plan: JSON (with the providers that have none), Markdown,
/// or text, coloured on a terminal.
fn show(
    global: &Global,
    args: &SyncArgs,
    domain: &Name,
    plans: &[Plan],
    failures: &[(String, SyncError)],
) -> Result<(), Failure> {
    if global.json {
        let zone = domain.to_string();
        let document = failures
            .iter()
            .fold(render::json(plans), |doc, (name, error)| {
                doc.with_failure(name, &zone, error)
            });
        return output::json(&document, false);
    }
    let style = if std::io::stdout().is_terminal() {
        Style::Colour
    } else {
        Style::Plain
    };
    let shown: Vec<String> = plans
        .iter()
        .map(|p| {
            if args.markdown {
                render::markdown(p)
            } else {
                render::text(p, style)
            }
        })
        .collect();
    if shown.is_empty() {
        return Ok(());
    }
    output::rendered(&shown.join("\n"))
}

fn refusal(plan: &Plan) -> SyncError {
    SyncError::Refused {
        provider: plan.destination().provider.provider_name().to_owned(),
        zone: plan.destination().zone.name.to_string(),
        refusals: plan.refusals().to_vec(),
    }
}

/// The desired state of `zone` from `path`: a zone file when the name
/// ends in `.zone`, the sync format otherwise (which must name `zone`).
fn read(path: &Path, zone: &Name) -> Result<DesiredZone, Failure> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::usage(format!("reading {shown}: {e}")))?;
    let bad = |e: SyncError| Failure::usage(format!("{shown}: {e}"));
    if path.extension().is_some_and(|e| e == "zone") {
        return dns_sync::read_zone_file(&text, zone).map_err(bad);
    }
    let state = dns_sync::read_desired(&text).map_err(bad)?;
    state.zone(zone).cloned().ok_or_else(|| {
        Failure::usage(format!(
            "{shown} has no zone {zone} (sync works on --zone, one zone per run)"
        ))
    })
}
