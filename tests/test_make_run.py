"""`make run` as a newcomer meets it: what it installs, what it prints, where mail links go.

The Makefile is run for real against a throwaway venv folder whose ``bin`` holds the
project's own ``flask`` and a stand-in ``gunicorn`` (it records its environment and
exits), so the demo is seeded, the mail is delivered and the server is "started"
exactly as ``make run`` does it, on a temporary SQLite file.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: What only the tests and the linters use; serving Voice must need none of them.
TEST_PACKAGES = {"pytest", "pytest_flask", "hypothesis", "playwright", "schemathesis",
                 "aiosmtpd", "pyinstrument", "mypy", "importlinter", "ruff"}

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")


def make(*args: str, env: dict[str, str] | None = None, timeout: float = 60
         ) -> subprocess.CompletedProcess[str]:
    """``make ARGS`` in the project, free of the flags of a make this test runs under."""
    env = {key: value for key, value in (env or os.environ).items()
           if key not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def fake_venv(tmp_path: Path, *stamps: str) -> Path:
    """A venv folder for the Makefile: the real flask, a recording gunicorn, fresh stamps."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "flask").symlink_to(ROOT / ".venv" / "bin" / "flask")
    gunicorn = venv / "bin" / "gunicorn"
    gunicorn.write_text('#!/bin/sh\necho "VOICE_BASE_URL=$VOICE_BASE_URL" > "$GUNICORN_SEEN"\n'
                        'echo "ARGS=$*" >> "$GUNICORN_SEEN"\necho "gunicorn stand-in"\n')
    gunicorn.chmod(0o755)
    for stamp in stamps:
        (venv / stamp).touch()  # newer than pyproject.toml: nothing to install
    return venv


def pip_installs(dry_run: str) -> list[str]:
    return [line for line in dry_run.splitlines() if "pip install" in line]


# --- what make run installs -------------------------------------------------------------


@needs_make
def test_make_run_installs_what_serving_needs_and_make_test_the_test_extras(tmp_path):
    venv = tmp_path / "venv"
    run = make("-n", "run", f"VENV={venv}")
    assert run.returncode == 0, run.stderr
    installs = pip_installs(run.stdout)
    assert any(line.rstrip().endswith("pip install --quiet -e .") for line in installs), installs
    assert not any("[test]" in line for line in installs), installs

    test = make("-n", "lint", f"VENV={venv}")
    assert test.returncode == 0, test.stderr
    assert any("-e '.[test]'" in line for line in pip_installs(test.stdout))


@needs_make
def test_switching_between_run_and_test_installs_nothing_again(tmp_path):
    venv = fake_venv(tmp_path, ".run-stamp", ".test-stamp")
    for target in ("run", "lint"):
        dry = make("-n", target, f"VENV={venv}")
        assert dry.returncode == 0, dry.stderr
        assert pip_installs(dry.stdout) == [], target
    # After make run alone, make test adds the test extras only (no new venv, no runtime).
    (venv / ".test-stamp").unlink()
    dry = make("-n", "lint", f"VENV={venv}")
    assert [line.split("pip install", 1)[1].strip() for line in pip_installs(dry.stdout)] == [
        "--quiet -e '.[test]'"]


def test_the_runtime_dependencies_hold_no_test_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[\[<>=~! ]", dep, maxsplit=1)[0].lower().replace("-", "_")
             for dep in project["dependencies"]}
    assert not names & ({name.replace("-", "_") for name in TEST_PACKAGES} | {"import_linter"})
    assert "pytest" in " ".join(project["optional-dependencies"]["test"])


def test_no_module_of_voice_imports_a_test_package():
    found = []
    for path in (ROOT / "voice").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found += [f"{path.relative_to(ROOT)}: {name}" for name in names
                      if name.split(".")[0] in TEST_PACKAGES]
    assert found == []


def test_serving_loads_no_test_package():
    """Import every module of voice and build the app: no test package is loaded."""
    code = (
        "import importlib, pkgutil, sys, voice\n"
        "for m in pkgutil.walk_packages(voice.__path__, 'voice.'):\n"
        "    importlib.import_module(m.name)\n"
        "voice.create_app()\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {TEST_PACKAGES!r}))\n"
    )
    env = dict(os.environ, VOICE_DATABASE_URL="sqlite://", VOICE_SECRET_KEY="test-secret")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


# --- what make run prints and where its links go ----------------------------------------


@pytest.fixture(scope="module")
def make_run(tmp_path_factory):
    """``make run PORT=18000`` on a fresh SQLite file, the server a stand-in."""
    # make is one of the two things the README asks of a machine: its absence is a failure
    assert shutil.which("make") is not None, "GNU make is not installed"
    tmp_path = tmp_path_factory.mktemp("make-run")
    venv = fake_venv(tmp_path, ".run-stamp", ".test-stamp")
    database = tmp_path / "voice.sqlite"
    env = {key: value for key, value in os.environ.items() if not key.startswith("VOICE_")}
    env.update(VOICE_DATABASE_URL=f"sqlite:///{database}", VOICE_SECRET_KEY="test-secret",
               GUNICORN_SEEN=str(tmp_path / "gunicorn.env"))
    mail_log = tmp_path / "mail.log"
    done = make("run", "PORT=18000", f"VENV={venv}", f"MAIL_LOG={mail_log}", env=env,
                timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done, database, mail_log, tmp_path / "gunicorn.env"


def test_make_run_prints_the_sign_ins_once_and_last_and_logs_mail_to_a_file(make_run):
    done, _, mail_log, _ = make_run
    out = done.stdout
    assert out.count("admin@northwind.example") == 1, out
    assert out.count("Demo sign-ins") == 1
    setup, _, after = out.partition("Demo sign-ins")
    assert "Demo data loaded." in setup
    assert "mail.log" in setup  # the terminal says where the mails went
    # After the sign-ins only the server (and the mail sender's one line) speaks.
    before_server = after.split("gunicorn stand-in")[0].splitlines()[1:]
    assert [line for line in before_server if line.strip()
            and not line.startswith(("  customer", "  staff", "  admin", "Delivering mail"))
            ] == [], after
    # No mail text in the terminal: a line per batch at most, the mails in the file.
    assert "Subject:" not in out and "--- mail to" not in out
    mails = mail_log.read_text().count("--- mail to ")
    assert mails > 100
    batch_lines = [line for line in out.splitlines() if line.startswith("Mail to ")]
    assert 1 <= len(batch_lines) <= mails // 50 + 1
    assert len(out.splitlines()) < 80, out


def test_with_port_18000_the_demo_mails_and_the_server_link_to_port_18000(make_run):
    _, database, _, seen = make_run
    with sqlite3.connect(database) as connection:
        bodies = [row[0] for row in connection.execute("SELECT body_text FROM outbox_mails")]
    assert bodies
    links = [link for body in bodies for link in re.findall(r"https?://[^\s)>\"]+", body)]
    assert links
    assert all(link.startswith("http://127.0.0.1:18000/") for link in links), {
        link.split("/")[2] for link in links}
    recorded = seen.read_text()
    assert "VOICE_BASE_URL=http://127.0.0.1:18000\n" in recorded
    assert "--bind 127.0.0.1:18000" in recorded
