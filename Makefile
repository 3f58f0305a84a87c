# ictal — set-up and the two commands of the README.
#   make demo   set everything up, then run `ictal demo` on the phantom (SQLite, CPU)
#   make test   set everything up (system packages, front-end), then run the whole test-suite
# Both are idempotent: a second run only does what changed.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
TORCH_VERSION := 2.13.0
STAMP  := $(VENV)/.ictal-installed

.PHONY: demo test setup setup-test system frontend lint bench clean

demo: setup
	$(BIN)/ictal demo

test: setup-test
	scripts/run-tests.sh

# the pose / face model files (idempotent: a hash check when they are present)
setup: $(STAMP)
	$(BIN)/ictal landmarks install

# torch first, pinned to the local CPU build: a later `torch>=2.4` is then already satisfied
# and pip never pulls the multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==$(TORCH_VERSION)
	$(BIN)/python -m pip install --quiet -e ".[all]"
	touch $(STAMP)

setup-test: setup system frontend

system:
	scripts/install-system.sh

frontend: setup
	scripts/build-frontend.sh

lint: setup
	$(BIN)/ruff check src tests benchmarks

bench: setup
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build dist src/*.egg-info frontend/node_modules frontend/dist
