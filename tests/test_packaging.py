"""`pip install .` gives a working service outside the source tree: templates, loader and catalogues."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A wheel built from the repository, installed into a fresh virtual environment."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"), str(ROOT)],
        check=True,
        cwd=work,
    )
    [wheel] = (work / "dist").glob("flask_pledge_widget-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True, cwd=work)
    return work, venv


def test_wheel_serves_loader_and_translated_widget(installed):
    work, venv = installed
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGE_") and k != "PYTHONPATH"}
    env.update({"PLEDGE_DATABASE": f"sqlite:///{work / 'pledge.db'}", "PLEDGE_SECRET_KEY": "k",
                "PLEDGE_PUBLIC_URL": "https://pledge.example"})
    added = subprocess.run(
        [str(venv / "bin" / "pledge-widget"), "site", "add", "--name", "Lycée Jean Moulin",
         "--origin", "https://lycee.example", "--email", "webmaster@lycee.example", "--json"],
        check=True, cwd=work, env=env, capture_output=True, text=True,
    )
    site = json.loads(added.stdout)
    assert site["snippet"].startswith('<a class="pledge-widget" href="https://pledge.example/w/' + site["key"])

    script = textwrap.dedent(
        f"""
        import json, widget
        from widget import create_app
        app = create_app()
        client = app.test_client()
        loader = client.get("/embed.js")
        french = client.get("/w/{site['key']}?lang=fr")
        arabic = client.get("/w/{site['key']}?lang=ar")
        print(json.dumps({{
            "module": widget.__file__,
            "loader": [loader.status_code, loader.get_data(as_text=True)[:200]],
            "fr": [french.status_code, french.get_data(as_text=True)],
            "ar": arabic.get_data(as_text=True)[:400],
        }}))
        """
    )
    run = subprocess.run([str(venv / "bin" / "python"), "-c", script], check=True, cwd=work, env=env,
                         capture_output=True, text=True)
    result = json.loads(run.stdout)
    assert str(venv) in result["module"]  # the installed copy, not the source tree
    assert result["loader"][0] == 200 and "pledge-widget" in result["loader"][1]
    assert result["fr"][0] == 200
    assert "Déclaration d’intention" in result["fr"][1]  # compiled catalogues are in the wheel
    assert 'dir="rtl"' in result["ar"]
