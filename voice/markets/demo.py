"""Demo data of the markets domain, made through its service functions."""

from __future__ import annotations

from voice.demo import DemoWorld


def seed(world: DemoWorld) -> None:
    """Add this domain's part of the demo company to ``world``."""
