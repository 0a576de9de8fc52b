VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint typecheck bench clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed

# Install, generate the synthetic London scenario, ingest it, serve http://127.0.0.1:8000
demo: install
	$(BIN)/maxim demo

lint: install
	$(BIN)/ruff check maxim tests bench
	$(BIN)/ruff format --check maxim tests bench

typecheck: install
	$(BIN)/mypy

# The whole suite, on SQLite and on PostgreSQL (MAXIM_TEST_POSTGRES_URL)
test: lint typecheck
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
