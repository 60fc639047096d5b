# The two commands a newcomer needs:
#   make demo   - create .venv, install grontur, run the demo pipeline into demo-output/
#   make test   - create .venv, install grontur with test extras, run the whole test suite
#   make lint   - install the pinned ruff, mypy and pandas-stubs (the lint extra), run both
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?= -n 2

.PHONY: demo test install install-test bench lint clean check-python

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "grontur needs Python 3.11 or newer; set PYTHON=python3.11 (or newer) and try again.")'

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,notebook]'
	touch $@ $(VENV)/.installed

# With the test and notebook extras too, so that mypy sees every library grontur imports.
$(VENV)/.installed-lint: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,notebook,lint]'
	touch $@ $(VENV)/.installed-test $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: $(VENV)/.installed
	$(BIN)/grontur demo --out demo-output

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/run.py

# mypy reads its files and settings from [tool.mypy] in pyproject.toml.
lint: $(VENV)/.installed-lint
	$(BIN)/ruff check grontur tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) demo-output dist build .pytest_cache .mypy_cache .ruff_cache
