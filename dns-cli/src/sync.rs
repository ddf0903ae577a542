//! `dnsctl sync`: maps the arguments onto `dns-sync` and prints its plan;
//! the planning, ownership and safety rules are the library's.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

use dns_core::Name;
use dns_sync::{DesiredZone, Destination, Policy, Style, SyncError, SyncOptions, render};

use crate::cli::{Global, PolicyArg, SyncArgs};
use crate::failure::Failure;
use crate::output;
use crate::provider;

/// `dnsctl sync FILE`.
pub(crate) async fn run(global: &Global, args: &SyncArgs) -> Result<(), Failure> {
    let (kind, domain) = provider::require(global, "sync")?;
    // Everything the command line and the file can get wrong is found
    // before the first request.
    let desired = read(&args.file, &domain)?;
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

    let target = provider::connect(global, kind, domain).await?;
    let zone = target.zone_for(&target.domain).await?;
    let destination = Destination::new(Arc::clone(&target.provider), zone);
    let plan = dns_sync::plan(&destination, &desired, &options)
        .await
        .map_err(|e| Failure::failed(format!("planning: {e}")))?;

    if global.json {
        output::json(&render::json([&plan]), false)?;
    } else if args.markdown {
        output::rendered(&render::markdown(&plan))?;
    } else {
        let style = if std::io::stdout().is_terminal() {
            Style::Colour
        } else {
            Style::Plain
        };
        output::rendered(&render::text(&plan, style))?;
    }

    if !plan.refusals().is_empty() && !args.force {
        let refused = SyncError::Refused {
            provider: target.provider.provider_name().to_owned(),
            zone: destination.zone.name.to_string(),
            refusals: plan.refusals().to_vec(),
        };
        return Err(Failure::failed(format!(
            "{refused}; nothing applied (--force to apply anyway)"
        )));
    }
    if args.check {
        return if plan.is_empty() {
            Ok(())
        } else {
            Err(Failure::Drift(format!(
                "{} differs from {} ({} set changes)",
                destination.zone.name,
                args.file.display(),
                plan.steps().len()
            )))
        };
    }
    if !args.yes {
        if !plan.is_empty() {
            output::note("nothing applied (--yes to apply this plan)");
        }
        return Ok(());
    }
    let applied = dns_sync::apply(plan)
        .await
        .map_err(|e| Failure::failed(format!("applying: {e}")))?;
    output::note(&format!(
        "applied {} changes in {} requests",
        applied.changes, applied.requests
    ));
    Ok(())
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
