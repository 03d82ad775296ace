# Relaydesk: `make run` starts everything on embedded defaults, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONFIG ?= config.local.toml
# Tests run in parallel: many wait on servers, subprocesses and the network, so more workers than
# cores pay off (docs/install.md has the figures). TEST_WORKERS=0 runs them in one process.
TEST_WORKERS ?= 4
PYTEST_PARALLEL := -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

.PHONY: run test test-fast lint system-deps bench bench-imap clean

$(BIN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/relaydesk --config $(CONFIG) init --if-missing
	@echo "way back in: $(BIN)/relaydesk --config $(CONFIG) operator password EMAIL (a set-password link)"
	@echo "             or $(BIN)/relaydesk --config $(CONFIG) operator invite EMAIL (the link by email)"
	$(BIN)/relaydesk --config $(CONFIG) serve

system-deps:
	bash scripts/install-system-deps

test: $(BIN)/.installed system-deps
	$(BIN)/python -m pytest $(PYTEST_PARALLEL)

test-fast: $(BIN)/.installed
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) -m "not slow and not browser"

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy chatcore bridge inbound outbound webui

bench: $(BIN)/.installed
	$(BIN)/python bench/ingest.py

bench-imap: $(BIN)/.installed system-deps
	$(BIN)/python bench/imap_latency.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
