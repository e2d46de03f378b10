# vtondata developer entry points. `make demo` installs everything and builds
# a small dataset from sample photos that the installed packages ship (or from
# DEMO_RAW=folder); `make test` runs the whole suite (what CI runs).

SHARED ?= $(abspath ../shared)
export VTONDATA_SHARED ?= $(SHARED)
export VTONDATA_WEIGHTS ?= $(SHARED)/weights
export HF_HUB_OFFLINE := 1
export YOLO_OFFLINE := 1
# Each clone runs its own code: .venv imports this clone's vtondata, whatever the shell's PYTHONPATH.
unexport PYTHONPATH
PY := .venv/bin/python
DEMO_RAW ?=

.PHONY: install browser demo test lint format bench clean

install:
	@bash scripts/ensure-venv.sh >/dev/null

# Debian's Chromium, for the HTML report's browser test (root or sudo).
browser:
	@bash scripts/install-chromium.sh >/dev/null

demo: install
	@$(PY) -m vtondata demo --out out/demo $(if $(DEMO_RAW),--raw "$(DEMO_RAW)")

test: install browser
	$(PY) -m pytest

lint: install
	.venv/bin/ruff check vtondata tests bench
	.venv/bin/ruff format --check vtondata tests bench
	$(PY) -m pyright --pythonpath $(CURDIR)/.venv/bin/python

format: install
	.venv/bin/ruff format vtondata tests bench
	.venv/bin/ruff check --fix vtondata tests bench

bench: install
	$(PY) -m bench.throughput --images 200 --runners local ray --memory 100 1000
	$(PY) bench/mask_speed.py
	$(PY) bench/pose_accuracy.py

clean:
	rm -rf out .pytest_cache
