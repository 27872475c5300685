# Two commands do everything: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lint fmt check install clean audit bench-transactions bench-flows bench-inventory \
	bench-reconcile bench-latency bench-edits bench-products

# The virtual environment is rebuilt only when the dependency list changes.
$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

## make run: the whole product on its embedded default (SQLite, ORM broker, sandboxes, demo data)
# The demo connector's endpoints are the sandboxes on loopback: allow exactly those ports.
run: export CONNECTOR_ENDPOINT_HOSTS ?= *.myshopify.com,*.suitetalk.api.netsuite.com,127.0.0.1:$(or $(SHOPIFY_SANDBOX_PORT),8701),127.0.0.1:$(or $(NETSUITE_SANDBOX_PORT),8702)
run: export EMAIL_URL ?= consolemail://
run: install
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo
	DEBUG=$${DEBUG:-1} $(PY) manage.py run_panel --port $(PORT)

## make test: installs what the tests need and runs the whole suite
test: install
	@scripts/ensure-chromium
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run --settings=config.settings_test
	$(PY) -m pytest $(PYTEST_ARGS)

## make audit: known vulnerabilities in every pinned dependency (constraints.txt), via pip-audit
## (a pin the advisory service does not know is listed as not audited)
audit: install
	$(PY) -m pip_audit --no-deps --disable-pip --progress-spinner off -r constraints.txt

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

fmt: install
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

check: install
	$(PY) manage.py makemigrations --check --dry-run --settings=config.settings_test

## make bench-transactions: the Other Transactions list and retrieve lookup on 1,000,000 rows
bench-transactions: install
	BENCH_DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/panel_bench} $(PY) -m bench.transactions

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache test-output

## make bench-flows [N=2000]: order import throughput and our CPU per order (not in the tests)
bench-flows: install
	$(PY) -m bench.flows $(if $(N),--orders $(N))

## make bench-inventory [N=10000] [LATENCY=1.2]: the inventory flow, 10,000 SKUs x 2 locations
## into a Standard-plan Shopify (100 points/s), with a refund post under load (not in the tests)
bench-inventory: install
	$(PY) -m bench.inventory $(if $(N),--skus $(N)) $(if $(LATENCY),--latency $(LATENCY))

## make bench-reconcile [N=20000 R=5000]: the daily reconciliation over N orders (not in the tests)
bench-reconcile: install
	$(PY) -m bench.reconcile $(if $(N),--orders $(N)) $(if $(R),--refunds $(R))

## make bench-latency [N=300 DURATION=60 REFUNDS=30 SKUS=10000]: webhook -> NetSuite seconds
## through gunicorn, a qcluster on Redis and PostgreSQL, idle and under an inventory load
bench-latency: install
	$(PY) -m bench.latency

## make bench-edits [N=300 DURATION=60 SKUS=10000 FILL=5]: Shopify order edit -> NetSuite sales order
## seconds (orders/edited webhooks), idle and while inventory resyncs fill the NetSuite budget
bench-edits: install
	$(PY) -m bench.edits

## make bench-products [N=5000]: the product sync, N changed matrix items x 2 variants into a
## Standard-plan Shopify (100 points/s), direct and bulk (not in the tests)
bench-products: install
	$(PY) -m bench.products $(if $(N),--products $(N))
