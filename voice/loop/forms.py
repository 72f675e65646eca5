"""The mail preferences form: one check box per category."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField

from voice.loop.service import CATEGORIES


class PreferencesForm(FlaskForm):
    """Built from CATEGORIES: a field per category, named after it."""

    @property
    def category_fields(self):
        return [getattr(self, name) for name in CATEGORIES]

    def choices(self) -> dict[str, bool]:
        return {name: bool(getattr(self, name).data) for name in CATEGORIES}


for _category in CATEGORIES.values():
    setattr(PreferencesForm, _category.name,
            BooleanField(_category.label, description=_category.description))
