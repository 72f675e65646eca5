"""The load scenarios: what each one sends, and which target ratio it is held to.

A scenario is a GET of one path, or a file of prepared requests that wrk's Lua script
(bench/wrk/requests.lua) cycles through: many users' tokens, many targets. Writes
that must not repeat (an anonymous survey's one-time tokens) get separate files for
the warm-up and the measured run, each longer than the run can use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from bench.world import World, survey_tokens

#: The targets of issue 7, as fractions of the bare-Flask floor measured in the same run.
TARGETS = {"read": Fraction(1, 2), "vote": Fraction(1, 3), "survey": Fraction(1, 3),
           "spread": Fraction(1, 4), "hot": None, "floor": None}


@dataclass
class Scenario:
    name: str
    kind: str  # a key of TARGETS
    path: str = "/"
    requests: Callable[[int], list[dict]] | None = None  # count -> prepared requests
    server: str = "voice"  # or "floor"
    writes: bool = False

    @property
    def target(self) -> Fraction | None:
        return TARGETS[self.kind]


def vote_requests(world: World) -> Callable[[int], list[dict]]:
    """Each user votes for each of the top open ideas, then a second pass takes it back,
    and so on: every request changes a counter, and many users hit one idea at once."""
    users, ideas = len(world.tokens), world.vote_ideas

    def make(count: int) -> list[dict]:
        lines = []
        for k in range(count):
            user, idea, lap = k % users, (k // users) % len(ideas), k // (users * len(ideas))
            lines.append({"method": "POST" if lap % 2 == 0 else "DELETE",
                          "path": f"/api/v1/ideas/{ideas[idea]}/vote",
                          "token": world.tokens[user]})
        return lines

    return make


def survey_requests(world: World, url: str) -> Callable[[int], list[dict]]:
    """Anonymous responses to one survey, each with its own one-time token (as each
    visitor's page gets one): every request is a new response, none is refused."""
    nps, csat, choice = world.question_ids
    labels = ["Web app", "Mobile app", "Integrations", "Billing"]

    def make(count: int) -> list[dict]:
        tokens = survey_tokens(url, world.survey_id, count)
        return [{"method": "POST", "path": f"/api/v1/surveys/{world.survey_id}/responses",
                 "body": {"token": token, "answers": {
                     str(nps): k % 11, str(csat): 1 + k % 5, str(choice): labels[k % 4]}}}
                for k, token in enumerate(tokens)]

    return make


def trade_requests(world: World, *, hot: bool) -> Callable[[int], list[dict]]:
    """Buys of 1 share or 1 point's worth, turn about, over the outcomes: on the hot market
    every user trades the same market; spread, user u trades markets u, u+1, ... of 100.
    Each trade costs at most 1 point of a customer's 1,000, so none runs out."""
    users = len(world.tokens)

    def make(count: int) -> list[dict]:
        lines = []
        for k in range(count):
            user, lap = k % users, k // users
            market_id, outcomes = (world.hot_market if hot else
                                   world.spread_markets[(user + lap) % len(world.spread_markets)])
            size = {"shares": 1} if lap % 2 == 0 else {"spend": 1}
            lines.append({"method": "POST", "path": f"/api/v1/markets/{market_id}/trades",
                          "token": world.tokens[user],
                          "body": {"outcome_id": outcomes[(user + lap) % len(outcomes)],
                                   **size}})
        return lines

    return make


def signed_in_gets(world: World, path: str) -> Callable[[int], list[dict]]:
    """The page as each signed-in customer sees it (their votes, their position): never
    from the anonymous page cache, so this is the cost of rendering it."""
    def make(count: int) -> list[dict]:
        return [{"method": "GET", "path": path, "token": world.tokens[k % len(world.tokens)]}
                for k in range(count)]

    return make


def scenarios(world: World, url: str) -> list[Scenario]:
    hot_id = world.hot_market[0]
    return [
        Scenario("floor: bare Flask", "floor", "/", server="floor"),
        Scenario("GET /healthz", "read", "/healthz"),
        Scenario("idea list: trending, page 1", "read", "/ideas?sort=trending"),
        Scenario("idea list, signed in", "read",
                 requests=signed_in_gets(world, "/ideas?sort=trending")),
        Scenario("market page", "read", f"/markets/{hot_id}"),
        Scenario("market page, signed in", "read",
                 requests=signed_in_gets(world, f"/markets/{hot_id}")),
        Scenario("vote toggle (API)", "vote", requests=vote_requests(world), writes=True),
        Scenario("survey response (API)", "survey", requests=survey_requests(world, url),
                 writes=True),
        Scenario("trades: 100 spread markets", "spread",
                 requests=trade_requests(world, hot=False), writes=True),
        Scenario("trades: one hot market", "hot", requests=trade_requests(world, hot=True),
                 writes=True),
    ]
