"""What every domain's models share: the error code of a field, the number and time
formats of the contract, paging, a person, a list page and the error body.

Requests are validated with these models and answers are built from them; the OpenAPI
document is generated from the same classes (voice/api/openapi.py), so a field, its type
and its error code are written once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictFloat,
    StrictInt,
    StrictStr,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from voice.areas.service import resolve_area
from voice.clock import isoformat, parse_iso
from voice.database import as_id
from voice.paging import MAX_PAGE, MAX_PER_PAGE
from voice.paging import Page as ListPage
from voice.units import points, shares

# --- errors ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Code:
    """The contract's error ``code`` (and sentence) for any failure of the field it marks:
    ``title: Annotated[StrictStr, Code("invalid_title", "'title' must be a string.")]``.
    ``wrong_type``: the sentence when the value is not even of the field's type."""

    code: str
    message: str | None = None
    wrong_type: str | None = None

    def sentence(self, error_type: str) -> str | None:
        if self.wrong_type and error_type.endswith(("_type", "_parsing")):
            return self.wrong_type
        return self.message


CONTRACT_ERROR = "voice_contract"  # marks the context of the errors raised by refuse()


def refuse(code: str, message: str) -> PydanticCustomError:
    """An error a validator raises with the contract's own code and sentence."""
    return PydanticCustomError(code, message.replace("{", "{{").replace("}", "}}"),
                               {CONTRACT_ERROR: True})


# --- the shapes of input ------------------------------------------------------------------


def _text_or_empty(value: object) -> object:
    return value if isinstance(value, str) else ""


def _blank_is_none(value: object) -> object:
    return None if value == "" else value


def _flag(value: object) -> bool:
    return str(value or "").lower() in ("1", "true", "yes")


def _no_bool(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("an id is a number, not true or false")
    return value


def _iso_time(value: object) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("give an ISO 8601 time")
    try:
        return parse_iso(value)
    except ValueError:
        raise ValueError("give an ISO 8601 time") from None


def _area_slug(value: object) -> object:
    """Only text can name an area: anything else is the areas' own ``unknown_area``."""
    if value is not None and not isinstance(value, str):
        resolve_area(value)  # raises Invalid(code="unknown_area", field="area")
    return value


def enum(*values: str) -> WithJsonSchema:
    """Document the values a text field takes (the service checks them)."""
    return WithJsonSchema({"type": "string", "enum": list(values)})


# Text where anything else counts as "" (the service then says what is missing).
LenientText = Annotated[str, BeforeValidator(_text_or_empty), WithJsonSchema({"type": "string"})]
# A query value where "" means "not given".
QueryText = Annotated[StrictStr | None, BeforeValidator(_blank_is_none)]
# A query switch: 1, true or yes turn it on.
QueryFlag = Annotated[bool, BeforeValidator(_flag)]
# An id from a body or a query (number or digits); past 32 bits it names nothing (0).
AnyId = Annotated[int, BeforeValidator(_no_bool), AfterValidator(as_id)]
# An id that must be a JSON number.
JsonId = Annotated[StrictInt, AfterValidator(as_id)]
# An ISO 8601 time, "" or null for none; naive UTC as the database keeps it.
TimeIn = Annotated[datetime | None, BeforeValidator(_iso_time),
                   WithJsonSchema({"type": "string", "format": "date-time"})]
# A number as JSON or as text; the domain's parser reads its units and bounds.
Amount = Annotated[StrictInt | StrictFloat | StrictStr | None, WithJsonSchema({"type": "number"})]
# The slug of a product area (null or "" for none).
AreaSlug = Annotated[StrictStr | None, BeforeValidator(_area_slug)]
# A value the service checks itself, documented as text.
AnyText = Annotated[Any, WithJsonSchema({"type": "string"})]

# --- the formats of output ----------------------------------------------------------------

# Points, stored as hundredths: a number with at most 2 decimals.
Money = Annotated[int, PlainSerializer(points, return_type=float)]
# Shares, stored as millionths: a number with at most 6 decimals.
Shares = Annotated[int, PlainSerializer(shares, return_type=float)]
# A price or probability, 6 decimals.
Price = Annotated[float, PlainSerializer(lambda p: round(p, 6), return_type=float)]
# A time, ISO 8601 in UTC with its Z.
Time = Annotated[datetime, PlainSerializer(isoformat, return_type=str),
                 WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization")]
# A time a domain already wrote as ISO 8601.
TimeText = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


class RequestModel(BaseModel):
    """A body or a query. ``error_code``/``error_message``: the answer for an error no
    field's Code covers; ``{field}`` in the message names where it is."""

    error_code: ClassVar[str] = "invalid"
    error_message: ClassVar[str | None] = None


class ClosedRequest(RequestModel):
    """A body that names only the fields it takes (400 ``invalid_field`` otherwise)."""

    @model_validator(mode="before")
    @classmethod
    def known_fields(cls, data: Any) -> Any:
        unknown = sorted(set(data) - set(cls.model_fields)) if isinstance(data, dict) else []
        if unknown:
            raise refuse("invalid_field", f"Unknown field: {', '.join(unknown)}.")
        return data


PAGING = Code("invalid_paging",
              f"page is between 1 and {MAX_PAGE:,} and per_page between 1 and {MAX_PER_PAGE}.",
              wrong_type="page and per_page must be whole numbers.")


class Paging(RequestModel):
    page: Annotated[int, Field(ge=1, le=MAX_PAGE), PAGING] = 1
    per_page: Annotated[int, Field(ge=1, le=MAX_PER_PAGE), PAGING] = 20


class ResponseModel(BaseModel):
    """An answer. Written with ``exclude_unset``: a field given is written (null too),
    a field left out is absent (the contract's "only to staff" fields)."""


class Person(ResponseModel):
    id: int
    display_name: str


T = TypeVar("T")


class Page(ResponseModel, Generic[T]):
    """A list: ``{"items": [...], "page", "per_page", "total"}``."""

    items: list[T]
    page: int
    per_page: int
    total: int

    @classmethod
    def of(cls, listing: ListPage, items: list[Any]) -> Self:
        return cls(items=items, page=listing.page, per_page=listing.per_page,
                   total=listing.total)


class ErrorDetail(ResponseModel):
    model_config = ConfigDict(extra="allow")

    code: str
    message: str
    fields: dict[str, str] | None = None  # survey answers: question id -> its message


class ErrorBody(ResponseModel):
    """Every refusal: ``{"error": {"code", "message"}}``."""

    error: ErrorDetail
