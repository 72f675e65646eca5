"""Filters and globals every template may use. Templates never query the database:
what they show comes from the view or from a service through a context processor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from flask import Flask, request
from flask_login import current_user
from markupsafe import Markup

from voice.clock import isoformat, utcnow
from voice.loop.service import unread_count
from voice.surveys.scales import KIND_LABELS
from voice.text import render_markdown
from voice.units import format_points as points


@dataclass(frozen=True)
class Link:
    endpoint: str
    label: str


# The product's main navigation; an entry shows once its blueprint is registered.
NAV_ITEMS = [("ideas.index", "Ideas"), ("roadmap.index", "Roadmap"), ("surveys.index", "Surveys"),
             ("markets.index", "Markets"),
             ("updates.index", "You asked, we did")]
ADMIN_ENDPOINT = "admin.home"
# The staff navigation (templates/admin/_layout.html): every staff page is one click away.
STAFF_LINKS = [
    Link("admin.home", "Dashboard"), Link("admin.cases", "Team inbox"),
    Link("admin.my_cases", "My cases"), Link("surveys.admin_list", "Surveys"),
    Link("markets.admin_list", "Markets"), Link("admin.staff_updates", "Updates"),
    Link("admin.scores", "Scores"), Link("admin.templates_index", "Reply templates"),
    Link("admin.audit_log", "Audit log"),
]
# ...and, for admins, the pages only they may open.
ADMIN_LINKS = [
    Link("admin.users", "Users"), Link("admin.teams", "Teams"), Link("admin.rules", "Rules"),
    Link("admin.areas", "Areas"),
]
PROFILE_LINKS = [
    Link("ideas.activity", "My ideas and votes"),
    Link("markets.positions", "My positions"),
    Link("loop.notifications", "Notifications"),
    Link("conversations.index", "My conversations"),
    Link("loop.preferences", "Mail preferences"),
]


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """A short relative age: 'just now', '5 minutes ago', '3 days ago', or the date."""
    if moment is None:
        return ""
    seconds = int(((now or utcnow()) - moment).total_seconds())
    if seconds < 0:
        return "in the future" if seconds < -60 else "just now"
    for size, unit in ((86400 * 30, None), (86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            if unit is None:
                return moment.strftime("%d %b %Y")
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def time_tag(moment: datetime | None) -> Markup:
    """``<time datetime=...>5 days ago</time>``, with the exact time as a tooltip."""
    if moment is None:
        return Markup("")
    # Every part is made here from a datetime (digits, month names, "ago"), never from
    # user text, so plain formatting is safe; Markup.format escaped each part and cost
    # 8% of the ideas page, which shows a time per card (bench.profile ideas).
    return Markup(f'<time datetime="{isoformat(moment)}" '
                  f'title="{moment:%Y-%m-%d %H:%M} UTC">{ago(moment)}</time>')


def url_with(**changes) -> str:
    """The current URL with some query arguments changed (None removes one)."""
    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    query = urlencode(args)
    return request.path + (f"?{query}" if query else "")


def register(app: Flask) -> None:
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["points"] = points
    app.jinja_env.filters["ago"] = ago
    app.jinja_env.filters["kind_label"] = lambda kind: KIND_LABELS.get(kind, kind)
    app.jinja_env.globals["time_tag"] = time_tag
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def navigation():
        unread = 0
        if current_user.is_authenticated:
            unread = unread_count(current_user)
        views = app.view_functions
        return {
            "unread_notifications": unread,
            "nav_items": [(e, label) for e, label in NAV_ITEMS if e in views],
            "admin_endpoint": ADMIN_ENDPOINT if ADMIN_ENDPOINT in views else None,
            "profile_links": [link for link in PROFILE_LINKS if link.endpoint in views],
            "staff_links": [link for link in STAFF_LINKS if link.endpoint in views],
            "admin_links": [link for link in ADMIN_LINKS if link.endpoint in views],
        }
