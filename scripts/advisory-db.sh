#!/usr/bin/env bash
# Makes sure cargo-deny has a RustSec advisory database on disk for an
# offline `cargo deny --offline check advisories`, prints the snapshot's date,
# and fails when it is older than deny.toml's `maximum-db-staleness`.
#
# When no database is on disk, it is cloned from a git bundle of an
# advisory-db snapshot: $ADVISORY_DB_BUNDLE, default
# ../shared/rustsec-advisory-db.bundle beside the repository (CI has a copy of
# shared/ there; GitHub is unreachable from CI). A database already on disk
# (from `cargo deny fetch db` where GitHub is reachable) is used as it is.
#
# Where cargo-deny looks: <db-path>/<last URL segment>-<hash>, db-path
# defaulting to $CARGO_HOME/advisory-dbs, hash = XxHash64(seed 0xca80de71) of
# the lower-cased URL as 16 hex digits (cargo-deny 0.20
# src/advisories/helpers/db.rs, url_to_db_path). For the default
# https://github.com/RustSec/advisory-db that is advisory-db-3157b0e258782691;
# `cargo deny -L debug fetch db` prints the path it clones into.
#
# Why the staleness check is here too: cargo-deny measures staleness from the
# mtime of .git/FETCH_HEAD or .git/HEAD, which a fresh clone of an old
# snapshot sets to now. The snapshot's own date is its HEAD commit's date.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
db_root=${ADVISORY_DBS:-${CARGO_HOME:-$HOME/.cargo}/advisory-dbs}
db=$db_root/advisory-db-3157b0e258782691
bundle=${ADVISORY_DB_BUNDLE:-$root/../shared/rustsec-advisory-db.bundle}

die() {
    echo "error: $*" >&2
    exit 1
}

# deny.toml's maximum-db-staleness ("P<days>D") in days: one limit for both.
max_days=$(sed -n 's/^maximum-db-staleness *= *"P\([0-9]\+\)D".*/\1/p' "$root/deny.toml")
[[ -n $max_days ]] || die "deny.toml [advisories] needs maximum-db-staleness = \"P<days>D\""

if [[ ! -d $db/.git ]]; then
    [[ -f $bundle ]] ||
        die "no advisory database in $db and no snapshot bundle at $bundle: run 'cargo deny fetch db' where GitHub is reachable, or set ADVISORY_DB_BUNDLE"
    mkdir -p "$db_root"
    tmp=$(mktemp -d "$db_root/.clone.XXXXXX")
    # shellcheck disable=SC2064 # expand $tmp now, on purpose
    trap "rm -rf '$tmp'" EXIT
    git -c init.defaultBranch=main clone --quiet "$bundle" "$tmp/db"
    mv "$tmp/db" "$db"
    echo "advisory database cloned from $bundle"
fi

snapshot=$(git -C "$db" show -s --format=%cI HEAD)
age_days=$((($(date +%s) - $(date -d "$snapshot" +%s)) / 86400))
echo "advisory database $db: snapshot of ${snapshot%%T*} ($age_days days old, limit $max_days)"
if ((age_days > max_days)); then
    die "the advisory database is older than maximum-db-staleness (P${max_days}D): refresh it ('cargo deny fetch db', or a newer bundle after removing $db)"
fi
