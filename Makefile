# The course's commands. Each creates .venv with the project installed when it is missing.
#   make run        download MNIST (or fall back to the offline sample), train, write a report
#   make test       lint, unit tests and every notebook re-executed by nbval
#   make test-fast  the quick unit tests, in parallel (none that starts a kernel, browser, notebook or CLI)
#   make lab        the course to work through: builds or updates your copy, learn/, and opens it
#   make progress   which exercises pass, chapter by chapter, in learn/
#   make notebooks  re-execute every notebook in place (what readers on the web see)
#   make benchmark  the speed and accuracy figures on full MNIST (needs `make download`)
#   make test-oldest  the unit tests on the oldest versions pyproject.toml declares
#   make lab-instructor  JupyterLab on the instructor notebooks, with nbgrader's menus
#   make editions   rebuild learn/ (your changes kept) and the web edition, web/

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
RECIPE ?= fast
OUT    ?= reports/latest
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: help run test test-fast test-oldest lint lab lab-instructor editions progress notebooks download \
	benchmark instructor clean

help:
	@sed -n '2,12p' Makefile

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "error: Python 3.11 or newer is needed (found: $$($(PYTHON) --version))"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m helpers train --download --recipe $(RECIPE) --out $(OUT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The browser tests (tests/browser) run when Debian's Chromium is installed; `make test` then
# installs Playwright for Python (the `browser` extra) and keeps failure screenshots in
# tests/browser/artifacts/.
test: lint
	@if command -v chromium >/dev/null 2>&1; then \
		$(BIN)/python -c 'import playwright' 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[browser]'; \
	else \
		echo "note: the browser tests (tests/browser) are skipped: Chromium is not installed."; \
		echo "      To run them: sudo apt-get install chromium, then make test again."; \
	fi
	$(BIN)/python -m pytest

# Everything not marked slow (tests/conftest.py marks the tests that start kernels, nbgrader, a
# browser, notebooks or the command line), for the edit-test loop: in parallel, one worker per
# core (JOBS=1 for one process), each test file kept on one worker (its fixtures made once).
JOBS ?= auto
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -p no:nbval -o addopts="-p no:cacheprovider" \
		-n $(JOBS) --dist loadfile tests --ignore=tests/browser

# A separate venv with every dependency pinned to its declared floor (requirements-oldest.txt),
# so the versions pyproject.toml promises are versions that are tested.
OLDEST := .venv-oldest
test-oldest:
	@test -x $(OLDEST)/bin/python || $(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet --upgrade pip
	$(OLDEST)/bin/python -m pip install --quiet -c requirements-oldest.txt -e '.[test]'
	$(OLDEST)/bin/python -m pip check
	PATH="$(abspath $(OLDEST))/bin:$$PATH" OLDEST_VERSIONS=requirements-oldest.txt \
		$(OLDEST)/bin/python -m pytest -p no:nbval -o addopts="-p no:cacheprovider" tests --ignore=tests/browser

# The learner's edition (learn/, git-ignored) is built from notebooks/ by `editions build`, which
# never overwrites a notebook you changed: a newer version arrives beside it as NAME.new.ipynb.
LEARN := learn
WEB   := web

lab: $(STAMP)
	$(BIN)/python -m helpers editions build --learner $(LEARN)
	JUPYTER_CONFIG_PATH="$(CURDIR)/.jupyter$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" $(BIN)/jupyter lab $(LEARN)/

lab-instructor: instructor  # the instructor source; nbgrader's Create Assignment and Formgrader menus shown
	$(BIN)/jupyter lab notebooks/

editions: $(STAMP)
	$(BIN)/python -m helpers editions build --learner $(LEARN) --web $(WEB)

progress: $(STAMP)
	@$(BIN)/python -m helpers editions progress --learner $(LEARN)

notebooks: $(STAMP)
	$(BIN)/python -m helpers.run_notebooks

download: $(STAMP)
	$(BIN)/python -m helpers download

benchmark: $(STAMP)
	$(BIN)/python -c 'import torch' 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/run.py --data-dir data

instructor: $(STAMP)  # nbgrader; `make test` installs it too
	$(BIN)/python -m pip install --quiet -e '.[instructor]'

clean:
	rm -rf $(VENV) $(OLDEST) reports .pytest_cache
