"""Links in e-mails never come from an unchecked Host (CONTRACT.md, "Trusted links").

An attacker who asks for a host's sign-in link, a confirmation link or an admin's sign-in link with
``Host: attacker.example`` must get a 400 and cause no mail; with PLEDGE_PUBLIC_URL set the mail's links are
on the public address whatever the request named. Cached answers with absolute addresses never carry another
visitor's host. The same over real HTTP, through gunicorn (the nginx front: tests/test_nginx.py).
"""
from __future__ import annotations

import http.client
import logging
import re
import subprocess
import sys

import pytest
from flask import Flask

from conftest import TOKEN_INPUT, VALID_ANSWERS, deliver, free_port, stop, wait_until_up
from test_concurrency import environment
from test_list import sign

from widget import PledgeWidget, state
from widget.store import open_store

ATTACKER = "http://attacker.example"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ADMIN = "boss@example.org"
OWNER = "webmaster@lycee.example"


def token_of(page: str, pattern: re.Pattern = CSRF) -> str:
    found = pattern.search(page)
    return found.group(1) if found else ""


def ask_as(client, base_url: str, form_path: str, data: dict, token_field: str = "csrf_token",
           pattern: re.Pattern = CSRF):
    """What an attacker does: load the form on ``base_url`` (its Host) for its token, then send it there."""
    form = client.get(form_path, base_url=base_url)
    data = dict(data, **{token_field: token_of(form.get_data(as_text=True), pattern)})
    return client.post(form_path, data=data, base_url=base_url)


def every_mailed_link(app, client, site, base_url: str) -> list:
    """Ask, on ``base_url``, for each mail a stranger can cause: a host's sign-in link, a sign-on's
    confirmation link, an admin's sign-in link. Returns the three answers."""
    return [
        ask_as(client, base_url, "/host/", {"email": OWNER}),
        ask_as(client, base_url, f"/w/{site.key}", dict(VALID_ANSWERS, email="victim@example.org"),
               "form_token", TOKEN_INPUT),
        ask_as(client, base_url, "/admin/login", {"email": ADMIN}),
    ]


def test_a_forged_host_gets_400_and_causes_no_mail(make_app):
    app = make_app(PLEDGE_ADMINS=ADMIN)
    site = state(app).store.add_site("Lycée", ["https://lycee.example"], OWNER, "4p1000")
    client = app.test_client()
    answers = every_mailed_link(app, client, site, ATTACKER)
    assert [answer.status_code for answer in answers] == [400, 400, 400]
    assert state(app).store.outbox_stats()["queued"] == 0
    # The same forms on the development server's own address work.
    assert [answer.status_code for answer in every_mailed_link(app, client, site, "http://localhost:5000")] == [200, 303, 200]
    assert state(app).store.outbox_stats()["queued"] == 3


def test_with_the_public_url_every_mailed_link_is_on_it_whatever_the_host(make_app, inbox):
    app = make_app(PLEDGE_ADMINS=ADMIN, PLEDGE_PUBLIC_URL="https://pledge.example.org")
    site = state(app).store.add_site("Lycée", ["https://lycee.example"], OWNER, "4p1000")
    answers = every_mailed_link(app, app.test_client(), site, ATTACKER)
    assert [answer.status_code for answer in answers] == [200, 303, 200]
    deliver(app)
    for address in (OWNER, "victim@example.org", ADMIN):
        [mail] = inbox.wait_for(address)
        text = mail.get_body(("plain",)).get_content() + mail.get_body(("html",)).get_content()
        assert "attacker.example" not in text, address
        assert re.search(r"https://pledge\.example\.org/(host/login|confirm|admin/login)/", text), address


@pytest.mark.parametrize("base_url", ["http://localhost", "http://localhost:5000", "http://127.0.0.1:8000",
                                      "http://[::1]:5000"])
def test_without_settings_the_development_servers_loopback_names_are_answered(app, base_url):
    assert app.test_client().get("/host/", base_url=base_url).status_code == 200


@pytest.mark.parametrize("base_url", [ATTACKER, "http://localhost.attacker.example", "http://127.0.0.1.nip.example",
                                      "http://10.0.0.5:8000", "http://[::2]:5000"])
def test_without_settings_any_other_host_is_refused_on_every_route(app, base_url, caplog):
    client = app.test_client()
    client.get("/embed.js")  # kept by the fast path: a forged host must not get it from there either
    for path in ("/", "/host/", "/embed.js", "/robots.txt", "/no-such-page", "/api/v1/campaigns/4p1000/signatories"):
        assert client.get(path, base_url=base_url).status_code == 400, path
    assert "PLEDGE_TRUSTED_HOSTS" in caplog.text  # the operator is told what to set


def test_trusted_hosts_are_the_only_ones_answered_and_reach_flask(make_app, inbox):
    app = make_app(PLEDGE_TRUSTED_HOSTS="pledge.example.org, .campaign.example")
    assert app.config["TRUSTED_HOSTS"] == ["pledge.example.org", ".campaign.example"]  # Flask's own check
    client = app.test_client()
    for base_url, status in (("https://pledge.example.org", 200), ("https://www.campaign.example:8443", 200),
                             ("https://campaign.example", 200), ("http://localhost", 400), (ATTACKER, 400),
                             ("https://pledge.example.org.attacker.example", 400)):
        assert client.get("/host/", base_url=base_url).status_code == status, base_url
    ask_as(client, "https://pledge.example.org", "/host/", {"email": OWNER})
    deliver(app)
    text = inbox.wait_for(OWNER)[-1].get_body(("plain",)).get_content()
    assert "https://pledge.example.org/host/login/" in text


def test_cached_answers_never_carry_another_visitors_host(make_app):
    """The list's `next` link and the widget page's parent origin, kept by the process (and by its fast
    path) for a minute, asked for on two hosts of the service."""
    app = make_app(PLEDGE_TRUSTED_HOSTS="a.example,b.example", PLEDGE_CACHE_SECONDS=60)
    store = state(app).store
    site = store.add_site("Lycée", ["https://lycee.example"], OWNER, "4p1000")
    for n in range(51):
        sign(store, f"t{n:02}", site_key=site.key)
    client = app.test_client()
    for host in ("a.example", "b.example", "a.example"):
        listed = client.get("/api/v1/campaigns/4p1000/signatories", base_url=f"https://{host}").json
        assert listed["next"].startswith(f"https://{host}/api/v1/campaigns/4p1000/signatories?after="), host
    path = f"/w/{site.key}?hl=en&origin=https://a.example"
    for host, parent in (("a.example", "https://a.example"), ("b.example", ""), ("a.example", "https://a.example")):
        page = client.get(path, base_url=f"https://{host}").get_data(as_text=True)
        assert f'data-host-origin="{parent}"' in page, host


def test_in_a_host_app_only_our_routes_are_checked(tmp_path, smtp_server):
    app = Flask("host_app")
    app.config.update(SECRET_KEY="host-secret", PLEDGE_DATABASE=f"sqlite:///{tmp_path / 'host.db'}",
                      PLEDGE_SMTP_URL=smtp_server.url, PLEDGE_MAIL_IN_PROCESS=False)

    @app.get("/shop")
    def shop():
        return "the host's own page"

    PledgeWidget(app)
    client = app.test_client()
    assert client.get("/shop", base_url=ATTACKER).status_code == 200  # the host app's business
    assert client.get("/host/", base_url=ATTACKER).status_code == 400
    assert client.get("/admin/login", base_url=ATTACKER).status_code == 400
    assert app.config["TRUSTED_HOSTS"] is None  # left to the host app


def test_in_a_host_app_its_own_trusted_hosts_are_ours_too(tmp_path, smtp_server, inbox):
    app = Flask("host_app")
    app.config.update(SECRET_KEY="host-secret", PLEDGE_DATABASE=f"sqlite:///{tmp_path / 'host.db'}",
                      PLEDGE_SMTP_URL=smtp_server.url, PLEDGE_MAIL_IN_PROCESS=False,
                      TRUSTED_HOSTS=["shop.example"])
    PledgeWidget(app)
    client = app.test_client()
    assert client.get("/host/", base_url=ATTACKER).status_code == 400
    assert ask_as(client, "https://shop.example", "/host/", {"email": OWNER}).status_code == 200
    deliver(app)
    assert "https://shop.example/host/login/" in inbox.wait_for(OWNER)[-1].get_body(("plain",)).get_content()


def test_under_gunicorn_no_warning_once_the_public_url_is_set(make_app, monkeypatch, caplog):
    monkeypatch.setenv("SERVER_SOFTWARE", "gunicorn/23.0.0")
    with caplog.at_level(logging.WARNING, logger="widget"):
        make_app(PLEDGE_PUBLIC_URL="https://pledge.example.org")
    assert "PLEDGE_PUBLIC_URL" not in caplog.text
    with caplog.at_level(logging.WARNING, logger="widget"):
        make_app()
    assert "PLEDGE_PUBLIC_URL is not set" in caplog.text


# -- the standalone service over real HTTP ----------------------------------------------------------


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """gunicorn serving create_app() on 127.0.0.1, without PLEDGE_PUBLIC_URL, as a careless operator runs it."""
    tmp = tmp_path_factory.mktemp("trusted")
    database = f"sqlite:///{tmp / 'pledge.db'}"
    env = environment(database)
    env["PLEDGE_ADMINS"] = ADMIN
    store = open_store(database)
    store.migrate()
    site = store.add_site("Lycée", ["https://lycee.example"], OWNER, "4p1000")
    store.close()
    port = free_port()
    log = tmp / "gunicorn.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}",
                                    "widget:create_app()"], env=env, cwd=tmp, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/embed.js", process, log)
        yield port, database, site.key, log
    finally:
        stop(process)


def over_http(port: int, method: str, path: str, host: str, data: str | None = None, cookie: str = ""):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Host": host, "Content-Type": "application/x-www-form-urlencoded"}
    if cookie:
        headers["Cookie"] = cookie
    try:
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace"), response.headers
    finally:
        connection.close()


def test_gunicorn_refuses_a_forged_host_and_mails_nothing(service):
    import urllib.parse

    port, database, site_key, _log = service
    own = f"127.0.0.1:{port}"
    assert over_http(port, "GET", "/embed.js", own)[0] == 200  # kept by the fast path now
    status, page, headers = over_http(port, "GET", "/host/", own)  # a token and its cookie, from the real host
    cookie = headers["Set-Cookie"].split(";")[0]
    form = urllib.parse.urlencode({"email": OWNER, "csrf_token": token_of(page)})
    widget = over_http(port, "GET", f"/w/{site_key}", own)[1]
    sign_on = urllib.parse.urlencode(dict(VALID_ANSWERS, email="victim@example.org", form_token=token_of(widget, TOKEN_INPUT)))
    for method, path, data in (("GET", "/embed.js", None), ("GET", "/host/", None), ("POST", "/host/", form),
                               ("POST", f"/w/{site_key}", sign_on), ("POST", "/admin/login", form)):
        status, _body, _headers = over_http(port, method, path, "attacker.example", data, cookie)
        assert status == 400, (method, path)
    db = open_store(database)
    try:
        assert db.outbox_stats()["queued"] == 0
    finally:
        db.close()
    # The real host's form, with the same token, still works, and its link is on that host.
    assert over_http(port, "POST", "/host/", own, form, cookie)[0] == 200
    db = open_store(database)
    try:
        [[text]] = db.query("SELECT text_body FROM outbox")
    finally:
        db.close()
    assert f"http://127.0.0.1:{port}/host/login/" in text


def test_gunicorn_warns_at_start_up_without_the_public_url(service):
    text = service[3].read_text()
    [line] = [line for line in text.splitlines() if "PLEDGE_PUBLIC_URL is not set" in line]
    assert "localhost, 127.0.0.1, [::1]" in line and "docs/deploy.md" in line
    assert "warnings.warn" not in text and 'File "' not in text  # a log line, no source line or traceback
