"""The staff calls of the API contract: cases."""

from __future__ import annotations

from voice.api import bp  # noqa: F401 - routes are added to the API blueprint
