"""Rate limits shared by the pages and the API (one counter per user for both)."""

from __future__ import annotations

from voice.extensions import limiter

TRADE_LIMIT = "60 per minute;1000 per hour"

trade_limit = limiter.shared_limit(TRADE_LIMIT, scope="market-trade", methods=["POST"])
