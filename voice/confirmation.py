"""Irreversible page actions ask first (issue 13): resolve or void a market, merge an idea,
deactivate a user, publish or close a survey, remove a question.

Each view module words what it asks once, as an :class:`Ask`. The view validates its
form, then calls :func:`confirmation`: without ``confirmed=yes`` in the POST it answers a
confirm page (templates/confirm.html) that names the object and the consequence and
re-posts every field of the request with ``confirmed=yes`` and a fresh CSRF token, so the
path works without JavaScript. The page's form carries the same words in ``data-confirm``
attributes (the ``confirm_attrs`` macro of templates/_confirm.html); static/js/confirm.js
asks them in a ``<dialog>`` and adds ``confirmed=yes`` itself, so with JavaScript the
confirm page is never seen. The API does not ask: a client confirms by calling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import render_template, request
from flask.typing import ResponseReturnValue

#: The field (and its one value) that says the user has answered the question.
CONFIRMED_FIELD = "confirmed"
CONFIRMED_VALUE = "yes"
#: Every CSRF field (``csrf_token``, a prefixed form's ``resolve-csrf_token``) ends so.
CSRF_SUFFIX = "csrf_token"


_NAME = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Ask:
    """What an action asks, in one wording for the confirm page and the dialog.

    ``question`` names the object ("Resolve “{question}” as {choice}?"), ``consequence``
    says what follows and whether it can be undone, ``action_label`` is the danger
    button's text. ``{name}`` marks a value filled in by :meth:`named`; a ``{choice}`` left
    in a form's ``data-confirm`` is filled by static/js/confirm.js from the form's field.
    """

    question: str
    consequence: str
    action_label: str

    def named(self, **values: object) -> Ask:
        """This wording with each ``{name}`` of ``values`` filled in (in one pass, so a
        value that itself holds braces is left as it is)."""

        def fill(text: str) -> str:
            return _NAME.sub(lambda m: str(values[m[1]]) if m[1] in values else m[0], text)

        return Ask(fill(self.question), fill(self.consequence), self.action_label)


def is_confirmed() -> bool:
    """Whether this POST carries the answer to the question."""
    return request.form.get(CONFIRMED_FIELD) == CONFIRMED_VALUE


def carried_fields() -> tuple[list[tuple[str, str]], list[str]]:
    """The request's form fields to post again, in order (every value of a repeated
    field), and the names of its CSRF fields, which the confirm page fills with a fresh
    token rather than echoing the old one."""
    fields: list[tuple[str, str]] = []
    csrf_names: list[str] = []
    for name, values in request.form.lists():
        if name.endswith(CSRF_SUFFIX):
            csrf_names.append(name)
        elif name != CONFIRMED_FIELD:
            fields.extend((name, value) for value in values)
    return fields, csrf_names or [CSRF_SUFFIX]


def confirmation(ask: Ask, *, cancel_url: str) -> ResponseReturnValue | None:
    """None when the POST is confirmed (go on and act); else the confirm page (200)
    asking ``ask`` (every value filled in), whose Cancel link goes to ``cancel_url``.

    Call it after the form validated, so a wrong field is still shown on the original
    page with what the user typed.
    """
    if is_confirmed():
        return None
    fields, csrf_names = carried_fields()
    return render_template(
        "confirm.html", ask=ask, cancel_url=cancel_url,
        action_url=request.full_path.rstrip("?"), fields=fields, csrf_names=csrf_names,
        confirmed_field=CONFIRMED_FIELD, confirmed_value=CONFIRMED_VALUE,
    ), 200
