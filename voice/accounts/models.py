"""Users, their login sessions and their API tokens."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from voice.clock import utcnow
from voice.extensions import Model
from voice.permissions import ROLES, STAFF_ROLES

__all__ = [
    "ROLES", "STAFF_ROLES", "ApiToken", "ExternalIdentity", "LoginSession", "User",
    "UserAttribute",
]


class User(UserMixin, Model):
    __tablename__ = "users"
    # ``login_key`` below is an attribute of the loaded object, not a column.
    __allow_unmapped__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="customer", index=True)
    # Play-money balance in hundredths of a point; changed only with a ledger row.
    balance: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on password change, reset, deactivation and closing: a mailed reset link
    # is bound to it (voice.accounts.service.passwords), so a used link is dead.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    #: The raw key of the login session this object was signed in or loaded with (see
    #: LoginSession); None for a user loaded any other way. Never stored.
    login_key: str | None = None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def get_id(self) -> str:
        """What Flask-Login keeps in the session cookie: ``<id>:<login session key>``."""
        return f"{self.id}:{self.login_key or ''}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class ApiToken(Model):
    """A bearer token; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")


class LoginSession(Model):
    """One signed-in browser. The session cookie holds ``<user id>:<key>`` and only the
    key's SHA-256 is stored, so the server can end a session: signing out deletes its
    row, a new password, a deactivation or a closed account every row of the user, and
    a cookie saved before names nothing (issue 13). A row older than
    ``LOGIN_SESSION_LIFETIME`` is over too, and is swept at the user's next sign-in."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExternalIdentity(Model):
    """Who a user is in a host product (issue 15): the ``sub`` of the JWT the host signed
    (``source`` 'identify'), so a changed email still finds the same account."""

    __tablename__ = "external_identities"
    __table_args__ = (UniqueConstraint("source", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserAttribute(Model):
    """One attribute the host product tells about a customer (plan, region, revenue...):
    a string (``text_value``) or a finite number (``number_value``), by ``kind``."""

    __tablename__ = "user_attributes"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # 'string' | 'number'
    text_value: Mapped[str | None] = mapped_column(String(500))
    number_value: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
