"""What the demo steps share: the sign-ins, and the world each step adds to."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

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
    areas: dict[str, Any] = field(default_factory=dict)  # slug -> Area
    ideas: list[Any] = field(default_factory=list)
    surveys: list[Any] = field(default_factory=list)
    markets: list[Any] = field(default_factory=list)
