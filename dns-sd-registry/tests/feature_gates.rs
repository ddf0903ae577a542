//! `suite_memory.rs` and `reaper.rs` need features this crate does not turn on by default;
//! cargo skips such test files (and test modules) without a word. This
//! test makes the skip loud: without those features it fails, naming the
//! command that runs them.

#[test]
fn the_feature_gated_tests_are_not_skipped() {
    let missing: Vec<&str> = [
        ("suite", cfg!(feature = "suite")),
        ("http", cfg!(feature = "http")),
    ]
    .into_iter()
    .filter_map(|(name, on)| (!on).then_some(name))
    .collect();
    assert!(
        missing.is_empty(),
        "the tests of the {} feature(s) were skipped: run `cargo test -p dns-sd-registry --all-features` \
         (as scripts/test.sh does)",
        missing.join(", ")
    );
}
