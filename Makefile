# The two README commands: `make workshop` and `make test`.
# Both create .venv and install into it the first time (about a minute); later runs skip that.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev
EMULATOR_PORT ?= 4599

.PHONY: workshop test quick compat compat-venv lint format golden lab restore emulator-start emulator-stop emulator-status clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; run make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)

# requirements.txt gives ranges (for installing into your own environment); the kit's venv gets
# the exact versions of constraints.txt, so it is the same on every machine.
$(RUNTIME): requirements.txt constraints.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -r requirements.txt
	touch $@

$(DEV): requirements-dev.txt $(RUNTIME)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -r requirements-dev.txt
	touch $@

# A second venv for `make compat`: the kit from requirements.txt with constraints.txt's versions,
# except boto3/botocore/s3transfer, which are the newest on the registry (checked on every run),
# and the AWS CLI (its own botocore inside). COMPAT_BOTO3="boto3==1.34.88" tries another one.
COMPAT := .venv-compat
COMPAT_BOTO3 ?= boto3
compat-venv: requirements.txt constraints.txt requirements-dev.txt
	test -x $(COMPAT)/bin/python || $(PYTHON) -m venv $(COMPAT)
	grep -v -E '^(boto3|botocore|s3transfer)==' constraints.txt > $(COMPAT)/constraints.txt
	$(COMPAT)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade \
		-c $(COMPAT)/constraints.txt -r requirements.txt \
		$$(grep -E '^(pytest|hypothesis)==' requirements-dev.txt) '$(COMPAT_BOTO3)' botocore awscli

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

## The newest boto3/botocore on the registry and the AWS CLI against the emulator (tests/compat)
compat: compat-venv
	$(COMPAT)/bin/python -c 'import boto3, botocore; print("boto3", boto3.__version__, "botocore", botocore.__version__)'
	$(COMPAT)/bin/aws --version
	WORKSHOP_COMPAT=1 $(COMPAT)/bin/python -m pytest -p no:cacheprovider -o addopts="-ra" tests/compat tests/emulator/test_athena_protocols.py $(PYTEST_ARGS)

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
	rm -rf build .pytest_cache .ruff_cache $(COMPAT)

## Re-execute the notebooks in place to refresh their golden outputs (then review the diff)
golden: $(RUNTIME)
	$(BIN)/python -m workshop_lib.golden $(NOTEBOOKS)
