"""Demo data of the staff side, made through its service functions."""

from __future__ import annotations

from voice.demo import DemoWorld


def seed(world: DemoWorld) -> None:
    """Teams, rules, routed cases and published updates."""
