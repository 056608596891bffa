#!/usr/bin/env bash
# Installs the pinned kubernetes-validate (PyPI; validates manifests against
# the Kubernetes OpenAPI schemas it ships, offline) and its dependencies into
# .tools/kubernetes-validate.d/, with a launcher at .tools/kubernetes-validate.
# Every wheel is pinned by exact version and sha256 (pip --require-hashes),
# downloaded and unpacked; nothing is installed into any Python environment.
# Idempotent.
#
# pyyaml and rpds-py are compiled: their hashes cover CPython 3.11-3.13 on
# Linux x86_64 and aarch64. To bump: `pip download kubernetes-validate==X -d w`
# lists the wheels; `sha256sum w/*.whl` (repeat with --platform/--python-version
# for the compiled ones).
set -euo pipefail

KUBERNETES_VALIDATE_VERSION=1.37.0

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools=${TOOLS_DIR:-$root/.tools}
dest=$tools/kubernetes-validate
lib=$dest.d
python=${PYTHON:-python3}

if [[ -x $dest ]] && [[ $(cat "$lib/.version" 2>/dev/null) == "$KUBERNETES_VALIDATE_VERSION" ]]; then
    echo "kubernetes-validate $KUBERNETES_VALIDATE_VERSION already installed at $dest"
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/requirements.txt" <<REQ
kubernetes-validate==$KUBERNETES_VALIDATE_VERSION --hash=sha256:85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9
attrs==26.1.0 --hash=sha256:c647aa4a12dfbad9333ca4e71fe62ddc36f4e63b2d260a37a8b83d2f043ac309
importlib-resources==7.1.0 --hash=sha256:1bd7b48b4088eddb2cd16382150bb515af0bd2c70128194392725f82ad2c96a1
jsonschema==4.26.0 --hash=sha256:d489f15263b8d200f8387e64b4c3a75f06629559fb73deb8fdfb525f2dab50ce
jsonschema-specifications==2025.9.1 --hash=sha256:98802fee3a11ee76ecaca44429fda8a41bff98b00a0f2838151b113f210cc6fe
packaging==26.4 --hash=sha256:81383611a09c1bc0b08b76e0fd5829d7c6824c65b27a6aee339da133f4233ea2
referencing==0.37.0 --hash=sha256:381329a9f99628c9069361716891d34ad94af76e461dcb0335825aecc7692231
typing-extensions==4.16.0 --hash=sha256:481caa481374e813c1b176ada14e97f1f67a4539ce9cfeb3f350d78d6370c2e8
pyyaml==6.0.4 \\
    --hash=sha256:622aa875fa6533f25fedcffe23079357d65a690d462200afed5d8e9d0e01ebee \\
    --hash=sha256:71bb5b87465d88d1dfc577115af6d435bff9b26f2512936f610c26aa55966028 \\
    --hash=sha256:93bfb2459195406a518e2f487a9bbf01df240175f31e06f5a252ac6734c7bbf0 \\
    --hash=sha256:45e37dd647db9d67b757444c74060c064ace5fdaa08f42bf4fda3812275d423e \\
    --hash=sha256:50588147ab2c6a59b5f990a4905db80899a6c2bd197e046a6201f1e67587e794 \\
    --hash=sha256:41b4669c3a8fd5750e594dff59d3e62d40e321fec467b50449603710ed0a68f3
rpds-py==2026.9.1 \\
    --hash=sha256:136a1c3fe4402b7008bc81cb62ee538481795b61a7e83df88dff3b3f02b726ff \\
    --hash=sha256:e01b3c878c8641913e688edd1b3f08658c6783d29cf6b826bd3c0d1ae7a1ffaa \\
    --hash=sha256:addeda51556dac7c1a2f14cda62db8b621cd12afba3091d03a96c72932387eab \\
    --hash=sha256:2693b2728bbcc48d09a981a356954b0c47c53ff25b545856f28a889ea619f69a \\
    --hash=sha256:7868b85224291c6cb6759f9b5adb9745f486d226f62b16a614dd5a2a5ab2b35b \\
    --hash=sha256:457866b85daf5034296666168b84a69e0b2e89dc4f1af102b46f6448a60b9063
REQ

echo "installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION into $lib"
# Download only (works on an externally managed Python too), then unpack the
# wheels: a wheel is a zip of what goes into site-packages.
if ! "$python" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --require-hashes -r "$tmp/requirements.txt" -d "$tmp/wheels" >"$tmp/pip.log" 2>&1; then
    cat "$tmp/pip.log" >&2
    echo "error: could not download kubernetes-validate $KUBERNETES_VALIDATE_VERSION from PyPI (network? hash mismatch? a Python outside 3.11-3.13?)" >&2
    exit 1
fi
"$python" - "$tmp/wheels" "$tmp/lib" <<'PY'
import pathlib, sys, zipfile
wheels, lib = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for wheel in sorted(wheels.glob("*.whl")):
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(lib)
PY
echo "$KUBERNETES_VALIDATE_VERSION" >"$tmp/lib/.version"
cat >"$tmp/launcher" <<SH
#!/bin/sh
PYTHONPATH="$lib" exec "$python" -m kubernetes_validate "\$@"
SH
chmod +x "$tmp/launcher"
mkdir -p "$tools"
rm -rf "$lib"
mv "$tmp/lib" "$lib"
mv -f "$tmp/launcher" "$dest"
"$dest" --version
