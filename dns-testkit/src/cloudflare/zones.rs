//! A zone: its records and the zone object the API returns.

use serde_json::{Value, json};

/// A zone and its records, in creation order.
#[derive(Debug, Clone)]
pub(crate) struct Zone {
    /// 32 lower-case hex digits.
    pub(crate) id: String,
    /// Lower-case, without the trailing dot.
    pub(crate) name: String,
    pub(crate) created_on: String,
    /// Stored records (the objects the API returns), in creation order; a
    /// PUT or PATCH keeps a record's place.
    pub(crate) records: Vec<Value>,
}

impl Zone {
    /// The position of the record with id `id`.
    pub(crate) fn position(&self, id: &str) -> Option<usize> {
        self.records
            .iter()
            .position(|r| r.get("id").and_then(Value::as_str) == Some(id))
    }

    /// The zone object, with every field the schema's `zones_zone`
    /// requires (an active, full-setup zone on the Free plan).
    pub(crate) fn to_json(&self, account_id: &str) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "status": "active",
            "paused": false,
            "type": "full",
            "development_mode": 0,
            "name_servers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
            "original_name_servers": null,
            "original_registrar": null,
            "original_dnshost": null,
            "created_on": self.created_on,
            "modified_on": self.created_on,
            "activated_on": self.created_on,
            "meta": {
                "step": 4,
                "custom_certificate_quota": 0,
                "page_rule_quota": 3,
                "phishing_detected": false
            },
            "owner": {"id": account_id, "type": "user", "name": "Fake owner"},
            "account": {"id": account_id, "name": "Fake account"},
            "permissions": ["#dns_records:edit", "#dns_records:read", "#zone:read"],
            "plan": {
                "id": "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
                "name": "Free Website",
                "price": 0,
                "currency": "USD",
                "frequency": "",
                "is_subscribed": false,
                "can_subscribe": false,
                "legacy_id": "free",
                "legacy_discount": false,
                "externally_managed": false
            }
        })
    }
}
