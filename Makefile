# Every target creates .venv and installs what it needs by itself, and says what it installs.
#   make run        serve locally: installs the runtime only (the hashed lock)
#   make test       lint (ruff and mypy), then every test (installs the test tooling once)
#   make test-fast  the in-process tests: no server process, BigQuery emulator or Terraform
#   make lint       ruff check, ruff format --check, mypy (config in pyproject.toml)
#   make lock       recompile function/requirements.txt from pyproject.toml (needs PyPI)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
LOCK := function/requirements.txt
# Installs go through uv (pinned; parallel downloads, its own cache): a cold runtime install
# takes seconds where pip takes minutes.
UV_PIN := uv==0.13.9
UV := $(VENV)/bin/uv
INSTALL := $(UV) pip install --quiet --python $(PY)
# Stamps: the runtime is reinstalled when the lock changes, the tooling when pyproject does.
RUNTIME := $(VENV)/.runtime-$(shell cat $(LOCK) | cksum | cut -d' ' -f1)
DEV := $(VENV)/.dev-$(shell cat pyproject.toml $(LOCK) | cksum | cut -d' ' -f1)
PORT ?= 8080
# pytest runs on every core (pytest-xdist), whole files to one worker: a file's server process,
# emulator or calibration refit is made once and its tests keep their order. Python writes its
# bytecode caches (gitignored) even where PYTHONDONTWRITEBYTECODE is set, so that the workers
# and the servers they start do not each compile the same few thousand modules again.
PYTEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile
# Tests that start a server process, the BigQuery emulator or Terraform.
SLOW_TESTS := tests/test_bigquery_e2e.py tests/test_bigquery_store.py tests/test_permissions.py \
	tests/test_rest_api.py tests/test_sdk.py tests/test_sql_emulator.py tests/test_terraform.py

.PHONY: run test test-fast bench lint lock clean bqemulator chromium fuzz

# The virtualenv is made without pip (ensurepip alone takes 5-60 s, most of a cold `make run`);
# the interpreter's own pip puts uv into it, or, if that pip is missing, the venv gets its own.
$(UV):
	@echo "make: creating $(VENV) and installing the installer $(UV_PIN) into it"
	@test -x $(PY) || $(PYTHON) -m venv --without-pip $(VENV)
	@$(PYTHON) -m pip --python $(PY) install --quiet --disable-pip-version-check $(UV_PIN) 2>/dev/null \
		|| { $(PY) -m ensurepip --default-pip >/dev/null \
		&& $(PY) -m pip install --quiet --disable-pip-version-check $(UV_PIN); }

$(RUNTIME): $(LOCK) | $(UV)
	@echo "make: installing the runtime into $(VENV) from $(LOCK) (pinned, hashed)"
	@$(INSTALL) --require-hashes --no-deps -r $(LOCK)
	@rm -f $(VENV)/.runtime-*
	@touch $@

# The tooling is constrained to the lock's versions, so tests run on what is deployed.
$(DEV): $(RUNTIME) pyproject.toml
	@echo "make: installing ai-impact (editable) and the test tooling of pyproject [dev] into $(VENV)"
	@sed -e '/^ *--hash/d' -e 's/ *\\$$//' $(LOCK) > $(VENV)/constraints.txt
	@$(INSTALL) -c $(VENV)/constraints.txt -e '.[dev]'
	@rm -f $(VENV)/.dev-*
	@touch $@

# make run keeps its store (and its dev token, in store.sqlite3.dev-token) inside the checkout,
# so two checkouts never share or revoke each other's tokens; AI_IMPACT_DB=... overrides it.
run: export AI_IMPACT_DB ?= $(CURDIR)/.local/store.sqlite3
run: $(RUNTIME)
	@echo "make: serving on http://127.0.0.1:$(PORT) (BigQuery at POST /, REST API, GET /status), store $$AI_IMPACT_DB"
	-@cd function && ../$(PY) -m ai_impact.cli dev-token
	cd function && exec ../$(PY) -m ai_impact.serve --host=127.0.0.1 --port=$(PORT)

test: $(DEV) lint bqemulator chromium
	$(PYTEST)

test-fast: $(DEV)
	$(PYTEST) $(addprefix --ignore=,$(SLOW_TESTS)) -k "not live_server and not served_document"

# The local BigQuery emulator the SQL and store tests run on, in .venv/bq (offline fixes
# included); the tests install it themselves too, and fail if it cannot be installed.
bqemulator:
	$(PYTHON) scripts/setup_bqemulator.py

# Headless Chromium and chromedriver (Debian packages) for the report's browser test.
chromium:
	$(PYTHON) scripts/setup_chromium.py

lint: $(DEV)
	$(VENV)/bin/ruff check function tests bench scripts
	$(VENV)/bin/ruff format --check function tests bench scripts
	$(VENV)/bin/mypy

bench: $(DEV)
	@echo "make: installing the benchmark extra (pyproject [bench]) into $(VENV)"
	@$(INSTALL) -c $(VENV)/constraints.txt -e '.[dev,bench]'
	$(PY) bench/run.py

lock: | $(UV)
	@echo "make: compiling $(LOCK) from pyproject.toml with $(UV_PIN)"
	$(UV) pip compile pyproject.toml --universal --python-version 3.11 \
		--generate-hashes --custom-compile-command "make lock" --quiet -o $(LOCK)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .mypy_cache

# The standing fuzz and load campaign against a real server on 127.0.0.1 (scripts/fuzz.py);
# not part of `make test`'s time budget. FUZZ_ARGS="--requests 20000" to change its size.
fuzz: $(DEV)
	$(PY) scripts/fuzz.py $(FUZZ_ARGS)
