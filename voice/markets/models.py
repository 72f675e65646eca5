"""Models of the markets domain."""

from __future__ import annotations
