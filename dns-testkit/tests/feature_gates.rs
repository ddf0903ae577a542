//! `route53_fake.rs`, `cloudflare_fake.rs` and `prism.rs` need features this
//! crate does not turn on by default; cargo skips such test files without a
//! word. This test makes the skip loud: without those features it fails,
//! naming the command that runs them.

#[test]
fn the_feature_gated_test_files_are_not_skipped() {
    let missing: Vec<&str> = [
        ("route53", cfg!(feature = "route53")),
        ("cloudflare", cfg!(feature = "cloudflare")),
        ("prism", cfg!(feature = "prism")),
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
