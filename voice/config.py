"""Settings, read from ``VOICE_*`` environment variables with safe defaults.

One class per mode. ``create_app`` picks :class:`Config` unless it is handed a
mapping of overrides (the tests do that).
"""

from __future__ import annotations

import os
import secrets
import time
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path


def env_flag(name: str, default: bool) -> bool:
    """Read a yes/no variable: 0, false, no and off (any case) mean no."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() not in {"0", "false", "no", "off"}


def instance_secret_key(instance_path: str) -> str:
    """The key kept in the instance folder, generated on first use.

    Several gunicorn workers start at once, so the file is created exclusively
    and a worker that loses the race reads the winner's key.
    """
    path = Path(instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            key = path.read_text().strip()
            if key:
                return key
            time.sleep(0.01)
        raise RuntimeError(f"{path} exists but is empty") from None
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


class Config:
    """Production-safe defaults; every value can come from the environment."""

    SQLALCHEMY_DATABASE_URI = os.environ.get("VOICE_DATABASE_URL") or None  # None: instance SQLite
    SECRET_KEY = os.environ.get("VOICE_SECRET_KEY") or None  # None: kept in the instance folder
    SMTP_URL = os.environ.get("VOICE_SMTP_URL", "")
    MAIL_FROM = os.environ.get("VOICE_MAIL_FROM", "Voice <voice@localhost>")
    # Where customers' replies go (issue 14): a mailbox that takes plus addresses,
    # reply+<signed token>@host (voice.mail.reply_tokens); empty: the sender's address.
    REPLY_ADDRESS = os.environ.get("VOICE_REPLY_ADDRESS", "")
    REPLY_TOKEN_DAYS = int(os.environ.get("VOICE_REPLY_TOKEN_DAYS", "180"))
    # The mailbox replies are read from: imap://user:pass@host:port/INBOX or imaps://...
    # (voice.mail.imap; ``flask --app voice mail receive``); empty: no inbound mail.
    IMAP_URL = os.environ.get("VOICE_IMAP_URL", "")
    BASE_URL = os.environ.get("VOICE_BASE_URL", "http://127.0.0.1:8000")
    STARTING_BALANCE = int(os.environ.get("VOICE_STARTING_BALANCE", "1000"))
    # The HS256 key the host product signs its users' identity with (POST /api/v1/identify,
    # voice.accounts.service.identity); empty: identify is off (404 ``identify_off``).
    IDENTIFY_SECRET = os.environ.get("VOICE_IDENTIFY_SECRET", "")
    HTTPS = env_flag("VOICE_HTTPS", False)

    RATELIMIT_ENABLED = env_flag("VOICE_RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("VOICE_RATELIMIT_STORAGE_URL", "memory://")
    RATELIMIT_KEY_PREFIX = os.environ.get("VOICE_RATELIMIT_KEY_PREFIX", "voice")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STRATEGY = "fixed-window"

    # Seconds an anonymous visitor's public page may be served from a worker's cache
    # (voice/pagecache.py); 0 turns the cache off.
    PAGE_CACHE_SECONDS = float(os.environ.get("VOICE_PAGE_CACHE_SECONDS", "5"))

    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    # How long a sign-in lasts at most (voice.accounts.models.LoginSession); signing out,
    # a new password or a deactivation ends it sooner.
    LOGIN_SESSION_LIFETIME = timedelta(days=int(os.environ.get("VOICE_LOGIN_SESSION_DAYS", "30")))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024


def finish_config(config: dict, instance_path: str) -> None:
    """Fill the defaults that depend on the instance folder, and HTTPS-only cookies."""
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        Path(instance_path).mkdir(parents=True, exist_ok=True)
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(instance_path) / 'voice.sqlite'}"
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = instance_secret_key(instance_path)
    if not config.get("REPLY_ADDRESS"):
        config["REPLY_ADDRESS"] = parseaddr(config.get("MAIL_FROM") or "")[1]
    if config.get("HTTPS"):
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True
        config["PREFERRED_URL_SCHEME"] = "https"
