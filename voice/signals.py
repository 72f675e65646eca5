"""The named events that cross domains.

A domain's service sends one of these inside its write transaction; the
subscribers (routing on the staff side, notices in the loop, the market
grant) run in that same transaction, so a reaction is never lost and never
half-done. Domains import this module, never their subscribers.

Every signal is sent with the object as sender and keyword data as listed.
"""

from __future__ import annotations

from blinker import Namespace

voice_signals = Namespace()

#: sender: User. A new account exists (registration, CLI, API).
user_registered = voice_signals.signal("user-registered")

#: sender: Idea. A customer or staff member submitted a new idea.
idea_created = voice_signals.signal("idea-created")
#: sender: Idea; kwargs: user (the voter), vote_count (after the vote).
idea_voted = voice_signals.signal("idea-voted")
#: sender: Idea; kwargs: old_status, new_status, note, actor.
idea_status_changed = voice_signals.signal("idea-status-changed")
#: sender: Idea (the survivor); kwargs: duplicate (the merged Idea), actor.
idea_merged = voice_signals.signal("idea-merged")
#: sender: Comment (of an idea). A public comment was posted.
comment_created = voice_signals.signal("comment-created")

#: sender: Response; kwargs: survey, answers (list of Answer).
survey_response_submitted = voice_signals.signal("survey-response-submitted")

#: sender: Market; kwargs: trade, prices_before, prices_after (lists of floats).
market_traded = voice_signals.signal("market-traded")
#: sender: Market; kwargs: outcome (the winner), note, actor.
market_resolved = voice_signals.signal("market-resolved")
#: sender: Market; kwargs: note, actor.
market_voided = voice_signals.signal("market-voided")

#: sender: User (a staff member or admin); kwargs: action (e.g. "idea.status",
#: "market.resolve", "user.role"), target_type, target_id, detail (a short text).
#: The staff side writes every one of these to the audit log.
staff_acted = voice_signals.signal("staff-acted")
