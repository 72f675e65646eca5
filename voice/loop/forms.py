"""The mail preferences form: one check box per category."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField

from voice.loop.service import CATEGORIES


class PreferencesForm(FlaskForm):
    """Built from CATEGORIES: a field per category, named after it. A customer's form
    offers no staff-only category (and so never sets one)."""

    def __init__(self, *args: Any, staff: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shown = [name for name, category in CATEGORIES.items()
                      if staff or not category.staff_only]

    @property
    def category_fields(self) -> list[Any]:
        return [getattr(self, name) for name in self.shown]

    def choices(self) -> dict[str, bool]:
        return {name: bool(getattr(self, name).data) for name in self.shown}


for _category in CATEGORIES.values():
    setattr(PreferencesForm, _category.name,
            BooleanField(_category.label, description=_category.description))
