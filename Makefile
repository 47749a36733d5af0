# The README's two commands: `make demo` and `make test` do all the set-up themselves.
VENV ?= .venv
PY := $(VENV)/bin/python
HASH := $(shell cat pyproject.toml package.json 2>/dev/null | sha1sum | cut -c1-12)
# the demo needs the package and its runtime dependencies; the tests and lint also need the dev tools
# and Spark (a larger environment), so each has its own stamp
RUNTIME_STAMP := $(VENV)/.installed-runtime-$(HASH)
DEV_STAMP := $(VENV)/.installed-dev-$(HASH)
PYTEST_ARGS ?=
# each database's suite runs in two worker processes (pytest-xdist), a test file on one worker (its
# module fixtures built once); XDIST= runs it in one process
XDIST ?= -n 2 --dist loadfile
# `make demo PORT=8010 HOST=0.0.0.0`; DEMO_ARGS=--keep keeps the loaded world of an earlier run;
# NODES=2: a US node and a MX node federated, and their witness (ports PORT to PORT+4)
NODES ?= 1
PORT ?= 8000
HOST ?= 127.0.0.1
DEMO_ARGS ?=

.PHONY: install install-dev assets browser java demo test test-sqlite test-postgresql faults lint bench bench-large clean

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(RUNTIME_STAMP): pyproject.toml | $(PY)
	test -f $(DEV_STAMP) || $(PY) -m pip install -q -e .
	rm -f $(VENV)/.installed-runtime-*
	touch $@

$(DEV_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e ".[dev,spark]"
	rm -f $(VENV)/.installed-runtime-* $(VENV)/.installed-dev-*
	touch $(RUNTIME_STAMP) $@

install: $(RUNTIME_STAMP)

install-dev: $(DEV_STAMP)

assets: install
	@if [ -f package.json ]; then $(PY) -m binational.web.assets; fi

browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# the Spark engine's test needs a Java runtime (PySpark 4 wants 17 or later)
java:
	@command -v java >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null)

demo: install assets
	$(VENV)/bin/binational demo --nodes $(NODES) --host $(HOST) --port $(PORT) $(DEMO_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check binational tests benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test-sqlite: install-dev assets browser java
	BINATIONAL_TEST_DATABASE=sqlite $(PY) -m pytest $(XDIST) $(PYTEST_ARGS)

test-postgresql: install-dev assets browser
	BINATIONAL_TEST_DATABASE=postgresql $(PY) -m pytest $(XDIST) $(PYTEST_ARGS)

test: lint test-sqlite test-postgresql

# Faults under load (tests/faults and tests/attacks/test_load.py), on both databases; about an hour,
# most of it the SQLite memory soak and the 20 restarts. Not part of `make test`. Shorter runs:
# FAULTS_SECONDS, FAULTS_KILLS, FAULTS_IMPORT_KILLS, FAULTS_SOAK_SECONDS (docs/testing.md).
FAULTS_RUN := BINATIONAL_FAULTS=1 timeout 7200 $(PY) -m pytest -x -s tests/faults tests/attacks/test_load.py $(PYTEST_ARGS)

faults: install-dev
	BINATIONAL_TEST_DATABASE=sqlite $(FAULTS_RUN)
	BINATIONAL_TEST_DATABASE=postgresql $(FAULTS_RUN)

bench: install-dev
	$(PY) -m benchmarks.run --size small

bench-large: install-dev
	$(PY) -m benchmarks.run --size large

clean:
	rm -rf $(VENV) node_modules binational/web/static/vendor demo
