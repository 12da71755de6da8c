# `make dev` and `make test` work on a fresh machine: each creates or refreshes
# the virtualenv in .venv, installs the project, then runs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dev test lint typecheck pytest install clean

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

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
