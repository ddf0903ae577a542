//! Ids, request ids and timestamps.

use rand::RngExt;

use crate::fake_http;

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// `prefix` followed by 13 random upper-case letters and digits, like
/// Route 53's zone (`Z…`) and change (`C…`) ids. Callers check uniqueness.
pub(crate) fn random_id(prefix: char) -> String {
    let mut rng = rand::rng();
    let mut id = String::with_capacity(14);
    id.push(prefix);
    for _ in 0..13 {
        id.push(char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]));
    }
    id
}

/// A UUID-shaped request id.
pub(crate) fn request_id() -> String {
    let mut rng = rand::rng();
    let a: u32 = rng.random();
    let b: u16 = rng.random();
    let c: u16 = rng.random();
    let d: u16 = rng.random();
    let e: u64 = rng.random::<u64>() & 0xffff_ffff_ffff;
    format!(
        "{a:08x}-{b:04x}-{:04x}-{:04x}-{e:012x}",
        (c & 0x0fff) | 0x4000,
        (d & 0x3fff) | 0x8000
    )
}

/// The current time in ISO 8601 with milliseconds, as Route 53 writes
/// `SubmittedAt`, e.g. `2024-05-01T12:30:00.123Z`.
pub(crate) fn now_iso8601() -> String {
    fake_http::now_utc(3)
}
