"""Demo data: a small company, made through the service functions, never raw inserts.

Each domain's ``demo.seed`` adds its part; they run in order, each building on the
people and areas made before it. A fixed random seed makes every run the same.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from voice.accounts.models import User

DEMO_PASSWORD = "voice-demo"
DEMO_LOGINS = [
    ("customer", "alice.martin@customer.example"),
    ("staff", "maya.okafor@northwind.example"),
    ("admin", "admin@northwind.example"),
]


@dataclass
class DemoWorld:
    """What the earlier steps made, for the later ones to use."""

    rng: random.Random
    admin: User | None = None
    staff: list[User] = field(default_factory=list)
    customers: list[User] = field(default_factory=list)
    areas: dict = field(default_factory=dict)  # slug -> Area
    ideas: list = field(default_factory=list)
    surveys: list = field(default_factory=list)
    markets: list = field(default_factory=list)


def seed_demo() -> DemoWorld:
    """Load every domain's demo data, in order."""
    from voice.accounts import demo as accounts_demo
    from voice.admin import demo as admin_demo
    from voice.ideas import demo as ideas_demo
    from voice.markets import demo as markets_demo
    from voice.surveys import demo as surveys_demo

    world = DemoWorld(rng=random.Random(20261124))
    steps = (accounts_demo.seed, ideas_demo.seed, surveys_demo.seed, markets_demo.seed,
             admin_demo.seed)
    for step in steps:
        step(world)
    return world
