# The two README commands: `make workshop` and `make test`.
# Both create .venv and install into it the first time (about a minute); later runs skip that.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev
EMULATOR_PORT ?= 4599

.PHONY: workshop test quick lint format golden lab restore emulator-start emulator-stop emulator-status clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; run make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)

$(RUNTIME): requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(DEV): requirements-dev.txt $(RUNTIME)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

## Run every notebook on the local emulator, then print a summary (ARGS="--target aws" etc.)
workshop: $(RUNTIME)
	$(BIN)/python -m workshop_lib run $(ARGS)

## Style checks and the whole test suite, offline
test: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## The quick tier while you work: unit and emulator API tests (no notebook runs, no nbval)
quick: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest tests/unit tests/emulator $(PYTEST_ARGS)

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## JupyterLab on your working copy my-notebooks/ (made from notebooks/ the first time)
lab: $(RUNTIME)  # the emulator only for the local target (WORKSHOP_TARGET=aws needs none)
	$(BIN)/python -m workshop_lib copy
	if [ "$${WORKSHOP_TARGET:-local}" = local ]; then \
		$(BIN)/python -m workshop_lib.emulator start --port $(EMULATOR_PORT); fi
	cd my-notebooks && WORKSHOP_EMULATOR_PORT=$(EMULATOR_PORT) ../$(BIN)/jupyter lab --ip 127.0.0.1

## Put the kit's version of one notebook back into my-notebooks/ (yours is kept): make restore NB=02
restore: $(RUNTIME)
	$(BIN)/python -m workshop_lib restore $(NB)

emulator-start: $(RUNTIME)
	$(BIN)/python -m workshop_lib.emulator start --port $(EMULATOR_PORT)

emulator-stop: $(RUNTIME)
	$(BIN)/python -m workshop_lib.emulator stop --port $(EMULATOR_PORT)

emulator-status: $(RUNTIME)
	$(BIN)/python -m workshop_lib.emulator status --port $(EMULATOR_PORT)

clean:
	rm -rf build .pytest_cache .ruff_cache

## Re-execute the notebooks in place to refresh their golden outputs (then review the diff)
golden: $(RUNTIME)
	$(BIN)/python -m workshop_lib.golden $(NOTEBOOKS)
