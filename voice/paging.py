"""Pages of a list: one query for the rows, one for the total."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from voice.errors import Invalid
from voice.extensions import db

MAX_PER_PAGE = 100
# Beyond this the OFFSET would overflow the database's integer (a 500); no list is that long.
MAX_PAGE = 1_000_000


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _whole(text: object) -> int | None:
    """``text`` as an int when written with the digits 0-9 only (``"²"`` and ``"١"`` are
    not page numbers), else None."""
    text = str(text).strip()
    return int(text) if text.isascii() and text.isdigit() else None


def page_number(args, key: str = "page") -> int:
    """A page number from the query argument ``key`` (1 when absent); Invalid
    ``invalid_paging`` unless a whole number from 1 to ``MAX_PAGE`` (past it the OFFSET
    overflows the database's integer: a 500)."""
    value = args.get(key) or "1"
    number = _whole(value)
    if number is None or not 1 <= number <= MAX_PAGE:
        raise Invalid(f"{key} is between 1 and {MAX_PAGE:,} (a whole number).",
                      code="invalid_paging")
    return number


def parse_paging(args, default_per_page: int = 20) -> tuple[int, int]:
    """Read ``page`` and ``per_page`` from query arguments; Invalid when malformed."""
    page = _whole(args.get("page", 1))
    per_page = _whole(args.get("per_page", default_per_page))
    if page is None or per_page is None:
        raise Invalid("page and per_page must be whole numbers.", code="invalid_paging")
    if not 1 <= page <= MAX_PAGE or not 1 <= per_page <= MAX_PER_PAGE:
        raise Invalid(
            f"page is between 1 and {MAX_PAGE:,} and per_page between 1 and {MAX_PER_PAGE}.",
            code="invalid_paging",
        )
    return page, per_page


def paginate(stmt: Select, page: int, per_page: int, *, scalars: bool = True,
             total: int | None = None) -> Page:
    """A page of ``stmt``'s rows. ``total``: the row count when the caller keeps it (a
    counter column), which spares a count over every row."""
    if total is None:
        total = db.session.scalar(
            select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    items = list(rows.scalars()) if scalars else list(rows)
    return Page(items=items, page=page, per_page=per_page, total=total or 0)
