# The two commands of the README: `make run` and `make test`. Everything they need, they install.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test lint bench system-packages clean

run: $(INSTALLED)
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi demo seed
	@echo
	@echo "  Open http://127.0.0.1:5000"
	@echo "  Test card 4242 4242 4242 4242 pays, 4000 0000 0000 0341 is declined."
	@echo "  Emails land in instance/mail/ (one .eml file each). Ctrl-C stops everything."
	@echo
	$(BIN)/honcho start -f Procfile

test: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(INSTALLED)
	@echo "No benchmarks yet: the harness comes with its own issue." && exit 1

# Debian packages the project needs, installed when missing and when we are root.
system-packages:
	@if ! $(PYTHON) -c "import venv, ensurepip" 2>/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q python3-venv; \
		else echo "Please install python3-venv (sudo apt-get install python3-venv)"; exit 1; fi; \
	fi

$(INSTALLED): requirements.txt requirements-dev.txt | system-packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
