"""The flask commands: users, roles and demo data."""

from __future__ import annotations

from sqlalchemy import func, select

from voice.accounts.models import User
from voice.extensions import db


def user(app, email):
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def test_user_create_and_set_role(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["user", "create", "Boss@Example.com", "--password",
                                 "long-enough-pw", "--role", "staff"])
    assert result.exit_code == 0, result.output
    assert user(app, "boss@example.com").role == "staff"

    result = runner.invoke(args=["user", "set-role", "boss@example.com", "admin"])
    assert result.exit_code == 0, result.output
    assert user(app, "boss@example.com").role == "admin"


def test_user_create_refuses_bad_input(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["user", "create", "x@example.com", "--password", "short"])
    assert result.exit_code != 0
    assert "8 to 200 characters" in result.output
    result = runner.invoke(args=["user", "create", "x@example.com", "--password",
                                 "long-enough-pw", "--role", "king"])
    assert result.exit_code != 0
    assert user(app, "x@example.com") is None


def test_set_role_of_an_unknown_user(app):
    result = app.test_cli_runner().invoke(args=["user", "set-role", "ghost@example.com", "staff"])
    assert result.exit_code != 0
    assert "No user" in result.output


def test_demo_fills_an_empty_database_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        roles = dict(db.session.execute(
            select(User.role, func.count(User.id)).group_by(User.role)).all())
    assert roles["admin"] == 1 and roles["staff"] >= 2 and roles["customer"] >= 10
    assert "admin@northwind.example" in result.output

    again = runner.invoke(args=["demo"])
    assert again.exit_code != 0
    quiet = runner.invoke(args=["demo", "--if-empty"])
    assert quiet.exit_code == 0
    assert "not loaded" in quiet.output


def test_demo_without_logins_leaves_the_sign_ins_to_demo_logins(app):
    """make run seeds with --no-logins and prints the sign-ins once, last (issue 13)."""
    runner = app.test_cli_runner()
    seeded = runner.invoke(args=["demo", "--no-logins"])
    assert seeded.exit_code == 0, seeded.output
    assert "Demo data loaded." in seeded.output
    assert "@northwind.example" not in seeded.output
    logins = runner.invoke(args=["demo-logins"])
    assert logins.output.count("admin@northwind.example") == 1
