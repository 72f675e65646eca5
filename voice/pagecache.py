"""Whole pages kept a few seconds for anonymous visitors: the crowd a campaign sends.

When a mail goes to thousands of customers, most of them open the same few public
pages (the idea board, a market) before signing in. Rendering each of those pages
costs a few milliseconds of ORM and template work; serving the copy rendered a moment
ago costs a string replacement. Discourse does the same for its logged-out visitors.

What a visitor may see: a page at most ``PAGE_CACHE_SECONDS`` old (default 5; 0 turns
the cache off). What is never served from the cache:

- anything to a signed-in user, or to a request carrying credentials (their page shows
  their own votes, positions and forms);
- a page to a visitor with flashed messages waiting (the page shows and consumes them);
- anything but a 200 ``text/html`` answer to a GET.

The one per-visitor part of an anonymous page is its CSRF token (the ``<meta>`` that
``voice.js`` sends back, and any form): the stored copy holds a placeholder where the
token was, and each visitor's own token is put back in on the way out.

Each gunicorn worker keeps its own copies (a few hundred pages at most), so nothing is
shared between servers and nothing needs invalidating: a copy simply ages out.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import Response, current_app, g, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

#: Stands where the visitor's CSRF token was; no page text can contain it.
TOKEN_PLACEHOLDER = "\x00voice-csrf-token\x00"
MAX_PAGES = 256


@dataclass(frozen=True)
class CachedPage:
    body: str  # with TOKEN_PLACEHOLDER where the renderer's CSRF token was
    has_token: bool
    stored_at: float


class PageCache:
    """A bounded, thread-safe map of address -> page, least recently used evicted first."""

    def __init__(self, max_pages: int = MAX_PAGES, clock: Callable[[], float] = time.monotonic):
        self.max_pages = max_pages
        self.clock = clock
        self._pages: OrderedDict[str, CachedPage] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, max_age: float) -> CachedPage | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                return None
            if self.clock() - page.stored_at >= max_age:
                del self._pages[key]
                return None
            self._pages.move_to_end(key)
            return page

    def put(self, key: str, body: str, token: str | None) -> None:
        has_token = token is not None and token != "" and token in body
        if has_token and token is not None:
            body = body.replace(token, TOKEN_PLACEHOLDER)
        page = CachedPage(body=body, has_token=has_token, stored_at=self.clock())
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()

    def __len__(self) -> int:
        return len(self._pages)


def init_app(app) -> None:
    app.extensions["voice_page_cache"] = PageCache()


def page_cache() -> PageCache:
    return current_app.extensions["voice_page_cache"]


def _servable_from_cache() -> bool:
    return (
        current_app.config.get("PAGE_CACHE_SECONDS", 0) > 0
        and request.method == "GET"
        and "Authorization" not in request.headers
        and "_flashes" not in session
        and not current_user.is_authenticated
    )


def _worth_keeping(response: Response) -> bool:
    return (
        response.status_code == 200
        and response.mimetype == "text/html"
        and not response.direct_passthrough
        and "Set-Cookie" not in response.headers
        and "_flashes" not in session  # the render flashed something for this visitor
    )


def _answer(page: CachedPage) -> Response:
    body = page.body
    if page.has_token:
        body = body.replace(TOKEN_PLACEHOLDER, generate_csrf())
    return Response(body, status=200, mimetype="text/html")


def anonymous_page_cache(view):
    """Serve ``view``'s page to anonymous visitors from the cache (see the module doc)."""

    @wraps(view)
    def cached_view(*args, **kwargs):
        if not _servable_from_cache():
            return view(*args, **kwargs)
        cache = page_cache()
        key = request.host + request.full_path
        page = cache.get(key, current_app.config["PAGE_CACHE_SECONDS"])
        if page is not None:
            return _answer(page)
        response = current_app.make_response(view(*args, **kwargs))
        if _worth_keeping(response):
            token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
            cache.put(key, response.get_data(as_text=True), token)
        return response

    return cached_view
