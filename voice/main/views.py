from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from voice.extensions import db, limiter
from voice.ideas import service as ideas
from voice.markets import service as markets
from voice.pagecache import anonymous_page_cache
from voice.surveys import service as surveys

bp = Blueprint("main", __name__)

HOME_LIST_SIZE = 5


@bp.route("/")
@anonymous_page_cache
def home():
    """What is moving now: trending ideas, open surveys, open markets."""
    viewer = current_user._get_current_object() if current_user.is_authenticated else None
    return render_template(
        "main/home.html",
        ideas=ideas.list_ideas(viewer, sort="trending", per_page=HOME_LIST_SIZE).items,
        surveys=surveys.open_surveys(1, HOME_LIST_SIZE).items,
        markets=markets.list_markets("open", 1, HOME_LIST_SIZE).items,
    )


@bp.route("/healthz")
@limiter.exempt  # probed by load balancers many times a second; nothing to limit
def healthz():
    """200 when the database answers; 503 otherwise (a load balancer takes us out)."""
    try:
        # A pooled connection of its own, not the ORM session: the probe needs no
        # identity map or transaction bookkeeping, and is ~3x cheaper this way.
        with db.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}
