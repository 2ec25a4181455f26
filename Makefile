# Two commands for a fresh Debian machine:
#   make run   installs the app's Python packages and starts it on the embedded demo data
#   make test  installs everything the tests need (PostgreSQL 15, Chromium, Python packages)
#              and runs the whole suite, on DuckDB and on PostgreSQL, browser tests included
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PORT ?= 8501
# Loopback by default: a wildcard address also makes Streamlit look up the machine's
# external IP on the internet at start-up. ADDRESS=0.0.0.0 make run serves other machines.
ADDRESS ?= 127.0.0.1

.PHONY: run test install install-dev bytecode system-deps lint bench clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime

install-dev: $(VENV)/.dev

# Where PYTHONDONTWRITEBYTECODE is set (this machine, its CI), Python never keeps the
# bytecode of our own modules, so every process compiled all 35 of them again: 0.06 s of
# a 2 s report. pip compiles the packages it installs; this does the same for ours.
bytecode: install
	$(PY) -m compileall -q app.py main.py app_pages benchmarks data metrics ui

run: install bytecode
	$(PY) -m data.demo --if-missing
	$(PY) -m streamlit run app.py --server.port $(PORT) --server.address $(ADDRESS)

system-deps:
	@if [ ! -x /usr/lib/postgresql/15/bin/initdb ] || [ ! -x /usr/bin/chromium ] || \
			[ ! -x /usr/sbin/clickhouse-server ]; then \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql chromium \
			fonts-dejavu-core clickhouse-server clickhouse-client >/dev/null; \
	fi

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: system-deps install-dev lint
	$(PY) -m pytest -n 2 --dist loadgroup

bench: install-dev bytecode
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) data/campaigns.duckdb test-artifacts
