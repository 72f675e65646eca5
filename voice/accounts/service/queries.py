"""The accounts domain's reads: users by id, email, token and session; staff; search."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, or_, select

from voice.accounts import sql
from voice.accounts.models import User
from voice.accounts.service.checks import check_role
from voice.clock import utcnow
from voice.database import as_id
from voice.errors import NotFound
from voice.extensions import db
from voice.paging import Page, paginate
from voice.permissions import STAFF_ROLES

SEARCH_MAX = 100  # characters of a search kept


def user_by_email(email: str) -> User | None:
    """The user with this email, whatever its case; None if there is none."""
    return db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))


def get_user(user_id: int) -> User:
    """The user with this id; NotFound otherwise."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def count_users() -> int:
    return db.session.scalar(select(func.count(User.id))) or 0


def staff_members() -> list[User]:
    """Active staff and admins, by name (assignees, team owners)."""
    return list(db.session.scalars(
        select(User).where(User.role.in_(STAFF_ROLES), User.active).order_by(User.display_name)))


def search_users(q: str = "", role: str = "", page: int = 1, per_page: int = 20) -> Page:
    """Users whose email or name contains ``q``, optionally of one role, by email."""
    stmt = select(User)
    q = (q or "").strip().lower()[:SEARCH_MAX]
    if q:
        pattern = f"%{q}%"
        stmt = stmt.where(or_(func.lower(User.email).like(pattern),
                              func.lower(User.display_name).like(pattern)))
    if role:
        check_role(role)
        stmt = stmt.where(User.role == role)
    return paginate(stmt.order_by(User.email), page, per_page)


def load_session_user(session_id: str) -> User | None:
    """The user behind a Flask-Login session id ``<user id>:<login session key>``, if that
    session is live (one query); the object carries the key (``User.login_key``)."""
    user_id, _, key = session_id.partition(":")
    if not (user_id.isascii() and user_id.isdigit()) or not key:
        return None
    user = db.session.scalar(sql.session_user(), {
        "key_hash": token_digest(key), "user_id": as_id(int(user_id)),
        "since": utcnow() - session_lifetime()})
    if user is not None:
        user.login_key = key
    return user


def session_lifetime() -> timedelta:
    """How long a login session lasts from its sign-in (``LOGIN_SESSION_LIFETIME``)."""
    return current_app.config["LOGIN_SESSION_LIFETIME"]


def token_digest(raw_token: str) -> str:
    """What is stored of an API token or a login session's key, and looked up: its
    SHA-256, in hex."""
    return hashlib.sha256(raw_token.encode()).hexdigest()


def user_for_token(raw_token: str) -> User | None:
    """The active user a bearer token belongs to: one query, on every API call."""
    return db.session.scalar(sql.token_user(), {"token_hash": token_digest(raw_token)})
