"""Rate limits shared by the pages and the API (one counter per user for both)."""

from __future__ import annotations

from voice.extensions import limiter

SUBMIT_LIMIT = "5 per minute;30 per day"
COMMENT_LIMIT = "10 per minute;200 per day"

submit_limit = limiter.shared_limit(SUBMIT_LIMIT, scope="idea-submit", methods=["POST"])
comment_limit = limiter.shared_limit(COMMENT_LIMIT, scope="idea-comment", methods=["POST"])
