"""Fixtures: the app on a temporary SQLite file, a real SMTP server on loopback, and (for browser
tests) one live server, one host-page server and one headless Chromium for the whole session."""
from __future__ import annotations

import contextlib
import email
import email.policy
import functools
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from widget import create_app, state


@pytest.fixture(autouse=True)
def _no_pledge_environment(monkeypatch):
    """The operator's PLEDGE_* variables must not leak into the tests' apps."""
    for name in list(os.environ):
        if name.startswith("PLEDGE_"):
            monkeypatch.delenv(name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, process, log_path=None, timeout: float = 30.0) -> None:
    """Wait until a server started as a subprocess answers ``url``; fail early if it exits."""
    import urllib.request

    def log() -> str:
        return log_path.read_text() if log_path is not None else ""

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the server exited:\n{log()}"
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer:\n{log()}")


def stop(process) -> None:
    """Stop a server started as a subprocess: SIGTERM (a graceful shutdown), then kill after 30 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- the PostgreSQL and Redis servers this machine kind runs ----------------------------------

POSTGRES_URL = os.environ.get("PLEDGE_TEST_POSTGRESQL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("PLEDGE_TEST_REDIS", "redis://127.0.0.1:6379/15")  # a database of its own


def need_service(name: str, url: str, problem: str | None) -> None:
    """Skip the test, with the reason, when a server is missing; in CI (``CI`` set) fail it instead,
    so that a run without PostgreSQL or Redis can never pass as green."""
    if problem is None:
        return
    message = f"{name} is not reachable at {url} ({problem}); set PLEDGE_TEST_{name.upper()} or start it"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI must run these tests)")
    pytest.skip(message)


@functools.lru_cache(maxsize=None)
def _postgres_problem() -> str | None:
    try:
        import psycopg

        psycopg.connect(POSTGRES_URL, connect_timeout=3).close()
    except Exception as exc:  # not installed, refused, unknown database...
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


@functools.lru_cache(maxsize=None)
def _redis_problem() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:
        return str(exc) or type(exc).__name__
    return None


#: The tests' sessions do not wait for each commit to reach the disk (``synchronous_commit=off``): a test
#: kills workers and senders, never the PostgreSQL server, so nothing a test checks depends on the flush,
#: and a sign-on's commit costs a fraction of the time (the suite's hundreds of PostgreSQL tests and its
#: load tests). Production keeps PostgreSQL's default.
POSTGRES_OPTIONS = os.environ.get("PLEDGE_TEST_POSTGRESQL_OPTIONS", "%20-csynchronous_commit%3Doff")


@contextlib.contextmanager
def fresh_postgres_schema():
    """A PostgreSQL URL whose tables live in a schema of their own, dropped afterwards."""
    need_service("PostgreSQL", POSTGRES_URL, _postgres_problem())
    import psycopg

    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}{POSTGRES_OPTIONS}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def postgres_url():
    """A PostgreSQL database of the test's own (a schema): it starts empty and sees no other test's rows."""
    with fresh_postgres_schema() as url:
        yield url


@pytest.fixture
def redis_url():
    """The Redis server, on a database of the tests' own, emptied before and after the test."""
    need_service("Redis", REDIS_URL, _redis_problem())
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    yield REDIS_URL
    redis.Redis.from_url(REDIS_URL).flushdb()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh database of each engine, as a ``PLEDGE_DATABASE`` URL (tests using it run twice)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pledge.db'}"
    return request.getfixturevalue("postgres_url")


#: The engine of the apps the tests build: SQLite unless PLEDGE_TEST_ENGINE=postgresql (the whole suite
#: can run on PostgreSQL that way); modules marked ``both_engines`` run on each, whatever this says.
TEST_ENGINE = os.environ.get("PLEDGE_TEST_ENGINE", "sqlite")


def pytest_generate_tests(metafunc):
    marked = metafunc.definition.get_closest_marker
    if marked("both_engines") and not marked("sqlite_only") and "app_database" in metafunc.fixturenames:
        metafunc.parametrize("app_database", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def app_database(request, tmp_path):
    """The ``PLEDGE_DATABASE`` of :func:`make_app`'s apps: a new SQLite file or PostgreSQL schema."""
    if getattr(request, "param", TEST_ENGINE) == "postgresql":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'pledge.db'}"


def run_sql(store, sql: str, params=()) -> int:
    """A write that bypasses the store's methods (the clock moved, a sender died), on either engine;
    returns the number of rows changed."""
    with store.write() as db:
        return db.execute(sql, list(params)).rowcount


# -- a real SMTP server ----------------------------------------------------------------------


@dataclass
class Inbox:
    """What the SMTP server on loopback received."""

    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    def wait_for(self, address: str, count: int = 1, timeout: float = 15.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{count} mail(s) to {address} expected, got {len(self.to(address))}")


class SMTPServer:
    """aiosmtpd on a free loopback port; ``stop()`` and ``start()`` simulate an outage."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture(scope="session")
def smtp_server():
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def inbox(smtp_server) -> Inbox:
    if smtp_server.controller is None:  # a test stopped it and failed before restarting it
        smtp_server.start()
    with smtp_server.inbox.lock:  # a test run twice (once per engine) must not find the first run's mail
        smtp_server.inbox.messages.clear()
    return smtp_server.inbox


# -- the app ---------------------------------------------------------------------------------


@pytest.fixture
def make_app(app_database, smtp_server):
    """Build an app from the factory on a fresh database (see :func:`app_database`); keyword arguments
    override config."""

    def factory(**config):
        settings = {
            "TESTING": True,
            "PLEDGE_DATABASE": app_database,
            "PLEDGE_SECRET_KEY": "test-secret",
            "PLEDGE_SMTP_URL": smtp_server.url,
            "PLEDGE_MAIL_IN_PROCESS": False,  # tests deliver the outbox themselves, when they choose
            "PLEDGE_MIN_FILL_SECONDS": 0,  # test clients fill forms faster than people (tested on its own)
            # Public reads kept 0 s: a test reads the count right after confirming (caching: test_caching.py).
            "PLEDGE_CACHE_SECONDS": 0,
        }
        settings.update(config)
        built = create_app(settings)
        apps.append(built)
        return built

    apps = []
    yield factory
    for built in apps:  # before the test's PostgreSQL schema is dropped: no pool outlives its test
        state(built).store.close()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def site(app):
    return state(app).store.add_site("Lycée Jean Moulin", ["https://lycee.example"], "webmaster@lycee.example", "4p1000")


# -- helpers shared by the HTTP tests -----------------------------------------------------------

VALID_ANSWERS = {
    "name": "Amina Diallo",
    "organization": "Coopérative des Sols Vivants",
    "org_type": "producers_group",
    "country": "SN",
    "goal": "Raise soil organic carbon on 2,000 ha of member farms.",
    "actions": "Cover crops, agroforestry, training of members.",
    "timetable": "2026 to 2030",
    "resources": "Two agronomists and a seed fund.",
    "consent": "y",
}

TOKEN_INPUT = re.compile(r'<input[^>]*name="form_token"[^>]*value="([^"]+)"')


def fill_by_ids(form, address: str, organization: str, org_type: str, country: str, answer: str,
                name: str = "Jeanne Martin") -> None:
    """Fill the widget's sign-on form in a browser (a Playwright page or frame) by its fields' ids, whatever
    the page's language, and tick the consent: the caller presses the button it means."""
    form.locator("#name").fill(name)
    form.locator("#email").fill(address)
    form.locator("#organization").fill(organization)
    form.locator("#org_type").select_option(org_type)
    form.locator("#country").select_option(country)
    for field_id in ("goal", "actions", "timetable"):
        form.locator(f"#{field_id}").fill(answer)
    form.locator("#consent").check()


def form_token(client, site_key: str, query: str = "") -> str:
    page = client.get(f"/w/{site_key}{query}").get_data(as_text=True)
    return TOKEN_INPUT.search(page).group(1)


def post_sign_on(client, site_key: str, email_address: str, query: str = "", **overrides):
    """Load the widget (for its form token) and submit a sign-on, as a browser without JavaScript would
    (following the redirect to the "check your inbox" page)."""
    data = dict(VALID_ANSWERS, email=email_address, form_token=form_token(client, site_key, query))
    data.update(overrides)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"/w/{site_key}{query}", data=data, follow_redirects=True)


def deliver(app) -> tuple[int, int]:
    """Run the outbox sender once, as the mail worker would."""
    return state(app).sender.deliver_due()


LINK = re.compile(r"https?://[^\s\"<>]+/(confirm|withdraw)/[A-Za-z0-9_.\-]+")


def links(message: EmailMessage, kind: str = "confirm") -> list[str]:
    """The distinct links of one kind in the plain-text part of a mail."""
    text = message.get_body(("plain",)).get_content()
    return sorted({m.group(0) for m in LINK.finditer(text) if m.group(1) == kind})


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


# -- one live service, one host-page server and one browser for the whole session --------------


class ServerThread:
    """A WSGI app served by werkzeug in a thread, on a free loopback port."""

    def __init__(self, wsgi_app, host: str = "127.0.0.1") -> None:
        from werkzeug.serving import make_server

        self.server = make_server(host, free_port(), wsgi_app, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()


class HostPages:
    """The host web site: pages registered by the tests, served at http://localhost:<port>/<name>."""

    def __init__(self) -> None:
        from flask import Flask, abort

        self.pages: dict[str, tuple[str, dict[str, str]]] = {}
        self.app = Flask("host")

        @self.app.get("/<name>")
        def page(name):
            if name not in self.pages:
                abort(404)
            body, headers = self.pages[name]
            return body, 200, headers

        self.server = ServerThread(self.app)
        self.origin = f"http://localhost:{self.server.port}"

    def add(self, name: str, body: str, lang: str = "en", head: str = "", headers: dict[str, str] | None = None) -> str:
        """Serve ``body`` inside a page whose ``<html lang>`` is ``lang`` (with ``head`` in its head and
        ``headers`` on the response: a host's own CSP); return its URL."""
        self.pages[name] = (
            f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Host page</title>{head}</head>'
            f"<body><h1>Our school supports the 4 per 1000 initiative</h1>{body}</body></html>",
            headers or {},
        )
        return f"{self.origin}/{name}"


@dataclass
class Live:
    app: object
    url: str  # the service, at http://127.0.0.1:<port>
    host: HostPages  # the host site, at http://localhost:<other port>: another site
    site_key: str

    @property
    def store(self):
        return state(self.app).store

    def snippet(self, site_key: str | None = None, **attributes: str) -> str:
        extra = "".join(f' data-{k}="{v}"' for k, v in attributes.items())
        key = site_key or self.site_key
        return (
            f'<a class="pledge-widget" href="{self.url}/w/{key}"{extra}>Sign the 4 per 1000 Declaration</a>\n'
            f'<script async src="{self.url}/embed.js"></script>'
        )


@pytest.fixture(scope="session")
def live(tmp_path_factory, smtp_server):
    with contextlib.ExitStack() as stack:
        if TEST_ENGINE == "postgresql":
            database = stack.enter_context(fresh_postgres_schema())
        else:
            database = f"sqlite:///{tmp_path_factory.mktemp('live') / 'pledge.db'}"
        yield from _live(database, smtp_server)


#: The one admin of the live service's desk.
LIVE_ADMIN = "desk@example.org"


def _live(database: str, smtp_server):
    host = HostPages()
    app = create_app(
        {
            "PLEDGE_DATABASE": database,
            "PLEDGE_SECRET_KEY": "live-secret",
            "PLEDGE_SMTP_URL": smtp_server.url,
            "PLEDGE_MAIL_IN_PROCESS": True,  # as in `pledge-widget run`
            "PLEDGE_MAIL_POLL_SECONDS": 0.5,
            "PLEDGE_MIN_FILL_SECONDS": 0,
            "PLEDGE_RATELIMIT_SIGNON": "1000 per minute",  # every browser test comes from 127.0.0.1
            "PLEDGE_CACHE_SECONDS": 0,  # journeys check the count right after confirming
            "PLEDGE_ADMINS": LIVE_ADMIN,  # the operator's desk (tests/test_admin_browser.py)
            "PLEDGE_ALERT_FLOOR": 0,  # no surge alert mailed in the middle of a test (tests/test_alerts.py)
        }
    )
    site = state(app).store.add_site("Lycée Jean Moulin", [host.origin], "webmaster@lycee.example", "4p1000")
    service = ServerThread(app)
    yield Live(app=app, url=f"http://127.0.0.1:{service.port}", host=host, site_key=site.key)
    service.stop()
    host.server.stop()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser):
    context = browser.new_context(locale="en-GB")
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.fixture(scope="session")
def installed(tmp_path_factory):
    """The sdist and the wheel built from it, as a release makes them, the wheel installed into a fresh
    virtual environment (once a session: tests/test_packaging.py and tests/test_openapi.py use it)."""
    work = tmp_path_factory.mktemp("wheel")
    dist = work / "dist"
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(dist), str(Path(__file__).resolve().parent.parent)],
                   check=True, cwd=work, capture_output=True)
    [wheel] = dist.glob("flask_pledge_widget-*.whl")
    [sdist] = dist.glob("flask_pledge_widget-*.tar.gz")
    checked = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True, cwd=work)
    return work, venv


@pytest.fixture(autouse=True)
def quick_sign_in(request, monkeypatch):
    """The host's and the desk's sign-in answers come no sooner than 0.5 s (their timing tells nothing):
    tested where it is the subject (tests marked ``sign_in_floor``, and tests/test_host_sign_in.py's own
    shortened floor); everywhere else it would only add half a second to every sign-in of the suite."""
    if request.node.get_closest_marker("sign_in_floor"):
        return
    from widget.admin import auth
    from widget.host import start

    monkeypatch.setattr(start, "ANSWER_SECONDS", 0.0)
    monkeypatch.setattr(auth, "ANSWER_SECONDS", 0.0)
