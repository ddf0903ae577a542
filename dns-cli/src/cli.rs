//! The command line: every subcommand, its options and its `--help` examples.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use dns_core::{Label, Name, RecordType, ServiceType};

const AFTER_HELP: &str = "\
Exit status: 0 done, 1 the operation failed, 2 bad input (usage, a bad
file or value), found before anything was sent.

Examples:
  # at boot: publish this host's address and join _http._tcp.example.com
  dnsctl --provider route53 --zone example.com \\
      join --service _http._tcp --instance v1 \\
      --port 8080 --address auto --txt path=/api --until-signal
  # a client: list, inspect and pick
  dnsctl discover _http._tcp.example.com
  dnsctl pick _http._tcp.example.com --instance v1 --json";

/// Register services in DNS on Route 53 or Cloudflare, and discover them
/// (DNS-SD, RFC 6763; weighted SRV selection, RFC 2782).
#[derive(Debug, Parser)]
#[command(name = "dnsctl", version, propagate_version = true)]
pub(crate) struct Cli {
    #[command(flatten, next_help_heading = "Global options")]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every subcommand accepts.
#[derive(Debug, Args)]
pub(crate) struct Global {
    /// The DNS provider holding the zone (join, leave, records, hosts --from-zone);
    /// sync takes several (repeat it, or route53,cloudflare).
    /// Credentials come from the standard environment: the AWS chain
    /// (AWS_PROFILE, AWS_ACCESS_KEY_ID, SSO, instance role...),
    /// CLOUDFLARE_API_TOKEN, or for rfc2136 --tsig-key-file.
    #[arg(
        long,
        global = true,
        value_enum,
        value_delimiter = ',',
        env = "DNSCTL_PROVIDER"
    )]
    pub(crate) provider: Vec<ProviderKind>,

    /// The zone (domain) to work in, e.g. example.com.
    #[arg(long, global = true, value_parser = parse_name, env = "DNSCTL_ZONE")]
    pub(crate) zone: Option<Name>,

    /// Cloudflare: the zone's id (from its dashboard Overview page), so the
    /// zone is not looked up by name (no GET /zones; a token scoped to one
    /// zone needs no Zone.Read).
    #[arg(long, global = true, value_name = "ID", env = "DNSCTL_ZONE_ID")]
    pub(crate) zone_id: Option<String>,

    /// Send provider API requests to this URL instead of the provider's own
    /// (an emulator or a proxy). Plain http is allowed to loopback only.
    /// With both HTTP providers (sync), say whose: route53=URL, cloudflare=URL.
    #[arg(
        long,
        global = true,
        value_name = "[PROVIDER=]URL",
        value_parser = parse_endpoint,
        env = "DNSCTL_ENDPOINT"
    )]
    pub(crate) endpoint: Vec<EndpointArg>,

    /// rfc2136 and serve: the TSIG key (BIND key format, as `tsig-keygen`
    /// prints it) that signs updates and transfers. Secrets never go on
    /// the command line, only in this file.
    #[arg(long, global = true, value_name = "FILE", env = "DNSCTL_TSIG_KEY_FILE")]
    pub(crate) tsig_key_file: Option<PathBuf>,

    /// Ask this name server (repeatable) instead of the system resolver;
    /// with --provider rfc2136, the first one is the server updates go to.
    #[arg(long = "server", global = true, value_name = "IP[:PORT]", value_parser = parse_server)]
    pub(crate) servers: Vec<SocketAddr>,

    /// How long to wait for one DNS answer or one provider call, e.g. 5s, 800ms.
    #[arg(long, global = true, default_value = "5s", value_parser = parse_duration)]
    pub(crate) timeout: Duration,

    /// Print one JSON document instead of a table (watch: one JSON object per line).
    #[arg(long, global = true)]
    pub(crate) json: bool,

    /// Log what is sent and why to stderr (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
}

/// The providers dnsctl can write to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProviderKind {
    /// Amazon Route 53.
    Route53,
    /// Cloudflare (v4 API).
    Cloudflare,
    /// Any server taking RFC 2136 dynamic updates (BIND, Knot, PowerDNS,
    /// `dnsctl serve`) at the first --server.
    Rfc2136,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Publish this host: its address record, its SRV target in a service
    /// instance (with TXT) and/or its address in a round-robin A set.
    Join(JoinArgs),
    /// Withdraw what `join` published for this host, and nothing else.
    Leave(JoinArgs),
    /// List the instances of a service type (PTR records).
    Browse(ServiceArg),
    /// Show one instance: its targets (SRV), their addresses and its TXT data.
    Resolve(InstanceArg),
    /// Browse a service type and resolve every instance.
    Discover(ServiceArg),
    /// Choose a target as a client would (RFC 2782: lowest priority, then by weight).
    Pick(PickArgs),
    /// One fail-over order: every target in the order a client would try them.
    Order(SelectArgs),
    /// Follow a service type and print instances as they join, change and leave.
    Watch(WatchArgs),
    /// Inspect the zone or apply scripted changes to it.
    #[command(subcommand)]
    Records(RecordsCommand),
    /// Write discovered instances (or the zone's address records) into a hosts file.
    Hosts(HostsArgs),
    /// Remove the SRV targets of crashed instances: probe every target of
    /// the services, remove those that failed --failures probes in a row
    /// (with safety limits), as a service or one pass at a time.
    Reap(ReapArgs),
    /// Reconcile --zone on one or several providers with a desired-state
    /// file (YAML/JSON, or a zone file ending in .zone): print the plans;
    /// apply them with --yes.
    Sync(SyncArgs),
    /// Serve zones over DNS on this machine, taking RFC 2136 updates
    /// (`--provider rfc2136`): for development, tests, demos, small setups.
    Serve(ServeArgs),
}

const JOIN_EXAMPLES: &str = "\
Names without a domain (--host web-1, --a-record www) are in --zone.

Examples:
  # the classic boot script: A record 10-1-2-3.example.com and
  # SRV 0 0 8080 10-1-2-3.example.com.
  dnsctl --provider route53 --zone example.com \\
      join --service _http._tcp --instance v1 \\
      --port 8080 --address 10.1.2.3 --txt path=/ --txt tls
  # on EC2: the instance's private address from the metadata service
  dnsctl --provider route53 --zone example.com \\
      join --service _http._tcp --port 8080 --address private
  # round-robin A set on Cloudflare (DNS only, not proxied)
  dnsctl --provider cloudflare --zone example.com \\
      join --a-record www.example.com --address public --ttl 120
  # systemd / containers: stay in the foreground, leave on SIGTERM/SIGINT
  dnsctl --provider route53 --zone example.com \\
      join --service _http._tcp --port 8080 --address auto --until-signal
  # ... and put back every 10 minutes whatever went missing meanwhile
  dnsctl --provider route53 --zone example.com \\
      join --service _http._tcp --port 8080 --address auto \\
      --until-signal --refresh 10m";

const REAP_EXAMPLES: &str = "\
A target is removed after --failures failed probes in a row, --interval
apart, through the same guarded leave as `dnsctl leave`. A pass removes at
most --max-remove percent of a service's targets (at least one), and never
its last one without --allow-empty; when more look dead it removes nothing
and says so (exit status 1 with --once): the reaper's own network is then
the likelier fault. A pass over healthy services writes nothing.

Examples:
  # a systemd service: passes until SIGTERM/SIGINT
  dnsctl --provider route53 --zone example.com \\
      reap --service _http._tcp --service _grpc._tcp
  # a timer or cron job: one pass, HTTP health path, JSON per service
  dnsctl --provider cloudflare --zone example.com \\
      reap --service _http._tcp --check http:/healthz --once --json
  # what would go, changing nothing
  dnsctl --provider rfc2136 --server 10.0.0.2 --tsig-key-file update.key \\
      --zone example.com reap --service _http._tcp --once --dry-run";

const LEAVE_EXAMPLES: &str = "\
Without --port, every SRV target of this host in the instance is withdrawn.

Examples:
  dnsctl --provider route53 --zone example.com \\
      leave --service _http._tcp --instance v1 --address 10.1.2.3
  dnsctl --provider cloudflare --zone example.com \\
      leave --a-record www.example.com --address public";

const PICK_EXAMPLES: &str = "\
Examples:
  dnsctl pick _http._tcp.example.com --instance v1
  dnsctl pick 'v1._http._tcp.example.com' --json
  # five independent picks
  dnsctl pick _http._tcp.example.com --count 5 --json
  # observed vs expected shares
  dnsctl pick _http._tcp.example.com --samples 100000";

const HOSTS_EXAMPLES: &str = "\
Only the block between dnsctl's markers is rewritten; the file is replaced
atomically and left untouched when discovery fails or finds nothing. Names
that are not host names (letters, digits, inner hyphens) are left out.

Examples:
  dnsctl hosts --service _http._tcp.example.com --output /etc/hosts
  dnsctl --provider route53 --zone example.com \\
      hosts --from-zone --output ./hosts";

const BROWSE_EXAMPLES: &str = "\
Example:
  dnsctl browse _http._tcp.example.com --server 10.0.0.2";

const RESOLVE_EXAMPLES: &str = "\
Example:
  dnsctl resolve 'v1._http._tcp.example.com' --json";

const DISCOVER_EXAMPLES: &str = "\
Examples:
  dnsctl discover _http._tcp.example.com
  dnsctl discover _http._tcp.example.com --json | jq '.instances[].targets'";

const ORDER_EXAMPLES: &str = "\
Examples:
  dnsctl order _http._tcp.example.com --instance v1
  dnsctl order 'v1._http._tcp.example.com' --json";

const WATCH_EXAMPLES: &str = "\
Examples:
  dnsctl watch _http._tcp.example.com
  # the first poll reports every instance as added
  dnsctl watch _http._tcp.example.com --json --events 3";

const RECORDS_EXAMPLES: &str = "\
Examples:
  dnsctl --provider route53 --zone example.com records list --type SRV
  dnsctl --provider cloudflare --zone example.com \\
      records apply changes.yaml --yes";

const LIST_EXAMPLES: &str = "\
Examples:
  dnsctl --provider route53 --zone example.com records list
  dnsctl --provider cloudflare --zone example.com records list --type SRV --json";

/// The text after a command's help: its examples (and notes), printed as
/// written. clap would re-wrap it to the terminal's width, splitting a
/// command across lines where a copy and paste breaks it; so it is kept
/// out of clap and added here ([`after_help`]).
const AFTER: &[(&str, &str)] = &[
    ("", AFTER_HELP),
    ("join", JOIN_EXAMPLES),
    ("leave", LEAVE_EXAMPLES),
    ("browse", BROWSE_EXAMPLES),
    ("resolve", RESOLVE_EXAMPLES),
    ("discover", DISCOVER_EXAMPLES),
    ("pick", PICK_EXAMPLES),
    ("order", ORDER_EXAMPLES),
    ("watch", WATCH_EXAMPLES),
    ("records", RECORDS_EXAMPLES),
    ("records list", LIST_EXAMPLES),
    ("records apply", APPLY_EXAMPLES),
    ("hosts", HOSTS_EXAMPLES),
    ("serve", SERVE_EXAMPLES),
    ("reap", REAP_EXAMPLES),
    ("sync", SYNC_EXAMPLES),
    ("records export", EXPORT_EXAMPLES),
];

const SERVE_EXAMPLES: &str = "\
Queries get the RFC 6763 additional records (SRV, TXT and addresses with
each PTR answer). Stops on SIGTERM or SIGINT.

Examples:
  # in one terminal
  dnsctl serve --zone example.test
  # in another: publish, then discover
  dnsctl --provider rfc2136 --server 127.0.0.1:5300 --zone example.test \\
      join --service _http._tcp --instance web --port 8080 --address 127.0.0.1
  dnsctl --server 127.0.0.1:5300 discover _http._tcp.example.test
  # zones kept across restarts, updates signed with a key
  tsig-keygen update-key > update.key
  dnsctl serve --zone example.test --data ./zones --tsig-key-file update.key";

/// The global options each subcommand has no use for: hidden from its help
/// (they are still accepted, so a script that sets them for every call
/// keeps working).
const UNUSED_GLOBALS: &[(&str, &[&str])] = &[
    ("join", &["servers"]),
    ("leave", &["servers"]),
    ("records", &["servers"]),
    ("records list", &["servers"]),
    ("records apply", &["servers"]),
    ("records export", &["servers"]),
    (
        "serve",
        &["provider", "zone_id", "endpoint", "servers", "timeout"],
    ),
    (
        "browse",
        &["provider", "zone_id", "endpoint", "tsig_key_file"],
    ),
    (
        "resolve",
        &["provider", "zone_id", "endpoint", "tsig_key_file"],
    ),
    (
        "discover",
        &["provider", "zone_id", "endpoint", "tsig_key_file"],
    ),
    (
        "pick",
        &["provider", "zone_id", "endpoint", "tsig_key_file"],
    ),
    (
        "order",
        &["provider", "zone_id", "endpoint", "tsig_key_file"],
    ),
    (
        "watch",
        &["provider", "zone_id", "endpoint", "tsig_key_file"],
    ),
];

/// The examples and notes for the help text `help` (as clap rendered it):
/// the command is read off its `Usage: dnsctl ...` line.
pub(crate) fn after_help(help: &str) -> Option<&'static str> {
    let usage = help
        .lines()
        .find_map(|l| l.trim().strip_prefix("Usage: dnsctl"))?;
    let path: Vec<&str> = usage
        .split_whitespace()
        .take_while(|w| w.chars().all(|c| c.is_ascii_lowercase()))
        .collect();
    let path = path.join(" ");
    AFTER
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, text)| *text)
}

/// The command line parser: [`Cli`] with every subcommand's help showing
/// its own options first, then only the global options it uses.
pub(crate) fn command() -> clap::Command {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    let globals: Vec<clap::Arg> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set())
        .cloned()
        .collect();
    // clap propagates a global option into a subcommand unless the
    // subcommand has its own argument of that id: a hidden copy there
    // keeps the option working and out of that subcommand's help.
    for (path, unused) in UNUSED_GLOBALS {
        let hide = |sub: clap::Command| {
            globals
                .iter()
                .filter(|a| unused.contains(&a.get_id().as_str()))
                .fold(sub, |sub, a| sub.arg(a.clone().hide(true)))
        };
        cmd = match path.split_once(' ') {
            Some((outer, inner)) => cmd.mut_subcommand(outer, |o| o.mut_subcommand(inner, hide)),
            None => cmd.mut_subcommand(*path, hide),
        };
    }
    cmd
}

/// `join` and `leave`.
#[derive(Debug, Args)]
pub(crate) struct JoinArgs {
    /// The service type, e.g. _http._tcp (RFC 6763: _name._tcp or _name._udp).
    #[arg(long, value_parser = parse_service_type)]
    pub(crate) service: Option<ServiceType>,

    /// The instance label (default: the first label of the SRV target host).
    /// Hosts joining the same instance share its SRV set.
    #[arg(long, value_parser = parse_label)]
    pub(crate) instance: Option<Label>,

    /// The port clients connect to (required by join with --service).
    #[arg(long, allow_negative_numbers = true, value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) port: Option<u16>,

    /// SRV priority: clients try lower values first.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub(crate) priority: u16,

    /// SRV weight: share of picks among targets of equal priority.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub(crate) weight: u16,

    /// TTL of the records written, in seconds.
    #[arg(long, default_value_t = dns_core::ServiceInstance::DEFAULT_TTL, allow_negative_numbers = true,
          value_parser = parse_ttl)]
    pub(crate) ttl: u32,

    /// A TXT property of the instance (repeatable): key=value, or key alone for a flag.
    #[arg(long = "txt", value_name = "KEY[=VALUE]")]
    pub(crate) txt: Vec<String>,

    /// The SRV target host name (default: derived from --address: 10.1.2.3 in
    /// example.com gives 10-1-2-3.example.com).
    #[arg(long, value_parser = parse_host)]
    pub(crate) host: Option<CliName>,

    /// This host's address (repeatable, e.g. IPv4 and IPv6): an IP, `auto`
    /// (EC2 metadata if on EC2, else the default route's interface),
    /// `public` or `private` (EC2 metadata, IMDSv2).
    #[arg(long = "address", value_name = "IP|auto|public|private", value_parser = parse_address)]
    pub(crate) addresses: Vec<AddressSpec>,

    /// Add this host's address to (leave: remove it from) the A/AAAA set at NAME (round robin).
    #[arg(long, value_name = "NAME", value_parser = parse_cli_name)]
    pub(crate) a_record: Option<CliName>,

    /// Also register the instance under this subtype (repeatable, RFC 6763 section 7.1).
    #[arg(long = "subtype", value_parser = parse_label)]
    pub(crate) subtypes: Vec<Label>,

    /// Publish an --address no client can connect to (0.0.0.0, ::, the
    /// broadcast address, multicast), refused otherwise.
    #[arg(long)]
    pub(crate) force_address: bool,

    /// join only: stay in the foreground and leave on SIGTERM or SIGINT.
    #[arg(long)]
    pub(crate) until_signal: bool,

    /// With --until-signal: re-assert the registration every DURATION
    /// (±20% jitter), writing only what went missing, e.g. 10m.
    #[arg(long, value_name = "DURATION", value_parser = parse_period, requires = "until_signal")]
    pub(crate) refresh: Option<Duration>,
}

/// `reap`.
#[derive(Debug, Args)]
pub(crate) struct ReapArgs {
    /// A service type to reap, in --zone (repeatable), e.g. _http._tcp.
    #[arg(long = "service", value_name = "SERVICE", required = true, value_parser = parse_service_type)]
    pub(crate) services: Vec<ServiceType>,

    /// How to probe a target: tcp (connect to its port), http:PATH or
    /// https:PATH (GET, expecting 2xx).
    #[arg(long, value_name = "tcp|http:PATH", default_value = "tcp", value_parser = parse_check)]
    pub(crate) check: CheckSpec,

    /// Failed probes in a row that make a target dead.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub(crate) failures: u32,

    /// The time between two probes of a failing target (and between passes).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_period)]
    pub(crate) interval: Duration,

    /// How long one probe may take.
    // The global --timeout is for provider calls; a probe has its own
    // default, so reap has its own argument of that id.
    #[arg(long = "timeout", id = "timeout", value_name = "DURATION", default_value = "2s",
          value_parser = parse_period)]
    pub(crate) probe_timeout: Duration,

    /// The largest share of a service's targets one pass removes (at least one).
    #[arg(long, value_name = "PERCENT", default_value = "50", value_parser = parse_percent)]
    pub(crate) max_remove: u8,

    /// Allow a pass to remove a service's last target.
    #[arg(long)]
    pub(crate) allow_empty: bool,

    /// Make one pass and exit (a timer or cron job); without it, pass
    /// until SIGTERM or SIGINT.
    #[arg(long)]
    pub(crate) once: bool,

    /// Report what would be removed, and remove nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
}

/// How `reap` probes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CheckSpec {
    /// TCP connect.
    Tcp,
    /// GET of a path; with TLS for https.
    Http { path: String, tls: bool },
}

fn parse_check(s: &str) -> Result<CheckSpec, String> {
    if s == "tcp" {
        return Ok(CheckSpec::Tcp);
    }
    let (tls, path) = match (s.strip_prefix("http:"), s.strip_prefix("https:")) {
        (Some(path), _) => (false, path),
        (_, Some(path)) => (true, path),
        _ => return Err(format!("{s:?}: expected tcp, http:PATH or https:PATH")),
    };
    if !path.starts_with('/') || path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{s:?}: the path starts with / and has no spaces"));
    }
    Ok(CheckSpec::Http {
        path: path.to_owned(),
        tls,
    })
}

/// `50` or `50%`, from 0 to 100.
fn parse_percent(s: &str) -> Result<u8, String> {
    s.trim_end_matches('%')
        .parse::<u8>()
        .ok()
        .filter(|p| *p <= 100)
        .ok_or_else(|| format!("{s:?} is not a percentage from 0 to 100"))
}

/// A duration that is not zero.
fn parse_period(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d.is_zero() {
        return Err(format!("{s:?}: must be more than zero"));
    }
    Ok(d)
}

/// Where this host's address comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddressSpec {
    /// Given on the command line.
    Ip(IpAddr),
    /// EC2 metadata when on EC2, else the default route's interface.
    Auto,
    /// EC2 metadata: public-ipv4.
    Public,
    /// EC2 metadata: local-ipv4.
    Private,
}

/// A service type in a domain: `_name._tcp.example.com`.
#[derive(Debug, Args)]
pub(crate) struct ServiceArg {
    /// The service, e.g. _http._tcp.example.com.
    #[arg(value_name = "SERVICE.DOMAIN", value_parser = parse_service_name)]
    pub(crate) service: ServiceName,
}

/// An instance name: `Label._name._tcp.example.com`.
#[derive(Debug, Args)]
pub(crate) struct InstanceArg {
    /// The instance, in presentation form (escape dots in the label as `\.`).
    #[arg(value_name = "INSTANCE.SERVICE.DOMAIN", value_parser = parse_cli_name)]
    pub(crate) instance: CliName,
}

/// What `pick` and `order` choose among.
#[derive(Debug, Args)]
pub(crate) struct SelectArgs {
    /// A service (_name._tcp.domain) or one instance (Label._name._tcp.domain).
    #[arg(value_name = "SERVICE.DOMAIN|INSTANCE", value_parser = parse_cli_name)]
    pub(crate) name: CliName,

    /// With a service: choose among this instance's targets only.
    #[arg(long, value_parser = parse_label)]
    pub(crate) instance: Option<Label>,

    /// Seed the random choice (repeatable results, for tests and demos).
    #[arg(long)]
    pub(crate) seed: Option<u64>,
}

/// `pick`.
#[derive(Debug, Args)]
pub(crate) struct PickArgs {
    #[command(flatten)]
    pub(crate) select: SelectArgs,

    /// Make N independent picks (JSON: an array of N objects).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1_000_000), conflicts_with = "samples")]
    pub(crate) count: Option<u32>,

    /// Pick N times and show each target's observed share next to its expected share.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000_000))]
    pub(crate) samples: Option<u32>,
}

/// `watch`.
#[derive(Debug, Args)]
pub(crate) struct WatchArgs {
    #[command(flatten)]
    pub(crate) service: ServiceArg,

    /// Exit after this many events (the first poll reports every instance as added).
    #[arg(long)]
    pub(crate) events: Option<u64>,

    /// The shortest time between polls (records' TTLs decide otherwise).
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub(crate) min_interval: Duration,

    /// The longest time between polls.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub(crate) max_interval: Duration,
}

/// `records list` and `records apply`.
#[derive(Debug, Subcommand)]
pub(crate) enum RecordsCommand {
    /// List the zone's record sets (needs --provider and --zone).
    List {
        /// Only sets of this type.
        #[arg(long = "type", value_parser = parse_record_type)]
        rtype: Option<RecordType>,
        /// Only sets at this name or below it.
        #[arg(long, value_parser = parse_cli_name)]
        name: Option<CliName>,
    },
    /// Write the zone's current record sets as a `dnsctl sync` file (yaml)
    /// or an RFC 1035 zone file (zone), to stdout.
    Export {
        /// yaml (the sync file format) or zone (RFC 1035).
        #[arg(long, value_enum, default_value = "yaml")]
        format: ExportFormat,
    },
    /// Read changes from a JSON or YAML file, print the plan, apply it with --yes.
    Apply {
        /// The file of changes (`-` for stdin); YAML unless it parses as JSON.
        file: PathBuf,
        /// Apply the plan (without it, nothing is written).
        #[arg(long)]
        yes: bool,
    },
}

/// `records export --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportFormat {
    /// The `dnsctl sync` file format (docs/sync.md).
    Yaml,
    /// An RFC 1035 zone file.
    Zone,
}

const EXPORT_EXAMPLES: &str = "\
Owner markers (the _dns-sync tree) are left out; the SOA is left out of
yaml and kept in zone (which sync ignores). Syncing an export plans nothing.

Examples:
  dnsctl --provider route53 --zone example.com records export > example.yaml
  dnsctl --provider rfc2136 --server 10.0.0.2 --tsig-key-file update.key \\
      --zone example.com records export --format zone > example.com.zone";

/// `sync`.
#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    /// The desired state: a YAML or JSON sync file (docs/sync.md), or an
    /// RFC 1035 zone file when the name ends in .zone.
    pub(crate) file: PathBuf,
    /// Apply the plan (without it, nothing is written).
    #[arg(long, conflicts_with = "check")]
    pub(crate) yes: bool,
    /// Exit with status 3 when the plan is not empty (drift detection).
    #[arg(long)]
    pub(crate) check: bool,
    /// Who this sync is: it changes only sets marked with this owner.
    #[arg(long, value_name = "ID", default_value = DEFAULT_OWNER)]
    pub(crate) owner: String,
    /// sync (create, update, delete), upsert-only or create-only.
    #[arg(long, value_enum, default_value = "sync")]
    pub(crate) policy: PolicyArg,
    /// Apply a plan a safety rule refuses (too many changes, the apex SOA
    /// or NS, an empty desired state).
    #[arg(long)]
    pub(crate) force: bool,
    /// Print the plan as Markdown (for a pull-request comment).
    #[arg(long, conflicts_with = "json")]
    pub(crate) markdown: bool,
}

/// The owner when `--owner` is absent: every sync run without it shares
/// these sets, which suits one control plane per zone.
pub(crate) const DEFAULT_OWNER: &str = "dnsctl";

/// `sync --policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PolicyArg {
    /// Create, update and delete owned sets.
    Sync,
    /// Create and update; never delete.
    UpsertOnly,
    /// Create only.
    CreateOnly,
}

const SYNC_EXAMPLES: &str = "\
Exit status: 0 done (the plan printed, or applied with --yes), 1 failed or
refused by a safety rule (nothing applied), 2 bad input (a bad file names
the line), 3 with --check when the zone differs from the file.
Only sets marked as owned by --owner (default dnsctl) are updated or
deleted; others are reported as left alone.
Several --provider: one plan each. A provider that fails does not stop the
others (exit 1 names it); a plan refused on any provider applies nothing
anywhere. --endpoint then says whose it is: route53=URL, cloudflare=URL.

Examples:
  # review, then apply
  dnsctl --provider route53 --zone example.com sync example.yaml
  dnsctl --provider route53 --zone example.com sync example.yaml --yes
  # CI: fail when the zone drifted from the file
  dnsctl --provider cloudflare --zone example.com sync example.yaml --check
  # a zone file, on a server taking RFC 2136 updates
  dnsctl --provider rfc2136 --server 10.0.0.2 --tsig-key-file update.key \\
      --zone example.com sync example.com.zone --owner cp-eu1 --json
  # the same file on several providers, each with its own plan
  dnsctl --provider route53,cloudflare --zone example.com sync example.yaml --yes";

const APPLY_EXAMPLES: &str = "\
The file holds a list of changes (or {\"changes\": [...]}). Each has an
action (upsert, delete, add, remove), a name, a type, and for all but delete
a ttl and values in zone-file presentation form:

  - action: add
    name: www.example.com
    type: A
    ttl: 120
    values: [192.0.2.10]
  - action: upsert
    name: v1._http._tcp.example.com
    type: TXT
    ttl: 60
    values: ['\"path=/\" \"tls\"']

Names without a domain (www, v1._http._tcp, a target host9) are in --zone;
write a name in full, or end it with a dot, to mean it as it is.

Examples:
  dnsctl --provider route53 --zone example.com records apply changes.yaml
  dnsctl --provider route53 --zone example.com \\
      records apply changes.yaml --yes";

/// `serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// A zone to serve (repeatable), created with SOA and NS when new.
    // The global --zone is single; serve takes several under the same
    // name, so it has its own argument of that id.
    #[arg(long = "zone", id = "zone", value_name = "ZONE", required = true,
          value_parser = parse_name, action = clap::ArgAction::Append)]
    pub(crate) zones: Vec<Name>,

    /// Where to listen, UDP and TCP (not 5353, which mDNS uses).
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:5300")]
    pub(crate) listen: SocketAddr,

    /// Keep the zones in this directory across restarts (one file per
    /// zone, written atomically after every update). Default: in memory.
    #[arg(long, value_name = "DIR")]
    pub(crate) data: Option<PathBuf>,
}

/// `hosts`.
#[derive(Debug, Args)]
pub(crate) struct HostsArgs {
    /// Discover this service and write its targets' addresses (repeatable).
    #[arg(long = "service", value_name = "SERVICE.DOMAIN", value_parser = parse_service_name,
          required_unless_present = "from_zone")]
    pub(crate) services: Vec<ServiceName>,

    /// Write the zone's A and AAAA records instead (needs --provider and --zone).
    #[arg(long, conflicts_with = "services")]
    pub(crate) from_zone: bool,

    /// The hosts file to update.
    #[arg(long)]
    pub(crate) output: PathBuf,

    /// Write the block even when nothing was found (default: refuse, keep the file).
    #[arg(long)]
    pub(crate) allow_empty: bool,
}

/// A service type together with the domain it lives in.
#[derive(Debug, Clone)]
pub(crate) struct ServiceName {
    pub(crate) service: ServiceType,
    pub(crate) domain: Name,
    /// Given without a domain (`_http._tcp`): the domain is `--zone`.
    pub(crate) relative: bool,
}

/// A name from the command line, before `--zone` completes it.
///
/// The rule, the same in every subcommand and in `records apply` files: a
/// name with a trailing dot is taken as written; so is any other name that
/// reaches a domain (`www.example.com`). A name that stops before one (a
/// single label such as `host9`, or one ending at the service type such as
/// `_http._tcp` or `v1._http._tcp`) is relative to `--zone`, and refused
/// when there is no `--zone`: publishing `host9.` (a top-level name no one
/// can resolve) is never what was meant.
#[derive(Debug, Clone)]
pub(crate) struct CliName {
    name: Name,
    text: String,
    relative: bool,
}

impl CliName {
    fn parse(s: &str) -> Result<Self, String> {
        let name = parse_name(s)?;
        let relative = is_relative(s, &name);
        Ok(Self {
            name,
            text: s.to_owned(),
            relative,
        })
    }

    /// The name, completed with `zone` when it was relative.
    fn complete(&mut self, zone: Option<&Name>) -> Result<(), String> {
        if !self.relative {
            return Ok(());
        }
        self.name = complete_name(&self.text, &self.name, zone)?;
        self.relative = false;
        Ok(())
    }
}

impl std::ops::Deref for CliName {
    type Target = Name;

    fn deref(&self) -> &Name {
        &self.name
    }
}

impl std::fmt::Display for CliName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.name.fmt(f)
    }
}

/// Whether `text` (parsed as `name`) stops before a domain; see [`CliName`].
pub(crate) fn is_relative(text: &str, name: &Name) -> bool {
    let trailing_dot = text.ends_with('.')
        && text[..text.len() - 1]
            .bytes()
            .rev()
            .take_while(|b| *b == b'\\')
            .count()
            % 2
            == 0;
    let ends_at_service = name.labels().last().is_some_and(|l| {
        l.as_bytes().eq_ignore_ascii_case(b"_tcp") || l.as_bytes().eq_ignore_ascii_case(b"_udp")
    });
    !trailing_dot && (name.labels().len() == 1 || ends_at_service)
}

/// `name` (written `text`) under `zone`, or why it cannot be completed.
pub(crate) fn complete_name(text: &str, name: &Name, zone: Option<&Name>) -> Result<Name, String> {
    let Some(zone) = zone else {
        return Err(format!(
            "{text:?} has no domain: write the full name (e.g. {text}.example.com) or give --zone \
             to complete it"
        ));
    };
    name.join(zone)
        .map_err(|e| format!("{text:?} in {zone}: {e}"))
}

impl Cli {
    /// Completes every relative name with `--zone` (see [`CliName`]).
    pub(crate) fn complete_names(&mut self) -> Result<(), String> {
        let zone = self.global.zone.as_ref();
        let service = |s: &mut ServiceName| -> Result<(), String> {
            if s.relative {
                s.domain = complete_name(&s.service.to_string(), &Name::root(), zone)?;
                s.relative = false;
            }
            Ok(())
        };
        match &mut self.command {
            Command::Join(a) | Command::Leave(a) => {
                for n in [&mut a.host, &mut a.a_record].into_iter().flatten() {
                    n.complete(zone)?;
                }
            }
            Command::Browse(a) | Command::Discover(a) => service(&mut a.service)?,
            Command::Watch(a) => service(&mut a.service.service)?,
            Command::Resolve(a) => a.instance.complete(zone)?,
            Command::Pick(a) => a.select.name.complete(zone)?,
            Command::Order(a) => a.name.complete(zone)?,
            Command::Records(RecordsCommand::List { name: Some(n), .. }) => n.complete(zone)?,
            Command::Records(_) => {}
            Command::Hosts(a) => {
                for s in &mut a.services {
                    service(s)?;
                }
            }
            Command::Serve(_) | Command::Reap(_) | Command::Sync(_) => {}
        }
        Ok(())
    }
}

fn parse_name(s: &str) -> Result<Name, String> {
    Name::parse(s).map_err(|e| e.to_string())
}

fn parse_label(s: &str) -> Result<Label, String> {
    Label::new(s).map_err(|e| e.to_string())
}

fn parse_service_type(s: &str) -> Result<ServiceType, String> {
    s.trim_end_matches('.')
        .parse::<ServiceType>()
        .map_err(|e| e.to_string())
}

fn parse_cli_name(s: &str) -> Result<CliName, String> {
    CliName::parse(s)
}

/// A host name; an IP address is refused with a hint, since `--host
/// 10.1.2.3` would publish an SRV target no client can resolve.
fn parse_host(s: &str) -> Result<CliName, String> {
    if s.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok()
    {
        return Err(format!(
            "{s:?} is an IP address; --host takes a host name (use --address for an IP)"
        ));
    }
    CliName::parse(s)
}

fn parse_service_name(s: &str) -> Result<ServiceName, String> {
    let name = parse_name(s)?;
    let relative = is_relative(s, &name);
    ServiceType::split_name(&name)
        .map(|(service, domain)| ServiceName {
            service,
            domain,
            relative,
        })
        .ok_or_else(|| {
            format!("{s:?} is not a service name: expected _name._tcp.domain or _name._udp.domain")
        })
}

/// Seconds, within the one TTL rule of every record ([`dns_core::check_ttl`]).
fn parse_ttl(s: &str) -> Result<u32, String> {
    let ttl: u32 = s.parse().map_err(|_| {
        format!(
            "{s:?} is not a TTL: seconds from 0 to {}",
            dns_core::MAX_TTL
        )
    })?;
    dns_core::check_ttl(ttl).map_err(|e| e.to_string())
}

fn parse_record_type(s: &str) -> Result<RecordType, String> {
    s.parse::<RecordType>().map_err(|e| e.to_string())
}

fn parse_address(s: &str) -> Result<AddressSpec, String> {
    match s {
        "auto" => Ok(AddressSpec::Auto),
        "public" => Ok(AddressSpec::Public),
        "private" => Ok(AddressSpec::Private),
        _ => s.parse::<IpAddr>().map(AddressSpec::Ip).map_err(|_| {
            format!("{s:?} is neither an IP address nor one of auto, public, private")
        }),
    }
}

/// `--endpoint`: a URL, for the provider given or the one named before `=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EndpointArg {
    /// The provider it is for; `None` when not said.
    pub(crate) provider: Option<ProviderKind>,
    pub(crate) url: String,
}

/// `URL` or `PROVIDER=URL`.
pub(crate) fn parse_endpoint(s: &str) -> Result<EndpointArg, String> {
    if let Some((name, url)) = s.split_once('=')
        && !name.contains(':')
    {
        let provider = ProviderKind::from_str(name, true).map_err(|_| {
            format!("{s:?}: {name:?} is not a provider (route53=URL or cloudflare=URL)")
        })?;
        return Ok(EndpointArg {
            provider: Some(provider),
            url: url.to_owned(),
        });
    }
    Ok(EndpointArg {
        provider: None,
        url: s.to_owned(),
    })
}

/// `IP`, `IP:PORT`, `[IPv6]:PORT`; port 53 when none is given.
pub(crate) fn parse_server(s: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Ok(addr);
    }
    s.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| format!("{s:?} is not IP or IP:PORT"))
}

/// `1500ms`, `5s`, `2m`, or a bare number of seconds.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let (number, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{s:?} is not a duration such as 800ms, 5s or 2m"))?;
    let seconds = match unit {
        "ms" => value / 1e3,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3_600.0,
        _ => return Err(format!("{s:?}: unknown unit {unit:?} (use ms, s, m or h)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("{s:?}: {e}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
        // Every subcommand has its text after the help, and every path in
        // the tables is a real subcommand (command() panics otherwise).
        let mut cmd = command();
        cmd.build();
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let help = sub.clone().render_help().to_string();
            assert!(after_help(&help).is_some(), "{}: {help}", sub.get_name());
        }
    }

    #[test]
    fn servers_take_an_optional_port() {
        assert_eq!(
            parse_server("10.0.0.2").unwrap(),
            "10.0.0.2:53".parse().unwrap()
        );
        assert_eq!(
            parse_server("127.0.0.1:5353").unwrap(),
            "127.0.0.1:5353".parse().unwrap()
        );
        assert_eq!(parse_server("::1").unwrap(), "[::1]:53".parse().unwrap());
        assert_eq!(
            parse_server("[::1]:54").unwrap(),
            "[::1]:54".parse().unwrap()
        );
        assert!(parse_server("ns1.example.com").is_err());
    }

    #[test]
    fn durations_have_units() {
        assert_eq!(parse_duration("800ms").unwrap(), Duration::from_millis(800));
        assert_eq!(parse_duration("5").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn service_names_split_into_type_and_domain() {
        let s = parse_service_name("_http._tcp.example.com.").unwrap();
        assert_eq!(s.service.to_string(), "_http._tcp");
        assert_eq!(s.domain, Name::parse("example.com").unwrap());
        assert!(parse_service_name("http.tcp.example.com").is_err());
        assert!(parse_service_type("http").is_err());
        assert!(parse_service_type("_http._tcp").is_ok());
    }
}
