# patient-docs — two commands do everything on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.13 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SAM_VENV := .venv-tools/sam
SAM := $(SAM_VENV)/bin/sam
PORT ?= 3000
ROLE ?= staff
ACCOUNT ?= 12
PATIENT ?=
export PYTHONPATH := layers/common:.
export AWS_ACCOUNT_ID_ENDPOINT_MODE := disabled
PIP_QUIET := --quiet --disable-pip-version-check

.PHONY: help venv tools run token lint template build test unit bench clean

help:
	@echo "make run    serve the API and patient page on http://127.0.0.1:$(PORT) with an embedded AWS"
	@echo "make token  print a bearer token (ROLE=staff|patient|admin ACCOUNT=12 PATIENT=1172416)"
	@echo "make test   lint, type-check, template checks and every test"
	@echo "make build  sam build (no Docker needed)"
	@echo "make bench  cold start, AWS calls, warm overhead, memory and size per function (bench/results.md)"

$(BIN)/.installed: requirements-dev.txt layers/deps/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_QUIET) -r requirements-dev.txt 2> >(grep -v "^WARNING: Location" >&2)
	touch $@

$(SAM_VENV)/.installed: requirements-sam.txt
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install $(PIP_QUIET) -r requirements-sam.txt 2> >(grep -v "^WARNING: Location" >&2)
	touch $@

venv: $(BIN)/.installed
tools: $(SAM_VENV)/.installed

run: venv
	$(BIN)/python -m tests.devserver --port $(PORT)

token: venv
	@$(BIN)/python -m tests.devserver.tokens --role $(ROLE) --account $(ACCOUNT) $(if $(PATIENT),--patient $(PATIENT))

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

template: venv tools
	$(BIN)/cfn-lint template.yaml
	SAM_CLI_TELEMETRY=0 $(SAM) validate --lint --region us-east-1

build: tools
	SAM_CLI_TELEMETRY=0 $(SAM) build --parallel
	@# sam build unpacks wheels without byte-code and /opt is read-only on Lambda, so every cold
	@# start would compile pydantic and Powertools again (about +300 ms, see bench/README.md).
	@# Hash-checked .pyc survive the zip's timestamps; only a 3.13 interpreter writes ones python3.13 reads.
	@if $(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))'; then \
		$(PYTHON) -m compileall -q -j 0 --invalidation-mode unchecked-hash .aws-sam/build > /dev/null; \
	else echo "warning: $(PYTHON) is not 3.13; layers ship without .pyc (slower cold starts)" >&2; fi

bench: venv
	$(BIN)/python -m bench.run

unit: venv
	$(BIN)/pytest -q

test: lint template
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) .venv-tools .aws-sam .local .pytest_cache .mypy_cache .ruff_cache
