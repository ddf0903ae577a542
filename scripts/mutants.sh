#!/usr/bin/env bash
# Mutation testing of the code that carries the project's guarantees, with
# cargo-mutants: each mutant (a function body replaced, an operator flipped,
# a condition forced) is built and run against the tests of its crate; a
# mutant that no test notices ("missed") is a guarantee without a test.
#
# Too slow for every CI run on 2 cores (about an hour and a half for all
# groups, two at a time; docs/testing.md has the figures), so it runs on
# demand:
#
#   scripts/mutants.sh                 # every group
#   scripts/mutants.sh registry sync   # some groups (names below)
#   scripts/mutants.sh --list          # the groups and their files
#   MUTANTS_ITERATE=1 scripts/mutants.sh registry
#                                      # only what the last run did not
#                                      # catch (after adding tests)
#
# It mutates a private copy of the working tree (target/mutants/src, tracked
# and untracked files, not ignored ones) in place, with its own build
# folder, so the checkout is never touched and a second run reuses the
# first one's build (MUTANTS_WORK names another folder, for a second run
# side by side). Results: target/mutants/out/GROUP/mutants.out/
# (caught.txt, missed.txt, unviable.txt, timeout.txt, outcomes.json), and a
# per-file table at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

VERSION=27.1.0
WORK="${MUTANTS_WORK:-$ROOT/target/mutants}"

# group | files (space separated) | package whose tests run | cargo test
# target selection. A GROUP-full group re-runs only what GROUP did not
# catch, with the slow tests too (Route 53's randomized and 50-provider
# tests, Cloudflare's conformance through Prism): run it after GROUP. Doctests are left out (each is its own build, minutes
# per mutant; every doctest is an example, the unit and integration tests
# are the checks). Tests that need moto or Prism stay in scripts/test.sh
# (Cloudflare's fake.rs runs behind Prism; its wiremock tests stay),
# and where a crate's whole suite is slow (dns-sd-client, dns-cli) only the
# test files that exercise the mutated file run.
GROUPS_TABLE=(
  "core|dns-core/src/name.rs dns-core/src/txt.rs dns-core/src/memory.rs|dns-core|--lib --tests"
  "registry|dns-sd-registry/src/registry.rs dns-sd-registry/src/plan.rs dns-sd-registry/src/reaper.rs|dns-sd-registry|--lib --tests"
  "select|dns-sd-client/src/select.rs|dns-sd-client|--lib --test selection --test http_resolvers"
  "cache|dns-sd-client/src/cache.rs|dns-sd-client|--lib --test local --test top_bit_ttls --test odd_answers --test round_trips"
  "route53|dns-route53/src/plan.rs dns-route53/src/provider.rs|dns-route53|--lib --test fake --test secrets --test scripted -- --skip whole_conformance --skip 30_percent --skip fifty_writers"
  "route53-full|dns-route53/src/plan.rs dns-route53/src/provider.rs|dns-route53|--lib --test fake --test secrets --test scripted"
  "cloudflare|dns-cloudflare/src/plan.rs dns-cloudflare/src/provider.rs|dns-cloudflare|--lib --test wiremock"
  "cloudflare-full|dns-cloudflare/src/plan.rs dns-cloudflare/src/provider.rs|dns-cloudflare|--lib --test wiremock --test fake"
  "rfc2136|dns-rfc2136/src/update.rs|dns-rfc2136|--lib --tests"
  "sync|dns-sync/src/plan.rs dns-sync/src/ownership.rs dns-sync/src/owner.rs dns-sync/src/policy.rs|dns-sync|--lib --tests"
  "hosts|dns-cli/src/hosts.rs|dns-cli|--bins --test hosts --test providers"
)

if [ "${1:-}" = "--list" ]; then
  for row in "${GROUPS_TABLE[@]}"; do
    IFS='|' read -r g files pkg args <<<"$row"
    printf '%-16s %s\n' "$g" "$files"
  done
  exit 0
fi

if ! cargo mutants --version 2>/dev/null | grep -qF "$VERSION"; then
  cargo install --locked "cargo-mutants@$VERSION"
fi
# Cloudflare's fake.rs runs behind Prism (scripts/test.sh installs it).
if [ -z "${PRISM_BIN:-}" ] && [ -x "$ROOT/target/peers/prism/node_modules/.bin/prism" ]; then
  export PRISM_BIN="$ROOT/target/peers/prism/node_modules/.bin/prism"
fi
# The RFC 2136 group's tests start BIND and Knot themselves.
if [ ! -x /usr/sbin/named ] || [ ! -x /usr/sbin/knotd ]; then
  echo "mutants: BIND (/usr/sbin/named) and Knot (/usr/sbin/knotd) are needed; scripts/test.sh installs them" >&2
  exit 1
fi

# The sources, brought up to date, the build folder kept between runs.
# Only files whose content differs are copied, and they get a fresh mtime:
# cargo decides what to rebuild by mtime, and the last run's last build was
# of a mutant, so a copy keeping the checkout's (older) mtimes would let a
# stale mutant's binary pass for the unmutated baseline.
mkdir -p "$WORK/src" "$WORK/out"
stage="$WORK/stage"
rm -rf "$stage"
mkdir -p "$stage"
git ls-files -z --cached --others --exclude-standard \
  | (cd "$ROOT" && tar --null --ignore-failed-read -T - -cf -) \
  | tar -xf - -C "$stage"
(cd "$stage" && find . -type f -print0) | while IFS= read -r -d '' f; do
  if ! cmp -s "$stage/$f" "$WORK/src/$f"; then
    mkdir -p "$(dirname "$WORK/src/$f")"
    cp "$stage/$f" "$WORK/src/$f"
  fi
done
(cd "$WORK/src" && find . -type f -print0) | while IFS= read -r -d '' f; do
  [ -e "$stage/$f" ] || rm -f "$WORK/src/$f"
done
rm -rf "$stage"

# No debug info: a mutant is mostly a link, and debug info doubles it.
export CARGO_TARGET_DIR="$WORK/target"
export CARGO_PROFILE_TEST_DEBUG=0 CARGO_PROFILE_DEV_DEBUG=0
export CARGO_TERM_COLOR=never

wanted=("$@")
selected() {
  [ ${#wanted[@]} -eq 0 ] && return 0
  local w
  for w in "${wanted[@]}"; do [ "$w" = "$1" ] && return 0; done
  return 1
}

for row in "${GROUPS_TABLE[@]}"; do
  IFS='|' read -r g files pkg args <<<"$row"
  selected "$g" || continue
  file_args=()
  for f in $files; do file_args+=(-f "$f"); done
  # shellcheck disable=SC2086 # the test selection is a list of arguments
  set -- $args
  echo "==> mutants: $g ($files)"
  start=$(date +%s)
  iterate=()
  if [ -n "${MUTANTS_ITERATE:-}" ] && [ -d "$WORK/out/$g/mutants.out" ]; then
    iterate=(--iterate)
  elif [ "${g%-full}" != "$g" ]; then
    base="$WORK/out/${g%-full}/mutants.out"
    if [ ! -d "$base" ]; then
      echo "mutants: run group ${g%-full} before $g" >&2
      exit 1
    fi
    rm -rf "$WORK/out/$g"
    mkdir -p "$WORK/out/$g"
    cp -r "$base" "$WORK/out/$g/"
    iterate=(--iterate)
  else
    rm -rf "$WORK/out/$g"
  fi
  # The package under test is built afresh, so its baseline can never be a
  # leftover build of an earlier run's mutant.
  (cd "$WORK/src" && cargo clean --quiet -p "$pkg")
  (cd "$WORK/src" && cargo mutants --in-place --no-shuffle "${iterate[@]}" \
    --all-features --test-package "$pkg" --test-tool cargo \
    --minimum-test-timeout 60 --build-timeout 300 \
    "${file_args[@]}" -o "$WORK/out/$g" -- "$@") || true
  echo "$(( $(date +%s) - start ))" > "$WORK/out/$g/seconds"
done

# Per file: caught / missed / unviable / timeout, from each group's lists
# (a -full group's or an iterated run's "previously" lists included), as a
# markdown table.
echo
echo '| Group | File | Mutants | Caught | Missed | Unviable | Timeout |'
echo '|---|---|---:|---:|---:|---:|---:|'
for row in "${GROUPS_TABLE[@]}"; do
  IFS='|' read -r g files pkg args <<<"$row"
  out="$WORK/out/$g/mutants.out"
  [ -d "$out" ] || continue
  for f in $files; do
    count() {
      cat "$out/$1.txt" 2>/dev/null | grep -c "^$f:" || true
    }
    caught=$(( $(count caught) + $(count previously_caught) ))
    missed=$(count missed) unviable=$(count unviable) timeout=$(count timeout)
    printf '| %s | `%s` | %s | %s | %s | %s | %s |\n' "$g" "$f" \
      "$(( caught + missed + unviable + timeout ))" "$caught" "$missed" "$unviable" "$timeout"
  done
done
for row in "${GROUPS_TABLE[@]}"; do
  IFS='|' read -r g files pkg args <<<"$row"
  [ -f "$WORK/out/$g/seconds" ] && echo "$g: $(cat "$WORK/out/$g/seconds") s"
done
true
