"""Ideas: submitting, finding, voting, discussing, and the staff's answers and merges.

The facade: every public operation and read of the ideas domain, so callers write
``from voice.ideas import service; service.cast_vote(...)`` and never import the files
behind it (``queries`` reads; ``submitting``, ``voting``, ``discussion``, ``moderation``
write; ``counters`` is the one writer of the counters and tallies; ``exports`` the CSV).

Every write runs in one ``write_transaction`` and locks the idea it changes
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's immediate transaction already
serialises writers). Counters change with one atomic ``UPDATE``; after a merge
or an unmerge the touched ideas' counts are recounted from the vote rows in the
same statement, so ``vote_count`` always equals the number of its vote rows.
The tuned statements are in ``voice.ideas.sql``.
"""

from __future__ import annotations

from voice.areas.service import resolve_area
from voice.ideas.service.checks import (
    COMMENT_MAX,
    DESCRIPTION_MAX,
    MERGE_CHAIN_LIMIT,
    NOTE_MAX,
    TITLE_MAX,
    TITLE_MIN,
    check_status,
    clean_description,
    clean_text,
    clean_title,
    idea_path,
)
from voice.ideas.service.counters import rebuild_tallies
from voice.ideas.service.discussion import add_comment, set_comment_hidden, set_subscribed
from voice.ideas.service.exports import EXPORT_COLUMNS, export_csv, export_rows
from voice.ideas.service.moderation import (
    change_status,
    merge_ideas,
    set_idea_area,
    staff_update,
    unmerge_idea,
)
from voice.ideas.service.queries import (
    Activity,
    IdeaDetail,
    IdeaPage,
    activity_for,
    comments_page,
    get_comment,
    get_idea,
    idea_detail,
    list_ideas,
    similar_ideas,
    survivor_of,
    voted_ids,
)
from voice.ideas.service.roadmap import (
    DONE_WINDOW,
    ROADMAP_STATUSES,
    Roadmap,
    RoadmapCard,
    RoadmapColumn,
    public_roadmap,
)
from voice.ideas.service.submitting import edit_idea, submit_idea
from voice.ideas.service.voting import add_vote_for, cast_vote, remove_vote
from voice.ideas.sql import SEARCH_SORT, SORTS, not_merged
from voice.permissions import require_staff

__all__ = [
    "COMMENT_MAX",
    "DESCRIPTION_MAX",
    "DONE_WINDOW",
    "EXPORT_COLUMNS",
    "MERGE_CHAIN_LIMIT",
    "NOTE_MAX",
    "ROADMAP_STATUSES",
    "SEARCH_SORT",
    "SORTS",
    "TITLE_MAX",
    "TITLE_MIN",
    "Activity",
    "IdeaDetail",
    "IdeaPage",
    "Roadmap",
    "RoadmapCard",
    "RoadmapColumn",
    "activity_for",
    "add_comment",
    "add_vote_for",
    "cast_vote",
    "change_status",
    "check_status",
    "clean_description",
    "clean_text",
    "clean_title",
    "comments_page",
    "edit_idea",
    "export_csv",
    "export_rows",
    "get_comment",
    "get_idea",
    "idea_detail",
    "idea_path",
    "list_ideas",
    "merge_ideas",
    "not_merged",
    "public_roadmap",
    "rebuild_tallies",
    "remove_vote",
    "require_staff",
    "resolve_area",
    "set_comment_hidden",
    "set_idea_area",
    "set_subscribed",
    "similar_ideas",
    "staff_update",
    "submit_idea",
    "survivor_of",
    "unmerge_idea",
    "voted_ids",
]
