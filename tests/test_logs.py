"""No token and no whole e-mail address in any log line: every token route (read from the app's routes),
the records of our child loggers (their arguments and exception text included), the development server's
request lines, and gunicorn's access log as docs/deploy.md tells operators to run it."""
from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from conftest import deliver, free_port, stop, wait_until_up
from test_mail_delivery import Picky, queue, smtp_server

from widget import create_app
from widget.logs import TOKEN_ARGUMENTS, redact

DEPLOY = Path(__file__).resolve().parent.parent / "docs" / "deploy.md"


def token_routes(app) -> dict[str, str]:
    """A request path for every rule of ``app`` that carries a token, each with a token of its own
    (not shaped like one of ours: the route, not the token's looks, must be what gets it redacted)."""
    paths = {}
    for rule in app.url_map.iter_rules():
        if TOKEN_ARGUMENTS & rule.arguments:
            token = "Tok" + uuid.uuid4().hex
            path = re.sub(r"<(?:[^<>:]+:)?([^<>:]+)>", lambda m: token if m.group(1) in TOKEN_ARGUMENTS else "x",
                          rule.rule)
            paths[token] = path
    return paths


def request(url: str, **headers: str) -> None:
    try:
        urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10).read()
    except urllib.error.HTTPError:
        pass  # a refused or unknown token: still a request line in the log


def test_every_token_route_of_the_app_is_redacted_in_the_service_log(live, caplog):
    caplog.set_level(logging.INFO)
    routes = token_routes(live.app)
    # The routes mailed links use, at least: a test that finds none proves nothing.
    for known in ("/confirm/", "/withdraw/", "/leave-list/", "/host/login/", "/admin/login/", "/host/unsubscribe/"):
        assert any(path.startswith(known) for path in routes.values()), known
    for path in routes.values():
        request(live.url + path)
    text = caplog.text
    for token, path in routes.items():
        assert token not in text, path
        assert path.replace(token, "[token]") in text, path


def test_token_routes_under_a_url_prefix_and_tokens_in_queries_are_redacted(make_app):
    app = make_app(PLEDGE_URL_PREFIX="/pledge")
    for token, path in token_routes(app).items():
        assert path.startswith("/pledge/")
        assert redact(f'"GET {path}?lang=fr HTTP/1.1" 200') == f'"GET {path.replace(token, "[token]")}?lang=fr HTTP/1.1" 200'
    assert redact("POST /host/from-sign-on?token=abc123&x=1") == "POST /host/from-sign-on?token=[token]&x=1"


def test_addresses_in_every_script_are_masked():
    assert redact("to élise@mairie.example failed") == "to é***@mairie.example failed"
    assert redact("to 用户@例子.example failed") == "to 用***@例子.example failed"
    assert redact("<amina.diallo@coop.example>, 'o'brien@coop.example'") == "<a***@coop.example>, '***@coop.example'"
    assert redact("GET /host/?email=amina%40coop.example HTTP/1.1") == "GET /host/?email=a***@coop.example HTTP/1.1"


def test_a_refused_recipient_is_masked_in_the_mail_senders_log(make_app, caplog):
    """widget.mail is a child of widget: its records are cleaned too, whoever handles them."""
    refused = "élise@mairie.example"
    handler = Picky(rcpt={refused: f"550 5.1.1 <{refused}>: Recipient address rejected"})
    with smtp_server(handler, smtputf8=True) as url, caplog.at_level(logging.WARNING):
        app = make_app(PLEDGE_SMTP_URL=url)
        queue(app, refused)
        deliver(app)
    [record] = [r for r in caplog.records if r.name == "widget.mail"]
    assert "refused for good" in record.getMessage()
    assert "lise@mairie" not in caplog.text and "é***@mairie.example" in caplog.text


def test_child_loggers_arguments_and_exception_text_are_cleaned_for_every_handler(app, caplog):
    """A handler on a child logger itself (not only pytest's on the root) gets clean records: message,
    arguments and traceback."""
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    logger = logging.getLogger("widget.notifications")
    logger.addHandler(handler)
    try:
        try:
            raise RuntimeError("no mailbox 用户@例子.example for /host/unsubscribe/Tok123secret")
        except RuntimeError:
            logger.exception("digest for %s failed (%s)", "amina.diallo@coop.example", "/leave-list/Tok456secret")
    finally:
        logger.removeHandler(handler)
    for text in (written.getvalue(), caplog.text):
        assert "RuntimeError" in text and "Traceback" in text
        for secret in ("amina.diallo", "用户", "Tok123secret", "Tok456secret"):
            assert secret not in text, (secret, text)
        assert "a***@coop.example" in text and "/host/unsubscribe/[token]" in text


def test_gunicorn_access_log_as_deploy_md_runs_it_holds_no_token(tmp_path):
    """gunicorn, started with the options docs/deploy.md gives, in a process of its own: its access log
    (request lines and referrers) shows every token route redacted."""
    [command] = [line for line in DEPLOY.read_text().splitlines() if line.startswith("/srv/pledge/venv/bin/gunicorn")]
    options = command.split()[1:-1]  # the options between the program and the app
    assert "--access-logfile" in options
    port = free_port()
    options[options.index("-w") + 1] = "1"
    options[options.index("-b") + 1] = f"127.0.0.1:{port}"
    config = {"PLEDGE_DATABASE": f"sqlite:///{tmp_path / 'pledge.db'}", "PLEDGE_SECRET_KEY": "gunicorn-secret",
              "PLEDGE_ADMINS": "desk@example.org"}
    routes = token_routes(create_app(config))
    env = {**os.environ, **config}
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", *options, "widget:create_app()"],
                                    env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/embed.js", gunicorn, log)
        referrer = "Tok" + uuid.uuid4().hex
        for path in routes.values():
            request(f"http://127.0.0.1:{port}{path}", Referer=f"https://pledge.example/host/login/{referrer}")
        request(f"http://127.0.0.1:{port}/host/?email=amina.diallo%40coop.example")
    finally:
        stop(gunicorn)
    text = log.read_text()
    assert "GET /embed.js" in text  # the access log is on
    for token, path in routes.items():
        assert token not in text, path
        assert f"GET {path.replace(token, '[token]')} HTTP/1.1" in text, path
    assert referrer not in text and "https://pledge.example/host/login/[token]" in text
    assert "amina.diallo" not in text and "a***@coop.example" in text
