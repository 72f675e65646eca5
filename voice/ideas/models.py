"""Models of the ideas domain."""

from __future__ import annotations
