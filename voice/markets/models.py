"""Models of the markets domain.

Units, everywhere in this package:

- money (balances, costs, ledger amounts, the liquidity b) is an integer in
  hundredths of a point (``BigInteger``);
- shares are an integer in millionths of a share (``BigInteger``), so q_i is exact.

(``POINT_UNIT`` and ``SHARE_UNIT`` live in ``voice.units``; the names here are aliases.)

The market maker of each market has an account of its own: ``Market.maker_balance``,
changed only together with a ``LedgerEntry`` whose ``account`` is ``"market"``.
Points are conserved: Σ users' balances + Σ makers' balances = Σ grants.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from voice.clock import utcnow
from voice.extensions import Model
from voice.units import POINT_UNIT as POINT_UNIT  # re-exported: importers of the old home
from voice.units import SHARE_UNIT as SHARE_UNIT

STATUSES = ("open", "closed", "resolved", "voided")
LEDGER_KINDS = ("grant", "trade", "payout", "refund", "clawback")


class Market(Model):
    __tablename__ = "markets"

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # open | closed | resolved | voided; an open market past closes_at trades no more
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    # the LMSR liquidity b, in hundredths of a point (b = 100 points is 10000)
    liquidity: Mapped[int] = mapped_column(BigInteger)
    closes_at: Mapped[datetime | None]
    idea_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id"), index=True)
    # the winning outcome's id (no foreign key: outcomes already refer to markets, and a
    # cycle of foreign keys would need ALTER TABLE, which SQLite lacks)
    resolved_outcome_id: Mapped[int | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # resolution or voiding, for audit: when, who, the public note
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    # the market maker's account, hundredths; starts at 0, worst case −b·ln n
    maker_balance: Mapped[int] = mapped_column(BigInteger, default=0)
    # what voiding could not claw back; 0 since a clawback past the balance is a debt
    # (issue 13: a void recovers every profit, voice.markets.money.void_plan)
    unrecovered: Mapped[int] = mapped_column(BigInteger, default=0)
    trade_count: Mapped[int] = mapped_column(default=0)
    # total points that changed hands in trades (charges + proceeds), hundredths
    volume: Mapped[int] = mapped_column(BigInteger, default=0)

    outcomes: Mapped[list[Outcome]] = relationship(
        back_populates="market", order_by="Outcome.position",
        foreign_keys="Outcome.market_id", lazy="raise",
    )

    @property
    def b(self) -> float:
        return self.liquidity / POINT_UNIT


class Outcome(Model):
    __tablename__ = "market_outcomes"
    __table_args__ = (UniqueConstraint("market_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    market_id: Mapped[int] = mapped_column(ForeignKey("markets.id", ondelete="CASCADE"),
                                           index=True)
    position: Mapped[int] = mapped_column()
    label: Mapped[str] = mapped_column(String(80))
    # q_i: shares outstanding, in millionths of a share
    shares: Mapped[int] = mapped_column(BigInteger, default=0)

    market: Mapped[Market] = relationship(back_populates="outcomes", foreign_keys=[market_id],
                                          lazy="raise")


class Trade(Model):
    __tablename__ = "trades"
    __table_args__ = (Index("ix_trades_market_created", "market_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    market_id: Mapped[int] = mapped_column(ForeignKey("markets.id", ondelete="CASCADE"))
    outcome_id: Mapped[int] = mapped_column(ForeignKey("market_outcomes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # signed millionths: > 0 bought, < 0 sold
    shares: Mapped[int] = mapped_column(BigInteger)
    # signed hundredths: > 0 paid by the trader, < 0 received
    cost: Mapped[int] = mapped_column(BigInteger)
    price_before: Mapped[float] = mapped_column()
    price_after: Mapped[float] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Position(Model):
    __tablename__ = "positions"
    __table_args__ = (UniqueConstraint("user_id", "outcome_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    market_id: Mapped[int] = mapped_column(ForeignKey("markets.id", ondelete="CASCADE"),
                                           index=True)
    outcome_id: Mapped[int] = mapped_column(ForeignKey("market_outcomes.id", ondelete="CASCADE"))
    shares: Mapped[int] = mapped_column(BigInteger, default=0)  # millionths held now
    cost_basis: Mapped[int] = mapped_column(BigInteger, default=0)  # hundredths paid for them
    realised: Mapped[int] = mapped_column(BigInteger, default=0)  # hundredths of profit taken
    # shares held when the market was resolved or voided (then ``shares`` is 0)
    settled_shares: Mapped[int] = mapped_column(BigInteger, default=0)
    # the trader's net spend on this outcome: charges − proceeds, hundredths
    net_spend: Mapped[int] = mapped_column(BigInteger, default=0)


class LedgerEntry(Model):
    """One change of one account: a user's (``account="user"``) or a market maker's."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_entries_user", "user_id", "id"),
        Index("ix_ledger_entries_market", "market_id", "account"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(8))  # user | market
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    market_id: Mapped[int | None] = mapped_column(ForeignKey("markets.id", ondelete="CASCADE"))
    trade_id: Mapped[int | None] = mapped_column(ForeignKey("trades.id", ondelete="CASCADE"))
    amount: Mapped[int] = mapped_column(BigInteger)  # signed hundredths
    kind: Mapped[str] = mapped_column(String(16))  # grant | trade | payout | refund | clawback
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PricePoint(Model):
    """The prices after a market's creation and after each trade, for the chart."""

    __tablename__ = "market_price_points"
    __table_args__ = (Index("ix_market_price_points_market", "market_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    market_id: Mapped[int] = mapped_column(ForeignKey("markets.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    prices: Mapped[list] = mapped_column(JSON)


class MarketEvent(Model):
    """The audit trail: created, edited, resolved, voided; who, when, the note."""

    __tablename__ = "market_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    market_id: Mapped[int] = mapped_column(ForeignKey("markets.id", ondelete="CASCADE"),
                                           index=True)
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)
