"""The areas domain's subscribers (called once by the app factory, like every domain's).

Areas reacts to no signal and sends none: it holds the product areas (``Area``), which the
other domains name through ``voice.areas.service.resolve_area``. Its table has no user
foreign key, so it takes no part in the personal-data collector signals either. The
function is here so every domain has the same files and the factory calls every
``hooks.connect()`` the same way; a subscriber areas needs later goes here.
"""

from __future__ import annotations


def connect() -> None:
    """Connect this domain's receivers: there are none (nothing to do, safe to call again)."""
