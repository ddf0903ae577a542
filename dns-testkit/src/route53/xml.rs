//! Writing the REST-XML response bodies.

use std::borrow::Cow;

use super::state::{ChangeRecord, Zone};
use super::types::FakeRecordSet;

/// The namespace of every Route 53 2013-04-01 document.
pub(crate) const NAMESPACE: &str = "https://route53.amazonaws.com/doc/2013-04-01/";

/// Escapes text for element content.
pub(crate) fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A tiny XML writer for one response document.
#[derive(Debug)]
pub(crate) struct Doc {
    out: String,
    root: &'static str,
}

impl Doc {
    /// Starts a document with `root` in the Route 53 namespace.
    pub(crate) fn new(root: &'static str) -> Self {
        Self {
            out: format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root} xmlns=\"{NAMESPACE}\">"
            ),
            root,
        }
    }

    /// Opens an element.
    pub(crate) fn open(&mut self, name: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// Closes an element.
    pub(crate) fn close(&mut self, name: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// Writes `<name>text</name>`.
    pub(crate) fn leaf(&mut self, name: &str, text: impl AsRef<str>) -> &mut Self {
        self.open(name);
        self.out.push_str(&escape(text.as_ref()));
        self.close(name)
    }

    /// Writes `<name>text</name>` if there is a text.
    pub(crate) fn leaf_opt(&mut self, name: &str, text: Option<impl AsRef<str>>) -> &mut Self {
        if let Some(text) = text {
            self.leaf(name, text);
        }
        self
    }

    /// Closes the root and returns the document.
    pub(crate) fn finish(mut self) -> String {
        let root = self.root;
        self.close(root);
        self.out
    }
}

/// Writes a `HostedZone` element.
pub(crate) fn hosted_zone(doc: &mut Doc, zone: &Zone) {
    doc.open("HostedZone")
        .leaf("Id", format!("/hostedzone/{}", zone.id))
        .leaf("Name", &zone.name)
        .leaf("CallerReference", &zone.caller_reference)
        .open("Config")
        .leaf("PrivateZone", if zone.private { "true" } else { "false" })
        .close("Config")
        .leaf("ResourceRecordSetCount", zone.sets.len().to_string())
        .close("HostedZone");
}

/// Writes a `ResourceRecordSet` element in the order of the API's schema.
pub(crate) fn record_set(doc: &mut Doc, set: &FakeRecordSet) {
    doc.open("ResourceRecordSet")
        .leaf("Name", &set.name)
        .leaf("Type", &set.rtype)
        .leaf_opt("SetIdentifier", set.set_identifier.as_ref())
        .leaf_opt("Weight", set.weight.map(|w| w.to_string()))
        .leaf_opt("Region", set.region.as_ref())
        .leaf_opt("Failover", set.failover.as_ref())
        .leaf_opt(
            "MultiValueAnswer",
            set.multi_value_answer.map(|b| b.to_string()),
        );
    if let Some(alias) = &set.alias {
        doc.open("AliasTarget")
            .leaf("HostedZoneId", &alias.hosted_zone_id)
            .leaf("DNSName", &alias.dns_name)
            .leaf(
                "EvaluateTargetHealth",
                alias.evaluate_target_health.to_string(),
            )
            .close("AliasTarget");
    } else {
        doc.leaf_opt("TTL", set.ttl.map(|t| t.to_string()));
        doc.open("ResourceRecords");
        for value in &set.values {
            doc.open("ResourceRecord")
                .leaf("Value", value)
                .close("ResourceRecord");
        }
        doc.close("ResourceRecords");
    }
    doc.leaf_opt("HealthCheckId", set.health_check_id.as_ref())
        .close("ResourceRecordSet");
}

/// Writes a `ChangeInfo` element with the given status.
pub(crate) fn change_info(doc: &mut Doc, change: &ChangeRecord, status: &str) {
    doc.open("ChangeInfo")
        .leaf("Id", format!("/change/{}", change.id))
        .leaf("Status", status)
        .leaf("SubmittedAt", &change.submitted_at)
        .leaf_opt("Comment", change.comment.as_ref())
        .close("ChangeInfo");
}
