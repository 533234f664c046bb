# Кабинет медработника — two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MEDKAB_HOST ?= 127.0.0.1
MEDKAB_PORT ?= 8000
MEDKAB_WORKERS ?= 2
MEDKAB_DEMO ?= 1

.PHONY: run test lint bench load replicate replicate-bench lighthouse install install-dev clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: $(VENV)/.installed
	$(BIN)/flask --app wsgi db-migrate
	@if [ "$(MEDKAB_DEMO)" != "0" ]; then $(BIN)/flask --app wsgi seed-demo; fi
	@echo "Кабинет медработника: http://localhost:$(MEDKAB_PORT)  (passkeys need this name, not 127.0.0.1)"
	MEDKAB_DEBUG=$${MEDKAB_DEBUG:-$(MEDKAB_DEMO)} \
	MEDKAB_WEBAUTHN_ORIGINS=$${MEDKAB_WEBAUTHN_ORIGINS:-http://localhost:$(MEDKAB_PORT)} \
	MEDKAB_CONSUMER=$${MEDKAB_CONSUMER:-1} \
	MEDKAB_HOST=$(MEDKAB_HOST) MEDKAB_PORT=$(MEDKAB_PORT) MEDKAB_WORKERS=$(MEDKAB_WORKERS) \
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: $(VENV)/.installed-dev
	$(BIN)/pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/http_bench.py

# 200 simulated workers for 60 s under gunicorn as `make run` serves the app (Locust, headless).
# Smoke run: make load LOAD_ARGS="--users 10 --duration 15s"
load: $(VENV)/.installed-bench
	$(BIN)/python bench/load.py $(LOAD_ARGS)

# Litestream beside `make run` (in another terminal): streams instance/medkab.sqlite3 (or
# $MEDKAB_DATABASE) to S3 with deploy/litestream.yml until stopped, through scripts/litestream.sh.
#   make replicate LITESTREAM_S3_ENDPOINT=http://127.0.0.1:8333 LITESTREAM_S3_BUCKET=medkab \
#     LITESTREAM_ACCESS_KEY_ID=… LITESTREAM_SECRET_ACCESS_KEY=…
replicate: $(VENV)/.installed-bench
	scripts/litestream.sh replicate

# Replication under a write load to a throw-away SeaweedFS, restore into a new directory, checks;
# prints RPO and RTO (bench/README.md). Bigger database: REPLICATE_ARGS="--bulk 600000 --duration 30"
replicate-bench: $(VENV)/.installed-bench
	$(BIN)/python bench/litestream_restore.py $(REPLICATE_ARGS)

# Lighthouse (mobile) of /login and the signed-in dashboard; needs npm and /usr/bin/chromium.
# More options: make lighthouse LIGHTHOUSE_ARGS="--runs 5 --diagnostics"
lighthouse: $(VENV)/.installed
	$(BIN)/python bench/lighthouse.py $(LIGHTHOUSE_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
