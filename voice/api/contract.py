"""Each API call declared once: its body, query and answer models, who may call it, and
the statuses it answers.

    routes = Routes()

    @routes.post("/ideas", body=NewIdea, response=Idea, status=201, roles=SIGNED_IN)
    def create_idea(body: NewIdea) -> Idea:
        ...

The declaration checks the caller's role, parses the body and the query into their
models (a pydantic ValidationError becomes the contract's 400 with the code its field
declares, see ``invalid_input``), and writes the returned model as JSON. The same
declarations are what voice/api/openapi.py builds the OpenAPI document from, so the
document cannot drift from the code. Business rules stay in the services.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ValidationError

from voice.api.helpers import caller
from voice.api.schemas.common import CONTRACT_ERROR, Code
from voice.errors import Forbidden, Invalid
from voice.permissions import ROLES, STAFF_ROLES

JSON = "application/json"
SIGNED_IN = ROLES
STAFF = STAFF_ROLES
ADMIN = ("admin",)

# The integers JSON can carry between any two programs exactly (2**53); an id or a count
# past this names nothing, and past 2**63 the database drivers overflow (a 500).
MAX_JSON_INTEGER = 2**53

View = TypeVar("View", bound=Callable[..., Any])
Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class Operation:
    """One method on one rule, as declared."""

    method: str
    rule: str
    view: Callable[..., Any]
    response: type[BaseModel] | None = None
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    roles: tuple[str, ...] = ()  # empty: anyone, signed in or not
    errors: tuple[int, ...] = ()  # statuses beyond 400, 401 (signed-in calls) and 429
    media: str = JSON
    body_optional: bool = False
    documented: bool = True

    @property
    def endpoint(self) -> str:
        return self.view.__name__

    @property
    def public(self) -> bool:
        return not self.roles

    @property
    def summary(self) -> str:
        return (self.view.__doc__ or self.endpoint).strip().split("\n")[0]


class Routes:
    """The calls of one API module, installed on the blueprint by ``install``."""

    def __init__(self) -> None:
        self.operations: list[Operation] = []

    def route(self, method: str, rule: str, **declared: Any) -> Callable[[View], View]:
        def record(view: View) -> View:
            self.operations.append(Operation(method, rule, view, **declared))
            return view

        return record

    def get(self, rule: str, **declared: Any) -> Callable[[View], View]:
        return self.route("GET", rule, **declared)

    def post(self, rule: str, **declared: Any) -> Callable[[View], View]:
        return self.route("POST", rule, **declared)

    def put(self, rule: str, **declared: Any) -> Callable[[View], View]:
        return self.route("PUT", rule, **declared)

    def patch(self, rule: str, **declared: Any) -> Callable[[View], View]:
        return self.route("PATCH", rule, **declared)

    def delete(self, rule: str, **declared: Any) -> Callable[[View], View]:
        return self.route("DELETE", rule, **declared)

    def install(self, bp: Blueprint) -> None:
        for operation in self.operations:
            bp.add_url_rule(operation.rule, endpoint=operation.endpoint,
                            view_func=flask_view(operation), methods=[operation.method])


def flask_view(operation: Operation) -> Callable[..., ResponseReturnValue]:
    """The Flask view of a declared call: roles, then body, then query, then the call."""

    @wraps(operation.view)
    def view(**arguments: Any) -> ResponseReturnValue:
        if operation.roles:
            require_roles(operation.roles)
        if operation.body is not None:
            arguments["body"] = parse_body(operation.body, optional=operation.body_optional)
        if operation.query is not None:
            arguments["query"] = validate(operation.query, request.args.to_dict())
        return render(operation, operation.view(**arguments))

    if operation.roles:
        # read by the route x role table of tests/test_authorization.py
        view.required_roles = operation.roles  # type: ignore[attr-defined]
    return view


def require_roles(roles: tuple[str, ...]) -> None:
    if caller().role not in roles:
        raise Forbidden("Your role may not do this.", code="forbidden")


def _integers_in_range(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -MAX_JSON_INTEGER <= value <= MAX_JSON_INTEGER
    if isinstance(value, dict):
        return all(_integers_in_range(item) for item in value.values())
    if isinstance(value, list):
        return all(_integers_in_range(item) for item in value)
    return True


def parse_body(model: type[Model], *, optional: bool = False) -> Model:
    """The JSON object of the request as ``model``; ``optional``: no body is ``{}``."""
    data = request.get_json(silent=True)
    if optional:
        data = data or {}
    if not isinstance(data, dict):
        raise Invalid("The request body must be a JSON object.", code="invalid_json")
    if not _integers_in_range(data):
        raise Invalid("Whole numbers in the body must lie within ±2^53.", code="invalid_json")
    return validate(model, data)


def validate(model: type[Model], data: Any) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise invalid_input(error, model) from None


def _field_code(model: type[BaseModel], field: str | None) -> Code | None:
    info = model.model_fields.get(field) if field is not None else None
    if info is None:
        return None
    return next((item for item in info.metadata if isinstance(item, Code)), None)


def invalid_input(error: ValidationError, model: type[BaseModel]) -> Invalid:
    """The contract's 400 for the first thing wrong with the input: the code a validator
    gave (``refuse``), else the code of the field (``Code``), else the model's."""
    detail = error.errors(include_url=False)[0]
    location = detail["loc"]
    field = str(location[0]) if location else None
    if (detail.get("ctx") or {}).get(CONTRACT_ERROR):
        return Invalid(detail["msg"], code=detail["type"], field=field)
    sentence = detail["msg"]
    if location:
        sentence = f"{'.'.join(str(part) for part in location)}: {sentence}"
    code = _field_code(model, field)
    if code is not None:
        return Invalid(code.sentence(detail["type"]) or sentence, code=code.code, field=field)
    message = getattr(model, "error_message", None)
    return Invalid(message.format(field=field) if message else sentence,
                   code=getattr(model, "error_code", "invalid"), field=field)


def render(operation: Operation, result: Any) -> ResponseReturnValue:
    """A model as the contract's JSON with the declared status; ``None`` is an empty
    answer (204); a Flask response (a CSV download) or ``(model, status)`` as given."""
    if isinstance(result, tuple) and isinstance(result[0], BaseModel):
        model, status = result
        return model.model_dump(mode="json", exclude_unset=True), status
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json", exclude_unset=True), operation.status
    if result is None:
        return "", operation.status
    return result
