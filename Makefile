# The two commands: `make run` (install, start PostGIS, migrate, load, serve) and `make test`.
# `make run` uses Flask's development server, for local use; `make serve` runs gunicorn.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
TASHARUK := $(VENV)/bin/tasharuk
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 5000
DEMO_ORGS ?= 300
DEMO_SEED ?= 1
SHARED ?= ../shared/data

.PHONY: run serve test setup sysdeps db migrate load lint bench clean-db

BOUNDARIES := $(wildcard $(foreach n,1 2 3,$(SHARED)/boundaries/syr_adm$(n)_cod_ab_20201217.geojson))
GAZETTEER := $(wildcard $(foreach n,governorates districts subdistricts,$(SHARED)/admin_names/$(n).json))

# make run and make serve on one machine: a development data key in instance/ (mode 0600), made
# once, so the demo can store referral names and seal its shelters; TASHARUK_DATA_KEYS from the
# environment wins. A real deployment sets its own keys (docs/deploying.md), never this file.
DEV_DATA_KEY ?= instance/dev-data-key
KEYS = TASHARUK_DATA_KEYS="$${TASHARUK_DATA_KEYS:-$$(cat $(DEV_DATA_KEY))}"

$(DEV_DATA_KEY): | $(STAMP)
	@mkdir -p $(@D) && umask 077 && $(PY) -c 'from referral.crypto import generate_key; print(generate_key())' > $@.tmp && mv $@.tmp $@

run: db $(DEV_DATA_KEY)
	$(KEYS) $(TASHARUK) bootstrap $(foreach f,$(BOUNDARIES),--boundaries $(f)) \
	  $(foreach f,$(GAZETTEER),--gazetteer $(f)) --demo-orgs $(DEMO_ORGS) --seed $(DEMO_SEED)
	@echo "make run: Flask's development server, for local use only; 'make serve' runs gunicorn"
	$(KEYS) $(TASHARUK) run --host $(HOST) --port $(PORT)

# The production server (gunicorn; docs/deploying.md), after the same bootstrap.
serve: db $(DEV_DATA_KEY)
	$(KEYS) $(TASHARUK) bootstrap $(foreach f,$(BOUNDARIES),--boundaries $(f)) \
	  $(foreach f,$(GAZETTEER),--gazetteer $(f)) --demo-orgs $(DEMO_ORGS) --seed $(DEMO_SEED)
	$(KEYS) $(TASHARUK) serve --bind $(HOST):$(PORT)

# The tests start their own throw-away cluster (instance/test-pg) unless DATABASE_URL is set.
# In parallel (pytest-xdist, one database per worker): TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2
test: setup lint
	$(PY) -m pytest -q -n $(TEST_WORKERS)

setup: sysdeps $(STAMP)

# System packages: PostgreSQL 15 with PostGIS 3 (apt-get as root, else the exact command).
sysdeps:
	@bash data/setup/sysdeps.sh

$(STAMP): setup.cfg pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]' --config-settings editable_mode=compat
	@touch $@

# The project's own cluster under instance/ unless DATABASE_URL is set.
db: setup
	@if [ -z "$$DATABASE_URL" ]; then $(PY) -m data.cluster start >/dev/null; fi

# ruff on everything; mypy strict on the pure packages (pyproject.toml [tool.mypy])
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: db
	$(PY) -m bench all

clean-db:
	-$(PY) -m data.cluster stop
	rm -rf instance/pg instance/test-pg
