# `make run` and `make test` work on a fresh machine: they create .venv and install into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint-imports system-packages bench-verify bench-deployments bench-fleet bench-usage bench-serve bench-guards bench-console bench-scan clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[postgres,serve,fastapi,django,test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/keyconsole

lint-imports: $(STAMP)
	$(BIN)/lint-imports

system-packages:
	bash scripts/system-packages.sh

test: lint-imports system-packages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench-verify: $(STAMP)
	$(BIN)/python benchmarks/verify.py

bench-deployments: $(STAMP) system-packages
	$(BIN)/python benchmarks/deployments.py

bench-fleet: $(STAMP) system-packages
	bash scripts/system-packages.sh bench
	$(BIN)/python benchmarks/fleet.py

bench-usage: $(STAMP)
	$(BIN)/python benchmarks/usage.py

bench-serve: $(STAMP)
	bash scripts/system-packages.sh bench
	$(BIN)/python benchmarks/serve.py

bench-guards: $(STAMP)
	bash scripts/system-packages.sh bench
	$(BIN)/python benchmarks/guards.py

bench-console: $(STAMP)
	$(BIN)/python benchmarks/console.py

bench-scan: $(STAMP)
	bash scripts/system-packages.sh bench
	$(BIN)/python benchmarks/scan.py

clean:
	rm -rf $(VENV) build dist .pytest_cache
