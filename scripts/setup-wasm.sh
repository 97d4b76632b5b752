#!/usr/bin/env bash
# Installs what the WebAssembly build needs on Debian 12 (see crates/lua-sys):
#   clang-19, lld-19, llvm-19  - C compiler / archiver able to target wasm32 with sjlj
#   wasi-libc                  - the C library Lua is compiled and linked against
#   wabt                       - wasm-objdump, to check the module's import list
#   chromium                   - the real browser the browser tests drive (playwright-core)
#   lua5.4                     - the reference interpreter the corpus test and bench compare with
#   tmux                       - a real terminal for the CLI REPL tests
# plus the Rust target wasm32-unknown-unknown (stable, and nightly with rust-src for the
# release module's std) and wasm-bindgen-cli 0.2.130 (the exact
# version of the wasm-bindgen crate). wasm-opt comes from npm (binaryen): Debian's
# binaryen 108 corrupts wasm-bindgen's externref table.
# Idempotent and quiet when everything is present: `apt-get update` runs only when a
# package is missing, and nothing is reinstalled. Needs root (or sudo) for apt.
set -euo pipefail

# redis-server: the Redis storage tests start their own (__tests__/redis-server.js).
packages=(clang-19 lld-19 llvm-19 wasi-libc wabt chromium lua5.4 tmux redis-server)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
  elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "setup-wasm: missing packages (${missing[*]}) and not root; install them with apt-get" >&2
    exit 1
  fi
  echo "setup-wasm: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  install() { "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
  # Refresh the package lists only if needed: when the packages are unknown, or when
  # installing from the current lists fails (stale lists pointing at removed files).
  if ! apt-cache show "${missing[@]}" >/dev/null 2>&1; then
    "${SUDO[@]}" apt-get update -qq
    install
  elif ! install; then
    "${SUDO[@]}" apt-get update -qq
    install
  fi
fi

if ! command -v rustup >/dev/null 2>&1; then
  echo "setup-wasm: rustup is required (https://rustup.rs)" >&2
  exit 1
fi
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  echo "setup-wasm: adding Rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown >/dev/null
fi

# The release module rebuilds std with nightly for size (scripts/build-wasm.js, NIGHTLY):
# nightly's std sources and wasm32 target. Dev builds (the test command) use stable only,
# and a release build without them falls back to stable std.
if ! rustup toolchain list | grep -q '^nightly'; then
  echo "setup-wasm: installing the nightly toolchain (for the release wasm's std)"
  rustup toolchain install nightly --profile minimal >/dev/null
fi
if ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -qx rust-src; then
  echo "setup-wasm: adding rust-src to nightly"
  rustup component add rust-src --toolchain nightly >/dev/null
fi
if ! rustup target list --toolchain nightly --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  echo "setup-wasm: adding wasm32-unknown-unknown to nightly"
  rustup target add wasm32-unknown-unknown --toolchain nightly >/dev/null
fi

WASM_BINDGEN_VERSION=0.2.130
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  echo "setup-wasm: installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
  # Not --locked: its lock file names a webpki-roots release the registry no longer has.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --quiet
fi
