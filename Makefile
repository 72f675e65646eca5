# Voice: two commands set everything up on a fresh machine with Python 3.11+ and make.
#   make run    serve Voice with demo data (SQLite by default) on 127.0.0.1:$(PORT)
#   make test   lint and run the whole test suite

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two installs, so switching between make run and make test installs nothing again:
# serving needs Voice and its runtime dependencies only; the tests add the [test] extras.
RUN_STAMP := $(VENV)/.run-stamp
TEST_STAMP := $(VENV)/.test-stamp
PORT ?= 8000
# Empty: voice/gunicorn_conf.py decides (one process, 8 threads, so the rate limits in
# memory hold exactly); WORKERS>1 needs VOICE_RATELIMIT_STORAGE_URL=redis://... (README).
WORKERS ?=
THREADS ?=
# Without VOICE_SMTP_URL mails are written here, not to the terminal.
MAIL_LOG ?= instance/mail.log
export FLASK_APP := voice

.PHONY: run test lint venv chromium bench bench-quick clean

$(RUN_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): $(RUN_STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

venv: $(TEST_STAMP)

# Links in mail follow the port served on: the demo's mails (queued while seeding), the
# server's and the mail sender's all see the same VOICE_BASE_URL.
run: export VOICE_BASE_URL ?= http://127.0.0.1:$(PORT)
run: $(RUN_STAMP)
	$(BIN)/flask db upgrade
	$(BIN)/flask demo --if-empty --no-logins
	@if [ -z "$$VOICE_SMTP_URL" ]; then $(BIN)/flask mail send --log-file $(MAIL_LOG); fi
	@echo ""
	@if [ -n "$$VOICE_SMTP_URL" ]; then echo "Mail: delivered over SMTP in the background."; \
	else echo "Mail: VOICE_SMTP_URL is not set, so mails are written to $(MAIL_LOG)," \
	"not sent (tail -f $(MAIL_LOG) to read them)."; fi
	@if [ -n "$$VOICE_IMAP_URL" ]; then echo "Replies: read from VOICE_IMAP_URL in the background" \
	"(flask mail receive --loop); unmatched ones wait at /admin/mail."; fi
	@echo "Voice is at http://127.0.0.1:$(PORT)/  (Ctrl-C stops it)"
	@$(BIN)/flask demo-logins
	@echo ""
	@$(BIN)/flask mail send --loop --interval 5 --log-file $(MAIL_LOG) & mail_pid=$$!; \
	$(BIN)/flask cases escalate --loop --quiet --interval 60 & escalate_pid=$$!; \
	receive_pid=; if [ -n "$$VOICE_IMAP_URL" ]; then \
	$(BIN)/flask mail receive --loop --interval 30 & receive_pid=$$!; fi; \
	trap 'kill $$mail_pid $$escalate_pid $$receive_pid 2>/dev/null; wait $$mail_pid $$escalate_pid $$receive_pid 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	VOICE_WORKERS=$(WORKERS) VOICE_THREADS=$(THREADS) $(BIN)/gunicorn -c voice/gunicorn_conf.py --bind 127.0.0.1:$(PORT) --access-logfile - 'voice:create_app()'

# ruff (style, complexity <= 10, <= 40 statements, no imports inside functions),
# import-linter (layers, pure cores, no import circle) and mypy (pure cores strict).
lint: $(TEST_STAMP)
	$(BIN)/ruff check voice tests bench migrations
	$(BIN)/lint-imports
	$(BIN)/mypy

chromium:
	@sh scripts/ensure-chromium

test: $(TEST_STAMP) chromium lint
	$(BIN)/pytest

bench: $(TEST_STAMP)
	@sh bench/wrk/ensure-wrk
	$(BIN)/python -m bench.run

bench-quick: $(TEST_STAMP)
	@sh bench/wrk/ensure-wrk
	$(BIN)/python -m bench.run --quick

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
