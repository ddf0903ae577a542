//! Identifiers and timestamps in Cloudflare's formats.

use std::time::{SystemTime, UNIX_EPOCH};

use rand::RngExt;
use rand::rngs::StdRng;

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
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs();
    let (year, month, day) = civil_from_days(secs / 86_400);
    let rem = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_micros()
    )
}

/// Year, month and day of the Gregorian calendar for a count of days since
/// 1970-01-01 (Howard Hinnant's algorithm, on unsigned numbers since the
/// clock never goes before 1970 here).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Count from 0000-03-01, so the leap day ends a year.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::{civil_from_days, hex_id, now_rfc3339};

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(59), (1970, 3, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
    }

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
