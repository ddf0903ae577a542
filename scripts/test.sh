#!/usr/bin/env bash
# Every check the project has, in the order CI runs them. Needs only a Rust
# toolchain with rustfmt and clippy (and crates.io for the first build).
# Later crates add the peers they need (moto, BIND, Prism) here; each is
# installed from its registry and stopped by PID when this script exits.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "format"
cargo fmt --all --check

step "lint (default features and all features)"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "tests (unit, conformance on the in-memory provider, properties, doctests)"
cargo test --workspace --all-features

step "docs"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features

step "main job smoke run"
cargo run --quiet -p dns-core --example registry >/dev/null

step "all checks passed"
