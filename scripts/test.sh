#!/usr/bin/env bash
# Every check the project has, in the order CI runs them. Needs only a Rust
# toolchain with rustfmt and clippy (and crates.io for the first build).
# Peers (BIND and Knot from Debian, moto from PyPI; Prism with the Cloudflare backend)
# are installed from their registries; whatever a test starts it stops by PID.
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
        if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$dir/named.conf"; then
            kill "$pid" 2>/dev/null || true
        fi
    done
    for pidfile in target/tmp/knot-*/knotd.pid; do
        [ -f "$pidfile" ] || continue
        local pid dir
        pid="$(cat "$pidfile")"
        dir="$(dirname "$pidfile")"
        # Only if that PID is still the knotd started with this folder's config.
        if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$dir/knot.conf"; then
            kill "$pid" 2>/dev/null || true
        fi
    done
    for pidfile in target/tmp/moto-*.pid; do
        [ -f "$pidfile" ] || continue
        local pid
        pid="$(cat "$pidfile")"
        if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "moto_server"; then
            kill "$pid" 2>/dev/null || true
        fi
        rm -f "$pidfile"
    done
    for pidfile in target/tmp/prism-*.pid; do
        [ -f "$pidfile" ] || continue
        local pid
        pid="$(cat "$pidfile")"
        if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "prism"; then
            kill "$pid" 2>/dev/null || true
        fi
        rm -f "$pidfile"
    done
}
trap stop_leftovers EXIT

step "peers: BIND 9 (named, nsupdate) for the resolver and RFC 2136 tests"
if [ ! -x /usr/sbin/named ] || ! command -v nsupdate >/dev/null; then
    install_debian bind9 bind9-utils bind9-dnsutils
fi
/usr/sbin/named -v

step "peers: Knot DNS 3 (knotd) for the RFC 2136 tests"
if [ ! -x /usr/sbin/knotd ]; then
    install_debian knot knot-dnsutils
fi
/usr/sbin/knotd --version

step "peers: moto (Route 53 emulator, PyPI) in target/peers/moto"
MOTO=target/peers/moto
if [ ! -x "$MOTO/bin/moto_server" ]; then
    if ! python3 -m venv "$MOTO" 2>/dev/null; then
        rm -rf "$MOTO"
        install_debian python3-venv
        python3 -m venv "$MOTO"
    fi
    # No pip cache: nothing is kept outside target/.
    PIP_NO_CACHE_DIR=1 "$MOTO/bin/pip" install --quiet --disable-pip-version-check 'moto[server]>=5.1,<6'
fi
"$MOTO/bin/python" -c 'import moto; print("moto", moto.__version__)'

step "peers: Stoplight Prism 5.14 (npm) in target/peers/prism"
PRISM=target/peers/prism
if [ ! -x "$PRISM/node_modules/.bin/prism" ]; then
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        install_debian nodejs npm
    fi
    # 5.14: Prism 5.16 needs Node 24. The npm cache stays under target/.
    npm_config_cache="$PWD/target/peers/npm-cache" npm install --prefix "$PRISM" \
        --no-audit --no-fund --loglevel=error '@stoplight/prism-cli@5.14'
fi
printf 'prism %s\n' "$("$PRISM/node_modules/.bin/prism" --version)"

step "format"
cargo fmt --all --check

step "lint (default features and all features)"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "tests (unit, conformance, properties, statistics, local DNS server, BIND, Knot, doctests)"
cargo test --workspace --all-features

step "docs"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features

# --no-verify: verifying builds every package again from its .crate file,
# which repeats the whole build (many minutes on 2 cores) for what the steps
# above already compiled; packaging alone catches what crates.io would
# refuse (metadata, readme, files outside a package). Run it without
# --no-verify before publishing.
step "packaging (every publishable crate)"
cargo package --workspace --exclude dns-examples --exclude dns-e2e --no-verify --allow-dirty >/dev/null

step "main job (quickstart) and example smoke runs"
# Offline on purpose: these variables point the examples at live zones.
unset ROUTE53_EXAMPLE_ZONE CLOUDFLARE_EXAMPLE_ZONE DISCOVER_DOMAIN
cargo run --quiet -p dns-sd-client --example quickstart >/dev/null
cargo run --quiet -p dns-sd-client --example reqwest_srv --features reqwest >/dev/null
cargo run --quiet -p dns-sd-client --example tonic_balance --features tonic >/dev/null
cargo run --quiet -p dns-sd-registry --example registry >/dev/null
for example in route53_service_group cloudflare_round_robin discover_and_call sync_control_plane; do
    cargo run --quiet -p dns-examples --example "$example" >/dev/null
done
./target/debug/dnsctl --version

step "all checks passed"
