"""``PLEDGE_LOG_FORMAT=json`` under gunicorn as deploy/gunicorn.conf.py runs it: every line of both logs is one
JSON object (gunicorn's own lines and its access log included), each request's lines carry its id (the
trusted proxy's, when well formed, else a new one, and the same as the ``X-Request-ID`` answered) and its
route class, and nothing secret is written."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from pathlib import Path

from conftest import free_port, stop, wait_until_up

ROOT = Path(__file__).resolve().parent.parent


def get(url: str, **headers: str) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as answer:
            return answer.status, dict(answer.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers)


def test_json_lines_with_request_ids_from_gunicorn_and_the_service(tmp_path):
    # The service in an app of the operator's, with one route that fails (an error inside a request).
    (tmp_path / "served.py").write_text(textwrap.dedent("""
        from widget import create_app
        app = create_app()

        @app.get("/boom")
        def boom():
            raise RuntimeError("could not mail amina.diallo@coop.example")
        """))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGE_")}
    env.update(PLEDGE_DATABASE=f"sqlite:///{tmp_path / 'pledge.db'}", PLEDGE_SECRET_KEY="k", PLEDGE_LOG_FORMAT="json",
               PLEDGE_PROXY_FIX="1", PLEDGE_MAIL_IN_PROCESS="false", PYTHONPATH=str(tmp_path))
    port = free_port()
    out, err = tmp_path / "access.log", tmp_path / "error.log"
    with out.open("w") as stdout, err.open("w") as stderr:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
                                   "-w", "1", "-b", f"127.0.0.1:{port}", "served:app"],
                                  env=env, cwd=tmp_path, stdout=stdout, stderr=stderr)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", server, err)
        status, trusted = get(f"{base}/embed.js", **{"X-Request-ID": "lb-7f3a.trusted:1"})
        assert status == 200 and trusted["X-Request-ID"] == "lb-7f3a.trusted:1"
        _, replaced = get(f"{base}/embed.js", **{"X-Request-ID": "<script>alert(1)</script>"})
        assert re.fullmatch(r"[0-9a-f]{32}", replaced["X-Request-ID"])
        status, failed = get(f"{base}/boom")
        assert status == 500
        get(f"{base}/confirm/Tok0123456789secret")
    finally:
        stop(server)

    lines = {name: [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
             for name, path in (("access", out), ("error", err))}
    for entry in lines["access"] + lines["error"]:
        assert set(entry) >= {"time", "level", "logger", "message", "request_id", "route_class"}, entry
    assert any(e["logger"] == "gunicorn.error" and "Starting gunicorn" in e["message"] for e in lines["error"])
    by_id = {e["request_id"]: e for e in lines["access"]}
    assert by_id["lb-7f3a.trusted:1"]["route_class"] == "loader"
    assert 'GET /embed.js' in by_id["lb-7f3a.trusted:1"]["message"]
    assert by_id["lb-7f3a.trusted:1"]["message"].endswith("lb-7f3a.trusted:1")  # the access line names it too
    assert replaced["X-Request-ID"] in by_id and "<script>" not in out.read_text()
    [error] = [e for e in lines["error"] if e["message"] == "Exception on /boom [GET]"]
    assert error["request_id"] == failed["X-Request-ID"] and error["route_class"] == "other"
    assert error["level"] == "ERROR" and "RuntimeError" in error["exception"]
    assert "a***@coop.example" in error["exception"]
    everything = out.read_text() + err.read_text()
    assert "amina.diallo" not in everything and "Tok0123456789secret" not in everything
    assert any("/confirm/[token]" in e["message"] and e["route_class"] == "confirm" for e in lines["access"])


def test_a_request_id_is_taken_only_from_a_trusted_proxy(make_app):
    """Without PLEDGE_PROXY_FIX nothing in front is trusted: the client's X-Request-ID is replaced."""
    for proxies, kept in ((0, False), (1, True)):
        client = make_app(PLEDGE_PROXY_FIX=proxies).test_client()
        answer = client.get("/healthz", headers={"X-Request-ID": "client-chosen-id"})
        assert (answer.headers["X-Request-ID"] == "client-chosen-id") is kept
        assert len(client.get("/embed.js").headers.getlist("X-Request-ID")) == 1
