"""The OpenAPI 3.1 description of the API, kept in step with ../shared/API.md.

Served at /api/v1/openapi.json. A schemathesis run in CI calls every operation
against a live server with generated input and checks the answers against these
schemas (no 5xx, documented status codes, bodies that match).
"""

from __future__ import annotations

from typing import Any

from voice.api import bp

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: list[str] | None = None, /, **properties: Schema) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def page_of(item: Schema) -> Schema:
    return obj(["items", "page", "per_page", "total"], items={"type": "array", "items": item},
               page={"type": "integer"}, per_page={"type": "integer"},
               total={"type": "integer"})


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
BOOLEAN = {"type": "boolean"}
ARRAY = {"type": "array"}
TIME = {"type": "string", "format": "date-time"}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
NULLABLE_INT = {"type": ["integer", "null"]}
PERSON = obj(["id", "display_name"], id=INTEGER, display_name=STRING)
STATUSES = ["open", "under_review", "planned", "in_progress", "done", "declined"]
KINDS = ["nps", "csat", "ces", "rating", "single_choice", "multi_choice", "text"]

SCHEMAS: dict[str, Schema] = {
    "Error": obj(["error"], error=obj(["code", "message"], code=STRING, message=STRING)),
    "User": obj(["id", "display_name", "role", "balance"], id=INTEGER, email=STRING,
                display_name=STRING, role={"enum": ["customer", "staff", "admin"]},
                balance=NUMBER),
    "Idea": obj(
        ["id", "title", "description", "area", "status", "author", "vote_count",
         "comment_count", "voted", "created_at", "merged_into", "market_id"],
        id=INTEGER, title=STRING, description=STRING, area={"type": ["string", "null"]},
        status={"enum": STATUSES}, author={"anyOf": [PERSON, {"type": "null"}]},
        vote_count=INTEGER, comment_count=INTEGER, voted=BOOLEAN, created_at=TIME,
        merged_into=NULLABLE_INT, market_id=NULLABLE_INT,
    ),
    "Comment": obj(["id", "body", "created_at"], id=INTEGER, body=STRING,
                   author={"anyOf": [PERSON, {"type": "null"}]}, official=BOOLEAN,
                   created_at=TIME),
    "Question": obj(["id", "kind", "prompt", "required", "choices"], id=INTEGER,
                    kind={"enum": KINDS}, prompt=STRING, required=BOOLEAN,
                    choices={"type": ["array", "null"], "items": STRING}),
    "Survey": obj(["id", "title", "description", "status", "anonymous", "questions"],
                  id=INTEGER, title=STRING, description={"type": ["string", "null"]},
                  status={"enum": ["draft", "open", "closed"]}, anonymous=BOOLEAN,
                  questions={"type": "array", "items": ref("Question")}),
    "Results": obj(["responses", "questions"], responses=INTEGER,
                   questions={"type": "array", "items": obj(
                       ["id", "kind", "prompt", "answered", "distribution"], id=INTEGER,
                       kind={"enum": KINDS}, prompt=STRING, answered=INTEGER,
                       distribution={"type": "object",
                                     "additionalProperties": INTEGER})}),
    "Outcome": obj(["id", "label", "price", "shares"], id=INTEGER, label=STRING,
                   price=NUMBER, shares=NUMBER),
    "Market": obj(
        ["id", "question", "description", "status", "liquidity", "closes_at", "idea_id",
         "resolved_outcome_id", "outcomes"],
        id=INTEGER, question=STRING, description={"type": ["string", "null"]},
        status={"enum": ["open", "closed", "resolved", "voided"]}, liquidity=NUMBER,
        closes_at=NULLABLE_TIME, idea_id=NULLABLE_INT, resolved_outcome_id=NULLABLE_INT,
        outcomes={"type": "array", "items": ref("Outcome")},
    ),
    "Quote": obj(["outcome_id", "shares", "cost", "average_price", "prices_after"],
                 outcome_id=INTEGER, shares=NUMBER, cost=NUMBER, average_price=NUMBER,
                 prices_after={"type": "array", "items": NUMBER}),
    "Trade": obj(["id", "outcome_id", "shares", "cost", "created_at"], id=INTEGER,
                 outcome_id=INTEGER, shares=NUMBER, cost=NUMBER, created_at=TIME),
    "TradeRow": obj(["id", "outcome_id", "shares", "cost", "created_at"], id=INTEGER,
                    outcome_id=INTEGER, shares=NUMBER, cost=NUMBER, created_at=TIME,
                    outcome=STRING, trader=STRING),
    "Notification": obj(["id", "kind", "subject", "body", "link", "read", "created_at"],
                        id=INTEGER, kind=STRING, subject=STRING, body=STRING, link=STRING,
                        read=BOOLEAN, created_at=TIME),
    "Case": obj(["id", "source", "team", "assignee", "state", "due_at", "created_at",
                 "closed_at"],
                id=INTEGER, source=obj(["type", "id"], type={
                    "enum": ["idea", "comment", "survey_response", "market"]}, id=INTEGER),
                team={}, assignee={}, state={
                    "enum": ["new", "acknowledged", "in_progress", "closed", "wont_do"]},
                due_at=NULLABLE_TIME, created_at=TIME, closed_at=NULLABLE_TIME),
}

ERRORS = {
    "400": "Invalid input", "401": "No or bad token", "403": "Role not allowed",
    "404": "Not found", "409": "State conflict", "429": "Rate limited",
}


def answer(status: str, description: str, schema: Schema | None = None,
           media: str = "application/json") -> Schema:
    body: Schema = {"description": description}
    if schema is not None:
        body["content"] = {media: {"schema": schema}}
    return body


def operation(summary: str, ok: str, schema: Schema | None, *, errors: str = "",
              body: Schema | None = None, params: list[Schema] | None = None,
              public: bool = False, media: str = "application/json") -> Schema:
    """One operation: its success answer and the contract's error answers it may give."""
    responses = {ok: answer(ok, "Success", schema, media)}
    codes = set(errors.split()) | {"400"} | (set() if public else {"401"}) | {"429"}
    for code in sorted(codes):
        responses[code] = answer(code, ERRORS[code], ref("Error"))
    if params:
        # gunicorn itself refuses a request line over 4,094 bytes, before Voice sees it
        responses["414"] = answer("414", "URI too long (refused by the WSGI server)")
    spec: Schema = {"summary": summary, "responses": responses}
    if body is not None:
        spec["requestBody"] = {"required": True,
                               "content": {"application/json": {"schema": body}}}
    if params:
        spec["parameters"] = params
    if public:
        spec["security"] = []
    return spec


def path_id(name: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "schema": INTEGER}


def query(name: str, schema: Schema) -> Schema:
    return {"name": name, "in": "query", "required": False, "schema": schema}


PAGING = [query("page", {"type": "integer", "minimum": 1, "maximum": 1_000_000}),
          query("per_page", {"type": "integer", "minimum": 1, "maximum": 100})]

PATHS: dict[str, Schema] = {
    "/accounts": {"post": operation(
        "Register a customer", "201", obj(["user"], user=ref("User")), errors="409",
        public=True, body=obj(["email", "password", "display_name"], email=STRING,
                              password=STRING, display_name=STRING))},
    "/tokens": {"post": operation(
        "Get a bearer token", "201", obj(["token"], token=STRING), errors="401",
        public=True, body=obj(["email", "password"], email=STRING, password=STRING))},
    "/tokens/current": {"delete": operation("Revoke this token", "204", None)},
    "/me": {
        "get": operation("The caller", "200", ref("User")),
        "delete": operation("Close the caller's account (customers; confirm with the password)",
                            "204", None, errors="403",
                            body=obj(["password"], password=STRING)),
    },
    "/ideas": {
        "get": operation("List ideas", "200", page_of(ref("Idea")), public=True, params=[
            query("sort", {"enum": ["trending", "top", "new"]}),
            query("status", {"enum": STATUSES}), query("area", STRING), query("q", STRING),
            *PAGING]),
        "post": operation("Submit an idea", "201", ref("Idea"), body=obj(
            ["title", "description"], title=STRING, description=STRING, area=STRING)),
    },
    "/ideas/similar": {"get": operation(
        "Ideas like a title", "200", obj(["items"], items={"type": "array",
                                                          "items": ref("Idea")}),
        public=True, params=[query("q", STRING)])},
    "/ideas/{idea_id}": {
        "parameters": [path_id("idea_id")],
        "get": operation("An idea", "200", ref("Idea"), errors="404", public=True),
        "patch": operation("Change status, note or area (staff)", "200", ref("Idea"),
                           errors="403 404 409", body=obj(
                               status={"enum": STATUSES}, note=STRING, area=STRING)),
    },
    "/ideas/{idea_id}/vote": {
        "parameters": [path_id("idea_id")],
        "post": operation("Vote", "200", obj(["vote_count", "voted"], vote_count=INTEGER,
                                             voted=BOOLEAN), errors="404 409"),
        "delete": operation("Withdraw a vote", "200", obj(
            ["vote_count", "voted"], vote_count=INTEGER, voted=BOOLEAN), errors="404 409"),
    },
    "/ideas/{idea_id}/comments": {
        "parameters": [path_id("idea_id")],
        "get": operation("Comments", "200", page_of(ref("Comment")), errors="404",
                         public=True, params=PAGING),
        "post": operation("Comment", "201", ref("Comment"), errors="404 409",
                          body=obj(["body"], body=STRING)),
    },
    "/ideas/{idea_id}/merge": {
        "parameters": [path_id("idea_id")],
        "post": operation("Merge into another idea (staff)", "200", ref("Idea"),
                          errors="403 404 409", body=obj(["into"], into=INTEGER)),
    },
    "/surveys": {
        "get": operation("Surveys open to the caller", "200", page_of(ref("Survey")),
                         public=True, params=PAGING),
        "post": operation("Create a survey (staff)", "201", ref("Survey"), errors="403",
                          body=obj(["title", "questions"], title=STRING,
                                   description=STRING, anonymous=BOOLEAN,
                                   status={"enum": ["draft", "open"]},
                                   questions={"type": "array", "items": obj(
                                       ["kind", "prompt"], kind={"enum": KINDS},
                                       prompt=STRING, required=BOOLEAN,
                                       choices={"type": "array", "items": STRING})})),
    },
    "/surveys/{survey_id}": {
        "parameters": [path_id("survey_id")],
        "get": operation("A survey", "200", ref("Survey"), errors="404", public=True),
        "patch": operation("Open or close (staff)", "200", ref("Survey"),
                           errors="403 404 409",
                           body=obj(["status"], status={"enum": ["open", "closed"]})),
    },
    "/surveys/{survey_id}/responses": {
        "parameters": [path_id("survey_id")],
        "post": operation("Answer", "201", obj(["id"], id=INTEGER), errors="404 409",
                          public=True, body=obj(["answers"], answers={"type": "object"})),
    },
    "/surveys/{survey_id}/results": {
        "parameters": [path_id("survey_id")],
        "get": operation("Results (staff)", "200", ref("Results"), errors="403 404"),
    },
    "/surveys/{survey_id}/responses.csv": {
        "parameters": [path_id("survey_id")],
        "get": operation("Every response as CSV (staff)", "200", STRING, errors="403 404",
                         media="text/csv"),
    },
    "/markets": {
        "get": operation("List markets", "200", page_of(ref("Market")), public=True,
                         params=[query("status", {"enum": ["open", "closed", "resolved",
                                                           "voided"]}), *PAGING]),
        "post": operation("Create a market (staff)", "201", ref("Market"), errors="403",
                          body=obj(["question", "outcomes", "liquidity"], question=STRING,
                                   description=STRING, outcomes={"type": "array",
                                                                 "items": STRING},
                                   liquidity=NUMBER, closes_at=TIME, idea_id=INTEGER)),
    },
    "/markets/{market_id}": {
        "parameters": [path_id("market_id")],
        "get": operation("A market", "200", ref("Market"), errors="404", public=True),
    },
    "/markets/{market_id}/quote": {
        "parameters": [path_id("market_id")],
        "get": operation("Quote a trade", "200", ref("Quote"), errors="404 409",
                         public=True, params=[query("outcome_id", INTEGER),
                                              query("shares", NUMBER),
                                              query("spend", NUMBER)]),
    },
    "/markets/{market_id}/trades": {
        "parameters": [path_id("market_id")],
        "get": operation("Trades, newest first", "200", page_of(ref("TradeRow")),
                         errors="404", public=True, params=PAGING),
        "post": operation("Trade", "201", obj(["trade", "balance", "prices"],
                                              trade=ref("Trade"), balance=NUMBER,
                                              prices={"type": "array", "items": NUMBER}),
                          errors="403 404 409", body=obj(
                              ["outcome_id"], outcome_id=INTEGER, shares=NUMBER,
                              spend=NUMBER, max_cost=NUMBER, min_proceeds=NUMBER)),
    },
    "/markets/{market_id}/history": {
        "parameters": [path_id("market_id")],
        "get": operation("Price history", "200", obj(["points"], points={
            "type": "array", "items": obj(["at", "prices"], at=TIME, prices={
                "type": "array", "items": NUMBER})}), errors="404", public=True),
    },
    "/markets/{market_id}/resolve": {
        "parameters": [path_id("market_id")],
        "post": operation("Resolve (staff)", "200", ref("Market"), errors="403 404 409",
                          body=obj(["outcome_id"], outcome_id=INTEGER, note=STRING)),
    },
    "/markets/{market_id}/void": {
        "parameters": [path_id("market_id")],
        "post": operation("Void (staff)", "200", ref("Market"), errors="403 404 409",
                          body=obj(note=STRING)),
    },
    "/me/positions": {"get": operation("The caller's positions", "200", obj(["items"], items={
        "type": "array", "items": obj(["market_id", "outcome_id", "shares", "cost_basis",
                                       "value"], market_id=INTEGER, outcome_id=INTEGER,
                                      shares=NUMBER, cost_basis=NUMBER, value=NUMBER)}))},
    "/leaderboard": {"get": operation("Net worth ranking", "200", page_of(obj(
        ["user", "net_worth"], user=PERSON, net_worth=NUMBER)), public=True, params=PAGING)},
    "/me/notifications": {"get": operation(
        "The caller's notifications, newest first", "200", page_of(ref("Notification")),
        params=PAGING)},
    "/me/notifications/{notification_id}/read": {
        "parameters": [path_id("notification_id")],
        "post": operation("Mark read", "200", ref("Notification"), errors="404"),
    },
    "/admin/cases": {"get": operation("Cases (staff)", "200", page_of(ref("Case")),
                                      errors="403", params=[query("team", STRING),
                                                            query("state", STRING), *PAGING])},
    "/admin/cases/{case_id}": {
        "parameters": [path_id("case_id")],
        "patch": operation("Move, assign or reply (staff)", "200", ref("Case"),
                           errors="403 404 409", body=obj(
                               state={"enum": ["new", "acknowledged", "in_progress", "closed",
                                               "wont_do"]},
                               assignee_id=NULLABLE_INT, reply=STRING)),
    },

    # --- documented extras (docs/API.md, "Beyond the contract") -------------------------
    "/me/notifications/read-all": {"post": operation(
        "Mark every notification read", "200",
        obj(["marked", "unread"], marked=INTEGER, unread=INTEGER))},
    "/me/mail-preferences": {
        "get": operation("Mail on or off per category", "200",
                         {"type": "object", "additionalProperties": BOOLEAN}),
        "put": operation("Turn categories of mail on or off", "200",
                         {"type": "object", "additionalProperties": BOOLEAN},
                         body={"type": "object", "additionalProperties": BOOLEAN}),
    },
    "/me/data": {"get": operation(
        "Everything Voice holds about the caller (the data download)", "200", obj(
            ["format", "profile", "ideas", "comments", "votes", "survey_responses",
             "positions", "trades", "ledger", "notifications"],
            format=STRING, profile=obj(["id", "email", "display_name"], id=INTEGER,
                                       email=STRING, display_name=STRING),
            ideas=ARRAY, comments=ARRAY, votes=ARRAY, survey_responses=ARRAY,
            positions=ARRAY, trades=ARRAY, ledger=ARRAY, notifications=ARRAY))},
    "/ideas/{idea_id}/unmerge": {
        "parameters": [path_id("idea_id")],
        "post": operation("Undo a merge (staff)", "200", ref("Idea"), errors="403 404 409"),
    },
    "/ideas/{idea_id}/proxy-votes": {
        "parameters": [path_id("idea_id")],
        "post": operation("Vote on a customer's behalf (staff)", "201",
                          obj(["vote_count", "user"], vote_count=INTEGER, user=PERSON),
                          errors="403 404 409", body=obj(["email"], email=STRING)),
    },
    "/ideas/{idea_id}/subscription": {
        "parameters": [path_id("idea_id")],
        "put": operation("Follow an idea", "200", obj(["subscribed"], subscribed=BOOLEAN),
                         errors="404"),
        "delete": operation("Stop following an idea", "200",
                            obj(["subscribed"], subscribed=BOOLEAN), errors="404"),
    },
    "/surveys/{survey_id}/trend": {
        "parameters": [path_id("survey_id")],
        "get": operation("NPS by week (staff)", "200", obj(
            ["points"], question_id=NULLABLE_INT, points={"type": "array", "items": obj(
                ["week", "n"], week=STRING, n=INTEGER,
                score={"type": ["number", "null"]})}),
            errors="403 404", params=[query("question", INTEGER)]),
    },
    "/surveys/{survey_id}/questions/{question_id}/answers": {
        "parameters": [path_id("survey_id"), path_id("question_id")],
        "get": operation("Text answers, newest first (staff)", "200", page_of(obj(
            ["id", "response_id", "text", "created_at"], id=INTEGER, response_id=INTEGER,
            text=STRING, created_at=TIME)), errors="403 404",
            params=[query("q", STRING), *PAGING]),
    },
}


def document() -> Schema:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Voice API", "version": "1",
                 "description": "The contract of ../shared/API.md, machine-readable."},
        "servers": [{"url": "/api/v1"}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


@bp.get("/openapi.json")
def openapi_json():
    return document()
