PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-tinydb test-pg soak bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/itabot demo

# the suite runs twice, once per store (both passes run even when the first fails); PYTEST_ARGS e.g. '-x -k report'
# one pytest worker per core, at least 2 (a bigger CI machine runs the suite faster)
WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -lt 2 ] && n=2; echo $$n)
PYTEST := $(BIN)/pytest -n $(WORKERS) --durations=15 $(PYTEST_ARGS)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	ok=0; ITABOT_TEST_BACKEND=tinydb $(PYTEST) || ok=1; ITABOT_TEST_BACKEND=postgresql $(PYTEST) || ok=1; exit $$ok

test-tinydb: $(STAMP)
	ITABOT_TEST_BACKEND=tinydb $(PYTEST)

test-pg: $(STAMP)
	ITABOT_TEST_BACKEND=postgresql $(PYTEST)

soak: $(STAMP)
	ITABOT_TEST_BACKEND=tinydb $(BIN)/pytest -m soak
	ITABOT_TEST_BACKEND=postgresql $(BIN)/pytest -m soak

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
