"""The mail package's subscribers (called once by the app factory)."""

from __future__ import annotations

from voice import signals
from voice.mail import personal_data


def connect() -> None:
    """Connect this package's receivers (idempotent: blinker keeps one per function)."""
    signals.personal_data_requested.connect(personal_data.export, weak=False)
    signals.personal_data_erasing.connect(personal_data.erase, weak=False)
