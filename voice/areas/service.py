"""Reading and creating product areas."""

from __future__ import annotations

import re

from sqlalchemy import select

from voice.areas.models import Area
from voice.database import write_transaction
from voice.errors import Conflict, Invalid
from voice.extensions import db


def all_areas() -> list[Area]:
    return list(db.session.scalars(select(Area).order_by(Area.name)))


def area_by_slug(slug: str) -> Area | None:
    return db.session.scalar(select(Area).where(Area.slug == slug))


UNKNOWN_AREA = "unknown_area"


def resolve_area(slug: object) -> Area | None:
    """The area with this slug; None for no area (empty or None); ``unknown_area`` else.

    The one check of an area named by a customer, staff or an API client: anything that
    is not the slug of an existing area (a number included) is ``unknown_area``.
    """
    if slug is None:
        return None
    if not isinstance(slug, str):
        raise Invalid("There is no such product area.", code=UNKNOWN_AREA, field="area")
    slug = slug.strip()
    if not slug:
        return None
    area = area_by_slug(slug)
    if area is None:
        raise Invalid("There is no such product area.", code=UNKNOWN_AREA, field="area")
    return area


def resolve_area_id(slug: object) -> int | None:
    area = resolve_area(slug)
    return None if area is None else area.id


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]


def check_area_name_free(name: str) -> str:
    """The area's slug; Conflict ``area_exists`` when an area has the same (the service's
    check under its lock, and the area form's, so it shows with the other errors)."""
    slug = slugify(" ".join((name or "").split()))
    if area_by_slug(slug) is not None:
        raise Conflict("An area with that name exists already.", code="area_exists",
                       field="name")
    return slug


def create_area(name: str, description: str = "") -> Area:
    name = " ".join(name.split())
    if not 2 <= len(name) <= 80:
        raise Invalid("An area's name has 2 to 80 characters.", field="name")
    with write_transaction():
        slug = check_area_name_free(name)
        area = Area(slug=slug, name=name, description=description.strip()[:500])
        db.session.add(area)
    return area
