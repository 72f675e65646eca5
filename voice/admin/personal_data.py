"""What the staff side holds of a person: the cases their feedback opened and their side of
each conversation, the mails they sent to the reply mailbox, and, for staff, team
ownership, case notes, reply templates, updates and the audit log.

Receivers of voice.signals' personal-data signals (connected in voice.admin.hooks).

The download holds what the person wrote to staff (their messages on cases, and the mails
they sent that were kept aside), never staff's internal notes. Closing an account keeps the
cases and the messages: a case is the staff's record of what a customer said and what was
answered, and stays linked to the anonymised user ("A former customer"); but the inbound
mails from the person's address lose the address and their words (the address is not
anonymised with the account otherwise). The rest names staff, whose accounts an admin
closes from the user list, never through the profile page.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select

from voice.accounts import service as accounts
from voice.accounts.models import User
from voice.admin.models import Case, CaseNote, InboundMail
from voice.clock import isoformat
from voice.errors import Invalid
from voice.extensions import db

#: The tables with a user foreign key that this domain answers for.
TABLES = ("team_owners", "cases", "case_notes", "reply_templates", "updates", "audit_log",
          "inbound_mails")


def _sent_by(address: str, email: str) -> bool:
    try:
        return accounts.normalise_email(address) == email
    except Invalid:
        return False


def _inbound_mails_of(user: User) -> list[InboundMail]:
    """The inbound mails from the user's address (compared as accounts stores addresses)
    or matched to one of their cases."""
    local = user.email.split("@", 1)[0]
    own_cases = set(db.session.scalars(select(Case.id).where(Case.customer_id == user.id)))
    candidates = db.session.scalars(
        select(InboundMail).where(or_(
            func.lower(InboundMail.from_address).contains(local, autoescape=True),
            InboundMail.case_id.in_(own_cases)))
        .order_by(InboundMail.id)).all()
    return [mail for mail in candidates
            if _sent_by(mail.from_address, user.email) or mail.case_id in own_cases]


def export(user_id: int) -> dict[str, Any]:
    """The sections ``case_messages`` (what the person wrote on their cases) and
    ``inbound_mails`` of the download."""
    user = db.session.get(User, user_id)
    if user is None:
        return {}
    messages = db.session.scalars(
        select(CaseNote).where(CaseNote.author_id == user_id, CaseNote.kind == "customer")
        .order_by(CaseNote.id)).all()
    return {
        "case_messages": [{"id": m.id, "case_id": m.case_id, "body": m.body, "via": m.via,
                           "created_at": isoformat(m.created_at)} for m in messages],
        "inbound_mails": [{"id": m.id, "from": m.from_address, "subject": m.subject,
                           "body": m.body, "status": m.status,
                           "received_at": isoformat(m.received_at)}
                          for m in _inbound_mails_of(user)],
    }


def erase(user_id: int) -> None:
    """Blank the address and the words of the inbound mails from the person's address (in
    the caller's transaction); cases and messages stay (see above)."""
    user = db.session.get(User, user_id)
    if user is None:
        return
    for mail in _inbound_mails_of(user):
        if _sent_by(mail.from_address, user.email):
            mail.from_address, mail.subject, mail.body = "", "", ""
