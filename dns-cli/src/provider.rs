//! Building the provider named by `--provider` from the standard environment.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use clap::ValueEnum;
use dns_cloudflare::CloudflareBuilder;
use dns_core::{DnsProvider, Name, Zone};
use dns_rfc2136::{Rfc2136Builder, TsigKey};
use dns_route53::Route53Builder;

use crate::cli::{EndpointArg, Global, ProviderKind};
use crate::failure::{Context, Failure};

/// Provider requests get this many `--timeout`s: on Route 53 for a whole
/// call with its retries, on Cloudflare for each request.
const CALL_TIMEOUTS: u32 = 6;

/// The provider and the zone (`--zone`) the command works in.
#[derive(Debug)]
pub(crate) struct Target {
    pub(crate) provider: Arc<dyn DnsProvider>,
    pub(crate) domain: Name,
}

impl Target {
    /// The hosted zone holding `name` (the domain itself or a parent of it).
    pub(crate) async fn zone_for(&self, name: &Name) -> Result<Zone, Failure> {
        self.provider.find_zone(name).await.context(format_args!(
            "finding the {} zone of {name}",
            self.provider.provider_name()
        ))
    }
}

/// `--provider` (exactly one) and `--zone`, checked before anything is sent.
pub(crate) fn require(global: &Global, command: &str) -> Result<(ProviderKind, Name), Failure> {
    let (kinds, zone) = require_all(global, command)?;
    match kinds.as_slice() {
        [kind] => Ok((*kind, zone)),
        _ => Err(Failure::usage(format!(
            "{command} works on one provider at a time (several --provider are for sync)"
        ))),
    }
}

/// Every `--provider` (each once) and `--zone`, with the options that
/// belong to one provider checked against the providers named.
pub(crate) fn require_all(
    global: &Global,
    command: &str,
) -> Result<(Vec<ProviderKind>, Name), Failure> {
    let kinds = &global.provider;
    if kinds.is_empty() {
        return Err(Failure::usage(format!(
            "{command} needs --provider (route53, cloudflare or rfc2136)"
        )));
    }
    for (i, kind) in kinds.iter().enumerate() {
        if kinds[..i].contains(kind) {
            return Err(Failure::usage(format!(
                "--provider {} is given twice",
                kind_name(*kind)
            )));
        }
    }
    let has = |kind| kinds.contains(&kind);
    if has(ProviderKind::Rfc2136) && global.servers.is_empty() {
        return Err(Failure::usage(format!(
            "{command} --provider rfc2136 needs --server IP[:PORT], the server taking updates"
        )));
    }
    if global.tsig_key_file.is_some() && !has(ProviderKind::Rfc2136) {
        return Err(Failure::usage(
            "--tsig-key-file signs RFC 2136 updates: use it with --provider rfc2136",
        ));
    }
    if global.zone_id.is_some() && !has(ProviderKind::Cloudflare) {
        return Err(Failure::usage(
            "--zone-id pins a Cloudflare zone; Route 53 zones are found by name (ListHostedZones)",
        ));
    }
    check_endpoints(kinds, &global.endpoint)?;
    let zone = global
        .zone
        .clone()
        .ok_or_else(|| Failure::usage(format!("{command} needs --zone (e.g. example.com)")))?;
    Ok((kinds.clone(), zone))
}

/// Each `--endpoint` belongs to exactly one HTTP provider named: a bare URL
/// only when there is one, `route53=`/`cloudflare=` otherwise, and never
/// two for the same provider.
fn check_endpoints(kinds: &[ProviderKind], endpoints: &[EndpointArg]) -> Result<(), Failure> {
    let http: Vec<ProviderKind> = kinds
        .iter()
        .copied()
        .filter(|k| *k != ProviderKind::Rfc2136)
        .collect();
    let mut seen = Vec::new();
    for endpoint in endpoints {
        let kind = match (endpoint.provider, http.as_slice()) {
            (Some(ProviderKind::Rfc2136), _) | (None, []) => {
                return Err(Failure::usage(
                    "--endpoint is for HTTP APIs; rfc2136 sends updates to --server",
                ));
            }
            (Some(kind), _) if !kinds.contains(&kind) => {
                return Err(Failure::usage(format!(
                    "--endpoint {}=...: there is no --provider {0}",
                    kind_name(kind)
                )));
            }
            (Some(kind), _) => kind,
            (None, [one]) => *one,
            (None, _) => {
                return Err(Failure::usage(
                    "--endpoint: with both route53 and cloudflare, say whose it is: route53=URL or cloudflare=URL",
                ));
            }
        };
        if seen.contains(&kind) {
            return Err(Failure::usage(format!(
                "two --endpoint for {}",
                kind_name(kind)
            )));
        }
        seen.push(kind);
        check_endpoint(&endpoint.url)?;
    }
    Ok(())
}

/// The endpoint `--endpoint` gives `kind` (after [`require_all`]).
fn endpoint_for(global: &Global, kind: ProviderKind) -> Option<&str> {
    global
        .endpoint
        .iter()
        .find(|e| e.provider.is_none_or(|p| p == kind))
        .map(|e| e.url.as_str())
}

/// The name `--provider` takes for `kind`, as clap derives it.
fn kind_name(kind: ProviderKind) -> String {
    kind.to_possible_value()
        .map(|v| v.get_name().to_owned())
        .unwrap_or_default()
}

/// Builds the provider. Credentials come from the environment; a missing
/// one fails here (Cloudflare) or at the first request (the AWS chain).
pub(crate) async fn connect(
    global: &Global,
    kind: ProviderKind,
    domain: Name,
) -> Result<Target, Failure> {
    let timeout = global
        .timeout
        .saturating_mul(CALL_TIMEOUTS)
        .max(Duration::from_secs(5));
    let provider: Arc<dyn DnsProvider> = match kind {
        ProviderKind::Route53 => {
            let mut builder = Route53Builder::from_env().with_timeout(timeout);
            if let Some(url) = endpoint_for(global, kind) {
                builder = builder.with_endpoint_url(url);
            }
            Arc::new(builder.build().await.context("route53")?)
        }
        ProviderKind::Rfc2136 => {
            let server = *global.servers.first().ok_or_else(|| {
                Failure::usage(
                    "--provider rfc2136 needs --server IP[:PORT], the server taking updates",
                )
            })?;
            let mut builder = Rfc2136Builder::new(server)
                .with_zone(domain.clone())
                .with_timeout(global.timeout);
            if let Some(path) = &global.tsig_key_file {
                builder = builder.with_tsig_key(tsig_key(path)?);
            }
            Arc::new(builder.build().context("rfc2136")?)
        }
        ProviderKind::Cloudflare => {
            let mut builder = CloudflareBuilder::from_env().with_timeout(timeout);
            if let Some(id) = &global.zone_id {
                builder = builder.with_zone(domain.clone(), id.clone());
            }
            if let Some(url) = endpoint_for(global, kind) {
                builder = builder
                    .with_base_url(url)
                    .with_allow_http(is_loopback_http(url));
            }
            Arc::new(builder.build().context("cloudflare")?)
        }
    };
    Ok(Target { provider, domain })
}

/// The one key of a BIND key file; a file with several keys is refused
/// rather than guessing which one is meant.
pub(crate) fn tsig_key(path: &Path) -> Result<TsigKey, Failure> {
    let shown = path.display();
    let mut keys = TsigKey::from_bind_file(path)
        .map_err(|e| Failure::usage(format!("--tsig-key-file {shown}: {e}")))?;
    match keys.len() {
        1 => Ok(keys.remove(0)),
        0 => Err(Failure::usage(format!(
            "--tsig-key-file {shown}: no key in the file"
        ))),
        n => Err(Failure::usage(format!(
            "--tsig-key-file {shown}: {n} keys in the file; give a file with the one key to use"
        ))),
    }
}

/// https anywhere; plain http only to this machine, so that credentials
/// never cross a network in the clear.
fn check_endpoint(url: &str) -> Result<(), Failure> {
    if url.starts_with("https://") || is_loopback_http(url) {
        Ok(())
    } else {
        Err(Failure::usage(format!(
            "--endpoint {url:?}: use https:// (plain http:// is allowed to 127.0.0.1, [::1] and localhost only)"
        )))
    }
}

fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split('/').next().unwrap_or_default();
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    host == "localhost"
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(is_loopback_http("http://127.0.0.1:4010/client/v4"));
        assert!(is_loopback_http("http://localhost:8080"));
        assert!(is_loopback_http("http://[::1]:80/x"));
        assert!(!is_loopback_http("http://10.0.0.1:80"));
        assert!(!is_loopback_http("http://127.0.0.1.evil.example/"));
        assert!(check_endpoint("https://api.example.com").is_ok());
        assert!(check_endpoint("http://api.example.com").is_err());
    }
}
