"""Voice: a customer voice platform. ``create_app`` builds the Flask app in named steps."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    load_config(app, config)
    register_extensions(app)
    register_url_converters(app)
    register_blueprints(app)
    register_subscribers(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_security_headers(app)
    register_commands(app)
    return app


def load_config(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    from voice.config import Config, finish_config

    app.config.from_object(Config)
    if overrides:
        app.config.update(overrides)
    finish_config(app.config, app.instance_path)


def register_extensions(app: Flask) -> None:
    from voice import database, pagecache
    from voice.accounts import session as account_session
    from voice.extensions import csrf, db, limiter, login_manager, migrate

    database.install_sqlite_hooks()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    pagecache.init_app(app)
    account_session.configure(login_manager)
    import_models()


#: Every module that declares tables, lowest layer first.
MODEL_MODULES = (
    "voice.mail.models",
    "voice.accounts.models",
    "voice.areas.models",
    "voice.loop.models",
    "voice.ideas.models",
    "voice.surveys.models",
    "voice.markets.models",
    "voice.admin.models",
)


def import_models() -> None:
    """Every model module, so SQLAlchemy and Alembic see the whole schema."""
    for name in MODEL_MODULES:
        importlib.import_module(name)


def register_url_converters(app: Flask) -> None:
    from voice.security import register_url_converters as bounded_integers

    bounded_integers(app)


def register_blueprints(app: Flask) -> None:
    from voice.accounts.views import bp as accounts_bp
    from voice.admin.conversation_views import bp as conversations_bp
    from voice.admin.public_views import bp as updates_bp
    from voice.admin.views import bp as admin_bp
    from voice.api import bp as api_bp
    from voice.ideas.roadmap_views import bp as roadmap_bp
    from voice.ideas.views import bp as ideas_bp
    from voice.loop.views import bp as loop_bp
    from voice.main.views import bp as main_bp
    from voice.markets.views import bp as markets_bp
    from voice.surveys.views import bp as surveys_bp

    for blueprint in (
        main_bp, accounts_bp, ideas_bp, surveys_bp, markets_bp, loop_bp, admin_bp, updates_bp,
        conversations_bp, api_bp, roadmap_bp,
    ):
        app.register_blueprint(blueprint)


def register_subscribers(app: Flask) -> None:
    """Each domain's ``hooks.connect()``, lowest layer first (see voice/signals.py).

    Blinker keeps one connection per receiver, so building a second app (tests, the
    CLI) connects nothing twice. The order is the order receivers run in for a signal
    several domains hear (the personal-data collectors).
    """
    from voice.accounts import hooks as accounts_hooks
    from voice.admin import hooks as admin_hooks
    from voice.areas import hooks as areas_hooks
    from voice.ideas import hooks as ideas_hooks
    from voice.loop import hooks as loop_hooks
    from voice.mail import hooks as mail_hooks
    from voice.markets import hooks as markets_hooks
    from voice.surveys import hooks as surveys_hooks

    for hooks in (mail_hooks, accounts_hooks, areas_hooks, loop_hooks, ideas_hooks,
                  surveys_hooks, markets_hooks, admin_hooks):
        hooks.connect()


def register_error_handlers(app: Flask) -> None:
    from voice.error_pages import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from voice.templating import register

    register(app)


def register_security_headers(app: Flask) -> None:
    from voice.security import register

    register(app)


def register_commands(app: Flask) -> None:
    """Every ``flask`` command and command group: users, demo, backup (voice/cli.py),
    mail delivery (voice/mail) and the staff side's (voice/admin: ``admin``, ``cases``)."""
    from voice import cli
    from voice.admin.commands import admin_cli, cases_cli
    from voice.admin.inbound_commands import receive_command
    from voice.mail.commands import mail_cli

    mail_cli.add_command(receive_command)  # mail receive: needs cases, so it is admin's

    for command in (cli.user_cli, mail_cli, admin_cli, cases_cli, cli.demo, cli.demo_logins,
                    cli.backup_command, cli.restore_command):
        app.cli.add_command(command)
