"""Rate limits shared by the pages and the API (one counter per user for both)."""

from __future__ import annotations

from voice.extensions import limiter

#: A customer's answers on their conversations (page, API; mail is read in batches and
#: is not a request): enough for any conversation, not for flooding a team's inbox.
MESSAGE_LIMIT = "10 per minute;200 per day"

message_limit = limiter.shared_limit(MESSAGE_LIMIT, scope="case-message", methods=["POST"])
