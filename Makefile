# trustctl: `make demo` and `make test` set up everything they need on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint bench bench-org bench-packet clean

$(STAMP): pyproject.toml scripts/system-deps.sh
	bash scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[demo,dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/trustctl demo --out trustctl-demo

# pytest exits 5 when it collected no tests: a failure, said plainly.
test: $(STAMP)
	@$(BIN)/pytest -q; status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$status

lint: $(STAMP)
	$(BIN)/ruff check trustctl tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/iam_scale.py

bench-org: $(STAMP)
	$(BIN)/python bench/org_scale.py --processes 2

bench-packet: $(STAMP)
	$(BIN)/python bench/packet_scale.py --days 90

clean:
	rm -rf $(VENV) trustctl-demo .pytest_cache .mypy_cache .ruff_cache
