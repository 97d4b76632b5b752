#!/usr/bin/env bash
# Runs every test: clippy (one test, passed when clean), the cargo tests of the core and
# of lua-sys (its C number formatting against the C library's), the Jest suites (each on
# every backend) and each fuzz target for 25 s (scripts/fuzz.sh --short; FUZZ=0 skips
# it), then prints one line `summary: N passed, N failed`. Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

npm run --silent build >/dev/null || { echo "summary: 0 passed, 1 failed"; exit 1; }

# clippy with warnings as errors, on the host and on wasm32 (lua-sys and the wasm crate
# have code only that target compiles; the node addon does not build there).
l_pass=0 l_fail=1
if cargo clippy --workspace --all-targets -- -D warnings \
  && cargo clippy --workspace --exclude lua-persistent-node --target wasm32-unknown-unknown -- -D warnings; then
  l_pass=1 l_fail=0
fi

cargo_log=$(mktemp)
cargo test -p lua-persistent-core -p lua-persistent-sys 2>&1 | tee "$cargo_log"
cargo_status=${PIPESTATUS[0]}
read -r c_pass c_fail < <(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } } END { print p + 0, f + 0 }' "$cargo_log")
if [ "$cargo_status" -ne 0 ] && [ "$c_fail" -eq 0 ]; then c_fail=1; fi

jest_json=$(mktemp)
# --forceExit: on 2 cores Jest runs the suites in band, in its own process, where a
# child service a suite left running (a bundler's, a browser's) would keep it waiting
# after every result is in; the leak is fixed where found, this keeps CI from hanging.
npx jest --json --outputFile="$jest_json" --forceExit "$@"
jest_status=$?
read -r j_pass j_fail < <(node -e "
  try { const r = JSON.parse(require('fs').readFileSync('$jest_json', 'utf8')); console.log((r.numPassedTests | 0) + ' ' + ((r.numFailedTests | 0) + (r.numRuntimeErrorTestSuites | 0))); }
  catch { console.log('0 1'); }")
if [ "$jest_status" -ne 0 ] && [ "$j_fail" -eq 0 ]; then j_fail=1; fi

# One "passed" per fuzz target that ran clean.
f_pass=0 f_fail=0
if [ "${FUZZ:-1}" != 0 ]; then
  fuzz_log=$(mktemp)
  bash scripts/fuzz.sh --short 2>&1 | tee "$fuzz_log"
  fuzz_status=${PIPESTATUS[0]}
  f_pass=$(grep -c ': passed (' "$fuzz_log")
  f_fail=$(grep -c 'FAILED' "$fuzz_log")
  if [ "$fuzz_status" -ne 0 ] && [ "$f_fail" -eq 0 ]; then f_fail=1; fi
  rm -f "$fuzz_log"
fi

rm -f "$cargo_log" "$jest_json"
echo "clippy: $l_pass passed, $l_fail failed; cargo: $c_pass passed, $c_fail failed; jest: $j_pass passed, $j_fail failed; fuzz: $f_pass passed, $f_fail failed"
echo "summary: $((l_pass + c_pass + j_pass + f_pass)) passed, $((l_fail + c_fail + j_fail + f_fail)) failed"
[ $((l_fail + c_fail + j_fail + f_fail)) -eq 0 ]
