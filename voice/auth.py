"""Guards for views: who may reach a route."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urljoin, urlparse

from flask import abort, request
from flask_login import current_user

from voice.extensions import login_manager
from voice.permissions import STAFF_ROLES


def role_required(*roles: str) -> Callable:
    """Anonymous users are sent to log in; signed-in users without the role get 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        guarded.required_roles = roles  # type: ignore[attr-defined]  # read by the route table tests
        return guarded

    return decorator


staff_required = role_required(*STAFF_ROLES)
admin_required = role_required("admin")


def safe_next_url(target: str | None) -> str | None:
    """``target`` if it stays on this site (a path, same host), else None."""
    if not target:
        return None
    target = target.strip()
    if target.startswith(("//", "\\")) or "\\" in target:
        return None
    host = urlparse(request.host_url)
    resolved = urlparse(urljoin(request.host_url, target))
    if resolved.scheme not in ("http", "https") or resolved.netloc != host.netloc:
        return None
    path = resolved.path or "/"
    return path + (f"?{resolved.query}" if resolved.query else "")
