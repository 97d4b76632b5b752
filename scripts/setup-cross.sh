#!/usr/bin/env bash
# Installs what `npm run build:targets` (scripts/build-targets.js) needs to cross-build
# the native addon for every published platform from this Linux x64 machine, and what
# its arm64 smoke test runs on. Everything comes from a package registry:
#   - Rust std for each target               rustup (the toolchain's own channel)
#   - cargo-zigbuild                         crates.io (`cargo install --locked`)
#   - zig, the C compiler and linker         PyPI (`ziglang`, in a venv under target/cross)
#   - qemu-user, MinGW's dlltool,
#     an arm64 Node for the smoke            Debian apt (the arm64 packages are unpacked
#     into target/cross/arm64-root with `dpkg -x`, not installed: installing
#     nodejs:arm64 would replace the host's Node)
# llvm-19 (llvm-readobj, llvm-nm: the checks) comes from scripts/setup-wasm.sh.
# Idempotent: a second run checks and installs nothing. Needs root (or sudo) for apt.
# `bash scripts/setup-cross.sh [--no-arm64-node]`
set -euo pipefail
cd "$(dirname "$0")/.."

ZIG_VERSION=0.14.1
CARGO_ZIGBUILD_VERSION=0.20.1
CROSS=target/cross
TARGETS=(
  aarch64-unknown-linux-gnu
  x86_64-unknown-linux-musl
  aarch64-unknown-linux-musl
  x86_64-apple-darwin
  aarch64-apple-darwin
  x86_64-pc-windows-gnu
)

SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi

# Rust std for each cross target.
installed=$(rustup target list --installed)
for t in "${TARGETS[@]}"; do
  grep -qx "$t" <<<"$installed" || rustup target add "$t"
done

# zig from PyPI, in a venv of its own (Debian's Python refuses system-wide pip; its
# venv module comes in python3-venv).
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" apt-get install -y -qq python3 python3-venv >/dev/null
fi
if [ ! -x "$CROSS/venv/bin/python3" ]; then
  mkdir -p "$CROSS"
  python3 -m venv "$CROSS/venv"
fi
if ! "$CROSS/venv/bin/python3" -m ziglang version 2>/dev/null | grep -qx "$ZIG_VERSION"; then
  "$CROSS/venv/bin/pip" install --quiet "ziglang==$ZIG_VERSION"
fi

# cargo-zigbuild from crates.io.
if ! cargo-zigbuild --version 2>/dev/null | grep -qx "cargo-zigbuild $CARGO_ZIGBUILD_VERSION"; then
  cargo install cargo-zigbuild --version "$CARGO_ZIGBUILD_VERSION" --locked --quiet
fi

# qemu-user for the arm64 smoke test; MinGW's dlltool, which rustc calls for the
# windows-gnu target's raw-dylib imports (zig has none by that name).
APT_PACKAGES=(qemu-user binutils-mingw-w64-x86-64)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ "${1:-}" = "--no-arm64-node" ] && exit 0

# An arm64 Node (Debian's nodejs and the libraries it links) unpacked into a root of its
# own, run as `qemu-aarch64 -L $ROOT $ROOT/usr/bin/node`.
ROOT=$CROSS/arm64-root
ARM64_PACKAGES=(nodejs libnode108 libc6 libgcc-s1 libstdc++6 libuv1 libssl3 libicu72
  libc-ares2 libnghttp2-14 libbrotli1 zlib1g libcrypt1)
# Architecture-independent JS that Debian's Node loads from /usr/share/nodejs (qemu's -L
# prefix serves those paths from the root too).
ALL_PACKAGES=(node-acorn node-cjs-module-lexer node-undici node-busboy)
if [ ! -x "$ROOT/usr/bin/node" ]; then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    "${SUDO[@]}" dpkg --add-architecture arm64
    "${SUDO[@]}" apt-get update -qq
  fi
  debs=$CROSS/arm64-debs
  mkdir -p "$debs" "$ROOT"
  download() { (cd "$debs" && apt-get download -qq "${ARM64_PACKAGES[@]/%/:arm64}" "${ALL_PACKAGES[@]}"); }
  download 2>/dev/null || { "${SUDO[@]}" apt-get update -qq; download; }
  for deb in "$debs"/*.deb; do dpkg -x "$deb" "$ROOT"; done
fi
