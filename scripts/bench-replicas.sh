#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup runs from the trap
# Replicas on one hot SKU (BENCHMARKS.md "Replicas"): for each round, a fresh
# private nats-server and ONE release replica under the closed loop on one
# SKU, then a fresh nats-server and TWO replicas sharing the `order-saga`
# consumer, orders round-robin over both. Prints done/s of each, their
# ratio, and the `order-saga` redeliveries the broker counted in each run.
#
# Environment: ROUNDS (3), DURATION (20), WARMUP (5), SKUS (1), and
# LOADGEN_ARGS (extra loadgen flags).
# Needs: make build (target/release/{order-service,loadgen}) and .tools/nats-server.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-5}
SKUS=${SKUS:-1}
NATS_PORT=${NATS_PORT:-14322}
MONITOR_PORT=${MONITOR_PORT:-18322}
HTTP_PORT=${HTTP_PORT:-18380}
dir=$(mktemp -d)
pids=()
stop_all() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    pids=()
}
trap 'stop_all; rm -rf "$dir"' EXIT

# num_redelivered of the order-saga consumer, from the broker's /jsz.
redelivered() {
    curl -fs "http://127.0.0.1:$MONITOR_PORT/jsz?consumers=true" | python3 -c '
import json, sys
jsz = json.load(sys.stdin)
print(sum(c.get("num_redelivered", 0)
          for a in jsz.get("account_details", []) for s in a.get("stream_detail", [])
          for c in s.get("consumer_detail", []) if c["name"] == "order-saga"))'
}

# One run with $1 replicas; prints "done/s redeliveries".
run() {
    local replicas=$1 urls=() store
    store=$(mktemp -d -p "$dir")
    .tools/nats-server -a 127.0.0.1 -p "$NATS_PORT" -m "$MONITOR_PORT" -js -sd "$store" -l "$store/nats.log" &
    pids+=($!)
    for i in $(seq "$replicas"); do
        local port=$((HTTP_PORT + i))
        NATS_URL=nats://127.0.0.1:$NATS_PORT HTTP_ADDR=127.0.0.1:$port RUST_LOG=warn \
            target/release/order-service >"$store/service-$i.log" 2>&1 &
        pids+=($!)
        urls+=("http://127.0.0.1:$port")
        for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.2; done
    done
    local before after list
    before=$(redelivered)
    list=$(IFS=,; echo "${urls[*]}")
    # shellcheck disable=SC2086 # LOADGEN_ARGS is a list of flags
    target/release/loadgen --mode closed --skus "$SKUS" --duration "$DURATION" --warmup "$WARMUP" \
        --service-url "$list" --nats-url "nats://127.0.0.1:$NATS_PORT" \
        --nats-monitor-url "http://127.0.0.1:$MONITOR_PORT" --json "$store/result.json" ${LOADGEN_ARGS:-} \
        >"$store/loadgen.log" 2>&1 || { cat "$store/loadgen.log" >&2; exit 1; }
    after=$(redelivered)
    local done_rate
    done_rate=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(round(r["results"][0]["median"]["completed_per_sec"]))' \
        "$store/result.json")
    stop_all
    echo "$done_rate $((after - before))"
}

printf '%-6s %14s %18s %8s %s\n' round "1 replica/s" "2 replicas/s" ratio "redeliveries (1, 2)"
for round in $(seq "$ROUNDS"); do
    read -r one r1 < <(run 1)
    read -r two r2 < <(run 2)
    printf '%-6s %14s %18s %7s%% %s\n' "$round" "$one" "$two" "$((100 * two / one))" "$r1, $r2"
done
