VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint typecheck bench prove clean frontend browser

# WeasyPrint renders the committee report's PDF with the system's Pango, HarfBuzz (font subsetting) and fonts.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core

$(VENV)/.installed: pyproject.toml
	@dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1 || (apt-get update && apt-get install -y $(SYSTEM_PACKAGES))
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
	$(BIN)/bandit -q -r maxim -lll

typecheck: install
	$(BIN)/mypy

# The whole suite, on SQLite and on PostgreSQL (MAXIM_TEST_POSTGRES_URL)
test: lint typecheck
	$(BIN)/pytest

# Every benchmark at full size (long: an hour or more on 2 cores), then the figures table.
bench: install
	$(BIN)/python bench/ingest.py --reports 100000
	$(BIN)/python bench/resolve_quality.py
	$(BIN)/python bench/resolve_scale.py
	$(BIN)/python bench/network.py
	$(BIN)/python bench/limits.py
	$(BIN)/python bench/audit_anchor.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/report.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/table.py

# Faults at full size: 20 kill -9 crashes of the ingest and of resolution runs, database loss,
# read-only database, backup round trip, API and parser fuzzing (CI runs the same tests with 3
# kills); each test's outcome and time to bench/results/prove.json, then the figures table.
prove: install
	$(BIN)/python bench/prove.py --kills 20
	$(BIN)/python bench/table.py

# The browser suite alone (Playwright driving Debian's /usr/bin/chromium; axe-core on every page)
browser: install
	$(BIN)/pytest tests/browser -q

# Re-vendor GOV.UK Frontend, HTMX and Cytoscape.js from package-lock.json into maxim/web/static
# (built files only; node_modules stays in a temporary directory and is never committed).
STATIC := maxim/web/static
frontend:
	rm -rf build/frontend && mkdir -p build/frontend
	cp package.json package-lock.json build/frontend/
	cd build/frontend && npm ci --no-audit --no-fund
	rm -rf $(STATIC)/govuk $(STATIC)/htmx $(STATIC)/cytoscape
	mkdir -p $(STATIC)/govuk $(STATIC)/htmx $(STATIC)/cytoscape
	# GDS Transport is licensed for GOV.UK services only: drop its @font-face rules (Arial is the fallback).
	sed -E 's/@font-face\{[^}]*\}//g' build/frontend/node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css \
		> $(STATIC)/govuk/govuk-frontend.min.css
	cp build/frontend/node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js $(STATIC)/govuk/
	cp build/frontend/node_modules/govuk-frontend/package.json $(STATIC)/govuk/package.json
	cp build/frontend/node_modules/htmx.org/dist/htmx.min.js build/frontend/node_modules/htmx.org/LICENSE $(STATIC)/htmx/
	cp build/frontend/node_modules/cytoscape/dist/cytoscape.min.js build/frontend/node_modules/cytoscape/LICENSE $(STATIC)/cytoscape/

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
