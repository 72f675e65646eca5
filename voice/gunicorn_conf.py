"""How ``make run`` serves Voice with gunicorn (``gunicorn -c voice/gunicorn_conf.py``).

One process with threads by default, so the rate limits' default ``memory://`` storage
is one counter for every request and each limit holds exactly. More processes
(``WORKERS``) only with a storage they share (Redis): with memory storage each process
would count on its own and let through ``WORKERS`` times the limit, so the server
refuses to start.

Threads (``gthread``) also keep slow clients from holding the site: gunicorn reads a
request in the thread that serves it, so a client trickling its request holds one
thread, not the process; the others (and ``/healthz``) keep answering. tests/test_serving.py
starts gunicorn with this file, as ``make run`` does.
"""

from __future__ import annotations

import os
from typing import Any

from voice.config import Config

REFUSAL = (
    "WORKERS={workers} with the rate limits in memory would count every limit once per "
    "worker: set VOICE_RATELIMIT_STORAGE_URL=redis://... (a storage the workers share) "
    "or serve with WORKERS=1."
)


def setting(name: str, default: int) -> int:
    """A whole number from the environment; unset or empty means ``default``."""
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


worker_class = "gthread"
workers = setting("VOICE_WORKERS", 1)
threads = setting("VOICE_THREADS", 8)  # a slow client holds one; 8 leave room for 7
timeout = 30  # a worker whose main loop stops answering this long is restarted
graceful_timeout = 10
keepalive = 5  # an idle kept-alive connection waits on the poller, not in a thread


def limits_shared_by_workers() -> bool:
    """Whether every worker sees the same rate-limit counters (or there are none)."""
    storage = str(Config.RATELIMIT_STORAGE_URI)
    return not Config.RATELIMIT_ENABLED or not storage.startswith("memory://")


def on_starting(server: Any) -> None:
    """Refuse several workers with per-process rate-limit counters, before binding."""
    count = server.cfg.workers
    if count > 1 and not limits_shared_by_workers():
        raise RuntimeError(REFUSAL.format(workers=count))
