# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED ?= ../shared

.PHONY: run test lint typecheck bench data clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Console chat on the bundled catalogue; the real bot when TELEGRAM_BOT_TOKEN is set.
run: $(STAMP)
	@if [ -n "$$TELEGRAM_BOT_TOKEN" ]; then $(BIN)/tthc-bot run; else $(BIN)/tthc-bot chat; fi

## The test suite (on PostgreSQL too when TEST_DATABASE_URL is set), then lint and types.
test: $(STAMP)
	$(BIN)/python -m pytest
	$(BIN)/ruff check .
	$(BIN)/mypy

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

## Benchmarks; figures go to BENCHMARKS.md.
bench: $(STAMP)
	$(BIN)/python -m bench

## Rebuild knowledge/data/ from the raw public data in ../shared (not needed at run time).
data: $(STAMP)
	$(BIN)/python -m knowledge.importers --shared $(SHARED)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
