#!/usr/bin/env bash
# shellcheck disable=SC2317 # stop_process and cleanup run from traps
# `make run`: a local order-service on a local JetStream server.
#
# Installs the pinned nats-server if missing, starts it with JetStream on
# .data/nats (kept between runs: orders and inventory survive a restart), then
# builds and starts the service with the built-in payment simulator and sample
# inventory. Ctrl-C or SIGTERM stops the service first (graceful drain), then
# nats-server.
#
# Environment (only defaulted; values already set are kept):
#   NATS_URL          nats://127.0.0.1:4222
#   HTTP_ADDR         127.0.0.1:8080
#   SAMPLE_INVENTORY  SKU-RED=100,SKU-BLUE=50,SKU-GREEN=0
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

NATS_BIN=$root/.tools/nats-server
NATS_HOST=127.0.0.1
NATS_PORT=4222
NATS_MONITOR_PORT=8222
DATA_DIR=$root/.data
NATS_LOG=$DATA_DIR/nats.log
# SIGTERM to SIGKILL: the service's stop is bounded by SHUTDOWN_TIMEOUT_SECS
# (25 s default, flushes included); 30 = 25 + 5 s margin.
STOP_TIMEOUT_SECS=30
CARGO=${CARGO:-cargo}

export NATS_URL=${NATS_URL:-nats://$NATS_HOST:$NATS_PORT}
export HTTP_ADDR=${HTTP_ADDR:-127.0.0.1:8080}
export SAMPLE_INVENTORY=${SAMPLE_INVENTORY:-SKU-RED=100,SKU-BLUE=50,SKU-GREEN=0}

log() { echo "run: $*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# Succeeds when something accepts TCP connections on host:port.
port_open() {
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# stop_process PID NAME: SIGTERM, wait up to STOP_TIMEOUT_SECS, then SIGKILL.
stop_process() {
    local pid=$1 name=$2 waited=0
    kill -0 "$pid" 2>/dev/null || return 0
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do
        if ((waited >= STOP_TIMEOUT_SECS * 10)); then
            log "$name did not stop within ${STOP_TIMEOUT_SECS}s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    wait "$pid" 2>/dev/null || true
}

service_pid=
nats_pid=
cleanup() {
    trap - INT TERM EXIT
    [[ -n $service_pid ]] && stop_process "$service_pid" order-service
    [[ -n $nats_pid ]] && stop_process "$nats_pid" nats-server
    return 0
}
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap cleanup EXIT

"$root/scripts/install-nats.sh"

# Build before starting anything, so compile errors show up on their own and
# the URLs printed below are live when they appear.
log "building order-service (release)"
"$CARGO" build --release --locked --bin order-service

for port in "$NATS_PORT" "$NATS_MONITOR_PORT"; do
    if port_open "$NATS_HOST" "$port"; then
        die "something already listens on $NATS_HOST:$port (another nats-server or 'make run'?). Stop it first: this script starts its own nats-server and will not share one silently."
    fi
done

mkdir -p "$DATA_DIR/nats"
: >"$NATS_LOG"
log "starting nats-server on $NATS_HOST:$NATS_PORT (JetStream store $DATA_DIR/nats, log $NATS_LOG)"
# set -m: background children get their own process groups, so a Ctrl-C
# reaches only this script and the shutdown order (service, then NATS) holds.
set -m
"$NATS_BIN" -js -sd "$DATA_DIR/nats" -a "$NATS_HOST" -p "$NATS_PORT" -m "$NATS_MONITOR_PORT" >>"$NATS_LOG" 2>&1 &
nats_pid=$!
set +m

for ((i = 0; ; i++)); do
    port_open "$NATS_HOST" "$NATS_PORT" && break
    if ! kill -0 "$nats_pid" 2>/dev/null; then
        nats_pid=
        tail -n 20 "$NATS_LOG" >&2
        die "nats-server exited during start-up (log above, full log in $NATS_LOG)"
    fi
    if ((i >= 100)); then
        tail -n 20 "$NATS_LOG" >&2
        die "nats-server did not accept connections on $NATS_HOST:$NATS_PORT within 10s (log above, full log in $NATS_LOG)"
    fi
    sleep 0.1
done
log "nats-server is up"

set -m
"$CARGO" run --release --locked --quiet --bin order-service &
service_pid=$!
set +m

http_host=${HTTP_ADDR%:*}
http_port=${HTTP_ADDR##*:}
case $http_host in 0.0.0.0 | "" | "[::]") http_host=127.0.0.1 ;; esac
base=http://$http_host:$http_port

# Print the URLs once the service listens (or tell why not).
for ((i = 0; i < 600; i++)); do
    port_open "$http_host" "$http_port" && break
    kill -0 "$service_pid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$service_pid" 2>/dev/null; then
    port_open "$http_host" "$http_port" || log "warning: service not listening on $http_host:$http_port after 60s"
    cat >&2 <<EOF

  order-service is running (Ctrl-C stops it and nats-server)
    API               $base
    health            $base/health
    ready             $base/ready
    metrics           $base/metrics
    dashboard         $base/dashboard
    NATS monitoring   http://$NATS_HOST:$NATS_MONITOR_PORT

  Place an order:
    curl -i -X POST $http_host:$http_port/orders -H 'content-type: application/json' -H 'Idempotency-Key: demo-1' -d '{"customer_id":"c-1","items":[{"sku":"SKU-RED","quantity":2,"unit_price_minor":1999}]}'
  Then: curl -s $base/orders/<order_id>

EOF
fi

# Returns when the service exits by itself, or early when a trapped signal
# arrives (the trap then stops both processes).
status=0
wait "$service_pid" || status=$?
service_pid=
log "order-service exited with status $status"
exit "$status"
