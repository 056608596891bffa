#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup runs from the trap
# Cost of `GET /api/orders` (BENCHMARKS.md "Order list query"): starts a
# private nats-server and the release service (default
# ORDER_QUERY_MAX_RECORDS, 50,000), creates OLD orders (default 20,000) and
# then NEW ones (default 40,000) with loadgen, times list queries over the
# window of the NEW ones (every record of the window read) with the CPU the
# service and the broker spent on them, and the 422 for the whole bucket.
#
# Needs: make build (target/release/{order-service,loadgen}) and .tools/nats-server.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
OLD=${OLD:-20000}
NEW=${NEW:-40000}
QUERIES=${QUERIES:-5}
NATS_PORT=${NATS_PORT:-14222}
HTTP_PORT=${HTTP_PORT:-18080}
dir=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT

# CPU seconds (user + system) of a process so far.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / hz }' "/proc/$1/stat"; }

.tools/nats-server -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$dir/store" -l "$dir/nats.log" &
pids+=($!)
nats_pid=$!
NATS_URL=nats://127.0.0.1:$NATS_PORT HTTP_ADDR=127.0.0.1:$HTTP_PORT RUST_LOG=warn \
    target/release/order-service >"$dir/service.log" 2>&1 &
pids+=($!)
service_pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$HTTP_PORT/ready" >/dev/null && break; sleep 0.2; done
load() {
    target/release/loadgen --service-url "http://127.0.0.1:$HTTP_PORT" --nats-url "nats://127.0.0.1:$NATS_PORT" \
        --service-pid "$service_pid" --orders "$1" --warmup 0 >"$dir/loadgen.log" 2>&1 ||
        { cat "$dir/loadgen.log"; exit 1; }
}
start=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load "$OLD"
sleep 1.1
since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load "$NEW"

for query in "limit=50" "status=FAILED&limit=50" "customer_id=nobody&limit=50"; do
    url="http://127.0.0.1:$HTTP_PORT/api/orders?since=$since&$query"
    s0=$(cpu "$service_pid"); n0=$(cpu "$nats_pid")
    times=()
    for _ in $(seq "$QUERIES"); do times+=("$(curl -fs -o "$dir/page.json" -w '%{time_total}' "$url")"); done
    s1=$(cpu "$service_pid"); n1=$(cpu "$nats_pid")
    scanned=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["scanned"])' "$dir/page.json")
    printf '%s\n' "${times[@]}" | sort -n | awk -v q="$query" -v n="$scanned" -v k="$QUERIES" \
        -v sc="$(echo "$s1 - $s0" | bc)" -v nc="$(echo "$n1 - $n0" | bc)" \
        '{ t[NR] = $1 } END { m = t[int((NR + 1) / 2)];
           printf "%-28s scanned=%d  wall median %.0f ms (%.1f us/record)  cpu/query: service %.0f ms, broker %.0f ms\n",
                  q, n, m * 1000, m * 1e6 / n, sc * 1000 / k, nc * 1000 / k }'
done
wide=$(curl -s -o "$dir/wide.json" -w '%{http_code} in %{time_total} s' "http://127.0.0.1:$HTTP_PORT/api/orders?since=$start")
echo "whole bucket ($((OLD + NEW)) orders): $wide: $(cat "$dir/wide.json")"
