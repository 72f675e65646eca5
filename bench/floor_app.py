"""The floor: a bare Flask app answering a constant, served exactly like Voice."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def constant():
    return {"status": "ok"}


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
