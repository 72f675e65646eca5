"""Demo data of the markets domain, made through its service functions.

A handful of markets on proposed changes, each linked to the idea its question is
about, with weeks of trading by the demo customers. A market ends when its idea does:
the PDF-export market resolved Yes just after PDF export shipped; the dark-mode market
was voided when dark mode became part of the redesign; the others are still open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from voice.clock import utcnow
from voice.demo.timeline import at, days_ago
from voice.demo.world import DemoWorld
from voice.errors import ServiceError
from voice.markets import service


@dataclass(frozen=True)
class DemoMarket:
    question: str
    outcomes: list[str]
    size: dict[str, Any]  # liquidity (b) or subsidy
    belief: list[float]  # the crowd's hidden belief, which trading drifts toward
    description: str
    opened_days_ago: float
    idea: str | None = None  # the title of the idea it is about
    # (how it ended, the winning outcome's index, the note, days ago), None: still open
    ending: tuple[str, int | None, str, float] | None = None


MARKETS = [
    DemoMarket("Will offline mode reach the public iOS and Android apps within two months?",
               ["Yes", "No"], {"liquidity": 100}, [0.62, 0.38],
               "Resolves **Yes** if offline forms are in a public release of both apps "
               "within two months of this market opening.", 19,
               idea="Offline mode for field teams"),
    DemoMarket("If we launch the annual plan, will monthly churn fall below 3% by the Q3 "
               "review?", ["Yes", "No"], {"liquidity": 150}, [0.41, 0.59],
               "Measured as logo churn in the Q3 business review.", 20,
               idea="Annual plan with a discount"),
    DemoMarket("Which integration will customers connect most in its first month?",
               ["Slack", "Zapier", "Webhooks", "Public API"], {"subsidy": 200},
               [0.46, 0.27, 0.15, 0.12],
               "Counted from connected workspaces, 30 days after launch.", 16),
    DemoMarket("Will PDF export of invoices ship within six weeks?", ["Yes", "No"],
               {"liquidity": 80}, [0.7, 0.3],
               "Resolves **Yes** if invoices can be downloaded as PDF within six weeks of "
               "this market opening.", 44, idea="Export invoices as PDF",
               ending=("resolve", 0, "PDF export shipped with the billing release.", 8.9)),
    DemoMarket("Will dark mode ship before the mobile redesign?", ["Yes", "No"],
               {"liquidity": 60}, [0.5, 0.5], "", 50, idea="Dark mode in the mobile app",
               ending=("void", None, "Dark mode became part of the redesign, so the question "
                       "no longer has an answer.", 29.9)),
]


def seed(world: DemoWorld) -> None:
    """Add this domain's part of the demo company to ``world``."""
    if not world.staff or not world.customers:
        return
    now = utcnow()
    ideas = {idea.title: idea for idea in world.ideas}
    for number, spec in enumerate(MARKETS):
        opened = days_ago(now, spec.opened_days_ago)
        idea = ideas.get(spec.idea) if spec.idea else None
        market = service.create_market(
            world.staff[number % len(world.staff)], spec.question, spec.outcomes,
            description=spec.description, closes_at=now + timedelta(days=30 + 10 * number),
            idea_id=idea.id if idea else None, now=opened, **spec.size,
        )
        outcome_ids = [o.id for o in service.get_market(market.id).outcomes]
        ended = days_ago(now, spec.ending[3]) if spec.ending else now
        _trade_history(world, market.id, outcome_ids, spec.belief, opened, ended)
        if spec.ending is not None:
            _end(world, market.id, outcome_ids, spec.ending, ended)
        world.markets.append(market)


def _end(world: DemoWorld, market_id: int, outcome_ids: list[int],
         ending: tuple[str, int | None, str, float], when: datetime) -> None:
    kind, winner, note, _ = ending
    if kind == "resolve" and winner is not None:
        at(when, service.resolve_market, world.staff[0], market_id, outcome_ids[winner], note)
    else:
        at(when, service.void_market, world.staff[0], market_id, note)


def _trade_history(world: DemoWorld, market_id: int, outcome_ids: list[int],
                   belief: list[float], start, end) -> None:
    """Customers trade toward their (noisy) beliefs, now and then taking profit."""
    rng = world.rng
    traders = rng.sample(world.customers, k=min(len(world.customers), rng.randint(8, 14)))
    count = rng.randint(18, 32)
    step = (end - start) / (count + 1)
    held: dict[tuple[int, int], int] = {}
    for n in range(count):
        when = start + step * (n + 1)
        user = rng.choice(traders)
        prices = service.get_market(market_id).prices
        # each trader's view is the crowd's belief plus noise; buy what looks cheapest
        edge = [b + rng.gauss(0, 0.12) - p for b, p in zip(belief, prices, strict=True)]
        index = max(range(len(edge)), key=edge.__getitem__)
        mine = [(o, s) for (u, o), s in held.items() if u == user.id and s > 0]
        try:
            if mine and rng.random() < 0.2:
                outcome_id, shares = rng.choice(mine)
                sold = service.trade(user.id, market_id, outcome_id, shares=-(shares // 2 or 1),
                                     now=when)
                held[(user.id, outcome_id)] += sold.trade.shares
            else:
                spend = rng.randint(5, 40) * 100
                bought = service.trade(user.id, market_id, outcome_ids[index], spend=spend,
                                       now=when)
                key = (user.id, outcome_ids[index])
                held[key] = held.get(key, 0) + bought.trade.shares
        except ServiceError:
            continue  # a customer short of points sits this one out
