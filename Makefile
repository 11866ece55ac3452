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

# The suite runs on SQLite and, when DATABASE_URL is set, on PostgreSQL at the same time: the two
# runs share nothing (the SQLite run's nodes keep their own files, the PostgreSQL run has its own
# test database) and together keep both cores busy. The PostgreSQL run's output follows the SQLite
# run's. Under CI=true a missing DATABASE_URL is a failure, not a skip.
pytest: $(STAMP)
	@if [ -z "$$DATABASE_URL" ] && [ "$$CI" = "true" ]; then \
		echo "CI=true but DATABASE_URL is not set: the PostgreSQL run is required in CI" >&2; exit 1; fi
	@pg=$$(mktemp -d); \
	if [ -n "$$DATABASE_URL" ]; then \
		($(BIN)/pytest -q -m "not embedded" -p no:cacheprovider >$$pg/out 2>&1; echo $$? >$$pg/rc) & \
	fi; \
	env -u DATABASE_URL $(BIN)/pytest -q; sqlite=$$?; \
	wait; \
	if [ -n "$$DATABASE_URL" ]; then \
		echo "--- on PostgreSQL ($$DATABASE_URL), beside the SQLite run"; cat $$pg/out; postgresql=$$(cat $$pg/rc); \
	else echo "--- DATABASE_URL not set: PostgreSQL run skipped (set it to run the suite on PostgreSQL)"; postgresql=0; fi; \
	rm -rf $$pg; [ "$$sqlite" = 0 ] && [ "$$postgresql" = 0 ]

test: lint types pytest

messages: $(STAMP)
	cd ncbnet && ../$(BIN)/django-admin makemessages -l fr -l es -l ar --no-obsolete --no-location && ../$(BIN)/django-admin compilemessages

clean:
	rm -rf $(VENV)
