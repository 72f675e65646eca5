"""The Flask extensions: created here, bound to the app in ``create_app``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_qualified_name, get_remote_address
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData

# Named constraints, so Alembic migrations can alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))

if TYPE_CHECKING:
    from typing import ClassVar

    from sqlalchemy import Table
    from sqlalchemy.orm import DeclarativeBase

    class Model(DeclarativeBase):
        """What ``db.Model`` is, spelled so a type checker sees the declarative base."""

        __table__: ClassVar[Table]  # every Voice model is a Table

else:
    Model = db.Model
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()


def user_or_address() -> str:
    """Rate-limit key: the signed-in user (session or token), else the client address."""
    if current_user and current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"addr:{get_remote_address()}"


def address_key() -> str:
    return f"addr:{request.remote_addr or 'unknown'}"


limiter = Limiter(key_func=user_or_address, default_limits=[])


def limited_endpoints(app: Flask) -> frozenset[str]:
    """The endpoints whose views carry a limit (``@limiter.limit`` or a shared limit)."""
    found = app.extensions.get("voice_limited_endpoints")
    if found is None:
        found = frozenset(
            endpoint for endpoint, view in app.view_functions.items()
            if limiter.limit_manager.decorated_limits(get_qualified_name(view)))
        app.extensions["voice_limited_endpoints"] = found
    return found


@limiter.request_filter  # configures the limiter object made above, as Flask-Limiter documents
def _route_has_no_limit() -> bool:
    """Let Flask-Limiter skip its bookkeeping on routes without a limit.

    Voice sets no default or application-wide limits, only limits on the views that
    need them (sign-in, submissions, answers, trades), so on every other route the
    limiter's per-request work (resolving the view's limits, exemptions and keys:
    ~300 µs in-process, twice the whole bare-Flask request) finds nothing to do.
    """
    return request.endpoint not in limited_endpoints(current_app)
