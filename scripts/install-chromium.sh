#!/usr/bin/env bash
# Installs Debian's Chromium for the dashboard browser tests
# (tests/api/dashboard_browser.rs drive it headless over the DevTools
# protocol). Idempotent: does nothing when the browser is already there.
# As root it runs apt-get; otherwise it prints the command and fails, since
# `make test` cannot pass without the browser.
#
# The tests use $CHROMIUM_BIN, default /usr/bin/chromium. Measured on the
# 2-core CI machine: apt-get update + install (about 120 MB of packages,
# fonts included) took 37 s.
set -euo pipefail

bin=${CHROMIUM_BIN:-/usr/bin/chromium}
if [[ -x $bin ]]; then
    exit 0
fi
install=(apt-get install -y --no-install-recommends chromium)
if [[ $(id -u) -ne 0 ]]; then
    echo "Chromium is missing ($bin); the dashboard browser tests need it. Install it with:" >&2
    echo "  sudo apt-get update && sudo ${install[*]}" >&2
    exit 1
fi
echo "installing Debian's chromium for the dashboard browser tests"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${install[@]}" >/dev/null
"$bin" --version
