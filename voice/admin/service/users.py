"""People: an admin changes a user's role or (de)activates an account, through the
accounts facade, with the audit entry in the same transaction."""

from __future__ import annotations

from voice.accounts import service as accounts
from voice.accounts.models import User
from voice.admin import audit
from voice.admin.models import TeamOwner
from voice.database import write_transaction
from voice.errors import Invalid
from voice.extensions import db
from voice.permissions import ROLES, STAFF_ROLES, require_admin


def change_role(actor: User, user_id: int, role: str) -> User:
    require_admin(actor)
    if role not in ROLES:
        raise Invalid(f"A role is one of {', '.join(ROLES)}.", field="role", code="invalid_role")
    if user_id == actor.id:
        raise Invalid("You cannot change your own role; ask another admin.", field="role",
                      code="own_account")
    with write_transaction():
        user = accounts.get_user(user_id)
        old = user.role
        if old == role:
            return user
        user = accounts.set_role(user.email, role)
        if role not in STAFF_ROLES:
            # A customer owns no team and works no case any more.
            db.session.execute(TeamOwner.__table__.delete().where(TeamOwner.user_id == user.id))
        audit.record(actor, "user.role", "user", user.id, f"{user.email}: {old} → {role}")
    return user


def set_user_active(actor: User, user_id: int, active: bool) -> User:
    require_admin(actor)
    if user_id == actor.id and not active:
        raise Invalid("You cannot deactivate your own account.", code="own_account")
    with write_transaction():
        user = accounts.get_user(user_id)
        if user.active == active:
            return user
        user = accounts.set_active(user_id, active)
        audit.record(actor, "user.activate" if active else "user.deactivate", "user", user.id,
                     user.email)
    return user
