"""Loop commands: mail delivery."""

from __future__ import annotations

from flask.cli import AppGroup

mail_cli = AppGroup("mail", help="Deliver the mail outbox.")
