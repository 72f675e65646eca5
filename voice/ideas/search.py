"""Full-text search and "similar ideas", the same on SQLite and PostgreSQL.

The index is a table of its own, ``idea_terms (term, idea_id, weight)`` with the
primary key on ``(term, idea_id)``: each idea's title and description become a
unit-length vector of stems (``voice.ideas.terms``), written when the idea is
created. A query is answered from the index only:

1. Its words become stems; the last word, while it is still being typed, is a
   prefix, looked up with the range ``term >= 'inv' AND term < 'inw'``, which a
   B-tree answers on both databases (the column is byte-ordered on PostgreSQL).
2. One grouped query reads each matching term's document frequency, giving its
   idf ``ln(1 + N / df)``; a prefix expands to its ``MAX_EXPANSIONS`` most common terms.
3. One grouped query sums ``weight * idf`` per idea (tf-idf, cosine-like because the
   stored vectors have unit length) and counts how many query words each idea matched.
   Search requires every word; "similar ideas" ranks any overlap.

Both queries read only the postings of the query's terms, so their cost follows how
common the words are, not how many ideas there are.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, delete, distinct, func, insert, or_, select

from voice.extensions import db
from voice.ideas import terms as text_terms
from voice.ideas.models import Idea, IdeaTerm

MAX_EXPANSIONS = 20


def index_idea(idea: Idea) -> None:
    """(Re)write the idea's postings; call inside the write transaction that changed it."""
    db.session.execute(delete(IdeaTerm).where(IdeaTerm.idea_id == idea.id))
    vector = text_terms.document_terms(idea.title, idea.description)
    if vector:
        db.session.execute(
            insert(IdeaTerm),
            [{"term": term, "idea_id": idea.id, "weight": weight}
             for term, weight in sorted(vector.items())],
        )


@dataclass
class Plan:
    """A query resolved against the index: for each query word, its terms and their idf."""

    slots: list[dict[str, float]]

    @property
    def terms(self) -> dict[str, tuple[int, float]]:
        """term -> (slot, idf); a term in two slots belongs to the first."""
        found: dict[str, tuple[int, float]] = {}
        for index, slot in enumerate(self.slots):
            for term, weight in slot.items():
                found.setdefault(term, (index, weight))
        return found


def plan(query: str) -> Plan | None:
    """Resolve ``query``; None when it has no meaningful word."""
    stems, prefix = text_terms.query_words(query or "")
    if not stems and prefix is None:
        return None
    conditions: list[ColumnElement[bool]] = []
    if stems:
        conditions.append(IdeaTerm.term.in_(stems))
    if prefix is not None:
        upper = text_terms.prefix_upper_bound(prefix)
        conditions.append(and_(IdeaTerm.term >= prefix, IdeaTerm.term < upper))
    frequencies = dict(
        db.session.execute(
            select(IdeaTerm.term, func.count()).where(or_(*conditions)).group_by(IdeaTerm.term)
        ).all()
    )
    total = db.session.scalar(select(func.max(Idea.id))) or 1
    slots: list[dict[str, float]] = []
    for stem in stems:
        df = frequencies.get(stem, 0)
        slots.append({stem: text_terms.idf(total, df)} if df else {})
    if prefix is not None:
        upper = text_terms.prefix_upper_bound(prefix)
        completions = [
            (df, term) for term, df in frequencies.items()
            if prefix <= term < upper and term not in stems
        ]
        completions.sort(key=lambda item: (-item[0], item[1]))
        slots.append({term: text_terms.idf(total, df)
                      for df, term in completions[:MAX_EXPANSIONS]})
    return Plan(slots=slots)


def matches(query: str, *, require_all: bool):
    """A subquery of (idea_id, score) for the ideas matching ``query``, or None if none can.

    ``require_all``: every word of the query must match (search); otherwise any (similar).
    """
    resolved = plan(query)
    if resolved is None:
        return None
    if require_all and any(not slot for slot in resolved.slots):
        return None
    term_map = resolved.terms
    if not term_map:
        return None
    idf_case = case({term: round(weight, 6) for term, (_, weight) in term_map.items()},
                    value=IdeaTerm.term, else_=0.0)
    slot_case = case({term: slot for term, (slot, _) in term_map.items()}, value=IdeaTerm.term)
    score = func.sum(IdeaTerm.weight * idf_case).label("score")
    stmt = (
        select(IdeaTerm.idea_id.label("idea_id"), score)
        .where(IdeaTerm.term.in_(list(term_map)))
        .group_by(IdeaTerm.idea_id)
    )
    if require_all:
        wanted = sum(1 for slot in resolved.slots if slot)
        stmt = stmt.having(func.count(distinct(slot_case)) == wanted)
    return stmt.subquery("matches")
