#!/usr/bin/env bash
# Every check the project has, in the order CI runs them. Needs only a Rust
# toolchain with rustfmt and clippy (and crates.io for the first build).
# Peers (BIND now; moto and Prism with their backends) are installed from
# their registries; whatever a test starts it stops by PID.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# Peers. The tests start and stop their own servers (by the PID of the
# process they spawned); this only makes sure the programs are installed.
install_debian() {
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@"
}

# Servers a killed test run may have left behind: each recorded its PID in
# its own folder under target/tmp, so stop exactly those.
stop_leftovers() {
    for pidfile in target/tmp/bind-*/named.pid; do
        [ -f "$pidfile" ] || continue
        local pid dir
        pid="$(cat "$pidfile")"
        dir="$(dirname "$pidfile")"
        # Only if that PID is still the named started with this folder's config.
        if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$dir/named.conf"; then
            kill "$pid" 2>/dev/null || true
        fi
    done
}
trap stop_leftovers EXIT

step "peers: BIND 9 (named, nsupdate) for the resolver tests"
if [ ! -x /usr/sbin/named ] || ! command -v nsupdate >/dev/null; then
    install_debian bind9 bind9-utils bind9-dnsutils
fi
/usr/sbin/named -v

step "format"
cargo fmt --all --check

step "lint (default features and all features)"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "tests (unit, conformance, properties, statistics, local DNS server, BIND, doctests)"
cargo test --workspace --all-features

step "docs"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features

step "main job (quickstart) and example smoke runs"
cargo run --quiet -p dns-sd-client --example quickstart >/dev/null
cargo run --quiet -p dns-core --example registry >/dev/null

step "all checks passed"
