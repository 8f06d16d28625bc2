# Two commands do all set-up on a fresh Debian machine (as root):
#   make demo   runs the daemon end to end on the embedded sandbox
#   make test   installs what the tests need and runs lint, type checks and the test suite
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# unixODBC + drivers (MariaDB, SQLite), MariaDB server, OpenSSH server (SFTP tests), PostgreSQL,
# openssl (hashes the SFTP test user's password),
# chromium (the console's browser tests, driven by Playwright; never `playwright install`)
APT_PACKAGES := unixodbc unixodbc-dev odbc-mariadb libsqliteodbc sqlite3 \
                mariadb-server mariadb-client openssh-server openssh-client \
                postgresql postgresql-client odbc-postgresql openssl chromium
PYTEST_ARGS ?=

.PHONY: all test demo lint typecheck pytest pytest-shifted system-deps venv bench bench-peers soak clean

all: test

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "please install as root:$$missing" >&2; exit 1; fi; \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test,postgres,oracles]'
	touch $@

# its recipe deletes what the removed compiled ERA build (make era-fast) left behind:
# an extension module next to a .py file would be imported instead of it
venv: $(VENV)/.installed
	@rm -f connector/sources/era/*.so connector/sources/era/*.pyd connector/sources/era/_compiled.json

lint: venv
	$(BIN)/ruff check connector adapters workshop tests bench
	$(BIN)/ruff format --check connector adapters workshop tests bench

typecheck: venv
	$(BIN)/mypy

pytest: system-deps venv
	$(BIN)/pytest $(PYTEST_ARGS)

# the expiry guard: the suite again with this process's clock 400 days ahead (time-machine),
# every test that needs no other process or server; see docs/testing.md
pytest-shifted: system-deps venv
	CONNECTOR_TEST_CLOCK_SHIFT_DAYS=400 $(BIN)/pytest -m "not external_service" $(PYTEST_ARGS)

test: system-deps venv lint typecheck pytest pytest-shifted

demo: system-deps venv
	$(BIN)/python -m workshop demo

# the benchmarks import the workshop (beside the product, not installed): PYTHONPATH=.
bench: system-deps venv
	PYTHONPATH=. $(BIN)/python bench/run_all.py

# the ERA parser benchmark's peers (oxedi, pyx12, LinuxForHealth x12, badX12) in their own venv
bench-peers: venv
	PYTHONPATH=. $(BIN)/python bench/era_parse.py --setup

soak: system-deps venv
	SOAK=1 $(BIN)/pytest -m slow $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build *.egg-info
	rm -f connector/sources/era/*.so connector/sources/era/*.pyd connector/sources/era/_compiled.json
