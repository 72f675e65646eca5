"""The app is wired in one place: the factory's named steps (DESIGN.md, "Layout").

Every cross-domain signal has a receiver once ``create_app`` has run; subscribers are
connected only in the domains' ``hooks.py``; nothing is wired by importing a module;
every blueprint and command group is registered by the factory.
"""

from __future__ import annotations

import ast
from pathlib import Path

from blinker import NamedSignal

from voice import create_app, signals

VOICE = Path(__file__).resolve().parent.parent / "voice"
SIGNAL_NAMES = {name for name, value in vars(signals).items() if isinstance(value, NamedSignal)}


def _sources() -> list[tuple[Path, str]]:
    return [(path, path.read_text()) for path in sorted(VOICE.rglob("*.py"))]


def _connect_calls(tree: ast.AST) -> list[int]:
    """Lines that call ``<signal>.connect(...)`` or ``connect_via`` on a Voice signal."""
    lines = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and node.attr in ("connect", "connect_via")):
            continue
        target = node.value
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name in SIGNAL_NAMES:
            lines.append(node.lineno)
    return lines


def test_every_signal_has_a_receiver_after_create_app(app):
    silent = [name for name in sorted(SIGNAL_NAMES)
              if not getattr(signals, name).receivers]
    assert silent == [], f"signals nobody listens to: {silent}"


def test_building_a_second_app_connects_nothing_twice(app):
    before = {name: len(getattr(signals, name).receivers) for name in SIGNAL_NAMES}
    create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "SECRET_KEY": "another"})
    after = {name: len(getattr(signals, name).receivers) for name in SIGNAL_NAMES}
    assert after == before


def test_subscribers_are_connected_only_in_hooks_modules():
    misplaced = [f"{path.relative_to(VOICE.parent)}:{line}"
                 for path, source in _sources() if path.name != "hooks.py"
                 for line in _connect_calls(ast.parse(source))]
    assert misplaced == []
    hooks = [path for path, _source in _sources() if path.name == "hooks.py"]
    assert {path.parent.name for path in hooks} >= {
        "accounts", "loop", "ideas", "surveys", "markets", "admin"}


def test_nothing_is_imported_for_its_side_effects():
    noqa = [str(path.relative_to(VOICE.parent)) for path, source in _sources()
            if "noqa: F401" in source]
    assert noqa == []


def test_the_factory_registers_every_blueprint_and_command_group(app):
    assert set(app.blueprints) >= {
        "main", "accounts", "ideas", "surveys", "markets", "loop", "admin", "updates", "api"}
    assert set(app.cli.commands) >= {
        "user", "mail", "admin", "demo", "demo-logins", "backup", "restore"}
    assert "deliver-webhooks" in app.cli.commands["admin"].commands
