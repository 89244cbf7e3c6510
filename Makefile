# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TOKEN := instance/dev-token
ADMIN_PASSWORD := instance/dev-admin-password
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test check venv clean system-packages bench bench-tools

# espeak-ng and sox build and convert prompts offline; chromium runs the web simulator's
# browser tests; graphviz's dot draws the web simulator's picture of the menu; postgresql's
# server runs the shared call-event log's tests; systemd's systemd-analyze verifies
# deploy/ivr-hotline.service. The tests use all six for real.
# Installed with apt-get where they are missing (as root, or through sudo).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system-packages:
	@command -v espeak-ng >/dev/null && command -v sox >/dev/null && command -v chromium >/dev/null && \
	  command -v dot >/dev/null && command -v systemd-analyze >/dev/null && \
	  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq espeak-ng sox libsox-fmt-mp3 chromium graphviz postgresql systemd >/dev/null; }

# The virtual environment is rebuilt whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# A local stand-in for the Twilio auth token: the server checks signatures with it and
# `ivr simulate --url` signs with it. Production sets TWILIO_AUTH_TOKEN instead.
$(TOKEN):
	mkdir -p $(dir $@)
	umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_hex(16))" > $@
	chmod 600 $@

# A local password for the reports at /admin (and the recording studio): made once, printed at
# every start. Production sets IVR_ADMIN_PASSWORD instead.
$(ADMIN_PASSWORD):
	mkdir -p $(dir $@)
	umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(12))" > $@
	chmod 600 $@

check: $(STAMP)
	$(BIN)/ivr check

run: $(STAMP) $(TOKEN) $(ADMIN_PASSWORD)
	$(BIN)/ivr check
	@echo
	@echo "The hotline answers on http://$(HOST):$(PORT)/voice (signed requests only)."
	@echo "Call it in the browser:         http://$(HOST):$(PORT)/simulator"
	@echo "Call it from another terminal:  $(BIN)/ivr simulate --url http://$(HOST):$(PORT)"
	@echo "Or scripted:                    $(BIN)/ivr simulate --url http://$(HOST):$(PORT) --keys 2 1"
	@echo "Reports:                        http://$(HOST):$(PORT)/admin (any user name, password: $$(cat $(ADMIN_PASSWORD)))"
	@echo "Recording studio:               http://$(HOST):$(PORT)/studio (the same password)"
	@echo
	TWILIO_AUTH_TOKEN=$$(cat $(TOKEN)) IVR_ADMIN_PASSWORD=$$(cat $(ADMIN_PASSWORD)) IVR_PROXY_HOPS=0 IVR_SIMULATOR=open \
	  $(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 2 --access-logfile - 'ivr:create_app()'

test: $(STAMP) system-packages
	$(BIN)/pytest

clean:
	rm -rf $(VENV) instance .pytest_cache

# wrk (load generator) and hyperfine (start-up timing) from Debian, installed where missing.
bench-tools:
	@command -v wrk >/dev/null && command -v hyperfine >/dev/null || \
	  { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk hyperfine >/dev/null; }

# The hotline beside a bare Flask floor under the Procfile's gunicorn; exits 1 if a target is missed.
# A short run: make bench BENCH_ARGS=--quick
bench: $(STAMP) bench-tools
	$(BIN)/python bench/run.py $(BENCH_ARGS)
