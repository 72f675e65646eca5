"""The ideas domain's subscribers (called once by the app factory).

Ideas reacts to no other domain's event: it sends ``idea_created``, ``idea_voted``,
``idea_status_changed``, ``idea_merged``, ``comment_created`` and ``staff_acted`` (see
``voice.signals``), and the staff side's routing and audit log subscribe to those in
voice/admin/hooks.py (customers are told through ``voice.loop.service.notify``, called
directly). Its only receivers are its answers to the two personal-data collector
signals sent by ``voice.accounts.data``: what it holds of a person, and erasing it
(``voice.ideas.personal_data``).
"""

from __future__ import annotations

from voice import signals
from voice.ideas import personal_data


def connect() -> None:
    """Connect this domain's receivers (idempotent: blinker keeps one per function)."""
    signals.personal_data_requested.connect(personal_data.export, weak=False)
    signals.personal_data_erasing.connect(personal_data.erase, weak=False)
