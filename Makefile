# Everything runs from a project virtualenv that the targets create on first use.
PYTHON ?= python3
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv test lint typecheck demo serve synth deploy cfn-lint bench-intake bench-ledger bench-certificates bench-kiosk openapi clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/python -m infra.fonts
	touch $(STAMP)

venv: $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

demo: $(STAMP)
	$(BIN)/victim-support demo

serve: $(STAMP)
	$(BIN)/victim-support serve

synth: $(STAMP)
	$(BIN)/python -m infra.cdk.app

# Deploying needs AWS credentials and the CDK CLI from npm (only here, never for synth or tests).
deploy: synth
	npx --yes aws-cdk@2 deploy --app cdk.out --all

cfn-lint: synth
	$(BIN)/cfn-lint cdk.out/*.template.json

openapi: $(STAMP)
	$(BIN)/python -m functions.staff_api.openapi
	$(BIN)/python -m functions.kiosk_issuance.openapi

bench-intake: $(STAMP)
	$(BIN)/python -m tests.bench.intake

bench-ledger: $(STAMP)
	$(BIN)/python -m tests.bench.ledger

bench-certificates: $(STAMP)
	$(BIN)/python -m tests.bench.certificates_bench

bench-kiosk: $(STAMP)
	$(BIN)/python -m tests.bench.kiosk_bench

clean:
	rm -rf cdk.out build .mypy_cache .ruff_cache .pytest_cache
