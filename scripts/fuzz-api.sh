#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup runs from a trap
# `make fuzz-api`: schemathesis against a real order-service and nats-server,
# driven by the service's own /openapi.json, which must first validate as
# OpenAPI 3.1. Every answer must be no 5xx, a documented status, the
# documented content type and body schema, and admin routes must refuse
# requests without the token (ignored_auth). Stateful runs follow the
# POST /orders -> GET /orders/{id} link. Bounded by FUZZ_SECONDS.
#
# Environment: NATS_SERVER_BIN (required), ORDER_SERVICE_BIN (default: build
# the debug binary), FUZZ_SECONDS (default 90), FUZZ_SEED (reproduce a run),
# FUZZ_WORKERS (default 1: parallel hypothesis
# workers hit a CPython 3.11 ast.parse race).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
SCHEMATHESIS=$("$root/scripts/install-schemathesis.sh" | tail -n 1)
FUZZ_SECONDS=${FUZZ_SECONDS:-90}
FUZZ_WORKERS=${FUZZ_WORKERS:-1}
TOKEN=fuzz-admin-token
: "${NATS_SERVER_BIN:?NATS_SERVER_BIN must name a nats-server binary (scripts/install-nats.sh)}"

log() { echo "fuzz-api: $*" >&2; }
die() {
    log "error: $*"
    exit 1
}

if [[ -z ${ORDER_SERVICE_BIN:-} ]]; then
    cargo build --locked --quiet --bin order-service
    ORDER_SERVICE_BIN=${CARGO_TARGET_DIR:-$root/target}/debug/order-service
fi

work=$(mktemp -d)
nats_pid=
service_pid=
cleanup() {
    trap - EXIT
    for pid in $service_pid $nats_pid; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

# wait_for WHAT SECONDS COMMAND...: polls COMMAND every 0.1 s.
wait_for() {
    local what=$1 limit=$(($2 * 10)) i
    shift 2
    for ((i = 0; i < limit; i++)); do
        "$@" && return 0
        sleep 0.1
    done
    die "$what not ready after $((limit / 10)) s"
}

"$NATS_SERVER_BIN" -a 127.0.0.1 -p -1 -js -sd "$work/store" --ports_file_dir "$work" -l "$work/nats.log" &
nats_pid=$!
ports_file() { compgen -G "$work/*.ports" >/dev/null; }
wait_for nats-server 10 ports_file
nats_url=$(python3 -c 'import glob, json, sys; print(json.load(open(glob.glob(sys.argv[1])[0]))["nats"][0])' "$work/*.ports")

# A free port for the service (the kernel picks it; released before use).
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
NATS_URL=$nats_url HTTP_ADDR=127.0.0.1:$port ADMIN_TOKEN=$TOKEN RUST_LOG=${RUST_LOG:-error} \
    SAMPLE_INVENTORY=SKU-RED=1000000,SKU-BLUE=50,SKU-GREEN=0 \
    "$ORDER_SERVICE_BIN" >"$work/service.log" 2>&1 &
service_pid=$!
ready() { python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$base/ready" 2>/dev/null; }
wait_for order-service 60 ready

# The served document must be valid OpenAPI 3.1 (the official meta-schema,
# as schemathesis ships it).
PYTHONPATH="$(dirname "$SCHEMATHESIS")/lib" python3 - "$base/openapi.json" <<'PY' || die "/openapi.json is not valid OpenAPI 3.1"
import json, sys, urllib.request
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR
document = json.load(urllib.request.urlopen(sys.argv[1], timeout=10))
errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in OPENAPI_31_VALIDATOR.iter_errors(document)]
print("\n".join(errors) or f"/openapi.json: valid OpenAPI {document['openapi']}", file=sys.stderr)
sys.exit(1 if errors else 0)
PY
log "fuzzing $base for ${FUZZ_SECONDS}s (seed ${FUZZ_SEED:-random})"
# /api/stream never ends (one event a second), so a request/response fuzzer
# cannot read it; the browser tests cover it.
status=0
# From the scratch folder: schemathesis keeps its cache in ./.schemathesis.
(cd "$work" && "$SCHEMATHESIS" run "$base/openapi.json" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,ignored_auth \
    --header "Authorization: Bearer $TOKEN" \
    --phases examples,coverage,fuzzing,stateful \
    --exclude-path /api/stream \
    --max-time "$FUZZ_SECONDS" --workers "$FUZZ_WORKERS" --request-timeout 10 \
    --suppress-health-check too_slow,filter_too_much \
    ${FUZZ_SEED:+--seed "$FUZZ_SEED"}) || status=$?
if ((status != 0)); then
    log "schemathesis failed (exit $status); service log:"
    tail -n 50 "$work/service.log" >&2
fi
exit "$status"
