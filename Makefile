# The two commands of the README: `make run` and `make test`. Everything they need, they install.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test test-quick lint bench system-packages clean

run: $(INSTALLED)
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi demo seed
	@echo
	@echo "  Open http://127.0.0.1:5000"
	@echo "  Test card 4242 4242 4242 4242 pays, 4000 0000 0000 0341 is declined."
	@echo "  Emails land in instance/mail/ (one .eml file each). Ctrl-C stops everything."
	@echo
	$(BIN)/honcho start -f Procfile

test: $(INSTALLED) system-packages
	$(BIN)/ruff check .
	$(BIN)/bandit -q -r retreats devtools bench wsgi.py --severity-level medium
	$(BIN)/python -m pytest

# The loop to run while working: everything but the slow and browser tests, in four processes
# (the tests wait on servers often enough that four keep two cores busy).
test-quick: $(INSTALLED) system-packages
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -m "not slow and not browser" -n 4 -q

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Every benchmark scenario (bench/README.md); make bench BENCH_ARGS="--quick" in under 2 minutes.
bench: $(INSTALLED) system-packages
	$(BIN)/python -m bench $(BENCH_ARGS)

# Debian packages the project needs (venv; for the tests a PostgreSQL server, a Redis server for
# the shared rate-limit counters, Chromium for the browser journeys and Java for the HTML
# validator; wrk for the benchmarks), installed when missing and when we are root.
DEBIAN_PACKAGES := $(shell $(PYTHON) -c "import venv, ensurepip" 2>/dev/null || echo python3-venv) \
	$(if $(wildcard /usr/lib/postgresql/*/bin/initdb),,postgresql) \
	$(if $(wildcard /usr/bin/redis-server),,redis-server) \
	$(if $(wildcard /usr/bin/chromium),,chromium) \
	$(if $(wildcard /usr/bin/wrk),,wrk) \
	$(shell command -v java >/dev/null 2>&1 || echo default-jre-headless)
system-packages:
	@if [ -n "$(strip $(DEBIAN_PACKAGES))" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(DEBIAN_PACKAGES); \
		else echo "Please install: sudo apt-get install $(DEBIAN_PACKAGES)"; exit 1; fi; \
	fi

$(INSTALLED): requirements.txt requirements-dev.txt | system-packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
