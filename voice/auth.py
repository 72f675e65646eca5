"""Guards for views: who may reach a route."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from urllib.parse import urljoin, urlsplit

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


# Control characters and white space (browsers drop a tab or a newline inside a URL, so
# "/./\t/evil.example" became "//evil.example") and backslashes (read as "/").
_NOT_IN_A_REDIRECT = re.compile(r"[\x00-\x20\x7f\\]")


def safe_next_url(target: str | None) -> str | None:
    """``target`` as a path on this site, normalised, or None if it is not one.

    Every redirect whose target comes from the request goes through here (login's
    ``next``, the staff forms' ``back``). The target is resolved against this site's
    address (dot segments removed), must stay on this host over http(s), and comes back as a
    path with its runs of slashes made one: ``/.//evil.example/`` and
    ``/a/..//evil.example/x`` resolved to ``//evil.example/...``, which a browser reads
    as another site (issue 13). The fragment is dropped.
    """
    if not target or _NOT_IN_A_REDIRECT.search(target.strip()):
        return None
    host = urlsplit(request.host_url)
    resolved = urlsplit(urljoin(request.host_url, target.strip()))
    if resolved.scheme not in ("http", "https") or resolved.netloc != host.netloc:
        return None
    path = re.sub(r"/{2,}", "/", resolved.path or "/")
    return path + (f"?{resolved.query}" if resolved.query else "")
