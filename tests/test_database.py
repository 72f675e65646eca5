"""The write-transaction pattern every service uses cannot lose an update."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import run_in_threads
from voice.accounts.models import User
from voice.database import write_transaction
from voice.extensions import db


def add_to_balance(user_id: int, amount: int) -> None:
    """Read, then write: the race a lock must close."""
    with write_transaction():
        user = db.session.scalar(select(User).where(User.id == user_id).with_for_update())
        user.balance = user.balance + amount


def balance(app, user_id: int) -> int:
    with app.app_context():
        return db.session.get(User, user_id).balance


def test_concurrent_read_modify_write_loses_nothing(app, customer):
    before = balance(app, customer.id)
    results = run_in_threads(app, lambda i: add_to_balance(customer.id, 1), 16)
    assert [r for r in results if isinstance(r, Exception)] == []
    assert balance(app, customer.id) == before + 16


def test_a_failed_block_writes_nothing(app, customer):
    before = balance(app, customer.id)
    with app.app_context(), pytest.raises(RuntimeError), write_transaction():
        db.session.get(User, customer.id).balance = before + 500
        raise RuntimeError("half-way")
    assert balance(app, customer.id) == before


def test_an_inner_block_joins_the_outer_transaction(app, customer):
    before = balance(app, customer.id)
    with app.app_context(), pytest.raises(RuntimeError), write_transaction():
        add_to_balance(customer.id, 7)  # its own write_transaction joins this one
        raise RuntimeError("the outer block fails after the inner one")
    assert balance(app, customer.id) == before
