#!/usr/bin/env bash
# Installs the pinned schemathesis (API fuzzer, PyPI) and its pinned
# dependencies (scripts/schemathesis.lock: exact versions, and the sha256 of
# every wheel pip may pick, checked with --require-hashes) into
# .tools/schemathesis with `pip install --target`: no virtualenv, nothing
# installed into any Python environment. Idempotent: reinstalls only when
# the lock file changed. Prints the path of the `st` launcher last.
#
# To bump: in a scratch venv `pip install schemathesis==X.Y.Z`, then
# `pip freeze | scripts/lock-schemathesis.py > scripts/schemathesis.lock`
# (and check the licenses).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
lock=$root/scripts/schemathesis.lock
dest=${TOOLS_DIR:-$root/.tools}/schemathesis
python=${PYTHON:-python3}

launcher=$dest/st
if [[ -x $launcher ]] && cmp -s "$lock" "$dest/installed.lock"; then
    echo "$launcher"
    exit 0
fi

"$python" -m pip --version >/dev/null 2>&1 ||
    { echo "error: pip not available for $python (Debian: apt-get install python3-pip)" >&2; exit 1; }
echo "installing schemathesis ($(grep -io '^schemathesis==[^ ]*' "$lock")) into $dest" >&2
rm -rf "$dest"
mkdir -p "$dest"
"$python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --only-binary=:all: \
    --require-hashes --target "$dest/lib" -r "$lock" >&2
cat >"$launcher" <<LAUNCHER
#!/usr/bin/env bash
PYTHONPATH="$dest/lib" exec "$python" -m schemathesis.cli "\$@"
LAUNCHER
chmod +x "$launcher"
"$launcher" --version >&2
cp "$lock" "$dest/installed.lock"
echo "$launcher"
