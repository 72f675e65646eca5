"""The markets domain's subscribers, connected by the app factory (``connect()``).

- ``user_registered``: every new customer gets the starting balance, with its ledger
  row, in the registering transaction (``service.grant_starting_balance``);
- ``personal_data_requested`` / ``personal_data_erasing``: what markets holds of a
  person, and closing their account (open positions sold back to the market makers),
  from ``voice.markets.personal_data``;
- ``idea_links_requested``: the market linked to each idea, for the ideas pages
  (``service.linked_markets``, one query for the page).
"""

from __future__ import annotations

from voice import signals
from voice.markets import personal_data, service


def connect() -> None:
    """Connect this domain's receivers (idempotent: blinker keeps one per function)."""
    signals.user_registered.connect(service.grant_starting_balance, weak=False)
    signals.personal_data_requested.connect(personal_data.export, weak=False)
    signals.personal_data_erasing.connect(personal_data.erase, weak=False)
    signals.idea_links_requested.connect(service.linked_markets, weak=False)
