"""Demo data of the markets domain, made through its service functions.

A handful of markets on proposed changes, some linked to the demo ideas, with a few
weeks of trading by the demo customers: one resolved, one voided.
"""

from __future__ import annotations

from datetime import timedelta

from voice.clock import utcnow
from voice.demo.world import DemoWorld
from voice.errors import ServiceError
from voice.markets import service

# question, outcomes, b or subsidy, the crowd's hidden belief, how it ends, description
MARKETS = [
    ("Will offline mode ship in the mobile app by the end of March?", ["Yes", "No"],
     {"liquidity": 100}, [0.62, 0.38], None,
     "Resolves **Yes** if offline mode is in a public release of the iOS and Android apps "
     "by 31 March."),
    ("If we launch the annual plan, will monthly churn fall below 3% by the Q3 review?",
     ["Yes", "No"], {"liquidity": 150}, [0.41, 0.59], None,
     "Measured as logo churn in the Q3 business review."),
    ("Which integration will customers connect most in its first month?",
     ["Slack", "Zapier", "Webhooks", "Public API"], {"subsidy": 200},
     [0.46, 0.27, 0.15, 0.12], None, "Counted from connected workspaces, 30 days after launch."),
    ("Will the redesigned invoice editor reach a CSAT of 80% or more?", ["Yes", "No"],
     {"liquidity": 80}, [0.7, 0.3], ("resolve", 0,
                                     "The post-launch survey scored 84% satisfied."), ""),
    ("Will dark mode ship before the mobile redesign?", ["Yes", "No"], {"liquidity": 60},
     [0.5, 0.5], ("void", None, "Dark mode became part of the redesign, so the question no "
                  "longer has an answer."), ""),
]


def seed(world: DemoWorld) -> None:
    """Add this domain's part of the demo company to ``world``."""
    if not world.staff or not world.customers:
        return
    rng = world.rng
    now = utcnow()
    for number, (question, outcomes, size, belief, ending, description) in enumerate(MARKETS):
        staff = world.staff[number % len(world.staff)]
        opened = now - timedelta(days=24 - 3 * number, hours=rng.randint(0, 12))
        idea = world.ideas[number] if number < len(world.ideas) else None
        market = service.create_market(
            staff, question, outcomes, description=description,
            closes_at=now + timedelta(days=30 + 10 * number), idea_id=idea.id if idea else None,
            now=opened, **size,
        )
        outcome_ids = [o.id for o in service.get_market(market.id).outcomes]
        _trade_history(world, market.id, outcome_ids, belief, opened, now)
        if ending is not None:
            kind, winner, note = ending
            if kind == "resolve" and winner is not None:
                service.resolve_market(world.staff[0], market.id, outcome_ids[winner], note)
            else:
                service.void_market(world.staff[0], market.id, note)
        world.markets.append(market)


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
