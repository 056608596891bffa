#!/usr/bin/env bash
# Installs the pinned cargo-deny into .tools/cargo/bin (or $CARGO_DENY_ROOT/bin)
# with `cargo install --locked`, from crates.io. Idempotent: does nothing when
# the binary there already reports the pinned version.
#
# This compiles cargo-deny from source: about 6 minutes of wall time (4 of
# CPU) on a busy 2-core machine, once per fresh checkout. A cargo-deny of the
# pinned version already on PATH (e.g. `cargo install --locked
# cargo-deny@VERSION` into ~/.cargo) is used instead and skips the build.
#
# Prints the path of the cargo-deny to use on its last line.
#
# To bump: change CARGO_DENY_VERSION (check its rust-version against ours).
set -euo pipefail

CARGO_DENY_VERSION=0.20.2

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
install_root=${CARGO_DENY_ROOT:-$root/.tools/cargo}
pinned="cargo-deny $CARGO_DENY_VERSION"

reports_pinned() {
    [[ -x $1 ]] && [[ "$("$1" --version 2>/dev/null)" == "$pinned" ]]
}

if reports_pinned "$install_root/bin/cargo-deny"; then
    echo "$install_root/bin/cargo-deny"
    exit 0
fi
on_path=$(command -v cargo-deny || true)
if [[ -n $on_path ]] && reports_pinned "$on_path"; then
    echo "$on_path"
    exit 0
fi

echo "installing $pinned into $install_root (compiles from source; takes minutes)" >&2
started=$SECONDS
# Its own temporary target dir: not the project's (CARGO_TARGET_DIR), which a
# concurrent build may hold locked. --locked: the versions it was released with.
build_dir=$(mktemp -d)
# shellcheck disable=SC2064 # expand $build_dir now, on purpose
trap "rm -rf '$build_dir'" EXIT
if ! "${CARGO:-cargo}" install --locked --quiet "cargo-deny@$CARGO_DENY_VERSION" \
    --root "$install_root" --target-dir "$build_dir" >&2; then
    echo "error: cargo install cargo-deny@$CARGO_DENY_VERSION failed (network to crates.io? disk?)" >&2
    exit 1
fi
reports_pinned "$install_root/bin/cargo-deny" || {
    echo "error: $install_root/bin/cargo-deny does not report '$pinned'" >&2
    exit 1
}
echo "installed $pinned in $((SECONDS - started))s" >&2
echo "$install_root/bin/cargo-deny"
