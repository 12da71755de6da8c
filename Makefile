# `make dev` and `make test` work on a fresh machine: each creates or refreshes
# the virtualenv in .venv, installs the project, then runs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dev test lint typecheck pytest install clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

dev: $(STAMP)
	$(BIN)/mootaflow dev

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# The suite runs on SQLite, then again on PostgreSQL when a server is given.
pytest: $(STAMP)
	env -u MOOTAFLOW_TEST_POSTGRES_URL $(BIN)/pytest
	@if [ -n "$$MOOTAFLOW_TEST_POSTGRES_URL" ]; then \
		echo "== the same suite on PostgreSQL"; \
		$(BIN)/pytest; \
	else \
		echo "PostgreSQL pass skipped: set MOOTAFLOW_TEST_POSTGRES_URL=postgresql+asyncpg://USER:PASSWORD@127.0.0.1:5432 to run it (.ci/run does)"; \
	fi

# Issue 7's benchmarks in sequence, then their charts (docs/bench/*.png). Each starts
# its own throw-away stack on free ports (bench/stack.py); figures go to bench/results/.
# Run on an otherwise idle machine: anything else running skews the figures.
bench: $(STAMP)
	@# Production installs ship bytecode; an editable install under PYTHONDONTWRITEBYTECODE
	@# has none, and the worker's sandbox would compile the workflow module on every run.
	$(BIN)/python -m compileall -q src
	@echo "== bench/ack: 100/s for 60 s and 300/s for 15 s, with both baselines"
	$(BIN)/python -m bench.ack --rates 100,300 --durations 60,15 --largest 20
	@echo "== bench/e2e: 1000 payments at 100/s against the no-op baseline"
	$(BIN)/python -m bench.e2e --count 1000 --rate 100
	@echo "== bench/inline: the anti-pattern at the same rates and durations"
	$(BIN)/python -m bench.inline --rates 100,300 --durations 60,15
	@echo "== charts"
	$(BIN)/python -m bench.chart

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
