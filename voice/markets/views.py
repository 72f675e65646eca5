"""Pages of the markets domain."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("markets", __name__)
