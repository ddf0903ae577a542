//! The plan renderers: text (plain and colour), JSON, Markdown.
#![allow(clippy::unwrap_used, reason = "tests")]

use std::sync::Arc;

use dns_core::{Change, DnsProvider, InMemoryProvider, Name, RData, RecordSet, Zone};
use dns_sync::{DesiredZone, Destination, LeftAlone, Plan, Style, SyncOptions, plan, render};

fn name(s: &str) -> Name {
    Name::parse(s).unwrap()
}

fn a(n: &str, ip: &str) -> RecordSet {
    RecordSet::new(name(n), 300, [RData::A(ip.parse().unwrap())]).unwrap()
}

fn txt(n: &str, value: &str) -> RecordSet {
    RecordSet::new(
        name(n),
        300,
        [RData::parse(dns_core::RecordType::TXT, value).unwrap()],
    )
    .unwrap()
}

fn desired(sets: impl IntoIterator<Item = RecordSet>) -> DesiredZone {
    let mut zone = DesiredZone::new(name("example.com"));
    for s in sets {
        zone.add_set(s).unwrap();
    }
    zone
}

/// A zone where `cp` owns `old` and `api`, and someone else's data sits
/// at `mine`; the returned plan creates `www`, updates `api`, deletes
/// `old` and leaves `mine` alone.
async fn mixed() -> (Destination, Plan) {
    let memory = InMemoryProvider::new();
    let zone: Zone = memory.create_zone(name("example.com")).unwrap();
    let d = Destination::new(Arc::new(memory.clone()), zone.clone());
    let o = SyncOptions::new("cp".parse().unwrap());
    let first = desired([
        a("old.example.com", "192.0.2.9"),
        a("api.example.com", "192.0.2.2"),
    ]);
    dns_sync::apply(plan(&d, &first, &o).await.unwrap())
        .await
        .unwrap();
    memory
        .apply(&zone, &[Change::Upsert(a("mine.example.com", "192.0.2.7"))])
        .await
        .unwrap();
    let want = desired([
        a("www.example.com", "192.0.2.1"),
        a("api.example.com", "192.0.2.3"),
        a("mine.example.com", "192.0.2.8"),
    ]);
    let p = plan(&d, &want, &o).await.unwrap();
    (d, p)
}

#[tokio::test]
async fn plain_text_is_a_diff_with_counts_and_no_escape_sequences() {
    let (_, p) = mixed().await;
    let shown = render::text(&p, Style::Plain);
    assert!(
        shown.starts_with("example.com. on memory: 1 to create, 1 to update, 1 to delete\n"),
        "{shown}"
    );
    assert!(
        shown.contains("  + www.example.com. A 300 192.0.2.1\n"),
        "{shown}"
    );
    assert!(
        shown.contains("  - old.example.com. A 300 192.0.2.9\n"),
        "{shown}"
    );
    assert!(
        shown.contains("  ~ api.example.com. A\n      - 300 192.0.2.2\n      + 300 192.0.2.3\n"),
        "{shown}"
    );
    assert!(
        shown.contains("left alone: mine.example.com. A: exists without an owner marker"),
        "{shown}"
    );
    assert!(!shown.contains('\x1b'), "{shown:?}");
}

#[tokio::test]
async fn colour_text_paints_creates_green_and_deletes_red() {
    let (_, p) = mixed().await;
    let shown = render::text(&p, Style::Colour);
    assert!(
        shown.contains("\x1b[32m  + www.example.com. A 300 192.0.2.1\x1b[0m"),
        "{shown:?}"
    );
    assert!(
        shown.contains("\x1b[31m  - old.example.com. A 300 192.0.2.9\x1b[0m"),
        "{shown:?}"
    );
}

#[tokio::test]
async fn control_characters_in_record_data_are_escaped_in_text_and_markdown() {
    let memory = InMemoryProvider::new();
    let zone = memory.create_zone(name("example.com")).unwrap();
    let d = Destination::new(Arc::new(memory), zone);
    let o = SyncOptions::new("cp".parse().unwrap());
    let p = plan(
        &d,
        &desired([txt("t.example.com", "\"a\u{1b}[2Jb\u{9b}c\"")]),
        &o,
    )
    .await
    .unwrap();
    for shown in [render::text(&p, Style::Colour), render::markdown(&p)] {
        assert!(!shown.contains("\x1b[2J"), "{shown:?}");
        assert!(!shown.contains('\u{9b}'), "{shown:?}");
        assert!(shown.contains("t.example.com."), "{shown:?}");
    }
}

/// The in-memory provider, except that its `validate` refuses every TXT
/// set with a message holding terminal controls: text that reaches the
/// renderer without passing through a record's presentation form.
#[derive(Debug)]
struct HostileValidate(InMemoryProvider);

#[async_trait::async_trait]
impl DnsProvider for HostileValidate {
    fn provider_name(&self) -> &str {
        "hostile"
    }
    fn capabilities(&self) -> dns_core::Capabilities {
        self.0.capabilities()
    }
    async fn list_zones(&self) -> dns_core::Result<Vec<Zone>> {
        self.0.list_zones().await
    }
    async fn list_record_sets(&self, zone: &Zone) -> dns_core::Result<Vec<RecordSet>> {
        self.0.list_record_sets(zone).await
    }
    async fn apply_validated(
        &self,
        zone: &Zone,
        changes: &[Change],
    ) -> dns_core::Result<dns_core::ApplyReport> {
        self.0.apply_validated(zone, changes).await
    }
    fn validate(&self, zone: &Zone, changes: &[Change]) -> dns_core::Result<()> {
        let txt = changes.iter().any(|c| match c {
            Change::Upsert(set) => set.record_type() == dns_core::RecordType::TXT,
            _ => false,
        });
        if txt {
            return Err(dns_core::Error::InvalidInput(
                "no TXT here\u{1b}[2J\u{9b}31m\u{202e}evil".into(),
            ));
        }
        self.0.validate(zone, changes)
    }
}

#[tokio::test]
async fn a_provider_message_with_terminal_controls_is_escaped_in_text_and_markdown() {
    let memory = InMemoryProvider::new();
    let zone = memory.create_zone(name("example.com")).unwrap();
    let d = Destination::new(Arc::new(HostileValidate(memory)), zone);
    let o = SyncOptions::new("cp".parse().unwrap());
    let p = plan(&d, &desired([txt("t.example.com", "\"plain\"")]), &o)
        .await
        .unwrap();
    let LeftAlone::Unstorable { reason, .. } = &p.left_alone()[0] else {
        panic!("{:?}", p.left_alone());
    };
    assert!(
        reason.contains('\u{1b}'),
        "the message reaches the plan as sent: {reason:?}"
    );
    for shown in [render::text(&p, Style::Plain), render::markdown(&p)] {
        assert!(shown.contains("no TXT here"), "{shown:?}");
        for c in ['\u{1b}', '\u{9b}', '\u{202e}'] {
            assert!(!shown.contains(c), "{c:?} in {shown:?}");
        }
    }
    // The colour renderer adds its own escapes, and only those.
    let coloured = render::text(&p, Style::Colour);
    assert!(!coloured.contains("\x1b[2J"), "{coloured:?}");
}

#[tokio::test]
async fn json_has_the_documented_shape() {
    let (_, p) = mixed().await;
    let v = serde_json::to_value(render::json([&p])).unwrap();
    assert_eq!(v["version"], 1);
    let plan = &v["plans"][0];
    assert_eq!(plan["zone"], "example.com.");
    assert_eq!(plan["provider"], "memory");
    assert_eq!(plan["empty"], false);
    assert_eq!(plan["refused"], false);
    assert_eq!(plan["owned"], 2);
    let steps = plan["steps"].as_array().unwrap();
    let find = |action: &str| {
        steps
            .iter()
            .find(|s| s["action"] == action)
            .unwrap()
            .clone()
    };
    let update = find("update");
    assert_eq!(update["name"], "api.example.com.");
    assert_eq!(update["type"], "A");
    assert_eq!(
        update["before"],
        serde_json::json!({"ttl": 300, "values": ["192.0.2.2"]})
    );
    assert_eq!(
        update["after"],
        serde_json::json!({"ttl": 300, "values": ["192.0.2.3"]})
    );
    assert!(find("create")["before"].is_null());
    assert!(find("delete")["after"].is_null());
    assert_eq!(
        plan["left_alone"][0],
        serde_json::json!({"name": "mine.example.com.", "type": "A", "reason": "unowned"})
    );
}

#[tokio::test]
async fn a_refusal_names_its_numbers_in_every_renderer() {
    let memory = InMemoryProvider::new();
    let zone = memory.create_zone(name("example.com")).unwrap();
    let d = Destination::new(Arc::new(memory), zone);
    let mut o = SyncOptions::new("cp".parse().unwrap());
    o.min_owned = 2;
    let two = desired([
        a("a.example.com", "192.0.2.1"),
        a("b.example.com", "192.0.2.2"),
    ]);
    dns_sync::apply(plan(&d, &two, &o).await.unwrap())
        .await
        .unwrap();
    let p = plan(&d, &desired([a("a.example.com", "192.0.2.1")]), &o)
        .await
        .unwrap();
    let text = render::text(&p, Style::Plain);
    assert!(
        text.contains("refused: it would update 0 and delete 1 of the 2 owned sets"),
        "{text}"
    );
    let md = render::markdown(&p);
    assert!(md.contains("**Refused** (nothing will be applied)"), "{md}");
    assert!(md.contains("delete 1 of the 2 owned sets"), "{md}");
    let v = serde_json::to_value(render::json([&p])).unwrap();
    let r = &v["plans"][0]["refusals"][0];
    assert_eq!(v["plans"][0]["refused"], true);
    assert_eq!(r["rule"], "too-many-changes");
    assert_eq!(
        (r["deletes"].as_u64(), r["owned"].as_u64()),
        (Some(1), Some(2))
    );
}

#[tokio::test]
async fn markdown_fences_cannot_be_closed_by_data() {
    let memory = InMemoryProvider::new();
    let zone = memory.create_zone(name("example.com")).unwrap();
    let d = Destination::new(Arc::new(memory), zone);
    let o = SyncOptions::new("cp".parse().unwrap());
    let p = plan(&d, &desired([txt("t.example.com", "\"x ```` y\"")]), &o)
        .await
        .unwrap();
    let md = render::markdown(&p);
    assert!(md.contains("`````diff\n"), "{md}");
}

#[tokio::test]
async fn an_empty_plan_says_no_changes() {
    let memory = InMemoryProvider::new();
    let zone = memory.create_zone(name("example.com")).unwrap();
    let d = Destination::new(Arc::new(memory), zone);
    let p = plan(&d, &desired([]), &SyncOptions::new("cp".parse().unwrap()))
        .await
        .unwrap();
    assert_eq!(
        render::text(&p, Style::Plain),
        "example.com. on memory: no changes\n"
    );
    assert!(!render::markdown(&p).contains("```"));
}

#[tokio::test]
async fn values_are_separated_by_commas_since_srv_values_have_spaces() {
    let memory = InMemoryProvider::new();
    let zone = memory.create_zone(name("example.com")).unwrap();
    let d = Destination::new(Arc::new(memory), zone);
    let srv = RecordSet::with_type(
        name("_sip._tcp.example.com"),
        dns_core::RecordType::SRV,
        300,
        ["0 0 5060 a.example.com.", "0 0 5060 b.example.com."]
            .map(|v| RData::parse(dns_core::RecordType::SRV, v).unwrap()),
    )
    .unwrap();
    let p = plan(
        &d,
        &desired([srv]),
        &SyncOptions::new("cp".parse().unwrap()),
    )
    .await
    .unwrap();
    let shown = render::text(&p, Style::Plain);
    assert!(
        shown.contains("SRV 300 0 0 5060 a.example.com., 0 0 5060 b.example.com.\n"),
        "{shown}"
    );
}
