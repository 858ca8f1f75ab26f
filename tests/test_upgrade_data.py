"""Upgrading keeps the data (issue 18, item 16): an earlier version kept its database and generated key in
Flask's instance folder inside the virtualenv (``.venv/var/widget-instance/``). After installing this
version into that virtualenv, the service must not start afresh in the user's data folder: it refuses,
naming the folder and the command that copies the data over, and after that command it runs on the old
data, old key included."""
from __future__ import annotations

import json
import os
import site
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import free_port
from widget import create_app


@pytest.fixture
def earlier_venv(tmp_path):
    """A real virtualenv (its own ``sys.prefix``) in which this package is importable, as after
    ``pip install`` of a new version into the virtualenv an earlier version used."""
    prefix = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(prefix)], check=True)
    [packages] = prefix.glob("lib/python3*/site-packages")
    ours = [p for p in site.getsitepackages() if Path(p).is_dir()]
    # addsitedir also runs the .pth files there (the editable install's finder).
    (packages / "this-checkout.pth").write_text("".join(f"import site; site.addsitedir({p!r})\n" for p in ours))
    return prefix


def command(prefix: Path, home: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """``pledge-widget ARGS`` run by the virtualenv's Python, with the user data folder under ``home``."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGE_")}
    environ.update(XDG_DATA_HOME=str(home), **env)
    return subprocess.run([str(prefix / "bin" / "python"), "-c", "from widget.console import main; main()", *args],
                          env=environ, capture_output=True, text=True, timeout=60, cwd=home.parent)


def test_an_upgraded_virtualenv_refuses_to_start_afresh_and_copies_the_data_over(earlier_venv, tmp_path):
    old = earlier_venv / "var" / "widget-instance"  # Flask's instance folder of the earlier version
    home = tmp_path / "data-home"
    home.mkdir()
    # The earlier installation: its database with a registered site, and the key that signed its mails.
    made = command(earlier_venv, home, "site", "add", "--name", "Lycée Jean Moulin", "--origin", "https://lycee.example",
                   "--email", "web@lycee.example", "--json", PLEDGE_DATA_DIR=str(old))
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)["key"]
    old_secret = (old / "secret_key").read_text()
    assert (old / "pledge.db").is_file()

    new = home / "flask-pledge-widget"
    for args in (["site", "list", "--json"], ["run", "--port", str(free_port())]):
        refused = command(earlier_venv, home, *args)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert str(old) in refused.stderr and str(new) in refused.stderr
        assert f"pledge-widget db copy-in {old}" in refused.stderr
        assert "Traceback" not in refused.stderr
        assert not (new / "pledge.db").exists() and not (new / "secret_key").exists()  # nothing started afresh

    copied = command(earlier_venv, home, "db", "copy-in", str(old))
    assert copied.returncode == 0, copied.stderr
    assert (new / "secret_key").read_text() == old_secret  # links already mailed still verify
    assert stat.S_IMODE((new / "secret_key").stat().st_mode) == 0o600
    listed = command(earlier_venv, home, "site", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [s["key"] for s in json.loads(listed.stdout)] == [key]  # the widgets already pasted still work
    assert (old / "pledge.db").is_file() and (old / "secret_key").read_text() == old_secret  # left as it was

    again = command(earlier_venv, home, "db", "copy-in", str(old))
    assert again.returncode == 1 and "nothing was copied" in again.stderr  # never replaces a file


def test_the_earlier_key_alone_is_found_too(tmp_path, monkeypatch):
    """With PLEDGE_DATABASE set but no key, the earlier version generated its key in the virtualenv."""
    prefix = tmp_path / "venv"
    (prefix / "var" / "widget-instance").mkdir(parents=True)
    (prefix / "var" / "widget-instance" / "secret_key").write_text("the key that signed the mailed links")
    monkeypatch.setattr(sys, "prefix", str(prefix))
    config = {"PLEDGE_DATABASE": f"sqlite:///{tmp_path / 'pledge.db'}", "PLEDGE_DATA_DIR": str(tmp_path / "data"),
              "PLEDGE_MAIL_IN_PROCESS": False}
    with pytest.raises(RuntimeError, match=r"kept this service's secret_key in .*venv/var/widget-instance"):
        create_app(config)
    assert not (tmp_path / "data" / "secret_key").exists()
    create_app({**config, "PLEDGE_SECRET_KEY": "k"})  # a key of its own: nothing to miss
    create_app({**config, "PLEDGE_DATA_DIR": str(prefix / "var" / "widget-instance")})  # the operator's choice
