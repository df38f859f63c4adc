# Two entry points: `make demo` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The GPU notebook example: Tekton resources into .demo/tekton/, then the migration report.
demo: $(STAMP)
	$(BIN)/ghtotekton convert fixtures/gpu-notebook -o .demo/tekton
	$(BIN)/ghtotekton audit fixtures/gpu-notebook

lint: $(STAMP)
	$(BIN)/ruff check ghtotekton tests benchmarks
	$(BIN)/ruff format --check ghtotekton tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy ghtotekton

pytest: $(STAMP)
	$(BIN)/pytest -n 2 -q

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/parse_corpus.py

clean:
	rm -rf $(VENV) .demo .pytest_cache .mypy_cache .ruff_cache
