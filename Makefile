# Two commands: `make run` and `make test`. Everything else is set up on the way.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint format bench clean-data

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/interview-rooms run

test: $(STAMP)
	$(BIN)/python -m tests.setup_browser
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m tests.perf.bench_rooms --rooms 200 --observers 2 --search --idle 2000
	$(BIN)/python -m tests.perf.bench_evaluation
	OMP_NUM_THREADS=1 taskset -c 0 $(BIN)/python -m tests.perf.bench_clarify
	taskset -c 0 $(BIN)/python -m tests.perf.bench_rubric

clean-data:
	rm -rf .data
