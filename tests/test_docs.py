"""Every documented thing exists, and everything that exists is documented."""
from __future__ import annotations

from pathlib import Path

import pytest

from widget.cli import pledge
from widget.config import DEFAULTS

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_every_config_key_is_documented(key):
    assert f"`{key}`" in (DOCS / "configuration.md").read_text(encoding="utf-8")


def _commands(group, prefix=""):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}"


@pytest.mark.parametrize("command", sorted(_commands(pledge)))
def test_every_command_is_documented(command):
    assert f"`pledge-widget {command}" in (DOCS / "cli.md").read_text(encoding="utf-8")
