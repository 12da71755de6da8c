# `make dev` and `make test` work on a fresh machine: each creates or refreshes
# the virtualenv in .venv, installs the project, then runs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dev test lint typecheck pytest install clean bench bench-quick

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
	@echo "== bench/ack on mootaflow dev, Moota-shaped and small deliveries, 100-300/s"
	$(BIN)/python -m bench.ack --stack dev --rates 100,200,300 --durations 60,30,15 \
		--shapes moota,small --largest 20
	@echo "== bench/ack on the bench's own stack, the same load"
	$(BIN)/python -m bench.ack --stack bench --rates 100,200,300 --durations 60,30,15 \
		--shapes moota,small --largest 0
	@echo "== bench/ack on mootaflow dev, deliveries of 20 mutations"
	$(BIN)/python -m bench.ack --stack dev --rates 5 --durations 60 --batch 20 --largest 0
	@echo "== bench/e2e: 1000 payments per path (paid, flagged) at 100/s against the no-op baselines"
	$(BIN)/python -m bench.e2e --count 1000 --rate 100 --path both
	@echo "== bench/latency: 30 payments one at a time on mootaflow dev, webhook to paid and to email"
	$(BIN)/python -m bench.latency --stack dev --count 30
	@echo "== bench/steps: each path's activities on their own, per payment"
	$(BIN)/python -m bench.steps --count 300
	$(BIN)/python -m bench.steps --count 300 --path flagged
	@echo "== bench/inline: the anti-pattern at the same rates and durations"
	$(BIN)/python -m bench.inline --rates 100,300 --durations 60,15
	@echo "== charts"
	$(BIN)/python -m bench.chart

# A smaller subset (about ten minutes): the ack figures of `mootaflow dev` (5 s per rate,
# each phase starts once the previous one's mutations are started; the worker may still
# be busy), then e2e with both paths and latency on small counts.
bench-quick: $(STAMP)
	$(BIN)/python -m compileall -q src
	$(BIN)/python -m bench.ack --stack dev --rates 100,200,300 --durations 5 \
		--shapes moota --largest 0 --no-idle-wait
	$(BIN)/python -m bench.e2e --count 100 --rate 20 --path both
	$(BIN)/python -m bench.latency --stack dev --count 10
	$(BIN)/python -m bench.chart

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
