"""Every table that points at a user is answered for by one domain's ``personal_data``.

Account export and closing ask each domain through two signals (voice.signals:
``personal_data_requested``, ``personal_data_erasing``); a domain declares the tables it
answers for in ``personal_data.TABLES``. A new table with a user foreign key that no
domain claims would silently stay out of the download and survive a closed account:
these tests fail first.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from blinker import ANY

from voice import signals
from voice.accounts.data import EXPORT_SECTIONS, export_data
from voice.extensions import db

VOICE = Path(__file__).resolve().parent.parent / "voice"


def personal_data_modules() -> list[ModuleType]:
    return [importlib.import_module(f"voice.{path.parent.name}.personal_data")
            for path in sorted(VOICE.glob("*/personal_data.py"))]


def tables_pointing_at_users() -> set[str]:
    return {table.name for table in db.metadata.tables.values()
            for key in table.foreign_keys if key.target_fullname == "users.id"}


def test_every_table_with_a_user_key_is_claimed(app):
    claimed = {name for module in personal_data_modules() for name in module.TABLES}
    unclaimed = sorted(tables_pointing_at_users() - claimed)
    assert unclaimed == [], f"tables with a user foreign key no personal_data claims: {unclaimed}"


def test_each_claim_is_one_real_table_of_one_domain(app):
    owners: dict[str, list[str]] = {}
    for module in personal_data_modules():
        for name in module.TABLES:
            owners.setdefault(name, []).append(module.__name__)
    twice = {name: modules for name, modules in owners.items() if len(modules) > 1}
    assert twice == {}
    assert sorted(set(owners) - set(db.metadata.tables)) == []
    domains = {module.__name__.split(".")[1] for module in personal_data_modules()}
    assert domains >= {"accounts", "loop", "mail", "ideas", "surveys", "markets", "admin"}


def test_every_domain_answers_both_signals_after_create_app(app):
    requested = set(signals.personal_data_requested.receivers_for(ANY))
    erasing = set(signals.personal_data_erasing.receivers_for(ANY))
    for module in personal_data_modules():
        assert module.export in requested, f"{module.__name__}.export is not connected"
        assert module.erase in erasing, f"{module.__name__}.erase is not connected"


def test_the_download_has_every_section_in_its_order(app, customer):
    with app.app_context():
        data = export_data(customer.id)
    assert list(data) == ["format", "exported_at", *EXPORT_SECTIONS]
