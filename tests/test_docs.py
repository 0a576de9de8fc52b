"""The README documents every setting and every command: a new one without docs fails here."""

from __future__ import annotations

from pathlib import Path

from typer.main import get_command

from maxim.cli import app
from maxim.settings import SETTINGS

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented() -> None:
    missing = [name for name, _, _ in SETTINGS if f"`{name}`" not in README]
    assert missing == []


def test_every_command_is_documented() -> None:
    root = get_command(app)
    missing = []
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        if subcommands:
            missing += [f"maxim {name} {sub}" for sub in subcommands if f"{name} {sub}" not in README]
        elif f"maxim {name}" not in README:
            missing.append(f"maxim {name}")
    assert missing == []


def test_the_two_commands_come_first() -> None:
    assert README.index("make demo") < README.index("## Architecture")
    assert README.index("make test") < README.index("## Architecture")
