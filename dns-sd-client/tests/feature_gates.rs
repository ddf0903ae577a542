//! `endpoints.rs` (tower, tonic) and `http_resolvers.rs` (reqwest, hyper-util) need features this crate does not turn on by default;
//! cargo skips such test files (and test modules) without a word. This
//! test makes the skip loud: without those features it fails, naming the
//! command that runs them.

#[test]
fn the_feature_gated_tests_are_not_skipped() {
    let missing: Vec<&str> = [
        ("tower", cfg!(feature = "tower")),
        ("tonic", cfg!(feature = "tonic")),
        ("reqwest", cfg!(feature = "reqwest")),
        ("hyper-util", cfg!(feature = "hyper-util")),
    ]
    .into_iter()
    .filter_map(|(name, on)| (!on).then_some(name))
    .collect();
    assert!(
        missing.is_empty(),
        "the tests of the {} feature(s) were skipped: run `cargo test -p dns-sd-client --all-features` \
         (as scripts/test.sh does)",
        missing.join(", ")
    );
}
