# ncbnet — two commands: `make run` (the embedded demo network) and `make test` (lint, types, tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint types pytest install messages clean

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ncbnet needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/ncbnet up

lint: $(STAMP)
	$(BIN)/ruff check ncbnet
	$(BIN)/ruff format --check ncbnet
	$(BIN)/lint-imports

types: $(STAMP)
	NCBNET_MODE=test NCBNET_ROLE=ncb NCBNET_COUNTRY=FR NCBNET_DATA_DIR=$$(mktemp -d) $(BIN)/mypy ncbnet

# The suite runs on SQLite, then again on PostgreSQL when DATABASE_URL is set.
# Under CI=true a missing DATABASE_URL is a failure, not a skip.
pytest: $(STAMP)
	env -u DATABASE_URL $(BIN)/pytest -q
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "--- again on PostgreSQL ($$DATABASE_URL)"; $(BIN)/pytest -q -m "not embedded"; \
	elif [ "$$CI" = "true" ]; then \
		echo "CI=true but DATABASE_URL is not set: the PostgreSQL run is required in CI" >&2; exit 1; \
	else echo "--- DATABASE_URL not set: PostgreSQL run skipped (set it to run the suite on PostgreSQL)"; fi

test: lint types pytest

messages: $(STAMP)
	cd ncbnet && ../$(BIN)/django-admin makemessages -l fr -l es -l ar --no-obsolete --no-location && ../$(BIN)/django-admin compilemessages

clean:
	rm -rf $(VENV)
