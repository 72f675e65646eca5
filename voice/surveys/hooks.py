"""The surveys domain's subscribers (called once by the app factory).

Surveys react to no other domain's event: they send ``survey_response_submitted``
(from ``service.submit_response``, inside its transaction) and ``staff_acted``, and the
staff side's routing and audit log subscribe to those in their own ``hooks.py``. The
only receivers here are the surveys' answers to the two personal-data collector signals
sent by ``voice.accounts.data``: what surveys hold of a person, and erasing it
(``voice.surveys.personal_data``).
"""

from __future__ import annotations

from voice import signals
from voice.surveys import personal_data


def connect() -> None:
    """Connect this domain's receivers (idempotent: blinker keeps one per function)."""
    signals.personal_data_requested.connect(personal_data.export, weak=False)
    signals.personal_data_erasing.connect(personal_data.erase, weak=False)
