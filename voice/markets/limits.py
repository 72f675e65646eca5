"""Rate limits shared by the pages and the API (one counter per user for both, or per
client address when signed out).

Quotes are open to anyone signed out; each is a bounded search of at most ~60 engine
evaluations (``voice.markets.money.largest_fitting``), and the limit bounds what one
client can ask for. The trade page has no quote route of its own: its script asks the
API's, so that one counter is the page's and the API's.
"""

from __future__ import annotations

from voice.extensions import limiter

TRADE_LIMIT = "60 per minute;1000 per hour"
QUOTE_PER_MINUTE = 120  # a typing trader asks at most ~4 a second (250 ms debounce)
QUOTE_LIMIT = f"{QUOTE_PER_MINUTE} per minute;3000 per hour"

trade_limit = limiter.shared_limit(TRADE_LIMIT, scope="market-trade", methods=["POST"])
quote_limit = limiter.shared_limit(QUOTE_LIMIT, scope="market-quote", methods=["GET"])
