# Voice: two commands set everything up on a fresh machine with Python 3.11+ and make.
#   make run    serve Voice with demo data (SQLite by default) on 127.0.0.1:$(PORT)
#   make test   lint and run the whole test suite

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000
WORKERS ?= 2
export FLASK_APP := voice

.PHONY: run test lint venv chromium bench bench-quick clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/flask db upgrade
	$(BIN)/flask demo --if-empty
	@echo ""
	@echo "Voice is at http://127.0.0.1:$(PORT)/  (Ctrl-C stops it)"
	@$(BIN)/flask demo-logins
	@echo ""
	@if [ -n "$$VOICE_SMTP_URL" ]; then echo "Mail: delivered over SMTP in the background."; \
	else echo "Mail: VOICE_SMTP_URL is not set, so mails are printed here instead of sent."; fi
	@export VOICE_BASE_URL="$${VOICE_BASE_URL:-http://127.0.0.1:$(PORT)}"; \
	$(BIN)/flask mail send --loop --interval 5 & mail_pid=$$!; \
	trap 'kill $$mail_pid 2>/dev/null; wait $$mail_pid 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	$(BIN)/gunicorn --workers $(WORKERS) --bind 127.0.0.1:$(PORT) --access-logfile - 'voice:create_app()'

# ruff (style, complexity <= 10, <= 40 statements, no imports inside functions),
# import-linter (layers, pure cores, no import circle) and mypy (pure cores strict).
lint: $(STAMP)
	$(BIN)/ruff check voice tests bench migrations
	$(BIN)/lint-imports
	$(BIN)/mypy

chromium:
	@sh scripts/ensure-chromium

test: $(STAMP) chromium lint
	$(BIN)/pytest

bench: $(STAMP)
	@sh bench/wrk/ensure-wrk
	$(BIN)/python -m bench.run

bench-quick: $(STAMP)
	@sh bench/wrk/ensure-wrk
	$(BIN)/python -m bench.run --quick

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
