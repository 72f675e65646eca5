"""What the staff side holds of a person: the cases their feedback opened, and, for
staff, team ownership, case notes, updates and the audit log.

Receivers of voice.signals' personal-data signals (connected in voice.admin.hooks).
None of it is in the download, and closing an account keeps all of it: a case is the
staff's record of what a customer said and what was answered, and stays linked to the
anonymised user ("A former customer"); the rest names staff, whose accounts an admin
closes from the user list, never through the profile page.
"""

from __future__ import annotations

from typing import Any

#: The tables with a user foreign key that this domain answers for.
TABLES = ("team_owners", "cases", "case_notes", "updates", "audit_log")


def export(user_id: int) -> dict[str, Any]:
    """No export section (see above)."""
    return {}


def erase(user_id: int) -> None:
    """Nothing to erase (see above)."""
