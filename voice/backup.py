"""Backups: SQLite's online backup API; for PostgreSQL, pg_dump.

SQLite's backup copies a consistent snapshot page by page while the app keeps
serving (readers and writers go on; the copy restarts if a writer changes a page
it already copied). PostgreSQL is backed up with its own tool, ``pg_dump``,
which takes a consistent snapshot in one transaction.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


def sqlite_path(database_url: str) -> Path | None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def copy_sqlite(source_path: Path, target_path: Path) -> None:
    """Copy one SQLite database over another with SQLite's online backup API."""
    source = sqlite3.connect(source_path)
    target = sqlite3.connect(target_path)
    try:
        with target:
            source.backup(target)
    finally:
        target.close()
        source.close()


def pg_dump_command(database_url: str, target: Path) -> list[str]:
    """The pg_dump call for a PostgreSQL URL (custom format, restorable with pg_restore)."""
    url = make_url(database_url).set(drivername="postgresql")
    libpq_url = url.render_as_string(hide_password=False)
    return ["pg_dump", "--format=custom", "--no-owner", f"--file={target}", libpq_url]


def backup(database_url: str, target: Path) -> str:
    """Write a backup of the database to ``target``; returns a line saying what was done."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    source_path = sqlite_path(database_url)
    if source_path is not None:
        copy_sqlite(source_path, target)
        return f"SQLite backup of {source_path} written to {target}."
    if make_url(database_url).get_backend_name() == "postgresql":
        command = pg_dump_command(database_url, target)
        if shutil.which("pg_dump") is None:
            raise RuntimeError("pg_dump is not installed; install postgresql-client.")
        subprocess.run(command, check=True, capture_output=True)
        return f"PostgreSQL backup written to {target} (restore with pg_restore --clean)."
    raise RuntimeError(f"No backup method for {make_url(database_url).get_backend_name()}.")


def restore_sqlite(database_url: str, source: Path) -> str:
    """Copy a SQLite backup over the live database (run with the servers stopped)."""
    target_path = sqlite_path(database_url)
    if target_path is None:
        raise RuntimeError("Restore here is for SQLite; for PostgreSQL use pg_restore --clean.")
    copy_sqlite(Path(source), target_path)
    return f"Restored {target_path} from {source}."
