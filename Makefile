# patient-docs — two commands do everything on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.13 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SAM_VENV := .venv-tools/sam
SAM := $(SAM_VENV)/bin/sam
CHECKOV_VENV := .venv-tools/checkov
SECURITY_VENV := .venv-tools/security
OPENAPI_CLIENT_VENV := .venv-tools/openapi-client
FUZZ_EXAMPLES ?= 500
FUZZ_SEED ?= $(shell date +%s)
PORT ?= 3000
ROLE ?= staff
ACCOUNT ?= 12
PATIENT ?=
export PYTHONPATH := layers/common:.
export AWS_ACCOUNT_ID_ENDPOINT_MODE := disabled
PIP_QUIET := --quiet --disable-pip-version-check

.PHONY: help venv tools openapi-client browser run token lint template checkov security audit lock build test unit fuzz bench preflight audit-verify clean

help:
	@echo "make run    serve the API and patient page on http://127.0.0.1:$(PORT) with an embedded AWS"
	@echo "make token  print a bearer token (ROLE=staff|patient|admin ACCOUNT=12 PATIENT=1172416)"
	@echo "make reset  forget what make run stored in .local/ (documents, files, requests, SMS; the token key stays)"
	@echo "make invoke run one function with an event, like sam local invoke (FN=<LogicalId> [EVENT=events/<file>.json])"
	@echo "make test   lint, type-check, template checks and every test"
	@echo "make build  sam build (no Docker needed)"
	@echo "make preflight  read-only checks of the AWS account to deploy to (CONFIG_ENV=default|prod COUNTRIES=GB,US)"
	@echo "make audit-verify  prove the audit trail's hash chains intact (AUDIT_TABLE=<name> [AUDIT_ACCOUNT=12]; else make run's)"
	@echo "make fuzz   a long schemathesis run against the local server (FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) per operation)"
	@echo "make lock   re-pin layers/deps/requirements.txt (with hashes) from requirements.in"
	@echo "make bench  cold start, AWS calls, warm overhead, memory and size per function (bench/results.md)"

# Hash-checking mode covers a whole pip run, so the hashed layer lock is installed on its own,
# after the dev tools: whatever they pulled in, the layer's packages end up exactly as locked.
$(BIN)/.installed: requirements-dev.txt requirements-transform.txt layers/deps/requirements.txt layers/images/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_QUIET) -r requirements-dev.txt 2> >(grep -v "^WARNING: Location" >&2)
	$(BIN)/pip install $(PIP_QUIET) --no-deps -r requirements-transform.txt 2> >(grep -v "^WARNING: Location" >&2)
	$(BIN)/pip install $(PIP_QUIET) --require-hashes -r layers/deps/requirements.txt 2> >(grep -v "^WARNING: Location" >&2)
	$(BIN)/pip install $(PIP_QUIET) --require-hashes -r layers/images/requirements.txt 2> >(grep -v "^WARNING: Location" >&2)
	touch $@

$(SAM_VENV)/.installed: requirements-sam.txt
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install $(PIP_QUIET) -r requirements-sam.txt 2> >(grep -v "^WARNING: Location" >&2)
	touch $@

# checkov pins its own boto3 and friends: its own virtualenv.
$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install $(PIP_QUIET) -r requirements-checkov.txt 2> >(grep -v "^WARNING: Location" >&2)
	touch $@

$(SECURITY_VENV)/.installed: requirements-security.txt
	test -x $(SECURITY_VENV)/bin/python || $(PYTHON) -m venv $(SECURITY_VENV)
	$(SECURITY_VENV)/bin/pip install $(PIP_QUIET) -r requirements-security.txt 2> >(grep -v "^WARNING: Location" >&2)
	touch $@

# openapi-python-client: tests/e2e/test_generated_client.py generates a client from /openapi.json with it.
$(OPENAPI_CLIENT_VENV)/.installed: requirements-openapi-client.txt
	test -x $(OPENAPI_CLIENT_VENV)/bin/python || $(PYTHON) -m venv $(OPENAPI_CLIENT_VENV)
	$(OPENAPI_CLIENT_VENV)/bin/pip install $(PIP_QUIET) -r requirements-openapi-client.txt 2> >(grep -v "^WARNING: Location" >&2)
	touch $@

venv: $(BIN)/.installed
tools: $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed $(SECURITY_VENV)/.installed
openapi-client: $(OPENAPI_CLIENT_VENV)/.installed

# The browser test drives Debian's Chromium through Playwright (which cannot download a browser here).
CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { echo "installing Chromium (Debian package)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || { sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; }

# The embedded AWS listens on PORT + 1 (LOCAL_AWS_PORT overrides it); state lives in .local/.
run: venv
	$(BIN)/python -m local --port $(PORT) $(if $(LOCAL_AWS_PORT),--aws-port $(LOCAL_AWS_PORT))

token: venv
	@$(BIN)/python -m local.tokens --role $(ROLE) --account $(ACCOUNT) $(if $(PATIENT),--patient $(PATIENT))

.PHONY: reset invoke
reset: venv
	@$(BIN)/python -m local.state --reset

# Against make run's embedded AWS while it is up, else against the state it stored; the result is the last line.
invoke: venv
	@test -n "$(FN)" || { echo "usage: make invoke FN=<LogicalId> [EVENT=events/<file>.json]" >&2; exit 2; }
	@PORT=$(PORT) $(if $(LOCAL_AWS_PORT),LOCAL_AWS_PORT=$(LOCAL_AWS_PORT)) \
		$(BIN)/python -m local.invoke $(FN) $(if $(EVENT),--event $(EVENT))

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# cfn-lint with the serverless rules. WS1004 (a log group per function) is ignored: every
# function logs to the shared FunctionLogs group, with retention and KMS, which the rule cannot see.
template: venv tools checkov
	$(BIN)/cfn-lint template.yaml --append-rules cfn_lint_serverless.rules --ignore-checks WS1004
	SAM_CLI_TELEMETRY=0 $(SAM) validate --lint --region us-east-1

# Zero failed checks; the skip list, one reason per skip, is .checkov.yaml. BC_SKIP_MAPPING keeps it offline.
checkov: $(CHECKOV_VENV)/.installed
	BC_SKIP_MAPPING=TRUE $(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml

# bandit: no medium or high finding in the deployed code (tests excluded).
security: $(SECURITY_VENV)/.installed audit
	$(SECURITY_VENV)/bin/bandit --quiet --recursive --severity-level medium layers/common functions

# pip-audit over the hashed layer lock. A package the vulnerability service cannot be asked about is
# reported and, unless AUDIT_STRICT=1, not fatal (set it wherever the service is reachable).
audit: $(SECURITY_VENV)/.installed
	$(SECURITY_VENV)/bin/pip-audit --requirement layers/deps/requirements.txt --requirement layers/images/requirements.txt \
		--require-hashes --disable-pip \
		--progress-spinner off $(if $(filter 1,$(AUDIT_STRICT)),--strict) 2> >(grep -v "^WARNING: Location" >&2)

lock: $(SECURITY_VENV)/.installed
	cd layers/deps && ../../$(SECURITY_VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
		--no-emit-index-url --no-emit-find-links --strip-extras --output-file requirements.txt requirements.in
	cd layers/images && ../../$(SECURITY_VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
		--no-emit-index-url --no-emit-find-links --strip-extras --output-file requirements.txt requirements.in

build: $(SAM_VENV)/.installed
	SAM_CLI_TELEMETRY=0 $(SAM) build --parallel
	@# sam build unpacks wheels without byte-code and /opt is read-only on Lambda, so every cold
	@# start would compile pydantic and Powertools again (about +300 ms, see docs/performance.md).
	@# Hash-checked .pyc survive the zip's timestamps; only a 3.13 interpreter writes ones python3.13 reads.
	@# scripts/slim_layer.py also leaves out files no function reads (Swagger UI assets, type stubs).
	@if $(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))'; then \
		$(PYTHON) scripts/slim_layer.py .aws-sam/build; \
	else $(PYTHON) scripts/slim_layer.py --no-compile .aws-sam/build; \
		echo "warning: $(PYTHON) is not 3.13; layers ship without .pyc (slower cold starts)" >&2; fi

# Read-only checks of the account a deployment lands in (docs/going-live.md): concurrency quota, SMS
# sandbox, spend limit and origination numbers, the custom domain's certificate.
CONFIG_ENV ?= default
COUNTRIES ?= GB
preflight: venv
	$(BIN)/python scripts/preflight.py --config-env $(CONFIG_ENV) --countries $(COUNTRIES)

# The deployed trail with AUDIT_TABLE=<the stack's AuditTableName output> (an auditor's credentials), else make run's.
audit-verify: venv
	$(BIN)/python scripts/verify_audit.py $(if $(AUDIT_TABLE),--table $(AUDIT_TABLE),--local) $(if $(AUDIT_ACCOUNT),--account $(AUDIT_ACCOUNT))

bench: venv
	$(BIN)/python -m bench.run

unit: venv
	$(BIN)/pytest -q

# The checks and tool set-ups before the suite do not depend on each other: they run side by side
# (mostly pip installing into separate virtualenvs), each one's output kept together.
# Two workers: the fuzz run (its own server process) overlaps the rest of the suite. The slowest
# tests are listed at the end, to see where the time goes.
test:
	$(MAKE) --no-print-directory --jobs=4 --output-sync=target lint template security browser openapi-client
	$(BIN)/pytest -q -n 2 --durations=20

# A long fuzz run (make test runs a short, seeded one): every operation, every check, many examples,
# a fresh seed each time (printed in tests/artifacts/fuzz-report.txt; FUZZ_SEED=... replays one).
fuzz: venv
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_SEED=$(FUZZ_SEED) $(BIN)/pytest -q -p no:xdist tests/fuzz

clean:
	rm -rf $(VENV) .venv-tools .aws-sam .local .pytest_cache .mypy_cache .ruff_cache .hypothesis .schemathesis tests/artifacts
