"""A release: one version (the package's, `pledge-widget --version`'s, the CHANGELOG's head), an sdist and a
wheel built from it (`python -m build`) that `twine check` passes, and the wheel installed in a fresh virtual
environment outside the source tree gives a working service: templates, loader and catalogues."""
from __future__ import annotations

import json
import os
import re
import subprocess
import textwrap
from pathlib import Path

import widget

ROOT = Path(__file__).resolve().parent.parent


def test_one_version_everywhere(installed):
    """The wheel's name, its metadata and `pledge-widget --version` say the package's version, which is the
    CHANGELOG's latest release."""
    work, venv = installed
    version = widget.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert (work / "dist" / f"flask_pledge_widget-{version}-py3-none-any.whl").is_file()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGE_") and k != "PYTHONPATH"}
    printed = subprocess.run([str(venv / "bin" / "pledge-widget"), "--version"], check=True, cwd=work, env=env,
                             capture_output=True, text=True)
    first, details = printed.stdout.split("\n", 1)
    assert first == f"pledge-widget {version}"
    assert re.fullmatch(r"disposable-email-domains \d+\.\d+\.\d+ \(\d+ domains\)\n", details)
    metadata = subprocess.run([str(venv / "bin" / "python"), "-c", "from importlib.metadata import version; "
                               "print(version('flask-pledge-widget'))"], check=True, capture_output=True, text=True)
    assert metadata.stdout.strip() == version
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    [head] = re.findall(r"^## (\d+\.\d+\.\d+)\b", changelog, re.M)[:1]
    assert head == version


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
