#!/usr/bin/env bash
# Builds and runs the cargo-fuzz targets in fuzz/ (libFuzzer, nightly; docs/fuzzing.md).
#
#   scripts/fuzz.sh --short            each target 25 s from the seed corpus (CI)
#   scripts/fuzz.sh SECONDS [TARGET..] each (or the named) target SECONDS seconds
#
# Prints one line per target, `fuzz: <target>: passed (...)` or `... FAILED (...)`, and
# exits non-zero when any target found a crash, a leak or a hang (its input is left in
# fuzz/artifacts/<target>/; copy it into fuzz/regressions/<target>/ once fixed).
set -uo pipefail
cd "$(dirname "$0")/../fuzz"

ALL=(snapshot_decode snapshot_body eval ext_roundtrip close_all log_decode)
case "${1:-}" in
  --short) secs=${FUZZ_SHORT_SECS:-25}; shift ;;
  ''|*[!0-9]*) echo "usage: scripts/fuzz.sh --short | SECONDS [TARGET...]" >&2; exit 2 ;;
  *) secs=$1; shift ;;
esac
targets=("${@:-${ALL[@]}}")

export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1}
# Lua is C built by crates/lua-sys through `cc`: compiled by clang with the same
# coverage and AddressSanitizer instrumentation as the Rust code, the fuzzer sees inside
# the interpreter and ASan checks its memory accesses.
if command -v clang-19 >/dev/null; then
  triple=$(rustc +nightly -vV | sed -n 's/^host: //p' | tr - _)
  export "CC_${triple}=clang-19" "CFLAGS_${triple}=-fsanitize=fuzzer-no-link -fsanitize=address"
else
  echo "fuzz: clang-19 not found, Lua's C code is not instrumented" >&2
fi
# -O: optimised; -a: debug assertions, which also turn on Lua's API checks (LUA_USE_APICHECK).
build=(-O -a)
mkdir -p target
cargo +nightly fuzz build "${build[@]}" >/dev/null 2>target/build.log || { tail -30 target/build.log >&2; echo "fuzz: build FAILED"; exit 1; }

failed=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  dict=(); case "$t" in eval|close_all) dict=(-dict=lua.dict) ;; esac
  log="artifacts/$t/last-run.log"
  # -timeout: one input may take 10 s at most (a hang is a finding); -rss_limit_mb: the
  # VMs run with a 4 MiB Lua heap, so 1 GiB means a leak or a runaway host allocation.
  # close_all starts from eval's seeds as well as its own finalizer seeds: any chunk
  # is a fine prelude to close().
  extra=(); [ "$t" = close_all ] && extra=(seeds/eval)
  cargo +nightly fuzz run "${build[@]}" "$t" "corpus/$t" "seeds/$t" "${extra[@]}" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
    -artifact_prefix="artifacts/$t/" "${dict[@]}" >"$log" 2>&1
  status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  corp=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  if [ "$status" -eq 0 ]; then
    echo "fuzz: $t: passed (${execs:-?} execs, ${secs}s, cov ${cov:-?}, corpus ${corp:-?})"
  else
    failed=$((failed + 1))
    artifact=$(grep -oE "artifacts/$t/(crash|leak|timeout|oom|slow-unit)-[0-9a-f]+" "$log" | tail -1)
    echo "fuzz: $t: FAILED (${artifact:-see fuzz/$log})"
    grep -m3 -E 'panicked|ERROR: (AddressSanitizer|libFuzzer)' "$log" | sed 's/^/  /'
  fi
done
[ "$failed" -eq 0 ]
