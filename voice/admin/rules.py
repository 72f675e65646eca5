"""The routing engine: a rule and a signal in, a decision out. Pure: no Flask, no database.

A :class:`Signal` is one thing that happened (a new idea, a vote, a comment, a survey
response, a market trade), reduced to the plain values the rules look at. A
:class:`Rule` is one row of the ordered rule list. :func:`decide` walks the rules in
order and returns the :class:`Decision` of the first enabled rule that matches, or
None when no rule does (then no case is opened: a vote or a trade that no rule cares
about is not work for anybody).

Conditions of a rule, all of which must hold (an empty condition holds):

- ``source``: which kind of signal (see :data:`SOURCES`).
- ``area_id``: the signal's product area (an idea's area; a comment's idea's area; a
  survey's area; a market's linked idea's area).
- ``survey_id``: survey responses of that survey only.
- ``question_kind`` with ``score_min`` / ``score_max``: the response has an answer to a
  question of that kind whose score is at least ``score_min`` and at most ``score_max``
  (the bounds are inclusive; either may be open).
- ``keywords``: any of them occurs in the signal's text, case-insensitively, at a word
  start ("bill" matches "billing" and "Bill", not "rebill").
- ``vote_threshold`` (source ``idea_votes``): the vote lifted the count from below N to
  N or more (so it fires once per crossing, not on every later vote).
- ``probability_threshold`` (source ``market_move``, a share 0..1): some outcome's price
  rose from below the threshold to at least it in one trade ("became likely"; for a
  yes/no market a threshold of 0.7 catches Yes rising past 70 % and Yes falling below
  30 %, which is No rising past 70 %).
- ``move_points`` (source ``market_move``, percentage points 0..100): some outcome's
  price moved by at least that many points in one trade, either way.
  When a market rule has both, either one firing is enough.

The target is a team (``team_id``), or, with ``to_area_team``, the team that owns the
signal's area, falling back to the triage team when the area has none (or the signal
has no area). The due time is the signal's time plus the rule's SLA in hours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from voice.surveys.scales import SCALES

SOURCES = ("idea_created", "idea_votes", "comment", "survey_response", "market_move")
SOURCE_LABELS = {
    "idea_created": "New idea",
    "idea_votes": "Idea passing N votes",
    "comment": "Comment",
    "survey_response": "Survey response",
    "market_move": "Market move",
}
#: The case source type each signal source opens.
SOURCE_TYPES = {
    "idea_created": "idea",
    "idea_votes": "idea",
    "comment": "comment",
    "survey_response": "survey_response",
    "market_move": "market",
}
PRIORITIES = ("low", "normal", "high", "urgent")
#: The scored question kinds a rule may name, with their score ranges (voice/surveys/scales.py).
SCORED_KINDS: dict[str, tuple[int, int]] = dict(SCALES)
MAX_SLA_HOURS = 24 * 365
MAX_KEYWORDS = 20
MAX_VOTE_THRESHOLD = 1_000_000


@dataclass(frozen=True)
class Score:
    """One scored answer of a survey response."""

    kind: str
    value: float


@dataclass(frozen=True)
class Signal:
    source: str
    source_id: int
    occurred_at: datetime
    area_id: int | None = None
    survey_id: int | None = None
    text: str = ""
    scores: tuple[Score, ...] = ()
    vote_count: int | None = None
    previous_vote_count: int | None = None
    prices_before: tuple[float, ...] = ()
    prices_after: tuple[float, ...] = ()
    customer_id: int | None = None
    title: str = ""

    @property
    def source_type(self) -> str:
        return SOURCE_TYPES[self.source]


@dataclass(frozen=True)
class Rule:
    id: int
    source: str
    team_id: int | None = None
    to_area_team: bool = False
    priority: str = "normal"
    sla_hours: int = 48
    enabled: bool = True
    area_id: int | None = None
    survey_id: int | None = None
    question_kind: str | None = None
    score_min: float | None = None
    score_max: float | None = None
    keywords: tuple[str, ...] = ()
    vote_threshold: int | None = None
    probability_threshold: float | None = None
    move_points: float | None = None
    name: str = ""


@dataclass(frozen=True)
class Decision:
    rule_id: int
    team_id: int
    priority: str
    sla_hours: int
    due_at: datetime
    reason: str = ""


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


@dataclass
class Routing:
    """Where the team of an area is, and the team that catches the rest."""

    fallback_team_id: int
    area_teams: Mapping[int, int] = field(default_factory=dict)


# --- validation ------------------------------------------------------------------------


def parse_keywords(text: str) -> tuple[str, ...]:
    """Comma- or newline-separated keywords, trimmed, lower-cased, without repeats."""
    seen: list[str] = []
    for part in re.split(r"[,\n]", text or ""):
        word = " ".join(part.split()).lower()
        if word and word not in seen:
            seen.append(word)
    return tuple(seen)


def validate(rule: Rule, team_ids: Iterable[int] = (), area_ids: Iterable[int] | None = None,
             ) -> list[Problem]:
    """Everything wrong with a rule, as (field, message); empty when it can be saved.

    ``team_ids`` are the teams that exist; ``area_ids`` the areas (None: not checked).
    The problems come in the order of the form's fields, so the first names the field
    to fix first.
    """
    return [*_general_problems(rule, set(team_ids), area_ids), *_survey_problems(rule),
            *_vote_problems(rule), *_market_problems(rule)]


def _target_problem(rule: Rule, teams: set[int]) -> Problem | None:
    if rule.to_area_team:
        if rule.team_id is not None:
            return Problem("team_id", "Choose a team or 'the team of the area', not both.")
        return None
    if rule.team_id is None:
        return Problem("team_id", "A rule needs a target team.")
    if rule.team_id not in teams:
        return Problem("team_id", "That team does not exist.")
    return None


def _general_problems(rule: Rule, teams: set[int],
                      area_ids: Iterable[int] | None) -> list[Problem]:
    """Source, target, priority, SLA, area and keywords: what every rule has."""
    found = [Problem("source", f"A source is one of {', '.join(SOURCES)}.")
             ] if rule.source not in SOURCES else []
    target = _target_problem(rule, teams)
    if target is not None:
        found.append(target)
    if rule.priority not in PRIORITIES:
        found.append(Problem("priority", f"A priority is one of {', '.join(PRIORITIES)}."))
    if not isinstance(rule.sla_hours, int) or not 1 <= rule.sla_hours <= MAX_SLA_HOURS:
        found.append(Problem("sla_hours",
                             f"The SLA is a whole number of hours, 1 to {MAX_SLA_HOURS}."))
    if area_ids is not None and rule.area_id is not None and rule.area_id not in set(area_ids):
        found.append(Problem("area_id", "That area does not exist."))
    if len(rule.keywords) > MAX_KEYWORDS:
        found.append(Problem("keywords", f"At most {MAX_KEYWORDS} keywords."))
    if any(len(word) > 60 for word in rule.keywords):
        found.append(Problem("keywords", "A keyword has at most 60 characters."))
    return found


def _survey_problems(rule: Rule) -> list[Problem]:
    """The survey, question kind and score bounds (survey responses only)."""
    found = []
    survey_only = rule.survey_id is not None or rule.question_kind is not None
    if survey_only and rule.source != "survey_response":
        found.append(Problem("question_kind",
                             "Survey and score conditions apply to survey responses."))
    if rule.question_kind is None:
        if rule.score_min is not None or rule.score_max is not None:
            found.append(Problem("question_kind", "A score condition needs a question kind."))
        return found
    if rule.question_kind not in SCORED_KINDS:
        found.append(Problem("question_kind",
                             f"A scored question kind is one of {', '.join(SCORED_KINDS)}."))
        return found
    low, high = SCORED_KINDS[rule.question_kind]
    for name, value in (("score_min", rule.score_min), ("score_max", rule.score_max)):
        if value is not None and not low <= value <= high:
            found.append(Problem(name, f"A {rule.question_kind.upper()} score is {low} to {high}."))
    if (rule.score_min is not None and rule.score_max is not None
            and rule.score_min > rule.score_max):
        found.append(Problem("score_max", "'At most' is below 'at least': nothing would match."))
    return found


def _vote_problems(rule: Rule) -> list[Problem]:
    if rule.source != "idea_votes":
        if rule.vote_threshold is not None:
            return [Problem("vote_threshold",
                            "A vote threshold applies to 'idea passing N votes'.")]
        return []
    if rule.vote_threshold is None:
        return [Problem("vote_threshold", "Say how many votes the idea must pass.")]
    if not 1 <= rule.vote_threshold <= MAX_VOTE_THRESHOLD:
        return [Problem("vote_threshold", f"A vote threshold is 1 to {MAX_VOTE_THRESHOLD:,}.")]
    return []


def _market_problems(rule: Rule) -> list[Problem]:
    market_fields = rule.probability_threshold is not None or rule.move_points is not None
    if rule.source != "market_move":
        if market_fields:
            return [Problem("probability_threshold", "Market conditions apply to market moves.")]
        return []
    found = []
    if not market_fields:
        found.append(Problem("probability_threshold",
                             "Give a probability threshold, a move in points, or both."))
    if rule.probability_threshold is not None and not 0 < rule.probability_threshold < 1:
        found.append(Problem("probability_threshold",
                             "A probability threshold is between 0 and 100 % (exclusive)."))
    if rule.move_points is not None and not 0 < rule.move_points <= 100:
        found.append(Problem("move_points", "A move is more than 0 and at most 100 points."))
    return found


# --- matching --------------------------------------------------------------------------


def _keyword_hit(keywords: Sequence[str], text: str) -> str | None:
    lowered = (text or "").lower()
    for word in keywords:
        if re.search(r"(?<!\w)" + re.escape(word), lowered):
            return word
    return None


def _score_hit(rule: Rule, scores: Sequence[Score]) -> Score | None:
    for score in scores:
        if score.kind != rule.question_kind:
            continue
        if rule.score_min is not None and score.value < rule.score_min:
            continue
        if rule.score_max is not None and score.value > rule.score_max:
            continue
        return score
    return None


def _market_hit(rule: Rule, signal: Signal) -> str | None:
    before, after = signal.prices_before, signal.prices_after
    if not before or len(before) != len(after):
        return None
    if rule.probability_threshold is not None:
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            if old < rule.probability_threshold <= new:
                return (f"outcome {index + 1} rose past "
                        f"{rule.probability_threshold * 100:g} % ({new * 100:.0f} %)")
    if rule.move_points is not None:
        biggest = max(abs(new - old) for old, new in zip(before, after, strict=True))
        # Compare in points, rounded to absorb floating error (0.3 - 0.2 is 0.09999...).
        if round(biggest * 100, 9) >= rule.move_points:
            return f"moved {biggest * 100:.0f} points in one trade"
    return None


def _score_reason(rule: Rule, signal: Signal) -> str | None:
    if rule.question_kind is None:
        return ""
    score = _score_hit(rule, signal.scores)
    return None if score is None else f"{score.kind.upper()} {score.value:g}"


def _keyword_reason(rule: Rule, signal: Signal) -> str | None:
    if not rule.keywords:
        return ""
    word = _keyword_hit(rule.keywords, signal.text)
    return None if word is None else f"mentions '{word}'"


def _votes_reason(rule: Rule, signal: Signal) -> str | None:
    if rule.source != "idea_votes":
        return ""
    threshold, count = rule.vote_threshold, signal.vote_count
    if threshold is None or count is None:
        return None
    previous = count - 1 if signal.previous_vote_count is None else signal.previous_vote_count
    return f"passed {threshold} votes" if previous < threshold <= count else None


def _market_reason(rule: Rule, signal: Signal) -> str | None:
    return _market_hit(rule, signal) if rule.source == "market_move" else ""


#: The conditions after source, area and survey, in the order their reasons are told.
#: Each gives None when the rule's condition fails, "" when the rule has none.
_CONDITIONS = (_score_reason, _keyword_reason, _votes_reason, _market_reason)


def match(rule: Rule, signal: Signal) -> str | None:
    """Why the rule matches the signal (a short text), or None when it does not."""
    if not rule.enabled or rule.source != signal.source:
        return None
    if rule.area_id is not None and rule.area_id != signal.area_id:
        return None
    if rule.survey_id is not None and rule.survey_id != signal.survey_id:
        return None
    reasons: list[str] = []
    for condition in _CONDITIONS:
        reason = condition(rule, signal)
        if reason is None:
            return None
        if reason:
            reasons.append(reason)
    return ", ".join(reasons) or SOURCE_LABELS[rule.source].lower()


def target_team(rule: Rule, signal: Signal, routing: Routing) -> int:
    if rule.to_area_team:
        if signal.area_id is not None and signal.area_id in routing.area_teams:
            return routing.area_teams[signal.area_id]
        return routing.fallback_team_id
    return rule.team_id if rule.team_id is not None else routing.fallback_team_id


def decide(rules: Sequence[Rule], signal: Signal, routing: Routing) -> Decision | None:
    """The first matching rule's decision (``rules`` in their order), or None."""
    for rule in rules:
        reason = match(rule, signal)
        if reason is None:
            continue
        return Decision(
            rule_id=rule.id,
            team_id=target_team(rule, signal, routing),
            priority=rule.priority,
            sla_hours=rule.sla_hours,
            due_at=signal.occurred_at + timedelta(hours=rule.sla_hours),
            reason=reason,
        )
    return None


@dataclass(frozen=True)
class PreviewRow:
    signal: Signal
    reason: str
    won_by: int | None  # the rule that would have taken it first (this rule: its own id)


def preview(rule: Rule, rules: Sequence[Rule], signals: Iterable[Signal]) -> list[PreviewRow]:
    """The signals ``rule`` matches, each with the rule that wins it in the full list.

    ``rules`` is the ordered list with the edited rule in its place (enabled or not);
    the edited rule is matched as if enabled, so a disabled rule can be previewed.
    """
    probe = replace(rule, enabled=True)
    ordered = [probe if r.id == rule.id else r for r in rules]
    if all(r.id != rule.id for r in rules):
        ordered.append(probe)
    rows: list[PreviewRow] = []
    for signal in signals:
        reason = match(probe, signal)
        if reason is None:
            continue
        winner = next((r.id for r in ordered if match(r, signal) is not None), None)
        rows.append(PreviewRow(signal=signal, reason=reason, won_by=winner))
    return rows
