"""Backup and restore keep every row; the PostgreSQL backup goes through pg_dump."""

from __future__ import annotations

import sqlite3
import subprocess

from sqlalchemy import select

from voice.accounts.models import User
from voice.backup import pg_dump_command
from voice.extensions import db


def emails(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(User.email)))


def test_backup_and_restore(app, make_user, backend, tmp_path):
    make_user(email="kept@example.com")
    target = tmp_path / "backup.bin"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0
    make_user(email="after-backup@example.com")
    if backend == "sqlite":
        with sqlite3.connect(target) as copy:
            rows = {row[0] for row in copy.execute("SELECT email FROM users")}
        assert rows == {"kept@example.com"}
        refused = runner.invoke(args=["restore", str(target)])
        assert refused.exit_code != 0
        result = runner.invoke(args=["restore", str(target), "--yes"])
        assert result.exit_code == 0, result.output
        assert emails(app) == {"kept@example.com"}
    else:
        toc = subprocess.run(["pg_restore", "--list", str(target)], capture_output=True,
                             text=True, check=True).stdout
        assert "TABLE DATA public users" in toc


def test_pg_dump_command_uses_a_libpq_url(tmp_path):
    command = pg_dump_command("postgresql+psycopg://postgres@127.0.0.1:5432/voice",
                              tmp_path / "x.dump")
    assert command[0] == "pg_dump"
    assert command[-1] == "postgresql://postgres@127.0.0.1:5432/voice"
    assert f"--file={tmp_path / 'x.dump'}" in command
