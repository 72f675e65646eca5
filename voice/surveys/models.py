"""Models of the surveys domain."""

from __future__ import annotations
