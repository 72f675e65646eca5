"""Demo data: a small company, made through the domains' services, never raw inserts.

Each step module (``accounts``, ``ideas``, ``surveys``, ``markets``, ``admin``) adds its
domain's part; they run in order, each building on the people and areas made before
it. A fixed random seed makes every run the same. The demo sits above every domain:
it imports their facades, and no domain imports it.
"""

from __future__ import annotations

import random

from voice.demo import accounts, admin, ideas, markets, surveys
from voice.demo.world import DEMO_LOGINS, DEMO_PASSWORD, DemoWorld

__all__ = ["DEMO_LOGINS", "DEMO_PASSWORD", "DemoWorld", "seed_demo"]

SEED = 20261124
STEPS = (accounts.seed, ideas.seed, surveys.seed, markets.seed, admin.seed)


def seed_demo() -> DemoWorld:
    """Load every domain's demo data, in order."""
    world = DemoWorld(rng=random.Random(SEED))
    for step in STEPS:
        step(world)
    return world
