# Two commands on a fresh machine with Python 3.11 and make:
#   make demo   sets up everything and runs the OLMo 2 7B example study
#   make test   sets up everything and runs the tests
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The demo's Brightway data stay in this folder, never in the user's own Brightway directory.
DEMO_BW_DIR := $(CURDIR)/.bw
DEMO_OUT := out/olmo2-7b

.PHONY: demo test install benchmarks clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,measure,sensitivity]"
	touch $@

demo: install
	$(BIN)/bw-mllca --bw-dir $(DEMO_BW_DIR) run examples/olmo2-7b.toml --out $(DEMO_OUT)

test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider

benchmarks: install
	$(BIN)/python -m pip install --quiet -e ".[fast]"
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .bw out build dist
