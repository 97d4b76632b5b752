#!/usr/bin/env bash
# Sets up everything lua-persistent needs on a Debian machine with Rust and Node 20
# (apt packages, the wasm32 Rust target, clippy, wasm-bindgen-cli, npm deps), builds
# both backends and runs the example. Idempotent: a second run only rebuilds
# what changed. `bash scripts/setup.sh [--no-example]`
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1 || { echo "setup: '$1' is required ($2)" >&2; exit 1; }; }
need node "Node.js 18+"
need npm "npm"
need cargo "Rust via rustup"
need cc "a C compiler (apt-get install build-essential)"

node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)' || { echo "setup: Node 18+ required" >&2; exit 1; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

bash scripts/setup-wasm.sh

# scripts/test.sh runs clippy.
if ! cargo clippy --version >/dev/null 2>&1; then
  rustup component add clippy >/dev/null
fi

# The fuzz targets (scripts/fuzz.sh, part of scripts/test.sh) need cargo-fuzz on nightly.
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal >/dev/null
  cargo +nightly install cargo-fuzz --locked --quiet
fi
npm run build  # the Node entry, the addon and the wasm module (scripts/build-all.js)

if [ "${1:-}" != "--no-example" ]; then
  node examples/counter.js
fi
