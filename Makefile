# Every target creates .venv and installs what it needs by itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PORT ?= 8080

.PHONY: run test bench lint clean bqemulator fuzz chromium

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

run: $(STAMP)
	-@$(VENV)/bin/ai-impact dev-token
	cd function && ../$(VENV)/bin/functions-framework --target=ai_impact --source=main.py --host=127.0.0.1 --port=$(PORT)

test: $(STAMP) lint bqemulator chromium
	$(PY) -m pytest

# The local BigQuery emulator the SQL and store tests run on, in .venv/bq (offline fixes
# included); the tests install it themselves too, and fail if it cannot be installed.
bqemulator:
	$(PYTHON) scripts/setup_bqemulator.py

# Headless Chromium and chromedriver (Debian packages) for the report's browser test.
chromium:
	$(PYTHON) scripts/setup_chromium.py

lint: $(STAMP)
	$(VENV)/bin/ruff check function tests bench
	$(VENV)/bin/ruff format --check function tests bench

bench: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

# The standing fuzz and load campaign against a real server on 127.0.0.1 (scripts/fuzz.py);
# not part of `make test`'s time budget. FUZZ_ARGS="--requests 20000" to change its size.
fuzz: $(STAMP)
	$(PY) scripts/fuzz.py $(FUZZ_ARGS)
