//! `dnsctl`: register services in DNS at boot, withdraw them at shutdown,
//! and discover and pick them, on Route 53 or Cloudflare.
//!
//! Run `dnsctl --help` (and `dnsctl SUBCOMMAND --help`) for every option
//! with examples; `docs/getting-started.md` walks through a first session.
//! Exit status: 0 done, 1 the operation failed, 2 bad input found before
//! anything was sent, 3 `sync --check` found drift; errors are one line
//! on stderr naming what failed and why.

mod address;
mod cli;
mod discover;
mod failure;
mod hosts;
mod join;
mod output;
mod pick;
mod provider;
mod reap;
mod records;
mod serve;
mod signals;
mod sync;

use std::io::Write;
use std::process::ExitCode;

use clap::FromArgMatches;
use clap::error::ErrorKind;

use crate::cli::{Cli, Command};
use crate::failure::{Failure, one_line};

fn main() -> ExitCode {
    let parsed = cli::command()
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let mut cli = match parsed {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    if let Err(why) = cli.complete_names() {
        return fail(&Failure::usage(why));
    }
    init_logging(cli.global.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&Failure::failed(format!("starting the runtime: {e}"))),
    };
    match runtime.block_on(run(&cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => fail(&failure),
    }
}

async fn run(cli: &Cli) -> Result<(), Failure> {
    let global = &cli.global;
    match &cli.command {
        Command::Join(args) => join::run(global, args, false).await,
        Command::Leave(args) => join::run(global, args, true).await,
        Command::Browse(args) => discover::browse(global, args).await,
        Command::Resolve(args) => discover::resolve(global, args).await,
        Command::Discover(args) => discover::discover(global, args).await,
        Command::Pick(args) => pick::run_pick(global, args).await,
        Command::Order(args) => pick::run_order(global, args).await,
        Command::Watch(args) => discover::watch(global, args).await,
        Command::Records(command) => records::run(global, command).await,
        Command::Hosts(args) => hosts::run(global, args).await,
        Command::Serve(args) => serve::run(global, args).await,
        Command::Sync(args) => sync::run(global, args).await,
        Command::Reap(args) => reap::run(global, args).await,
    }
}

/// `--help` and `--version` go to stdout with status 0; usage errors are
/// one line on stderr with status 2.
fn usage_error(e: &clap::Error) -> ExitCode {
    match e.kind() {
        ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelp => {
            print_help(e);
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            print_help(e);
            ExitCode::from(2)
        }
        _ => {
            let text = e.render().to_string();
            // clap ends with a usage line and a --help hint; keep the reason.
            let reason = text.split("\n\nUsage:").next().unwrap_or(&text);
            let reason = reason
                .split("\n\nFor more information")
                .next()
                .unwrap_or(reason);
            let reason = one_line(reason.trim_start_matches("error: "));
            let reason = dns_core::terminal_safe(&reason);
            let _ = writeln!(std::io::stderr(), "dnsctl: {reason} (see dnsctl --help)");
            ExitCode::from(2)
        }
    }
}

/// clap's help (wrapped to the terminal), then the command's examples as
/// written, so that each stays one copy-pasteable command.
fn print_help(e: &clap::Error) {
    let help = e.render().to_string();
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "{}", help.trim_end());
    if let Some(after) = cli::after_help(&help) {
        let _ = write!(out, "\n\n{after}");
    }
    let _ = writeln!(out);
}

fn fail(failure: &Failure) -> ExitCode {
    if let Some(message) = failure.message() {
        let _ = writeln!(std::io::stderr(), "dnsctl: {message}");
    }
    failure.exit_code()
}

/// Without `-v`, only errors from the libraries, and the warnings about
/// answers discovery ignored (a PTR outside the service, an unusable SRV
/// record): dnsctl reports what went wrong itself, in one line, and other
/// library warnings (an AWS region not found in EC2 metadata, a retried
/// lookup) would only repeat or clutter it.
fn init_logging(verbose: u8) {
    use tracing::level_filters::LevelFilter;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let level = match verbose {
        0 => LevelFilter::ERROR,
        1 => LevelFilter::INFO,
        2 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    let filter = tracing_subscriber::filter::Targets::new()
        .with_default(level)
        .with_target("dns_sd_client::ptr_targets", level.max(LevelFilter::WARN))
        .with_target("dns_sd_client::srv_checks", level.max(LevelFilter::WARN));
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(|| SafeStderr)
                .with_target(false)
                // Log fields carry names and messages from servers: every
                // control character is escaped by the writer, so the logs
                // have no colours.
                .with_ansi(false),
        )
        .with(filter)
        .try_init();
}

/// stderr for log lines: each write is one formatted event, ending with a
/// newline; anything else in it that could drive a terminal is escaped.
struct SafeStderr;

impl std::io::Write for SafeStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let (body, end) = match text.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (&*text, ""),
        };
        let mut err = std::io::stderr().lock();
        write!(err, "{}{end}", dns_core::terminal_safe(body))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
