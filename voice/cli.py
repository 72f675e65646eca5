"""Flask commands: user management and demo data (mail delivery: voice.mail.commands).

    flask --app voice user create EMAIL --password P --role customer|staff|admin
    flask --app voice user set-role EMAIL ROLE
    flask --app voice demo [--if-empty] [--no-logins]
    flask --app voice demo-logins
    flask --app voice backup PATH
    flask --app voice restore PATH --yes
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from voice.accounts import service as accounts
from voice.accounts.models import ROLES
from voice.errors import ServiceError

user_cli = AppGroup("user", help="Create users and change their roles.")


@user_cli.command("create")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", type=click.Choice(ROLES), default="customer", show_default=True)
@click.option("--name", "display_name", default=None, help="Display name (default: from email).")
def create_user(email: str, password: str, role: str, display_name: str | None) -> None:
    """Create a user with a role."""
    name = display_name or email.split("@", 1)[0]
    try:
        user = accounts.create_user(email, password, name, role=role)
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Created {user.email} ({user.role}).")


@user_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
def set_role(email: str, role: str) -> None:
    """Change a user's role."""
    try:
        user = accounts.set_role(email, role)
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"{user.email} is now {user.role}.")


@click.command("demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has users.")
@click.option("--logins/--no-logins", default=True, show_default=True,
              help="Print the demo sign-ins afterwards (make run prints them last, itself).")
def demo(if_empty: bool, logins: bool) -> None:
    """Fill an empty database with a small, realistic company."""
    from voice.demo import seed_demo

    if accounts.count_users() > 0:
        if if_empty:
            click.echo("The database has data; demo data not loaded.")
            return
        raise click.ClickException("The database is not empty; demo data goes in an empty one.")
    seed_demo()
    click.echo("Demo data loaded.")
    if logins:
        print_demo_logins()


@click.command("demo-logins")
def demo_logins() -> None:
    """Print the demo accounts' sign-in details."""
    print_demo_logins()


def print_demo_logins() -> None:
    from voice.demo import DEMO_LOGINS, DEMO_PASSWORD

    click.echo(f"Demo sign-ins (password for each: {DEMO_PASSWORD}):")
    for role, email in DEMO_LOGINS:
        click.echo(f"  {role:9} {email}")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Back the database up to PATH (SQLite online backup, or pg_dump)."""
    from voice.backup import backup

    try:
        click.echo(backup(current_app.config["SQLALCHEMY_DATABASE_URI"], path))
    except (RuntimeError, OSError, subprocess.CalledProcessError) as error:
        raise click.ClickException(str(error)) from None


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Confirm: the current data is replaced.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace the SQLite database with the backup at PATH (stop the servers first)."""
    from voice.backup import restore_sqlite
    from voice.extensions import db

    if not yes:
        raise click.ClickException("This replaces the current data; run again with --yes.")
    db.engine.dispose()
    try:
        click.echo(restore_sqlite(current_app.config["SQLALCHEMY_DATABASE_URI"], path))
    except (RuntimeError, OSError) as error:
        raise click.ClickException(str(error)) from None
