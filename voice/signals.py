"""The named events that cross domains.

A domain's service sends one of these inside its write transaction; the
subscribers (routing and the audit log on the staff side, the market grant,
the personal-data collectors) run in that same transaction, so a reaction is
never lost and never half-done. Domains import this module, never their subscribers; the
subscribers are connected in each domain's ``hooks.py`` by the app factory.

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
#: sender: Idea; kwargs: old_status, new_status, note, actor. The idea's ``updated_at`` is
#: the moment it moved (the staff side closes its cases then, issue 14).
idea_status_changed = voice_signals.signal("idea-status-changed")
#: sender: Idea (the survivor); kwargs: duplicate (the merged Idea, ``merged_at`` set),
#: actor.
idea_merged = voice_signals.signal("idea-merged")
#: sender: Comment (of an idea). A public comment was posted.
comment_created = voice_signals.signal("comment-created")

#: sender: Response; kwargs: survey, answers (list of Answer).
survey_response_submitted = voice_signals.signal("survey-response-submitted")

#: sender: Market; kwargs: trade, prices_before, prices_after (lists of floats).
market_traded = voice_signals.signal("market-traded")
#: sender: Market (``resolved_at`` set); kwargs: outcome (the winner), note, actor.
market_resolved = voice_signals.signal("market-resolved")
#: sender: Market (``resolved_at`` set); kwargs: note, actor.
market_voided = voice_signals.signal("market-voided")

#: sender: tuple of idea ids. Collector: a receiver returns {idea id: what it links to
#: the idea} for the ideas it knows of (markets: the linked market, its probability and
#: status). The ideas pages send it, so ideas (below markets) never import markets.
idea_links_requested = voice_signals.signal("idea-links-requested")
#: sender: tuple of idea ids. Collector: a receiver returns {idea id: [the updates that
#: delivered it, newest first]} (admin's "You asked, we did": ``.title``, ``.link``,
#: ``.published_at``), for the "Shipped in" line of an idea's page (issue 15).
idea_updates_requested = voice_signals.signal("idea-updates-requested")

#: sender: User (a staff member or admin); kwargs: action (e.g. "idea.status",
#: "market.resolve", "user.role"), target_type, target_id, detail (a short text).
#: The staff side writes every one of these to the audit log.
staff_acted = voice_signals.signal("staff-acted")

# --- a person's data: collector signals (Indico's way: each module handles its own rows) ---
# Both are sent by voice.accounts.data with the user's id (an int) as the sender and no
# keyword data, so a domain's ``personal_data.export`` and ``personal_data.erase`` are
# the receivers themselves. Each domain answers for its own tables only, and declares
# them in ``personal_data.TABLES`` (tests/test_personal_data_claims.py checks that every
# table with a user foreign key is claimed). Receivers must not depend on one another's
# order.

#: sender: int (the user's id). Collector: each receiver returns a dict of export
#: sections (section name -> JSON-ready data) of what its domain holds about the user;
#: read-only. voice.accounts.data.EXPORT_SECTIONS fixes the order of the download.
personal_data_requested = voice_signals.signal("personal-data-requested")
#: sender: int (the user's id). The account is being closed: each receiver erases or
#: anonymises its own rows of that user, inside the one closing write transaction (it
#: never commits); the user row itself is anonymised after every receiver has run.
personal_data_erasing = voice_signals.signal("personal-data-erasing")
