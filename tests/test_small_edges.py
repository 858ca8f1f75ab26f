"""Smaller things a newcomer hit (issue 18, item 22), over HTTP and the command line: one directive of each
name in a page's policy, one ``Date`` header from the development server, the paper CSV's errors quoting
what the host wrote, and the generated-key warning said plainly."""
from __future__ import annotations

import http.client
import os
import subprocess
import sys
from pathlib import Path

from conftest import free_port, stop, wait_until_up
from test_paper import HEADER, csv_row, host, upload  # noqa: F401  (a fixture)
from test_snippet_builder import builder


def directives(policy: str) -> list[str]:
    return [part.split()[0] for part in policy.split(";") if part.strip()]


def test_the_builders_policy_names_each_directive_once(app, host, site):
    response, _page = builder(host, site)
    names = directives(response.headers["Content-Security-Policy"])
    assert "connect-src" in names and "frame-src" in names
    assert len(names) == len(set(names)), names


def test_a_paper_csv_error_quotes_the_cell_as_written(app, host, site):
    response = upload(host, site.key, "\n".join([HEADER, csv_row(country="France")]))
    assert response.status_code == 400
    assert "Row 2, column “country”: “France” is not a country code" in response.get_data(as_text=True)


def test_run_says_its_generated_key_plainly_and_sends_one_date_header(tmp_path):
    """The development server of `pledge-widget run` adds a Date to every answer: the app adds none."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGE_")}
    env["PLEDGE_DATA_DIR"] = str(tmp_path / "data")  # no key set: one is generated
    log_path = tmp_path / "stderr.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-c", "from widget.console import main; main()", "run", "--port", str(port)],
                                   env=env, stdout=subprocess.DEVNULL, stderr=log, cwd=tmp_path)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/", process, log_path)
        # Each public read twice: rendered by Flask, then answered from the page cache; and a 304.
        paths = ["/", "/embed.js", "/embed.js", "/w/demo", "/w/demo", "/api/v1/sites/demo/count",
                 "/api/v1/sites/demo/count", "/pledge-static/widget.css", "/badge/demo.svg", "/robots.txt", "/nowhere",
                 "/host/"]
        tags: dict[str, str] = {}
        for path in paths + ["/embed.js"]:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", path, headers={"If-None-Match": tags[path]} if path in tags else {})
            answer = connection.getresponse()
            answer.read()
            connection.close()
            assert len(answer.msg.get_all("Date")) == 1, (path, answer.status, answer.msg.get_all("Date"))
            if path == "/embed.js":
                tags[path] = answer.getheader("ETag")
        assert answer.status == 304
    finally:
        stop(process)
    printed = log_path.read_text()
    assert f"No PLEDGE_SECRET_KEY set: generated one and saved it in {tmp_path / 'data' / 'secret_key'}" in printed
    assert "UserWarning" not in printed and "warnings.warn" not in printed and "config.py" not in printed


def test_the_scripts_test_skips_without_its_fonts_unless_in_ci(tmp_path):
    """A machine without the Noto fonts (the README's prerequisites) skips the test and says which to install."""
    config = tmp_path / "no-fonts.conf"
    config.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig></fontconfig>\n')
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["FONTCONFIG_FILE"] = str(config)
    run = subprocess.run([sys.executable, "-m", "pytest", "tests/test_scripts_browser.py", "-k", "each_script", "-q",
                          "-rs", "-p", "no:cacheprovider"], env=env, capture_output=True, text=True, timeout=300,
                         cwd=Path(__file__).resolve().parent.parent)
    assert "4 skipped" in run.stdout and "failed" not in run.stdout, run.stdout[-3000:]
    assert "apt-get install fonts-noto-cjk fonts-noto-core" in run.stdout
