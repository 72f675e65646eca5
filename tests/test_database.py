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


def test_concurrent_read_modify_write_loses_nothing(app, customer):
    results = run_in_threads(app, lambda i: add_to_balance(customer.id, 1), 16)
    assert [r for r in results if isinstance(r, Exception)] == []
    with app.app_context():
        assert db.session.get(User, customer.id).balance == 16


def test_a_failed_block_writes_nothing(app, customer):
    with app.app_context(), pytest.raises(RuntimeError), write_transaction():
        db.session.get(User, customer.id).balance = 500
        raise RuntimeError("half-way")
    with app.app_context():
        assert db.session.get(User, customer.id).balance == 0


def test_an_inner_block_joins_the_outer_transaction(app, customer):
    with app.app_context(), pytest.raises(RuntimeError), write_transaction():
        add_to_balance(customer.id, 7)  # its own write_transaction joins this one
        raise RuntimeError("the outer block fails after the inner one")
    with app.app_context():
        assert db.session.get(User, customer.id).balance == 0
