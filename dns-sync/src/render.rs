//! Plan renderers: text for people (a colour diff on a terminal), JSON for
//! machines, Markdown for a pull-request comment.
//!
//! Record data comes from the zone and from files the sync does not
//! trust, so text and Markdown escape every character that could drive a
//! terminal ([`dns_core::terminal_safe`]); JSON's own escapes cover it.

use std::fmt::Write as _;

use dns_core::{RecordSet, terminal_safe};
use serde::Serialize;

use crate::error::{Refusal, SyncError};
use crate::plan::{LeftAlone, Plan, Step};

/// How [`text`] marks up a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Style {
    /// No escape sequences: for files, pipes and logs.
    #[default]
    Plain,
    /// ANSI colours (green creates, red deletes, yellow updates): for a
    /// terminal.
    Colour,
}

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const BOLD_RED: &str = "\x1b[1;31m";
const RESET: &str = "\x1b[0m";

impl Style {
    fn paint(self, colour: &str, text: &str) -> String {
        match self {
            Self::Plain => text.to_owned(),
            Self::Colour => format!("{colour}{text}{RESET}"),
        }
    }
}

/// The plan as a diff for people: a heading with the counts, then `+`
/// for a created set, `-` for a deleted one, `~` for an updated one with
/// its values before (`-`) and after (`+`), then notes, sets left alone
/// and refusals.
///
/// ```
/// use std::sync::Arc;
/// use dns_core::{DnsProvider, InMemoryProvider, Name, RData, RecordSet};
/// use dns_sync::{Destination, DesiredZone, Style, SyncOptions, plan, render};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let memory = InMemoryProvider::new();
/// let zone = memory.create_zone(Name::parse("example.com")?)?;
/// let mut desired = DesiredZone::new(zone.name.clone());
/// desired.add_set(RecordSet::new(Name::parse("www.example.com")?, 300,
///     [RData::A("192.0.2.1".parse()?)])?)?;
/// let destination = Destination::new(Arc::new(memory), zone);
/// let reviewed = plan(&destination, &desired, &SyncOptions::new("cp".parse()?)).await?;
/// let shown = render::text(&reviewed, Style::Plain);
/// assert!(shown.contains("+ www.example.com. A 300 192.0.2.1"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub fn text(plan: &Plan, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", safe(&heading(plan)));
    for step in plan.steps() {
        match step {
            Step::Create(set) => {
                let line = format!("  + {}", set_line(set));
                let _ = writeln!(out, "{}", style.paint(GREEN, &line));
            }
            Step::Delete(set) => {
                let line = format!("  - {}", set_line(set));
                let _ = writeln!(out, "{}", style.paint(RED, &line));
            }
            Step::Update { before, after } => {
                let line = format!(
                    "  ~ {} {}",
                    safe(&after.name().to_string()),
                    after.record_type()
                );
                let _ = writeln!(out, "{}", style.paint(YELLOW, &line));
                let old = format!("      - {}", data(before));
                let new = format!("      + {}", data(after));
                let _ = writeln!(out, "{}", style.paint(RED, &old));
                let _ = writeln!(out, "{}", style.paint(GREEN, &new));
            }
        }
    }
    for note in notes(plan) {
        let _ = writeln!(out, "  note: {note}");
    }
    for (set, why) in plan.left_alone().iter().map(left_alone) {
        let _ = writeln!(out, "  left alone: {set}: {why}");
    }
    for refusal in plan.refusals() {
        let line = format!("  {}: {}", refused_word(plan), safe(&refusal.to_string()));
        let _ = writeln!(out, "{}", style.paint(BOLD_RED, &line));
    }
    out
}

/// The plan as Markdown for a pull-request comment: a heading, the steps
/// in a `diff` block (which forges colour), then notes, sets left alone
/// and refusals as lists.
///
/// ```
/// use std::sync::Arc;
/// use dns_core::{DnsProvider, InMemoryProvider, Name, RData, RecordSet};
/// use dns_sync::{Destination, DesiredZone, SyncOptions, plan, render};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let memory = InMemoryProvider::new();
/// let zone = memory.create_zone(Name::parse("example.com")?)?;
/// let mut desired = DesiredZone::new(zone.name.clone());
/// desired.add_set(RecordSet::new(Name::parse("www.example.com")?, 300,
///     [RData::A("192.0.2.1".parse()?)])?)?;
/// let destination = Destination::new(Arc::new(memory), zone);
/// let reviewed = plan(&destination, &desired, &SyncOptions::new("cp".parse()?)).await?;
/// let shown = render::markdown(&reviewed);
/// assert!(shown.contains("```diff\n+ www.example.com. A 300 192.0.2.1\n```"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub fn markdown(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "#### {}\n", md_text(&heading(plan)));
    let mut diff = Vec::new();
    for step in plan.steps() {
        match step {
            Step::Create(set) => diff.push(format!("+ {}", set_line(set))),
            Step::Delete(set) => diff.push(format!("- {}", set_line(set))),
            Step::Update { before, after } => {
                let at = format!(
                    "{} {}",
                    safe(&after.name().to_string()),
                    after.record_type()
                );
                diff.push(format!("- {at} {}", data(before)));
                diff.push(format!("+ {at} {}", data(after)));
            }
        }
    }
    if !diff.is_empty() {
        // A fence longer than any run of backticks in the data cannot be
        // closed by it.
        let body = diff.join("\n");
        let fence = "`".repeat(longest_run(&body, '`').max(2) + 1);
        let _ = writeln!(out, "{fence}diff\n{body}\n{fence}\n");
    }
    let mut list = |title: &str, items: Vec<String>| {
        if !items.is_empty() {
            let _ = writeln!(out, "{title}:\n");
            for item in items {
                let _ = writeln!(out, "- {}", md_text(&item));
            }
            let _ = writeln!(out);
        }
    };
    list("Notes", notes(plan));
    list(
        "Left alone",
        plan.left_alone()
            .iter()
            .map(left_alone)
            .map(|(set, why)| format!("{set}: {why}"))
            .collect(),
    );
    let refusals = plan.refusals().iter().map(ToString::to_string).collect();
    if plan.forced {
        list("**Refused, but forced**", refusals);
    } else {
        list("**Refused** (nothing will be applied)", refusals);
    }
    out
}

/// The plans of one run as JSON for machines: a stable, documented shape
/// (see [`JsonPlans`]); `version` changes only when a field changes
/// meaning or goes away.
///
/// ```
/// use std::sync::Arc;
/// use dns_core::{DnsProvider, InMemoryProvider, Name, RData, RecordSet};
/// use dns_sync::{Destination, DesiredZone, SyncOptions, plan, render};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let memory = InMemoryProvider::new();
/// let zone = memory.create_zone(Name::parse("example.com")?)?;
/// let mut desired = DesiredZone::new(zone.name.clone());
/// desired.add_set(RecordSet::new(Name::parse("www.example.com")?, 300,
///     [RData::A("192.0.2.1".parse()?)])?)?;
/// let destination = Destination::new(Arc::new(memory), zone);
/// let reviewed = plan(&destination, &desired, &SyncOptions::new("cp".parse()?)).await?;
/// let value = serde_json::to_value(render::json([&reviewed]))?;
/// assert_eq!(value["plans"][0]["steps"][0]["action"], "create");
/// assert_eq!(value["plans"][0]["steps"][0]["after"]["values"][0], "192.0.2.1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub fn json<'a>(plans: impl IntoIterator<Item = &'a Plan>) -> JsonPlans {
    JsonPlans {
        version: 1,
        plans: plans.into_iter().map(json_plan).collect(),
        failures: Vec::new(),
    }
}

/// The JSON document [`json`] returns.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct JsonPlans {
    /// The shape's version, 1.
    pub version: u32,
    /// One plan per (zone, provider).
    pub plans: Vec<JsonPlan>,
    /// The (zone, provider) pairs no plan could be computed for, when a
    /// sync on several providers went on without them; absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<JsonFailure>,
}

impl JsonPlans {
    /// Adds a provider whose plan failed (see [`crate::plan_all`]).
    #[must_use]
    pub fn with_failure(mut self, provider: &str, zone: &str, error: &SyncError) -> Self {
        self.failures.push(JsonFailure {
            provider: provider.to_owned(),
            zone: zone.to_owned(),
            message: error.to_string(),
        });
        self
    }
}

/// A (zone, provider) pair without a plan, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct JsonFailure {
    /// The provider's name.
    pub provider: String,
    /// The zone apex, absolute.
    pub zone: String,
    /// The error, in words.
    pub message: String,
}

/// One plan in JSON.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct JsonPlan {
    /// The zone apex, absolute (`example.com.`).
    pub zone: String,
    /// The provider's name (`route53`, `cloudflare`, `rfc2136`, `memory`).
    pub provider: String,
    /// Whether applying would change nothing.
    pub empty: bool,
    /// Whether applying is refused (a safety rule broken, not forced).
    pub refused: bool,
    /// How many sets the owner owned when planned.
    pub owned: usize,
    /// Whether the batch is guarded by preconditions.
    pub guarded: bool,
    /// The steps, in the order they are applied.
    pub steps: Vec<JsonStep>,
    /// TTLs changed to fit the provider.
    pub ttl_adjustments: Vec<JsonTtl>,
    /// Desired sets left alone.
    pub left_alone: Vec<JsonLeftAlone>,
    /// Safety rules broken.
    pub refusals: Vec<JsonRefusal>,
}

/// One step: `action` is `create` (only `after`), `update` (both) or
/// `delete` (only `before`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct JsonStep {
    /// `create`, `update` or `delete`.
    pub action: &'static str,
    /// The owner name, absolute.
    pub name: String,
    /// The record type (`A`, `TXT`...).
    #[serde(rename = "type")]
    pub rtype: String,
    /// The set as the zone holds it, absent for a create.
    pub before: Option<JsonData>,
    /// The set as it will be, absent for a delete.
    pub after: Option<JsonData>,
}

/// A set's TTL and values (presentation form).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct JsonData {
    /// Seconds.
    pub ttl: u32,
    /// Presentation form, as in a zone file.
    pub values: Vec<String>,
}

/// A TTL the provider could not store as desired.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct JsonTtl {
    /// The owner name.
    pub name: String,
    /// The record type.
    #[serde(rename = "type")]
    pub rtype: String,
    /// The TTL desired.
    pub desired: u32,
    /// The TTL planned.
    pub planned: u32,
}

/// A desired set left alone: `reason` is `other-owner` (with `owner`),
/// `unowned`, `unstorable` (with `detail`), `cname-conflict` or `policy`
/// (with `action`, the step withheld).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct JsonLeftAlone {
    /// The owner name.
    pub name: String,
    /// The record type.
    #[serde(rename = "type")]
    pub rtype: String,
    /// Why, as a fixed word.
    pub reason: &'static str,
    /// The other owner, for `other-owner`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The provider's reason, for `unstorable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The step withheld, for `policy`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<&'static str>,
}

/// A broken safety rule: `rule` is `too-many-changes` (with the four
/// numbers), `apex-change` (with `type`) or `empty-desired-state` (with
/// `owned`); `message` says it for people.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct JsonRefusal {
    /// The rule, as a fixed word.
    pub rule: &'static str,
    /// The refusal in words, with the numbers.
    pub message: String,
    /// Updates planned, for `too-many-changes`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updates: Option<usize>,
    /// Deletes planned, for `too-many-changes`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletes: Option<usize>,
    /// Owned sets, for `too-many-changes` and `empty-desired-state`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owned: Option<usize>,
    /// The threshold, for `too-many-changes`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold_percent: Option<u8>,
    /// The apex type, for `apex-change`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub rtype: Option<String>,
}

fn json_plan(plan: &Plan) -> JsonPlan {
    let d = plan.destination();
    JsonPlan {
        zone: d.zone.name.to_string(),
        provider: d.provider.provider_name().to_owned(),
        empty: plan.is_empty(),
        refused: !plan.refusals().is_empty() && !plan.forced,
        owned: plan.owned(),
        guarded: plan.is_guarded(),
        steps: plan.steps().iter().map(json_step).collect(),
        ttl_adjustments: plan
            .ttl_adjustments()
            .iter()
            .map(|(set, a)| JsonTtl {
                name: set.name().to_string(),
                rtype: set.record_type().to_string(),
                desired: a.desired,
                planned: a.planned,
            })
            .collect(),
        left_alone: plan.left_alone().iter().map(json_left_alone).collect(),
        refusals: plan.refusals().iter().map(json_refusal).collect(),
    }
}

fn json_data(set: &RecordSet) -> JsonData {
    JsonData {
        ttl: set.ttl(),
        values: set.values().iter().map(ToString::to_string).collect(),
    }
}

fn action(step: &Step) -> &'static str {
    match step {
        Step::Create(_) => "create",
        Step::Update { .. } => "update",
        Step::Delete(_) => "delete",
    }
}

fn json_step(step: &Step) -> JsonStep {
    let (name, rtype) = step.key();
    let (before, after) = match step {
        Step::Create(s) => (None, Some(json_data(s))),
        Step::Update { before, after } => (Some(json_data(before)), Some(json_data(after))),
        Step::Delete(s) => (Some(json_data(s)), None),
    };
    JsonStep {
        action: action(step),
        name: name.to_string(),
        rtype: rtype.to_string(),
        before,
        after,
    }
}

fn left_set(l: &LeftAlone) -> Option<&RecordSet> {
    match l {
        LeftAlone::OtherOwner { set, .. }
        | LeftAlone::Unowned { set }
        | LeftAlone::Unstorable { set, .. }
        | LeftAlone::CnameConflict { set } => Some(set),
        LeftAlone::Policy { .. } => None,
    }
}

fn json_left_alone(l: &LeftAlone) -> JsonLeftAlone {
    let (name, rtype) = match (left_set(l), l) {
        (Some(set), _) => (set.name().to_string(), set.record_type().to_string()),
        (None, LeftAlone::Policy { step }) => (step.key().0.to_string(), step.key().1.to_string()),
        (None, _) => (String::new(), String::new()),
    };
    let mut out = JsonLeftAlone {
        name,
        rtype,
        reason: "",
        owner: None,
        detail: None,
        action: None,
    };
    match l {
        LeftAlone::OtherOwner { owner, .. } => {
            out.reason = "other-owner";
            out.owner = Some(owner.to_string());
        }
        LeftAlone::Unowned { .. } => out.reason = "unowned",
        LeftAlone::Unstorable { reason, .. } => {
            out.reason = "unstorable";
            out.detail = Some(reason.clone());
        }
        LeftAlone::CnameConflict { .. } => out.reason = "cname-conflict",
        LeftAlone::Policy { step } => {
            out.reason = "policy";
            out.action = Some(action(step));
        }
    }
    out
}

fn json_refusal(r: &Refusal) -> JsonRefusal {
    let mut out = JsonRefusal {
        rule: "",
        message: r.to_string(),
        updates: None,
        deletes: None,
        owned: None,
        threshold_percent: None,
        rtype: None,
    };
    match r {
        Refusal::TooManyChanges {
            updates,
            deletes,
            owned,
            threshold_percent,
        } => {
            out.rule = "too-many-changes";
            out.updates = Some(*updates);
            out.deletes = Some(*deletes);
            out.owned = Some(*owned);
            out.threshold_percent = Some(*threshold_percent);
        }
        Refusal::ApexChange { rtype } => {
            out.rule = "apex-change";
            out.rtype = Some(rtype.to_string());
        }
        Refusal::EmptyDesiredState { owned } => {
            out.rule = "empty-desired-state";
            out.owned = Some(*owned);
        }
    }
    out
}

/// `example.com. on route53: 1 to create, 2 to update, 0 to delete`.
fn heading(plan: &Plan) -> String {
    let d = plan.destination();
    let count = |a: &str| plan.steps().iter().filter(|s| action(s) == a).count();
    let what = if plan.is_empty() {
        "no changes".to_owned()
    } else if plan.steps().is_empty() {
        "owner markers only".to_owned()
    } else {
        format!(
            "{} to create, {} to update, {} to delete",
            count("create"),
            count("update"),
            count("delete")
        )
    };
    format!("{} on {}: {what}", d.zone.name, d.provider.provider_name())
}

fn data(set: &RecordSet) -> String {
    let values: Vec<String> = set.values().iter().map(ToString::to_string).collect();
    // Commas, since a value of SRV or MX has spaces of its own.
    safe(&format!("{} {}", set.ttl(), values.join(", ")))
}

fn set_line(set: &RecordSet) -> String {
    format!(
        "{} {} {}",
        safe(&set.name().to_string()),
        set.record_type(),
        data(set)
    )
}

fn notes(plan: &Plan) -> Vec<String> {
    plan.ttl_adjustments()
        .iter()
        .map(|(set, a)| {
            safe(&format!(
                "{} {} TTL {} stored as {} (the provider's range)",
                set.name(),
                set.record_type(),
                a.desired,
                a.planned
            ))
        })
        .collect()
}

fn left_alone(l: &LeftAlone) -> (String, String) {
    let j = json_left_alone(l);
    let why = match l {
        LeftAlone::OtherOwner { owner, .. } => format!("owned by {owner}"),
        LeftAlone::Unowned { .. } => "exists without an owner marker (adopt to take it)".into(),
        LeftAlone::Unstorable { reason, .. } => format!("the provider cannot store it: {reason}"),
        LeftAlone::CnameConflict { .. } => "a CNAME would clash with other data".into(),
        LeftAlone::Policy { step } => format!("the policy withholds the {}", action(step)),
    };
    (safe(&format!("{} {}", j.name, j.rtype)), safe(&why))
}

fn refused_word(plan: &Plan) -> &'static str {
    if plan.forced {
        "refused, but forced"
    } else {
        "refused"
    }
}

fn safe(text: &str) -> String {
    terminal_safe(text).into_owned()
}

/// Escapes what Markdown would read as markup (and what could drive a
/// terminal), so data renders as the text it is.
fn md_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in safe(text).chars() {
        if "\\`*_[]<>#|~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn longest_run(text: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for ch in text.chars() {
        run = if ch == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}
