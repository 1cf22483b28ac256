# Two commands: `make run` and `make test`. Each creates .venv when missing and installs into it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# `make run AS="alex adele"`: whose Agents Playgrounds to open (default Alex, Megan and Adele).
# AS is also make's built-in name for the assembler, so only a value given by you counts.
PLAYGROUND_PEOPLE = $(if $(filter command line environment,$(origin AS)),--as $(AS))

run: $(STAMP)
	@# The Agents Playground (a local Teams simulator) is optional: it needs Node.js.
	@if command -v npm >/dev/null 2>&1 && [ ! -x node_modules/.bin/agentsplayground ]; then \
		npm ci --no-audit --no-fund || echo "(Agents Playground not installed; the bot runs without it)"; \
	fi
	$(BIN)/iro-bot migrate
	$(BIN)/iro-bot seed-demo --if-empty
	$(BIN)/iro-bot run $(PLAYGROUND_PEOPLE)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python -m benchmarks.domain_bench

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache .hypothesis
