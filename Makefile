# The two commands: `make serve` and `make test`. Both set the machine up first
# (Debian packages if missing, model files by checksum) and build one release
# profile that serving and testing share.

CARGO ?= cargo
export ERRAND_MODELS ?= $(CURDIR)/.models
BIN := $(or $(CARGO_TARGET_DIR),target)/release/errand
# Test servers each copy the search index into a data folder of their own
# (about 190 MB); the suite's folders go in one scratch folder, removed after.
TESTS_IN_SCRATCH := bash .ci/in-scratch

.PHONY: serve test postgres postgres-suite browser openai mcp setup build index lint bench

serve: index
	$(BIN) serve

test: index
	python3 knowledge/generate.py --check
	$(TESTS_IN_SCRATCH) $(CARGO) test --release --locked
	$(BIN) eval --thresholds evals/thresholds.toml
	$(MAKE) --no-print-directory postgres
	$(MAKE) --no-print-directory browser
	$(MAKE) --no-print-directory openai
	$(MAKE) --no-print-directory mcp
	$(CARGO) fmt --all -- --check

# The same suite and dialogues with the store on PostgreSQL: a throwaway
# server (Debian's postgresql, installed if absent) on a free port, removed
# afterwards. Each test gets a schema of its own; tests/replicas.rs runs two
# servers on one.
postgres: index
	bash .ci/with-postgres $(MAKE) --no-print-directory postgres-suite

postgres-suite:
	$(TESTS_IN_SCRATCH) $(CARGO) test --release --locked --tests
	ERRAND_STORE_URL=$$ERRAND_TEST_POSTGRES ERRAND_STORE_SCHEMA=eval $(BIN) eval --thresholds evals/thresholds.toml

# The widget and console scenarios alone, in headless Chromium.
browser: index
	bash .ci/setup-browser
	ERRAND_BIN=$(BIN) node tests/browser/run.mjs

# The OpenAI-compatible endpoint, driven by the official `openai` Python SDK.
openai: index
	bash .ci/setup-openai
	ERRAND_BIN=$(BIN) tests/openai/.venv/bin/python tests/openai/run.py

# The MCP server, driven by the official TypeScript SDK.
mcp: index
	bash .ci/setup-mcp
	ERRAND_BIN=$(BIN) node tests/mcp/run.mjs

setup:
	bash .ci/setup

build: setup
	$(CARGO) build --release --locked

index: build
	$(BIN) index

lint:
	$(CARGO) clippy --release --all-targets --locked -- -D warnings

bench: build
	$(BIN) bench retrieval
