"""Test data, made the way the app makes it: through the domains' service facades.

One home for making a user, an area, an idea (with its votes and comments), a survey
(with its responses), a market (with its trades), a team, a routing rule, a case and
notifications (STYLE.md, "Factories for tests"). Every factory calls the public service
of its domain and never writes a row itself, so what it makes has passed the same
checks, sent the same signals and been routed as in production. The defaults are the
smallest valid thing; a test names only what it is about.

Where a factory runs: in the caller's app context when there is one (what it returns
is then in the caller's session, as the service left it); otherwise in an app context
of its own on the test's app (conftest's ``app`` fixture binds it with :func:`bind`),
which ends with the call. What it returns is then an id, or a row whose columns are
loaded, so it can be read (and handed to a service) detached.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, NamedTuple, TypeVar
from uuid import uuid4

import jwt
from flask import Flask, has_app_context
from sqlalchemy import inspect, select

from voice.accounts import service as accounts
from voice.accounts.models import User
from voice.admin import inbound
from voice.admin import service as staff_side
from voice.admin.models import InboundMail
from voice.admin.rules import Decision, Signal
from voice.areas import service as area_service
from voice.areas.models import Area
from voice.clock import utcnow
from voice.database import write_transaction
from voice.extensions import db
from voice.ideas import service as ideas
from voice.loop import service as loop
from voice.mail import reply_address
from voice.mail.inbound import RawMail
from voice.markets import service as markets
from voice.surveys import service as surveys
from voice.surveys.models import Response, Survey

PASSWORD = "correct-horse-battery"

#: One question of each kind (the surveys' default); choices and optional ones included.
EVERY_KIND: list[dict[str, Any]] = [
    {"kind": "nps", "prompt": "How likely are you to recommend us to a friend?"},
    {"kind": "csat", "prompt": "How satisfied are you?"},
    {"kind": "ces", "prompt": "How easy was it?", "required": False},
    {"kind": "rating", "prompt": "Rate the app", "required": False},
    {"kind": "single_choice", "prompt": "Which plan?", "choices": ["Free", "Pro", "Team"]},
    {"kind": "multi_choice", "prompt": "What do you use?", "required": False,
     "choices": ["Editor", "Reports", "API"]},
    {"kind": "text", "prompt": "Anything else?", "required": False},
]

Row = TypeVar("Row")

_bound: Flask | None = None
_numbers: Iterator[int] = itertools.count(1)


def bind(app: Flask | None) -> None:
    """Name the app a factory opens its own context on, and number users from 1 again.

    conftest's ``app`` fixture calls it with each test's app, and with None after.
    """
    global _bound, _numbers
    _bound = app
    _numbers = itertools.count(1)


@contextmanager
def _context() -> Iterator[bool]:
    """The caller's app context (yields False) or one of the bound app's (yields True)."""
    if has_app_context():
        yield False
        return
    if _bound is None:
        raise RuntimeError("No app context and no app bound: take the app fixture, or call "
                           "the factory inside app.app_context().")
    with _bound.app_context():
        yield True


def _readable(row: Row, own_context: bool) -> Row:
    """``row`` as the caller can use it. In the factory's own context, which is about to
    end, the columns a commit expired are loaded again (one SELECT, as reading ``.id``
    would have cost the caller); in the caller's context it is left as the service left it.
    """
    if own_context and inspect(row).expired_attributes:
        db.session.refresh(row)
    return row


def detached(model: type[Row], ident: int) -> Row:
    """The row of ``model`` with id ``ident``, its columns loaded and detached, to read
    after its context ends (None when there is none)."""
    with _context():
        found = db.session.get(model, ident)
        if found is not None:
            db.session.expunge(found)
        return found


def detached_all(statement: Any) -> list[Any]:
    """The rows ``statement`` (a select of one entity) finds, detached like :func:`detached`."""
    with _context():
        found = list(db.session.scalars(statement))
        db.session.expunge_all()
        return found


# --- people ----------------------------------------------------------------------------


def user(role: str = "customer", *, email: str | None = None, name: str | None = None) -> User:
    """A user of ``role`` (email ``<role><n>@example.com``, name ``<Role> <n>`` unless
    given; password :data:`PASSWORD`), detached with its columns loaded. Customers get
    the markets' starting grant, as on sign-up."""
    number = next(_numbers)
    with _context():
        made = accounts.create_user(email or f"{role}{number}@example.com", PASSWORD,
                                    name or f"{role.title()} {number}", role)
        db.session.refresh(made)
        db.session.expunge(made)
        return made


def api_token(person: User) -> str:
    """A fresh API token of ``person`` (signed in with :data:`PASSWORD`)."""
    with _context():
        return accounts.issue_token(person.email, PASSWORD)


#: The host product's secret in the identify tests (``IDENTIFY_SECRET``).
IDENTIFY_SECRET = "host-product-secret-for-the-identify-tests-0123456789"


def identity_token(sub: str = "host-42", email: str = "ada@host.example", name: str = "Ada",
                   *, secret: str = IDENTIFY_SECRET, algorithm: str = "HS256",
                   expires_in: float = 600, **claims: Any) -> str:
    """A JWT as a host product signs it for ``POST /api/v1/identify``; ``claims`` add to
    (or, as None, remove) the standard ``sub email name exp``."""
    body: dict[str, Any] = {"sub": sub, "email": email, "name": name,
                            "exp": int(_unix_now() + expires_in)}
    body.update(claims)
    return jwt.encode({k: v for k, v in body.items() if v is not None}, secret,
                      algorithm=algorithm)


def _unix_now() -> float:
    return (utcnow() - datetime(1970, 1, 1)).total_seconds()


def identified(sub: str = "host-42", email: str = "ada@host.example", name: str = "Ada",
               **attributes: Any) -> User:
    """The customer the host product identified (through ``accounts.identify``), detached."""
    token = identity_token(sub, email, name, attributes=attributes or None)
    with _context():
        made, _token = accounts.identify(token, IDENTIFY_SECRET)
        db.session.refresh(made)
        db.session.expunge(made)
        return made


def area(name: str = "Billing", description: str = "") -> Area:
    """An area (its slug is made from ``name``: "Mobile app" is ``mobile-app``)."""
    with _context() as own:
        return _readable(area_service.create_area(name, description), own)


# --- ideas -----------------------------------------------------------------------------


def idea(author: User, title: str = "Export invoices to PDF", description: str = "",
         area: str | None = None, *, voters: Iterable[User] = (),
         comments: Iterable[tuple[User, str]] = ()) -> int:
    """The id of an open idea of ``author`` in the area of slug ``area`` (or none), then
    one vote of each of ``voters`` and the ``comments`` (commenter, text), in order."""
    with _context():
        idea_id = ideas.submit_idea(author, title, description, area).id
        for voter in voters:
            ideas.cast_vote(voter, idea_id)
        for commenter, body in comments:
            ideas.add_comment(commenter, idea_id, body)
        return idea_id


def move_idea(actor: User, idea_id: int, *moves: tuple[str, datetime | None],
              note: str = "") -> None:
    """Staff ``actor`` moves the idea through ``moves`` (status, when; None: now), in order."""
    with _context():
        for status, when in moves:
            ideas.change_status(actor, idea_id, status, note, now=when)


# --- surveys ---------------------------------------------------------------------------


def question(kind: str) -> dict[str, Any]:
    """An optional question of a scale kind or ``text``, with a prompt of its own."""
    return {"kind": kind, "prompt": f"Your {kind}?", "required": False}


def survey(actor: User, questions: Iterable[Mapping[str, Any] | str] | None = None, *,
           title: str = "Quarterly check-in", status: str = "open", description: str = "",
           anonymous: bool = False, area_slug: str | None = None,
           opens_at: datetime | None = None, closes_at: datetime | None = None) -> Survey:
    """A survey made by ``actor`` (open unless ``status`` says draft), its questions loaded.

    ``questions`` are specs as the builder takes them, or bare kinds (see
    :func:`question`); none (or an empty list) means :data:`EVERY_KIND`.
    """
    specs = [question(q) if isinstance(q, str) else q for q in questions or EVERY_KIND]
    with _context():
        # create_survey returns the survey read back with its questions: readable detached.
        return surveys.create_survey(actor, title, description=description,
                                     anonymous=anonymous, area_slug=area_slug,
                                     opens_at=opens_at, closes_at=closes_at, questions=specs,
                                     status=status)


class SurveyIds(NamedTuple):
    """A survey's id and its questions' ids by kind: ``survey_id, ids = ...``."""

    id: int
    questions: dict[str, int]


def survey_ids(actor: User, questions: Iterable[Mapping[str, Any] | str] | None = None,
               **details: Any) -> SurveyIds:
    """:func:`survey`, for a caller who needs only the ids."""
    made = survey(actor, questions, **details)
    return SurveyIds(made.id, question_ids(made))


def question_ids(made: Survey) -> dict[str, int]:
    """Each question's id by its kind."""
    return {q.kind: q.id for q in made.questions}


def good_answers(made: Survey, **overrides: object) -> dict[int, object]:
    """Valid answers to every question of an :data:`EVERY_KIND` survey, by question id;
    ``kind=value`` replaces one, ``kind=None`` leaves it out."""
    ids = question_ids(made)
    answers: dict[int, object] = {
        ids["nps"]: 9, ids["csat"]: 4, ids["ces"]: 2, ids["rating"]: 5,
        ids["single_choice"]: "Pro", ids["multi_choice"]: ["Editor", "API"],
        ids["text"]: "Lovely."}
    for kind, value in overrides.items():
        if value is None:
            answers.pop(ids[kind])
        else:
            answers[ids[kind]] = value
    return answers


def response(survey_id: int, person: Any, answers: Mapping[Any, Any], *,
             anonymous_token: str | None = None,
             submitted_at: datetime | None = None) -> Response:
    """One response of ``person`` (None with ``anonymous_token`` on an anonymous survey)."""
    with _context() as own:
        return _readable(surveys.submit_response(survey_id, person, answers,
                                                 anonymous_token=anonymous_token,
                                                 submitted_at=submitted_at), own)


def nps_response(actor: User, person: Any, score: int = 2) -> Response:
    """The response of ``person`` scoring ``score`` (a detractor's unless given: the
    default rules route it to triage) to a new survey ("Check-in") of one NPS question."""
    made = survey(actor, [{"kind": "nps", "prompt": "Recommend us?"}], title="Check-in")
    return response(made.id, person, {made.questions[0].id: score})


def anonymous_responses(made: Survey, rows: Sequence[Mapping[str, object]], *,
                        start: datetime | None = None) -> None:
    """One anonymous response per row (kind -> value), a day apart from ``start``
    (by default as many days ago as there are rows)."""
    start = start or utcnow() - timedelta(days=len(rows))
    ids = question_ids(made)
    with _context():
        for number, values in enumerate(rows):
            token = surveys.response_token(made.id, f"n{number}")
            surveys.submit_response(made.id, None, {ids[kind]: v for kind, v in values.items()},
                                    anonymous_token=token,
                                    submitted_at=start + timedelta(days=number))


# --- markets ---------------------------------------------------------------------------


class MarketIds(NamedTuple):
    """A market's id and its outcomes' ids in order: ``market_id, (yes, no) = ...``."""

    id: int
    outcomes: list[int]


def market(creator: User, outcomes: Sequence[str] = ("Yes", "No"), *,
           question: str = "Will offline mode ship by March?", liquidity: Any = 100,
           description: str = "", closes_at: datetime | None = None,
           idea_id: int | None = None,
           trades: Iterable[tuple[User, int, int]] = ()) -> MarketIds:
    """An open market made by ``creator`` (staff), then the ``trades`` (trader, outcome
    position, shares in millionths: negative sells), in order."""
    with _context():
        market_id = markets.create_market(creator, question, list(outcomes),
                                          liquidity=liquidity, description=description,
                                          closes_at=closes_at, idea_id=idea_id).id
        outcome_ids = [o.id for o in markets.get_market(market_id).outcomes]
        for trader, position, shares in trades:
            markets.trade(trader.id, market_id, outcome_ids[position], shares=shares)
        return MarketIds(market_id, outcome_ids)


# --- the staff side --------------------------------------------------------------------


def team(admin_user: User, name: str = "Billing", description: str = "", *,
         areas: Iterable[int] = (), owners: Iterable[str] = ()) -> int:
    """The id of a new team owning the areas of ids ``areas``, with the staff of emails
    ``owners`` as its owners."""
    with _context():
        team_id = staff_side.create_team(admin_user, name, description).id
        for area_id in areas:
            staff_side.assign_area(admin_user, area_id, team_id)
        for email in owners:
            staff_side.add_owner(admin_user, team_id, email)
        return team_id


def rule(admin_user: User, **fields: Any) -> int:
    """The id of a routing rule, last in the order, of ``fields`` (a name and a source at
    least); priority normal, a 24-hour SLA and enabled unless given."""
    values = {"priority": "normal", "sla_hours": 24, "enabled": True, **fields}
    with _context():
        return staff_side.create_rule(admin_user, values).id


def case(*, customer_id: int | None = None, source: str = "survey_response",
         source_id: int = 1, team_id: int | None = None, occurred_at: datetime | None = None,
         sla_hours: int = 48, title: str = "Quarterly check-in (NPS 3)") -> int:
    """The id of a case opened through the routing path (a decision, then ``open_case``):
    a detractor's, high priority, due ``sla_hours`` after ``occurred_at`` (by default a
    day ago), in ``team_id`` or the triage team (created with the default rules)."""
    occurred_at = occurred_at or utcnow().replace(microsecond=0) - timedelta(days=1)
    with _context():
        team_id = team_id or staff_side.ensure_defaults().id
        signal = Signal(source=source, source_id=source_id, occurred_at=occurred_at,
                        customer_id=customer_id, text="Support never answered.", title=title)
        decision = Decision(rule_id=1, team_id=team_id, priority="high", sla_hours=sla_hours,
                            due_at=occurred_at + timedelta(hours=sla_hours), reason="NPS 3")
        with write_transaction():
            made = staff_side.open_case(signal, decision, "Detractor NPS (0–6)", link="/surveys/1")
            assert made is not None, "this source already has a case of this rule"
            case_id = made.id
        return case_id


def staff_message(author: User, case_id: int, body: str = "Thanks, we are looking into it.",
                  *, state: str | None = None, now: datetime | None = None) -> int:
    """The id of a message ``author`` (staff) wrote to the case's customer, through
    ``post_staff_message`` (it reaches the customer in-app and by mail)."""
    with _context():
        return staff_side.post_staff_message(author, case_id, body, state=state, now=now).id


def reply_template(author: User, team_id: int, name: str = "Thanks",
                   body: str = "Hi {customer}, thanks for telling us about {title}.") -> int:
    """The id of a reply template of the team (``author``: an admin or an owner)."""
    with _context():
        return staff_side.create_reply_template(author, team_id, name, body).id


def mailed_case(customer: User) -> tuple[int, str, str]:
    """A case about ``customer``, and the signed reply address and Message-ID a mail on it
    carries (what the customer's reply answers)."""
    case_id = case(customer_id=customer.id)
    with _context():
        reply_to, message_id = reply_address(case_id, customer.id)
    return case_id, reply_to, message_id


def inbound_mail(sender: str, to: str = "reply@voice.example", body: str = "Any news?", *,
                 subject: str = "Re: Your feedback", message_id: str | None = None) -> int:
    """The id of an inbound mail as the receiver stored it (``voice.admin.inbound``):
    unsigned (the bare reply address) by default, so it is kept aside for staff."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = message_id or f"<factory.{next(_numbers)}.{uuid4().hex}@mail.test>"
    message.set_content(body)
    with _context():
        inbound.receive_one(RawMail(message.as_bytes()))
        return db.session.scalar(select(InboundMail.id).where(
            InboundMail.message_id == message["Message-ID"]))


# --- the loop --------------------------------------------------------------------------


def notifications(people: Iterable[User | None], *, kind: str, subject: str, body: str = "",
                  link: str = "", mail: bool = True) -> list[int]:
    """The ids of the notifications the loop's ``notify`` made for ``people`` (a None
    stands for nobody), in one transaction, as a domain's write does."""
    with _context(), write_transaction():
        recipients = [db.session.get(User, p.id) if p else None for p in people]
        return [n.id for n in loop.notify(recipients, kind=kind, subject=subject, body=body,
                                          link=link, mail=mail)]


# --- "You asked, we did" ---------------------------------------------------------------


def published_update(author: User, idea_ids: Sequence[int], title: str = "Exports are here",
                     body: str = "CSV **and** Excel.", *, at: datetime | None = None) -> int:
    """The id of an update ``author`` (staff) published at ``at`` (now), delivering
    ``idea_ids`` (which move to done and whose voters are told)."""
    with _context():
        return staff_side.publish_update(author, title, body, list(idea_ids), now=at).id
