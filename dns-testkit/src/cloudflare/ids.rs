//! Identifiers and timestamps in Cloudflare's formats.

use rand::RngExt;
use rand::rngs::StdRng;

use crate::fake_http;

/// 32 lower-case hex digits, the shape of every Cloudflare id (zones,
/// records, accounts). Callers check uniqueness where it matters.
pub(crate) fn hex_id(rng: &mut StdRng) -> String {
    let value: u128 = rng.random();
    format!("{value:032x}")
}

/// A `cf-ray` header value: 16 hex digits and a data-centre code.
pub(crate) fn ray_id() -> String {
    let value: u64 = rand::rng().random();
    format!("{value:016x}-FAKE")
}

/// The current time in RFC 3339 with microseconds, as Cloudflare writes
/// `created_on` and `modified_on`, e.g. `2024-05-01T12:30:00.123456Z`.
pub(crate) fn now_rfc3339() -> String {
    fake_http::now_utc(6)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::{hex_id, now_rfc3339};

    #[test]
    fn shapes() {
        let id = hex_id(&mut StdRng::seed_from_u64(1));
        assert_eq!(id.len(), 32);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        let now = now_rfc3339();
        assert_eq!(now.len(), "2024-05-01T12:30:00.123456Z".len());
        assert!(now.ends_with('Z'));
    }
}
