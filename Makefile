# Every target sets itself up: a fresh machine needs only python3 (>= 3.11) and make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test venv lint bench clean synth docs

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	@PATH="$(CURDIR)/$(BIN):$$PATH" bash examples/demo.sh

# Lint first: a style or type error fails fast, before the slower suite runs.
test: lint
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# Rule sets and strictness live in pyproject.toml ([tool.ruff.lint], [tool.mypy]).
lint: $(STAMP)
	$(BIN)/ruff check nhi_toolkit tests stacks benchmarks
	$(BIN)/mypy

# Rule documentation from the rule registry: docs/rules.md and the README's rule table.
docs: $(STAMP)
	$(BIN)/python -m nhi_toolkit.rules.docs > docs/rules.md
	$(BIN)/python -m nhi_toolkit.rules.docs --write-readme README.md

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_check.py
	$(BIN)/python benchmarks/bench_hcl.py
	$(BIN)/python benchmarks/bench_inventory.py

clean:
	rm -rf $(VENV) build *.egg-info cdktf.out .pytest_cache
