# Hotline: `make run` serves the seed campaign on 127.0.0.1:5000; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help run test test-sqlite lint lock format translations bench bench-quick clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# Every package comes from the lock, checked against its hashes (`make lock` writes it).
# The flat layout's editable install warns that folders named like a package win imports:
# true, and known here; every other packaging warning is fixed in pyproject.toml.
$(STAMP): export PYTHONWARNINGS = ignore:Editable installation
$(STAMP): requirements-pip.lock requirements-dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements-pip.lock
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP) ## create .venv, prepare the SQLite database, serve on 127.0.0.1:5000
	@echo "The console:      http://127.0.0.1:5000/console/"
	@echo "The first user:   $(BIN)/hotline users add lin --role manager   (offers a strong password)"
	@echo "A test call:      $(BIN)/hotline call --at \"2023-06-01 10:00\"   (in another terminal)"
	@$(BIN)/hotline serve --host 127.0.0.1 --port 5000

test: $(STAMP) ## create .venv and run the whole suite (SQLite, and PostgreSQL when reachable), a worker per core
	$(BIN)/python -m pytest -n auto

lint: $(STAMP) ## ruff, and mypy (strict on the core: campaign, ivr, db, webhooks, journal)
	$(BIN)/ruff check .
	$(BIN)/mypy

lock: | $(STAMP) ## refresh requirements-pip.lock, requirements.lock and requirements-dev.lock (hashes) from requirements*.txt
	$(BIN)/uv pip compile --quiet --generate-hashes --custom-compile-command "make lock" --python-version 3.11 requirements-pip.txt -o requirements-pip.lock
	$(BIN)/uv pip compile --quiet --generate-hashes --custom-compile-command "make lock" --python-version 3.11 requirements.txt -o requirements.lock
	$(BIN)/uv pip compile --quiet --generate-hashes --custom-compile-command "make lock" --python-version 3.11 requirements-dev.txt -o requirements-dev.lock

format: $(STAMP) ## ruff's import sorting and fixes
	$(BIN)/ruff check --fix .

translations: $(STAMP) ## the console's catalogues: extract the messages, update zh and en, compile the .mo
	$(BIN)/pybabel -q extract -F console/babel.cfg -k translated -k translate -k say -k translate_plural:1,2 -o console/translations/messages.pot .
	$(BIN)/pybabel -q update -i console/translations/messages.pot -d console/translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel -q compile -d console/translations

bench: $(STAMP) ## benchmarks: whole calls against a bare endpoint, growth to a million calls, targets (docs/performance.md)
	$(BIN)/python -m bench

bench-quick: $(STAMP) ## the benchmarks' smoke test: every code path in seconds, no figure worth quoting
	$(BIN)/python -m bench --quick

clean: ## remove .venv and caches (keeps instance/, the database)
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build *.egg-info
