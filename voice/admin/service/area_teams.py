"""Which team owns which product area; a new area, given to a team. Admins only.

The areas themselves belong to voice/areas: this module asks its facade for them and
keeps only the area -> team links (``team_areas``).
"""

from __future__ import annotations

from sqlalchemy import select

from voice.accounts.models import User
from voice.admin import audit
from voice.admin.models import TeamArea
from voice.admin.service.queries import find_area, get_team
from voice.areas import service as areas
from voice.areas.models import Area
from voice.database import write_transaction
from voice.errors import NotFound
from voice.extensions import db
from voice.permissions import require_admin


def assign_area(actor: User, area_id: int, team_id: int | None) -> None:
    """Give an area to a team (taking it from its former team), or to none."""
    require_admin(actor)
    with write_transaction():
        area = find_area(area_id)
        if area is None:
            raise NotFound("No such area.", code="unknown_area")
        if team_id is not None:
            get_team(team_id)
        link = db.session.scalar(
            select(TeamArea).where(TeamArea.area_id == area_id).with_for_update())
        if team_id is None:
            if link is not None:
                db.session.delete(link)
        elif link is None:
            db.session.add(TeamArea(area_id=area_id, team_id=team_id))
        else:
            link.team_id = team_id
        audit.record(actor, "area.assign", "area", area_id,
                     f"{area.name} → team #{team_id}" if team_id else f"{area.name} → no team")


def create_area(actor: User, name: str, description: str = "",
                team_id: int | None = None) -> Area:
    """A new area (through the areas facade), given to ``team_id`` when one is named."""
    require_admin(actor)
    with write_transaction():
        area = areas.create_area(name, description)
        db.session.flush()
        audit.record(actor, "area.create", "area", area.id, area.name)
        if team_id:
            assign_area(actor, area.id, team_id)
    return area
