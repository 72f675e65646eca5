"""Models of the staff side."""

from __future__ import annotations
