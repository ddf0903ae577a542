//! Which operation a method and path ask for.

/// The operations the fake serves. Paths may carry Cloudflare's
/// `/client/v4` prefix or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    ListZones,
    GetZone(String),
    ListRecords(String),
    CreateRecord(String),
    Batch(String),
    GetRecord(String, String),
    PatchRecord(String, String),
    PutRecord(String, String),
    DeleteRecord(String, String),
    VerifyToken,
    MethodNotAllowed,
    NotFound,
}

impl Route {
    pub(crate) fn parse(method: &str, path: &str) -> Self {
        let path = path.strip_prefix("/client/v4").unwrap_or(path);
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let owned = |s: &str| s.to_owned();
        match (segments.as_slice(), method) {
            (["zones"], "GET") => Self::ListZones,
            (["zones", zone], "GET") => Self::GetZone(owned(zone)),
            (["zones", zone, "dns_records"], "GET") => Self::ListRecords(owned(zone)),
            (["zones", zone, "dns_records"], "POST") => Self::CreateRecord(owned(zone)),
            (["zones", zone, "dns_records", "batch"], "POST") => Self::Batch(owned(zone)),
            (["zones", zone, "dns_records", id], "GET") => Self::GetRecord(owned(zone), owned(id)),
            (["zones", zone, "dns_records", id], "PATCH") => {
                Self::PatchRecord(owned(zone), owned(id))
            }
            (["zones", zone, "dns_records", id], "PUT") => Self::PutRecord(owned(zone), owned(id)),
            (["zones", zone, "dns_records", id], "DELETE") => {
                Self::DeleteRecord(owned(zone), owned(id))
            }
            (["user", "tokens", "verify"], "GET") => Self::VerifyToken,
            (
                ["zones"]
                | ["zones", _]
                | ["zones", _, "dns_records"]
                | ["zones", _, "dns_records", _]
                | ["user", "tokens", "verify"],
                _,
            ) => Self::MethodNotAllowed,
            _ => Self::NotFound,
        }
    }

    /// Whether the operation changes records (refused to read-only
    /// tokens; the kind of request whose answer can be lost).
    pub(crate) fn is_write(&self) -> bool {
        matches!(
            self,
            Self::CreateRecord(_)
                | Self::Batch(_)
                | Self::PatchRecord(..)
                | Self::PutRecord(..)
                | Self::DeleteRecord(..)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Route;

    #[test]
    fn routes() {
        assert_eq!(Route::parse("GET", "/zones"), Route::ListZones);
        assert_eq!(Route::parse("GET", "/client/v4/zones/"), Route::ListZones);
        assert_eq!(
            Route::parse("POST", "/zones/z/dns_records/batch"),
            Route::Batch("z".into())
        );
        assert_eq!(
            Route::parse("GET", "/zones/z/dns_records/batch"),
            Route::GetRecord("z".into(), "batch".into())
        );
        assert_eq!(
            Route::parse("DELETE", "/zones/z/dns_records/r"),
            Route::DeleteRecord("z".into(), "r".into())
        );
        assert_eq!(
            Route::parse("POST", "/zones/z/dns_records/r"),
            Route::MethodNotAllowed
        );
        assert_eq!(Route::parse("GET", "/accounts"), Route::NotFound);
        assert!(Route::parse("PUT", "/zones/z/dns_records/r").is_write());
        assert!(!Route::parse("GET", "/zones/z/dns_records").is_write());
    }
}
