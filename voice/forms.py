"""Helpers shared by every domain's forms and views."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import flash
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from voice.errors import ServiceError


def show_service_error(form: FlaskForm, error: ServiceError) -> None:
    """Put a service's refusal next to the field it names, or flash it. An error that
    carries every problem it found (``problems``: items with ``field`` and ``message``,
    such as the routing rules' ``InvalidRule``) shows each beside its own field."""
    for field_name, message in _problems_of(error):
        field = getattr(form, field_name, None) if field_name else None
        if field is None:
            flash(message, "error")
        elif message not in field.errors:
            field.errors = [*field.errors, message]


def _problems_of(error: ServiceError) -> list[tuple[str | None, str]]:
    problems = getattr(error, "problems", None) or ()
    found = [(problem.field, problem.message) for problem in problems]
    return found or [(error.field, error.message)]


class ServiceCheck:
    """A field validator that runs the service's own check of one value (``check(value)``,
    raising ``Invalid``, or a ``Conflict`` such as a name in use), so the form shows the
    service's sentence beside its field together with every other field's error: one
    submit shows every problem (issue 13). The service checks again when it is called; a
    check needing the database is fine (a lookup by a key), a write is not."""

    def __init__(self, check: Callable[[Any], object]) -> None:
        self.check = check

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if field.errors:  # one sentence a field: the first check that failed
            return
        try:
            self.check(field.data)
        except ServiceError as error:  # Invalid, or a Conflict such as a name in use
            raise ValidationError(error.message) from None


def choices(pairs: Iterable[tuple[str | int, str]]) -> list[SelectChoice]:
    """(value, label) pairs as the SelectChoice objects WTForms wants."""
    return [SelectChoice(value, label) for value, label in pairs]
