# trustctl: `make demo` and `make test` set up everything they need on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# pytest-xdist workers for `make test` (one module per worker): the machine's cores by default.
TEST_WORKERS ?= auto
DEMO_STAMP := $(VENV)/.installed-demo
STAMP := $(VENV)/.installed-dev

.PHONY: setup setup-demo demo test test-deep lint bench bench-org bench-packet bench-prowler clean lock models

# Installs are pinned by constraints.txt; `make lock` is the only thing that moves them.
# The demo needs trustctl and its demo extra only (moto, the SCIM server): no browser, no test tools.
$(DEMO_STAMP): pyproject.toml constraints.txt scripts/system-deps.sh
	bash scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[demo]'
	touch $(DEMO_STAMP)

# Tests, lint and the benchmarks add the dev extra, pdftoppm and Chromium (system-deps.sh --test).
$(STAMP): $(DEMO_STAMP)
	bash scripts/system-deps.sh --test
	$(BIN)/pip install --quiet -c constraints.txt -e '.[demo,dev]'
	touch $(STAMP)

setup-demo: $(DEMO_STAMP)

setup: $(STAMP)

# The botocore models trustctl ships, pruned to its declared operations (collectors/botocore_models.py), for
# the botocore constraints.txt pins: run after `make lock` moves botocore (test_aws_models checks it).
models: $(DEMO_STAMP)
	$(BIN)/python -m trustctl.collectors.botocore_models

# Rewrites constraints.txt with the newest versions pyproject.toml's ranges allow, resolved in a
# throwaway venv (.venv is left alone); review the diff and run `make test` before committing it.
lock:
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; set -e; \
	$(PYTHON) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/pip" install --quiet --upgrade pip; \
	"$$tmp/venv/bin/pip" install --quiet -e '.[demo,dev]'; \
	{ grep '^#' constraints.txt || true; \
	  "$$tmp/venv/bin/pip" freeze --exclude-editable | grep -vi '^trustctl[=@ ]'; } > "$$tmp/constraints.txt"; \
	cp "$$tmp/constraints.txt" constraints.txt; \
	echo "constraints.txt rewritten: review \`git diff constraints.txt\`, then run make models and make test"

demo: $(DEMO_STAMP)
	$(BIN)/trustctl demo --out trustctl-demo

# pytest exits 5 when it collected no tests: a failure, said plainly.
test: $(STAMP)
	@$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile; status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$status

# Every (operation, fault) of the fault-injection matrix; `make test` runs a seeded sample of it.
test-deep: $(STAMP)
	TRUSTCTL_FAULT_ALL=1 $(BIN)/pytest -q tests/test_fault_matrix.py
	TRUSTCTL_SWEEP_ALL=1 $(BIN)/pytest -q tests/test_locker_tamper_sweep.py tests/test_packet_tamper_sweep.py \
		tests/test_packet.py

lint: $(STAMP)
	$(BIN)/ruff check trustctl tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/iam_scale.py

bench-org: $(STAMP)
	$(BIN)/python bench/org_scale.py --processes 2

bench-packet: $(STAMP)
	$(BIN)/python bench/packet_scale.py --days 90

# Prowler (pinned, installed once into ~/.cache/trustctl-bench/prowler-venv) against trustctl, one account.
bench-prowler: $(STAMP)
	$(BIN)/python bench/vs_prowler.py

clean:
	rm -rf $(VENV) trustctl-demo .pytest_cache .mypy_cache .ruff_cache
