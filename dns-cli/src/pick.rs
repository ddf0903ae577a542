//! `pick` and `order`: RFC 2782 selection as a client makes it, and
//! `pick --samples` to check what the weights will do.

use dns_core::{Name, ServiceType, Srv};
use dns_sd_client::select::SrvRecord;
use dns_sd_client::{
    Candidate, DnsSdClient, Order, ResolvedInstance, Selection, expected_shares, order, pick,
};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Serialize;

use crate::cli::{Global, PickArgs, SelectArgs, ServiceName};
use crate::discover::{self, TargetJson, label};
use crate::failure::{Context, Failure};
use crate::output::{self, Table};

/// Width of the bars in the `--samples` chart, for a share of 100%.
const BAR: f64 = 40.0;

/// What `pick --json` prints for one choice.
#[derive(Debug, Serialize)]
struct Picked {
    target: String,
    port: u16,
    addresses: Vec<String>,
}

/// The instances to choose among: a whole service, one instance of it
/// (`--instance`), or an instance named directly.
async fn instances(
    client: &DnsSdClient,
    args: &SelectArgs,
) -> Result<Vec<ResolvedInstance>, Failure> {
    match ServiceType::split_name(&args.name) {
        Some((service, domain)) => {
            let found = discover::discover_service(
                client,
                &ServiceName {
                    service,
                    domain,
                    relative: false,
                },
            )
            .await?;
            if let Some(failure) = discover::incomplete(&found) {
                return Err(failure);
            }
            match &args.instance {
                None => Ok(found.instances),
                Some(wanted) => found
                    .instances
                    .into_iter()
                    .find(|i| i.instance_label() == Some(wanted))
                    .map(|i| vec![i])
                    .ok_or_else(|| {
                        Failure::failed(format!(
                            "{}: no instance {:?} (try: dnsctl browse {})",
                            args.name,
                            discover::raw_label(wanted),
                            args.name
                        ))
                    }),
            }
        }
        None => {
            if args.instance.is_some() {
                return Err(Failure::usage(format!(
                    "--instance needs a service name (_name._tcp.domain); {} is not one",
                    args.name
                )));
            }
            let one = client
                .resolve(&args.name)
                .await
                .context(format_args!("resolving {}", args.name))?;
            Ok(vec![one])
        }
    }
}

fn rng(seed: Option<u64>) -> StdRng {
    match seed {
        Some(seed) => StdRng::seed_from_u64(seed),
        None => rand::make_rng(),
    }
}

fn nothing_to_pick(name: &Name, unavailable: bool) -> Failure {
    if unavailable {
        Failure::failed(format!(
            "{name}: the service is deliberately unavailable (its only SRV target is \".\")"
        ))
    } else {
        Failure::failed(format!("{name}: no SRV targets to choose from"))
    }
}

fn picked(c: &Candidate<'_>) -> Picked {
    Picked {
        target: c.target.host().to_string(),
        port: c.target.port(),
        addresses: c.target.addresses.iter().map(ToString::to_string).collect(),
    }
}

/// `dnsctl pick`.
pub(crate) async fn run_pick(global: &Global, args: &PickArgs) -> Result<(), Failure> {
    let client = discover::client(global)?;
    let found = instances(&client, &args.select).await?;
    let all = Candidate::all(&found);
    let mut rng = rng(args.select.seed);
    if let Some(samples) = args.samples {
        return print_samples(global, &args.select.name, &all, samples, &mut rng);
    }
    let count = args.count.unwrap_or(1);
    let mut choices = Vec::with_capacity(count as usize);
    for _ in 0..count {
        match pick(&all, &mut rng) {
            Selection::Target(c) => choices.push(picked(c)),
            Selection::Unavailable => return Err(nothing_to_pick(&args.select.name, true)),
            Selection::NoTargets => return Err(nothing_to_pick(&args.select.name, false)),
        }
    }
    if global.json {
        return match (args.count, choices.first()) {
            (None, Some(one)) => output::json(one, false),
            _ => output::json(&choices, false),
        };
    }
    for c in &choices {
        let addresses = if c.addresses.is_empty() {
            "-".to_owned()
        } else {
            c.addresses.join(",")
        };
        output::line(&format!("{} {} {addresses}", c.target, c.port))?;
    }
    Ok(())
}

/// `dnsctl order`.
pub(crate) async fn run_order(global: &Global, args: &SelectArgs) -> Result<(), Failure> {
    let client = discover::client(global)?;
    let found = instances(&client, args).await?;
    let all = Candidate::all(&found);
    let list = match order(&all, &mut rng(args.seed)) {
        Order::Targets(list) => list,
        Order::Unavailable => return Err(nothing_to_pick(&args.name, true)),
        Order::NoTargets => return Err(nothing_to_pick(&args.name, false)),
    };
    if global.json {
        let json: Vec<TargetJson> = list.iter().map(|c| TargetJson::from(c.target)).collect();
        return output::json(&json, false);
    }
    let mut table = Table::new(&[
        ">#",
        "INSTANCE",
        "TARGET",
        ">PORT",
        ">PRIO",
        ">WEIGHT",
        "ADDRESSES",
    ]);
    for (i, c) in list.iter().enumerate() {
        let addresses: Vec<String> = c.target.addresses.iter().map(ToString::to_string).collect();
        table.row(vec![
            (i + 1).to_string(),
            label(c.instance),
            c.target.host().to_string(),
            c.target.port().to_string(),
            c.target.priority().to_string(),
            c.target.weight().to_string(),
            addresses.join(","),
        ]);
    }
    table.print()
}

/// One row of `pick --samples`.
#[derive(Debug, Serialize)]
struct Share {
    instance: String,
    target: String,
    port: u16,
    priority: u16,
    weight: u16,
    picks: u64,
    observed: f64,
    expected: f64,
}

fn print_samples(
    global: &Global,
    name: &Name,
    all: &[Candidate<'_>],
    samples: u32,
    rng: &mut StdRng,
) -> Result<(), Failure> {
    // Numbered so that each pick says which candidate it was.
    let numbered: Vec<Numbered<'_, '_>> = all
        .iter()
        .enumerate()
        .map(|(index, candidate)| Numbered { index, candidate })
        .collect();
    let mut counts = vec![0u64; all.len()];
    for _ in 0..samples {
        match pick(&numbered, rng) {
            Selection::Target(chosen) => counts[chosen.index] += 1,
            Selection::Unavailable => return Err(nothing_to_pick(name, true)),
            Selection::NoTargets => return Err(nothing_to_pick(name, false)),
        }
    }
    let shares: Vec<Share> = all
        .iter()
        .zip(&counts)
        .zip(expected_shares(all))
        .map(|((c, &picks), expected)| Share {
            instance: label(c.instance),
            target: c.target.host().to_string(),
            port: c.target.port(),
            priority: c.target.priority(),
            weight: c.target.weight(),
            picks,
            observed: picks as f64 / f64::from(samples),
            expected,
        })
        .collect();
    if global.json {
        #[derive(Serialize)]
        struct Samples<'a> {
            name: String,
            samples: u32,
            targets: &'a [Share],
        }
        return output::json(
            &Samples {
                name: name.to_string(),
                samples,
                targets: &shares,
            },
            false,
        );
    }
    let mut table = Table::new(&[
        "INSTANCE",
        "TARGET",
        ">PORT",
        ">PRIO",
        ">WEIGHT",
        ">EXPECTED",
        ">OBSERVED",
        "",
    ]);
    for s in &shares {
        table.row(vec![
            s.instance.clone(),
            s.target.clone(),
            s.port.to_string(),
            s.priority.to_string(),
            s.weight.to_string(),
            format!("{:.1}%", s.expected * 100.0),
            format!("{:.1}%", s.observed * 100.0),
            bar(s.observed, s.expected),
        ]);
    }
    output::line(&format!(
        "{samples} picks from {name} ('#' observed, '|' expected):"
    ))?;
    table.print()
}

/// A candidate with its position in the list picked from.
struct Numbered<'a, 'b> {
    index: usize,
    candidate: &'a Candidate<'b>,
}

impl SrvRecord for Numbered<'_, '_> {
    fn srv(&self) -> &Srv {
        self.candidate.srv()
    }
}

/// `#` for the observed share, with `|` where the expected share ends.
fn bar(observed: f64, expected: f64) -> String {
    let filled = (observed * BAR).round() as usize;
    let mark = (expected * BAR).round() as usize;
    let mut text: Vec<char> = std::iter::repeat_n('#', filled).collect();
    if mark > 0 {
        if text.len() < mark {
            text.resize(mark, ' ');
        }
        text[mark - 1] = '|';
    }
    text.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_mark_the_expected_share() {
        assert_eq!(bar(0.5, 0.5).len(), 20);
        assert!(bar(0.5, 0.5).ends_with('|'));
        assert_eq!(bar(0.0, 0.25), format!("{}|", " ".repeat(9)));
        assert_eq!(bar(0.0, 0.0), "");
        assert_eq!(bar(0.1, 0.0), "####");
    }
}
