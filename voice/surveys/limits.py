"""Rate limits shared by the pages and the API (one counter per user for both)."""

from __future__ import annotations

from voice.extensions import limiter

ANSWER_LIMIT = "30 per minute;300 per hour"

answer_limit = limiter.shared_limit(ANSWER_LIMIT, scope="survey-answer", methods=["POST"])
