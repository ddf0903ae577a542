//! `serve`: the `dns-server` crate's zone server in the foreground.

use std::path::Path;

use dns_core::InMemoryProvider;
use dns_server::{TSigner, UpdatePolicy, ZoneServer, ZoneStore};
use serde::Serialize;

use crate::cli::{Global, ServeArgs};
use crate::failure::Failure;
use crate::output;
use crate::signals::Signals;

/// What `serve` prints once it listens (`--json`: this document).
#[derive(Debug, Serialize)]
struct Serving {
    listen: String,
    zones: Vec<String>,
    /// `loopback` (unsigned, from this machine only) or `tsig`.
    updates: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    /// The data directory, or none when the zones live in memory.
    data: Option<String>,
}

/// `dnsctl serve`.
pub(crate) async fn run(global: &Global, args: &ServeArgs) -> Result<(), Failure> {
    // Caught before listening, so a signal during start-up still stops us.
    let mut signals = Signals::new()?;
    let key = global
        .tsig_key_file
        .as_deref()
        .map(|path| crate::provider::tsig_key(path).and_then(|k| signer(path, &k)))
        .transpose()?;
    let store = args
        .data
        .as_ref()
        .map(|dir| {
            ZoneStore::open(dir)
                .map_err(|e| Failure::failed(format!("--data {}: {e}", dir.display())))
        })
        .transpose()?;
    let provider = InMemoryProvider::new();
    for zone in &args.zones {
        match &store {
            Some(store) => store
                .load_or_create(&provider, zone)
                .map(drop)
                .map_err(|e| Failure::failed(format!("loading {zone}: {e}")))?,
            None => provider
                .create_zone(zone.clone())
                .map(drop)
                .map_err(|e| Failure::failed(format!("creating {zone}: {e}")))?,
        }
    }
    let mut policy = UpdatePolicy::loopback();
    if let Some(key) = &key {
        policy = policy.with_key(key.clone());
    }
    let mut builder = ZoneServer::builder(provider)
        .with_additionals(true)
        .with_address(args.listen)
        .with_updates(policy);
    if let Some(store) = store {
        builder = builder.with_store(store);
    }
    let server = builder
        .start()
        .await
        .map_err(|e| Failure::failed(format!("listening on {} (UDP and TCP): {e}", args.listen)))?;
    let serving = Serving {
        listen: server.addr().to_string(),
        zones: args.zones.iter().map(ToString::to_string).collect(),
        updates: if key.is_some() { "tsig" } else { "loopback" },
        key: key.as_ref().map(|k| k.signer_name().to_string()),
        data: args.data.as_ref().map(|d| d.display().to_string()),
    };
    if global.json {
        output::json(&serving, true)?;
    } else {
        let updates = match &serving.key {
            Some(name) => format!("signed with TSIG key {name}"),
            None => "unsigned, from this machine only".to_owned(),
        };
        let data = serving.data.as_deref().map_or_else(
            || "in memory (gone when stopped)".to_owned(),
            |d| format!("kept in {d}"),
        );
        output::line(&format!(
            "serving {} on {} (UDP and TCP); updates and transfers: {updates}; zones {data}; \
             stop with SIGTERM or Ctrl-C (pid {})",
            serving.zones.join(" "),
            serving.listen,
            std::process::id()
        ))?;
    }
    let signal = signals.wait().await;
    tracing::info!(signal, "stopping");
    server.stop().await;
    if !global.json {
        output::line("stopped")?;
    }
    Ok(())
}

fn signer(path: &Path, key: &dns_rfc2136::TsigKey) -> Result<TSigner, Failure> {
    key.signer()
        .map_err(|e| Failure::usage(format!("--tsig-key-file {}: {e}", path.display())))
}
