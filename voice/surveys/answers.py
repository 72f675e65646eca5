"""What a survey question accepts as an answer, over plain values. Pure (stdlib only).

A score question takes a whole number on its scale (``scales.SCALES``; not a bool, not
9.0, not "9"), a single-choice question one offered label, a multi-choice question a
list of distinct offered labels (kept in the offered order), a text question a string
of at most ``MAX_TEXT`` characters (NUL characters dropped, ends stripped).

Blank is None, "" or [] (and, for text, only whitespace): a blank answer to a required
question is missing, to an optional one it is simply not stored. The messages are the
customer's; the service turns them into its ``Invalid`` errors and codes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from voice.surveys.scales import SCALES, TEXT_KIND

MAX_TEXT = 5_000
MISSING = "This question needs an answer."


class Refused(ValueError):
    """An answer its question does not accept; the text is the message for the customer."""


@dataclass(frozen=True)
class Accepted:
    """An accepted answer, in the columns of its row: a score, a text or label, labels."""

    number: int | None = None
    text: str | None = None
    choices: list[str] | None = None


class Asked(Protocol):
    """What the checks need of a question (an ORM ``Question`` has it)."""

    @property
    def id(self) -> int: ...

    @property
    def kind(self) -> str: ...

    @property
    def required(self) -> bool: ...

    @property
    def choices(self) -> list[str] | None: ...


Q = TypeVar("Q", bound=Asked)


def _text_of(raw: str) -> str:
    return raw.replace("\x00", "").strip()


def is_blank(kind: str, raw: object) -> bool:
    """True when ``raw`` answers nothing (then a required question is missing)."""
    if raw is None or raw == [] or raw == "":
        return True
    return kind == TEXT_KIND and isinstance(raw, str) and not _text_of(raw)


def _score(kind: str, offered: Sequence[str], raw: object) -> Accepted:
    low, high = SCALES[kind]
    if type(raw) is not int or not low <= raw <= high:
        raise Refused(f"Choose a whole number from {low} to {high}.")
    return Accepted(number=raw)


def _single(kind: str, offered: Sequence[str], raw: object) -> Accepted:
    if not isinstance(raw, str) or raw not in offered:
        raise Refused("Choose one of the offered answers.")
    return Accepted(text=raw)


def _multi(kind: str, offered: Sequence[str], raw: object) -> Accepted:
    if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
        raise Refused("Choose from the offered answers.")
    if any(c not in offered for c in raw):
        raise Refused("Choose only from the offered answers.")
    if len(set(raw)) != len(raw):
        raise Refused("Choose each answer at most once.")
    return Accepted(choices=[c for c in offered if c in raw])  # in the offered order


def _text(kind: str, offered: Sequence[str], raw: object) -> Accepted:
    if not isinstance(raw, str):
        raise Refused("Write your answer as text.")
    text = _text_of(raw)
    if len(text) > MAX_TEXT:
        raise Refused(f"Keep your answer under {MAX_TEXT:,} characters "
                      f"(it has {len(text):,}).")
    return Accepted(text=text)


_CLEANERS: dict[str, Callable[[str, Sequence[str], object], Accepted]] = {
    **dict.fromkeys(SCALES, _score),
    "single_choice": _single,
    "multi_choice": _multi,
}


def accept(kind: str, offered: Sequence[str], raw: object) -> Accepted:
    """The answer ``raw`` to a question of ``kind`` offering ``offered`` labels, tidied;
    ``Refused`` with the customer's message when the question does not take it. Any
    kind that is neither a scale nor a choice is answered with text."""
    return _CLEANERS.get(kind, _text)(kind, offered, raw)


def question_id(key: object) -> int | None:
    """A question id given as an int or a string of digits (a JSON object's key); None else."""
    if type(key) is int:
        return key
    if isinstance(key, str) and key.isdigit():
        return int(key)
    return None


@dataclass
class Checked(Generic[Q]):
    """The outcome of checking a response's answers against its questions."""

    accepted: list[tuple[Q, Accepted]] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)  # question id -> message
    missing_only: bool = True  # every error is a required question left blank


def check_answers(questions: Sequence[Q], given: Mapping[int, object]) -> Checked[Q]:
    """Each question's answer in ``given`` (question id -> raw value) accepted or refused,
    in the questions' order; blank answers to optional questions are left out."""
    checked: Checked[Q] = Checked()
    for question in questions:
        raw = given.get(question.id)
        if is_blank(question.kind, raw):
            if question.required:
                checked.errors[question.id] = MISSING
            continue
        try:
            checked.accepted.append((question, accept(question.kind, question.choices or [],
                                                      raw)))
        except Refused as refusal:
            checked.errors[question.id] = str(refusal)
            checked.missing_only = False
    return checked
