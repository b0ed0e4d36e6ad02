# Two commands do everything on a fresh machine: `make lesson` and `make test`.
# Both create .venv on first use and reinstall only when pyproject.toml changes.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Pinned here, not in pyproject, so users elsewhere may pick their own build (CUDA, CPU, MPS).
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1
NBVAL := --nbval-lax --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg
ARGS ?=

.PHONY: setup lesson test test-fast check-reruns check-zh data lab notebooks bench clean-data html

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q $(TORCH_SPEC)
	$(BIN)/python -m pip install -q -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

lesson: $(STAMP)  ## the dogs-vs-cats recipe on the offline sample
	$(BIN)/python -m course_lib $(ARGS)

test: $(STAMP)  ## unit tests + executed notebooks under nbval
	$(BIN)/python -m pytest -q -rs tests $(wildcard notebooks/*.ipynb) notebooks/exercises/solutions.ipynb $(NBVAL)

check-zh: $(STAMP)  ## the Chinese edition (notebooks/zh, exercises/zh) executed again under nbval
	$(BIN)/python -m pytest -q -rs $(wildcard notebooks/zh/*.ipynb) notebooks/exercises/zh/solutions.ipynb $(NBVAL)

check-reruns: $(STAMP)  ## 01 and 02 executed again with two other seeds: every cell (and its assertions) must pass
	$(BIN)/python notebooks/build.py 01 02 --seeds 7 2026

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" tests

data: $(STAMP)
	$(BIN)/python -m course_lib.datasets

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

notebooks: $(STAMP)  ## rebuild and execute every notebook from its percent-format source (jupytext)
	$(BIN)/python notebooks/build.py
	$(BIN)/python notebooks/build.py exercises

bench: $(STAMP)
	for f in bench/[a-z]*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean-data:
	rm -rf data/*_sample
