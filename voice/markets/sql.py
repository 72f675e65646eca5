"""The markets' tuned statements: the trade's two locked reads and the writes of the one
trade writer (``voice.markets.service.ledger.write_booking``).

Why Core and not the ORM, measured: a trade through the ORM was 16 statements (15 for
a repeat buyer) and 6.6 ms of CPU on SQLite (9.1 ms on PostgreSQL); with these, two
locked reads and seven writes (balances and counters as ``x = x + d``, the ledger rows
in one executemany, the position as an upsert, nothing read back) it is 11 statements
and 3.7 ms (5.7 ms), docs/PERFORMANCE.md. Loading the market through the ORM instead of
:func:`lock_market_for_trade` cost ~0.2 ms more.

One idiom: every statement is built once per dialect by :func:`_build` (cached) and
fetched with :func:`statements`. Building a statement and its cache key each time cost
~100 µs for the counters' UPDATE and ~270 µs for the position upsert, against ~0.4 µs
for a built one (timeit, SQLAlchemy 2.1; a whole trade is ~1.3 ms in-process).

The ``users`` table belongs to accounts, but ``users.balance`` is markets' money: it
changes only together with a ledger row. So the statements that lock a user for a
trade or a settlement and that move a balance live here, and markets writes that
column nowhere else.

Core statements bypass the session's identity map. :func:`show_in_session` expires,
in the objects the session already holds (loaded earlier by an enclosing
transaction), the columns the writer changed, so they are read again when used. The
trade returned and the market sent with ``market_traded`` are detached and complete
(:func:`detached`, :func:`count_trade`): reading them sends nothing, before or after
the commit. None of this relies on the session's ``expire_on_commit`` (on in
Flask-SQLAlchemy): it expires every object the session holds at each commit, which is
why, outside an enclosing transaction, a stale object could not outlive the trade
anyway; with it off, the expiring here would still keep the objects true.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Insert, Integer, Select, Update, and_, bindparam, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from voice.accounts.models import User
from voice.database import as_id, upsert
from voice.errors import NotFound
from voice.extensions import db
from voice.markets.models import LedgerEntry, Market, Outcome, Position, PricePoint, Trade
from voice.markets.money import Holding

_Row = TypeVar("_Row")

MARKET_SUMS = ("maker_balance", "trade_count", "volume")
POSITION_SUMS = ("shares", "cost_basis", "realised", "net_spend", "settled_shares")

_markets = Market.__table__
_outcomes = Outcome.__table__
_users = User.__table__
_positions = Position.__table__
_MARKET_KEYS = tuple(column.key for column in _markets.columns)


@dataclass(frozen=True)
class Statements:
    lock_market: Select[Any]
    lock_trader: Select[Any]
    lock_accounts: Select[Any]
    insert_trade: Insert
    insert_ledger: Insert
    change_balance: Update
    market_counters: Update
    move_q: Update
    upsert_position: Insert
    insert_price_point: Insert


@functools.cache
def _build(dialect: str) -> Statements:
    new_position = upsert(_positions, dialect)
    return Statements(
        # FOR UPDATE without OF locks the outcome rows as well (PostgreSQL): a statement
        # that waited for another trade's lock returns the rows it locked as that trade
        # committed them, but rows of a table it did not lock as they were before the
        # wait, so q would be stale.
        lock_market=(
            select(_markets, _outcomes.c.id, _outcomes.c.shares)
            .join_from(_markets, _outcomes, _outcomes.c.market_id == _markets.c.id)
            .where(_markets.c.id == bindparam("market_id", type_=Integer))
            .order_by(_outcomes.c.position)
            .with_for_update()
        ),
        lock_trader=(
            select(_users.c.id, _users.c.balance, _users.c.role, _users.c.active,
                   _positions.c.id, _positions.c.shares, _positions.c.cost_basis)
            .select_from(_users.outerjoin(_positions, and_(
                _positions.c.user_id == _users.c.id,
                _positions.c.outcome_id == bindparam("outcome_id", type_=Integer))))
            .where(_users.c.id == bindparam("user_id", type_=Integer))
            .with_for_update(of=_users)
        ),
        lock_accounts=(
            select(User).where(User.id.in_(bindparam("user_ids", expanding=True)))
            .order_by(User.id).with_for_update()
            .execution_options(populate_existing=True)
        ),
        insert_trade=insert(Trade.__table__),
        insert_ledger=insert(LedgerEntry.__table__),
        change_balance=(
            update(_users).where(_users.c.id == bindparam("p_user"))
            .values(balance=_users.c.balance + bindparam("p_amount"))
        ),
        market_counters=(
            update(_markets).where(_markets.c.id == bindparam("p_market"))
            .values(maker_balance=_markets.c.maker_balance + bindparam("p_maker"),
                    trade_count=_markets.c.trade_count + bindparam("p_trades"),
                    volume=_markets.c.volume + bindparam("p_volume"))
        ),
        move_q=(
            update(_outcomes).where(_outcomes.c.id == bindparam("p_outcome"))
            .values(shares=_outcomes.c.shares + bindparam("p_shares"))
        ),
        # the values are changes: a new position starts from them, an existing one adds
        # them up in the database; one statement either way
        upsert_position=new_position.on_conflict_do_update(
            index_elements=[_positions.c.user_id, _positions.c.outcome_id],
            set_={name: _positions.c[name] + new_position.excluded[name]
                  for name in POSITION_SUMS},
        ),
        insert_price_point=insert(PricePoint.__table__),
    )


def statements(connection: Connection) -> Statements:
    """The statements for ``connection``'s database."""
    return _build(connection.dialect.name)


# --- the locked reads -----------------------------------------------------------------------


def lock_market_for_trade(market_id: int) -> tuple[Market, list[int], list[int]]:
    """The market with its outcomes' ids and q, all rows locked, in one statement.

    The market comes back as a complete, detached ``Market`` (the sender of
    ``market_traded``), which :func:`show_in_session` keeps in step with the counters.
    """
    connection = db.session.connection()
    rows = connection.execute(
        statements(connection).lock_market, {"market_id": as_id(market_id)}).all()
    if not rows:
        raise NotFound("No such market.")
    width = len(_MARKET_KEYS)
    market = detached(Market, **dict(zip(_MARKET_KEYS, rows[0][:width], strict=True)))
    return market, [row[width] for row in rows], [row[width + 1] for row in rows]


@dataclass(frozen=True)
class Trader:
    """The trader's row, locked, and their position in one outcome (zeros if none)."""

    id: int
    balance: int
    role: str
    active: bool
    position_id: int | None
    holding: Holding


def lock_trader(user_id: int, outcome_id: int) -> Trader:
    """The trader's row, locked after the market's (the lock order), with their position.

    The position row needs no lock of its own: every change of it holds the market's
    lock, which this transaction has, so what this statement reads stays true to the end.
    """
    connection = db.session.connection()
    row = connection.execute(statements(connection).lock_trader,
                             {"user_id": as_id(user_id), "outcome_id": outcome_id}).first()
    if row is None:
        raise NotFound("No such user.")
    user_id, balance, role, active, position_id, held, basis = row
    return Trader(user_id, balance, role, active, position_id, Holding(held or 0, basis or 0))


def lock_accounts(user_ids: Iterable[int]) -> list[User]:
    """These users, locked in ascending id (after the market: the lock order), fresh."""
    ids = sorted(set(user_ids))
    if not ids:
        return []
    statement = statements(db.session.connection()).lock_accounts
    return list(db.session.scalars(statement, {"user_ids": ids}))


# --- the session after Core writes --------------------------------------------------------


def show_in_session(market_id: int | None, user_ids: Iterable[int], outcome_id: int | None,
                    position_ids: Iterable[int | None]) -> None:
    """Expire what the writer changed in any object of these rows the session holds."""
    session = db.session()
    rows: list[tuple[type, int | None, tuple[str, ...]]] = [
        (Market, market_id, MARKET_SUMS), (Outcome, outcome_id, ("shares",))]
    rows += [(User, user_id, ("balance",)) for user_id in user_ids]
    rows += [(Position, position_id, POSITION_SUMS) for position_id in position_ids]
    for model, ident, names in rows:
        loaded = session.identity_map.get(identity_key(model, ident)) if ident else None
        if loaded is not None:
            session.expire(loaded, list(names))


def count_trade(market: Market, cost: int) -> None:
    """The detached market of :func:`lock_market_for_trade` shows a trade's counters as
    the writer wrote them (it is the sender of ``market_traded``)."""
    set_committed_value(market, "maker_balance", market.maker_balance + cost)
    set_committed_value(market, "trade_count", market.trade_count + 1)
    set_committed_value(market, "volume", market.volume + abs(cost))


def detached(model: type[_Row], **values: Any) -> _Row:
    """A complete object of a row just written by Core: reading it sends nothing."""
    row = model(**values)
    make_transient_to_detached(row)
    return row
