#!/usr/bin/env bash
# DNS-SD discovery at scale, side by side with peers: our client, dnspython
# (sequential and asyncio) and Go's standard library, each discovering
# N = 10, 50, 200, 1000 and 2000 instances from BIND 9 behind a proxy that
# holds every query 5 ms, interleaved for 10 rounds per N (about 19 minutes
# on 2 cores, most of it the sequential client). See
# dns-sd-client/benches/scale.rs for what is measured and checked, and
# docs/performance.md for the figures.
#
# Other knobs: BENCH_CLIENTS=ours,go (a subset), BENCH_EXPECT_MORE=1 (the
# answer check's self-test: every run must fail).
#
#   scripts/discovery-bench.sh
#   BENCH_N=10,50 BENCH_RUNS=3 scripts/discovery-bench.sh     # a quick run
#
# Installs what it needs: BIND from Debian (as scripts/test.sh does),
# dnspython from PyPI into target/peers/dnspython (no pip cache outside
# target/), Go from Debian (golang-go) when apt can install it; Go is the
# only peer that may be missing (the bench then says so and runs without
# it). Whatever the bench starts (named, the clients) it stops by PID.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

install_debian() {
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@"
}

step "peers: BIND 9 (named)"
if [ ! -x /usr/sbin/named ]; then
    install_debian bind9
fi
/usr/sbin/named -v

step "peers: dnspython (PyPI) in target/peers/dnspython"
PY=target/peers/dnspython
if [ ! -x "$PY/bin/python" ] || ! "$PY/bin/python" -c 'import dns.asyncresolver' 2>/dev/null; then
    rm -rf "$PY"
    if ! python3 -m venv "$PY" 2>/dev/null; then
        rm -rf "$PY"
        install_debian python3-venv
        python3 -m venv "$PY"
    fi
    PIP_NO_CACHE_DIR=1 "$PY/bin/pip" install --quiet --disable-pip-version-check 'dnspython>=2.6,<3'
fi
"$PY/bin/python" -c 'import dns.version; print("dnspython", dns.version.version)'
export BENCH_PYTHON="$PWD/$PY/bin/python"

step "peers: Go standard library client (Debian golang-go), optional"
GO_DIR="$PWD/target/peers/go"
if ! command -v go >/dev/null; then
    install_debian golang-go || echo "note: could not install golang-go; the bench runs without Go"
fi
if command -v go >/dev/null; then
    go version
    mkdir -p "$GO_DIR"
    # One file, standard library only: no module download. Build caches stay under target/.
    (cd dns-sd-client/benches/peers &&
        GOCACHE="$GO_DIR/cache" GOPATH="$GO_DIR/path" GO111MODULE=off \
            go build -o "$GO_DIR/discover" discover.go)
    export BENCH_GO_CLIENT="$GO_DIR/discover"
else
    unset BENCH_GO_CLIENT
fi

step "bench: cargo bench -p dns-sd-client --bench scale (N=${BENCH_N:-10,50,200,1000,2000}, rounds=${BENCH_RUNS:-10})"
cargo bench -p dns-sd-client --bench scale
