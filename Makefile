# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint bench fuzz reliability clean browser

run: $(RUN_STAMP)
	$(BIN)/python -m bot migrate
	$(BIN)/python -m bot demo --if-empty
	$(BIN)/python -m bot run

test: $(DEV_STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

BENCH_STAMP := $(VENV)/.installed-bench

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench

$(BENCH_STAMP): bench/requirements.txt $(DEV_STAMP)
	$(BIN)/pip install --quiet -r bench/requirements.txt
	@touch $@

fuzz: $(DEV_STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/test_fuzz_*.py --hypothesis-show-statistics

# The fault suite at full size (issue 10): a 10,000-member broadcast through random
# faults and five kill -9, and the database, scheduler and backup faults; it rewrites
# the marked sections of RELIABILITY.md. `make test` runs the same tests, smaller.
RELIABILITY_TESTS := tests/test_fault_broadcast.py tests/test_database_kill.py \
	tests/test_postgres_faults.py tests/test_backup_drill.py tests/test_scheduler_downtime.py

reliability: $(DEV_STAMP)
	MASSLINE_RELIABILITY_WRITE=1 MASSLINE_RELIABILITY_MEMBERS=10000 MASSLINE_RELIABILITY_KILLS=5 \
		$(BIN)/python -m pytest -s $(RELIABILITY_TESTS)

browser:
	@scripts/ensure-chromium

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@ $(RUN_STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
