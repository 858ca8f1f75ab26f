"""The service files of deploy/systemd/: systemd-analyze finds nothing wrong in them, every timer starts its
own service, every command they run exists, and docs/deploy.md uses each of them."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from widget.cli import pledge

ROOT = Path(__file__).resolve().parent.parent
UNITS = ROOT / "deploy" / "systemd"
VENV_BIN = "/srv/pledge/venv/bin/"


def units(suffix: str) -> list[Path]:
    return sorted(UNITS.glob(f"*.{suffix}"))


def test_systemd_analyze_verifies_every_unit(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        message = "systemd-analyze is missing (Debian package systemd)"
        if os.environ.get("CI"):
            pytest.fail(message + ": CI must run this test")
        pytest.skip(message)
    # The units as installed, with the programs where this test's environment has them (verify wants them).
    here = str(Path(sys.executable).parent) + "/"
    for unit in units("service") + units("timer"):
        (tmp_path / unit.name).write_text(unit.read_text().replace(VENV_BIN, here))
    result = subprocess.run([analyze, "verify", "--man=no", *sorted(map(str, tmp_path.iterdir()))],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stdout + result.stderr


def test_every_timer_runs_a_command_that_exists():
    services = {unit.stem for unit in units("service")}
    timers = {unit.stem for unit in units("timer")}
    assert timers <= services and {"pledge-web", "pledge-mail"} <= services
    commands = {" ".join(path) for path in _paths(pledge)}
    for unit in units("service"):
        [start] = re.findall(r"^ExecStart=(.*)$", unit.read_text(), re.M)
        program, *args = start.split()
        assert program.startswith(VENV_BIN), unit.name
        if program.endswith("/pledge-widget"):
            words = [arg for arg in args if not arg.startswith("-") and not arg.startswith("/")]
            assert " ".join(words) in commands, (unit.name, start)
        else:
            assert program.endswith("/gunicorn") and "widget:create_app()" in args
            assert args[args.index("-c") + 1] == "/etc/pledge/gunicorn.conf.py"
    # The check-ins' timer comes with the command it runs (another issue adds `checkins send`).
    assert ("checkins send" in commands) == ("pledge-checkins" in timers)


def test_deploy_md_uses_every_unit():
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    for unit in units("service") + units("timer"):
        assert unit.name in text, unit.name
    assert "deploy/gunicorn.conf.py" in text


def _paths(group, prefix=()):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _paths(command, (*prefix, name))
        else:
            yield (*prefix, name)
