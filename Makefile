# Two entry points: `make demo` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The Tekton oracle: Tekton's own admission and reconcilers, built from tests/oracle (Go).
GO         ?= go
ORACLE     := .oracle/bin/tekton-oracle
ORACLE_SRC := $(wildcard tests/oracle/*.go) tests/oracle/go.mod tests/oracle/go.sum

.PHONY: demo test lint typecheck pytest bench clean oracle oracle-if-go

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

# The first build downloads Tekton's Go modules through the module proxy (about 1 GB).
oracle: $(ORACLE)

$(ORACLE): $(ORACLE_SRC)
	@mkdir -p $(dir $(ORACLE))
	cd tests/oracle && $(GO) vet . && $(GO) build -trimpath -buildvcs=false -o ../../$(ORACLE) .

# The oracle tests skip only where Go is absent (a user's clone); CI has Go and runs them.
oracle-if-go:
	@if command -v $(GO) >/dev/null 2>&1; then $(MAKE) --no-print-directory oracle; \
	else echo "make: $(GO) not found, the Tekton oracle tests will skip"; fi

pytest: $(STAMP) oracle-if-go
	$(BIN)/pytest -n 2 -q

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/parse_corpus.py

clean:
	rm -rf $(VENV) .demo .oracle .pytest_cache .mypy_cache .ruff_cache
