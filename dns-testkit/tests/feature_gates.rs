//! `route53_fake.rs`, `cloudflare_fake.rs`, `prism.rs` and the moto, hostile-server
//! and BIND/Knot code need features this crate does not turn on by default;
//! cargo skips such test files (and test modules) without a word. This
//! test makes the skip loud: without those features it fails, naming the
//! command that runs them.

#[test]
fn the_feature_gated_tests_are_not_skipped() {
    let missing: Vec<&str> = [
        ("route53", cfg!(feature = "route53")),
        ("cloudflare", cfg!(feature = "cloudflare")),
        ("prism", cfg!(feature = "prism")),
        ("moto", cfg!(feature = "moto")),
        ("hostile", cfg!(feature = "hostile")),
        ("bind9", cfg!(feature = "bind9")),
        ("knot", cfg!(feature = "knot")),
    ]
    .into_iter()
    .filter_map(|(name, on)| (!on).then_some(name))
    .collect();
    assert!(
        missing.is_empty(),
        "the tests of the {} feature(s) were skipped: run `cargo test -p dns-testkit --all-features` \
         (as scripts/test.sh does)",
        missing.join(", ")
    );
}
