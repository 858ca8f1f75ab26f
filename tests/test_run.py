"""`pledge-widget run`, the README's start command: a working service on an empty database."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request

from conftest import TOKEN_INPUT, VALID_ANSWERS, free_port, wait_until_up


def test_run_creates_the_demo_and_prints_mail_with_its_link(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGE_")}
    env.update({"PLEDGE_DATABASE": f"sqlite:///{tmp_path / 'pledge.db'}", "PLEDGE_SECRET_KEY": "k",
                "PLEDGE_MAIL_POLL_SECONDS": "0.2", "PLEDGE_MIN_FILL_SECONDS": "0"})
    log = (tmp_path / "stderr.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-c", "from widget.console import main; main()", "run", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=log, cwd=tmp_path,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/", process)
        front = urllib.request.urlopen(base + "/").read().decode()
        assert f'href="{base}/w/demo"' in front and "/embed.js" in front
        widget = urllib.request.urlopen(base + "/w/demo").read().decode()
        data = dict(VALID_ANSWERS, email="newcomer@example.org", form_token=TOKEN_INPUT.search(widget).group(1))
        body = urllib.parse.urlencode(data).encode()
        answer = urllib.request.urlopen(base + "/w/demo", data=body).read().decode()
        assert "Check your inbox" in answer
        deadline = time.monotonic() + 10
        printed = ""
        while time.monotonic() < deadline and "/confirm/" not in printed:
            time.sleep(0.1)
            printed = (tmp_path / "stderr.log").read_text()
        assert "E-mail to newcomer@example.org" in printed
        assert re.search(re.escape(base) + r"/confirm/\S+", printed)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_data_lives_in_the_users_data_folder_not_the_virtualenv(tmp_path, monkeypatch, caplog):
    """Recreating the virtualenv must not lose the database nor the key that signed the mailed links."""
    import sys as _sys

    from widget import create_app

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    app = create_app({"PLEDGE_MAIL_IN_PROCESS": False})
    assert "generated one and saved it" in caplog.text
    folder = tmp_path / "data-home" / "flask-pledge-widget"
    assert app.instance_path == str(folder)
    assert app.config["PLEDGE_DATABASE"] == f"sqlite:///{folder / 'pledge.db'}"
    assert (folder / "pledge.db").exists() and (folder / "secret_key").exists()
    assert not app.instance_path.startswith(_sys.prefix)
    moved = create_app({"PLEDGE_DATA_DIR": str(tmp_path / "moved"), "PLEDGE_SECRET_KEY": "k", "PLEDGE_MAIL_IN_PROCESS": False})
    assert moved.config["PLEDGE_DATABASE"] == f"sqlite:///{tmp_path / 'moved' / 'pledge.db'}"


def test_run_prints_where_the_data_lives(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGE_")}
    env.update({"PLEDGE_DATA_DIR": str(tmp_path / "service-data")})
    log = (tmp_path / "stderr.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-c", "from widget.console import main; main()", "run", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=log, cwd=tmp_path,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/", process)
        assert f"Data folder: {tmp_path / 'service-data'}" in (tmp_path / "stderr.log").read_text()
        assert (tmp_path / "service-data" / "pledge.db").exists()
    finally:
        process.terminate()
        process.wait(timeout=10)
