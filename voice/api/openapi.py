"""The OpenAPI 3.1 description of the API, generated, never written by hand.

Every call is declared once, in its module, with its models (voice/api/contract.py);
this builds the document from those declarations and pydantic's JSON schemas of the
models (answers in serialization mode, bodies and queries in validation mode), every
model once under ``components/schemas``. Served at /api/v1/openapi.json. A schemathesis
run (tests/test_api_fuzz.py) calls every operation against a live server with generated
input and checks the answers against these schemas (no 5xx, documented status codes,
bodies that match).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, models_json_schema

from voice.api import accounts, admin, conversations, customers, ideas, loop, markets, surveys
from voice.api import identify as identify_api  # issue 15 (H9): identity from the host
from voice.api import roadmap as roadmap_api  # issue 15 (H7): the roadmap
from voice.api import updates as updates_api  # issue 15 (H8): the changelog
from voice.api.contract import JSON, Operation, Routes
from voice.api.schemas.common import ErrorBody

Schema = dict[str, Any]
REF = "#/components/schemas/{model}"

# The calls of each module, in the document's order.
DOMAIN_ROUTES = (accounts.routes, ideas.routes, surveys.routes, markets.routes, loop.routes,
                 admin.routes, conversations.routes, customers.routes, updates_api.routes,
                 roadmap_api.routes, identify_api.routes)

ERRORS = {
    400: "Invalid input", 401: "No or bad token", 403: "Role not allowed",
    404: "Not found", 409: "State conflict", 429: "Rate limited",
}
PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")

routes = Routes()


class ContractSchema(GenerateJsonSchema):
    """pydantic's JSON schema without a title on every property."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def documented() -> list[Operation]:
    return [op for group in DOMAIN_ROUTES for op in group.operations if op.documented]


def _models(operations: list[Operation]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    """Every model the document names, once, in the order the calls name them."""
    pairs: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {(ErrorBody, "serialization"):
                                                                 None}
    for op in operations:
        if op.response is not None:
            pairs[(op.response, "serialization")] = None
        if op.body is not None:
            pairs[(op.body, "validation")] = None
    return list(pairs)


def _without_null(schema: Schema) -> Schema:
    """A query parameter is absent rather than null."""
    schema = {key: value for key, value in schema.items() if key != "default" or value is not None}
    variants = [s for s in schema.pop("anyOf", []) if s != {"type": "null"}]
    if len(variants) == 1:
        schema.update(variants[0])
    elif variants:
        schema["anyOf"] = variants
    return schema


def query_parameters(model: type[BaseModel]) -> list[Schema]:
    schema = model.model_json_schema(schema_generator=ContractSchema)
    required = set(schema.get("required", ()))
    return [{"name": name, "in": "query", "required": name in required,
             "schema": _without_null(prop)}
            for name, prop in schema["properties"].items()]


def path_parameters(rule: str) -> list[Schema]:
    return [{"name": name, "in": "path", "required": True,
             "schema": {"type": "integer"} if converter == "int" else {"type": "string"}}
            for converter, name in PARAMETER.findall(rule)]


def openapi_path(rule: str) -> str:
    return PARAMETER.sub(r"{\2}", rule)


def _success(op: Operation, refs: dict[Any, Schema]) -> Schema:
    answer: Schema = {"description": "Success"}
    if op.response is not None:
        answer["content"] = {op.media: {"schema": refs[(op.response, "serialization")]}}
    elif op.status != 204:
        answer["content"] = {op.media: {"schema": {"type": "string"}}}
    return answer


def operation_spec(op: Operation, refs: dict[Any, Schema]) -> Schema:
    """One operation: its success answer and the contract's error answers it may give."""
    responses = {str(op.status): _success(op, refs)}
    error = {JSON: {"schema": refs[(ErrorBody, "serialization")]}}
    statuses = {400, 429} | set(op.errors) | (set() if op.public else {401})
    for status in sorted(statuses):
        responses[str(status)] = {"description": ERRORS[status], "content": error}
    if op.query is not None:
        # gunicorn itself refuses a request line over 4,094 bytes, before Voice sees it
        responses["414"] = {"description": "URI too long (refused by the WSGI server)"}
    spec: Schema = {"operationId": op.endpoint, "summary": op.summary, "responses": responses}
    details = (op.view.__doc__ or "").strip().partition("\n")[2].strip()
    if details:
        spec["description"] = details
    if op.body is not None:
        spec["requestBody"] = {"required": not op.body_optional, "content": {
            JSON: {"schema": refs[(op.body, "validation")]}}}
    if op.query is not None:
        spec["parameters"] = query_parameters(op.query)
    if op.public:
        spec["security"] = []
    return spec


@cache
def document() -> Schema:
    operations = documented()
    refs, schemas = models_json_schema(_models(operations), ref_template=REF,
                                       schema_generator=ContractSchema)
    paths: dict[str, Schema] = {}
    for op in operations:
        item = paths.setdefault(openapi_path(op.rule), {})
        if PARAMETER.search(op.rule):
            item["parameters"] = path_parameters(op.rule)
        item[op.method.lower()] = operation_spec(op, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Voice API", "version": "1",
                 "description": "The contract of ../shared/API.md, generated from the "
                                "models that validate and write every call."},
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


PATHS: dict[str, Schema] = document()["paths"]


@routes.get("/openapi.json", documented=False)
def openapi_json() -> Schema:
    """The document."""
    return document()
