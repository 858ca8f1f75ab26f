"""The service under load, against the framework's floor and the machine's limit, in one run.

    .venv/bin/python bench/run.py [--engines sqlite,postgresql] [--duration 5] [--quick] [--json out.json]

For each engine (SQLite, and PostgreSQL when reachable): a fresh database migrated by the service's own code,
1,000 sites, gunicorn with 2 x cores + 1 workers, and ``wrk -t2 -c32`` on every route, at 1,000 and then at
1,000,000 confirmed sign-ons; the read routes again through the nginx front of deploy/nginx/; the sign-on and
confirm POSTs, checked against the rows; the host dashboard of a site with a tenth of the sign-ons. Two
references under the same load: the bare Flask app under the same gunicorn, and nginx serving the widget
page as a static file. Figures are printed, never asserted (see bench/README.md).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path

import data
from load import BROWSER_HEADERS, CONNECTIONS, THREADS, Figures, Load
from servers import WORKERS, Server, ServerError, free_port, gunicorn, nginx, readable
from sizes import MODES, payloads, table

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx" / "pledge.conf.template"
POSTGRES_URL = os.environ.get("PLEDGE_TEST_POSTGRESQL", "postgresql://postgres@127.0.0.1:5432/test")
SECRET = "bench-secret"
HOT = 1  # the site of the "one site" routes: an ordinary one (site 0 holds a tenth of every sign-on)
ANSWERS = {"name": "Amina Diallo", "organization": "Coopérative des Sols Vivants", "org_type": "producers_group",
           "country": "SN", "goal": "Raise soil organic carbon on 2,000 ha of member farms.",
           "actions": "Cover crops, agroforestry, training of members.", "timetable": "2026 to 2030",
           "resources": "Two agronomists and a seed fund.", "consent": "y"}
TOKEN_INPUT = re.compile(r'<input[^>]*name="form_token"[^>]*value="([^"]+)"')

# The targets, printed next to the figures (never asserted).
TARGET_DIRECT = 0.9  # x bare Flask: /embed.js, the widget page, the count API, straight to gunicorn
TARGET_FRONT = 0.8  # x nginx static: the widget page and the count API through the nginx front
TARGET_SIGNONS = 500  # sign-ons a second into SQLite
TARGET_DASHBOARD_MS = 100
TARGET_LOADER_GZ = 1024
TARGET_FIRST_LOAD_GZ = 12 * 1024


# -- what a run finds ----------------------------------------------------------------------------


@dataclass
class Row:
    """One route's figures (or why it was not measured), with its ratios to the two references."""

    route: str
    kind: str = ""  # "loader", "page", "count": the routes the targets speak of
    rate: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    errors: int | None = None
    bytes_per_answer: int | None = None
    x_bare: float | None = None
    x_static: float | None = None
    target: str = ""
    note: str = ""


@dataclass
class Stage:
    """One engine at one size: direct routes, routes through the front, writes, dashboard, memory."""

    engine: str
    confirmed: int
    load_seconds: float
    load_average: float  # of the machine's last minute, before the stage: other work skews every figure
    references: list[Row] = field(default_factory=list)
    direct: list[Row] = field(default_factory=list)
    front: list[Row] = field(default_factory=list)
    front_note: str = ""
    writes: list[Row] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    dashboard_ms: float | None = None
    dashboard_note: str = ""
    dashboard_signons: int = 0
    worker_rss_kb: list[int] = field(default_factory=list)


@dataclass
class Route:
    """A read route as wrk runs it: a path (or a script and its arguments), extra headers; or why not."""

    name: str
    kind: str
    path: str = ""
    script: str | None = None
    args: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    na: str = ""  # "n/a (...)": not measured, and why
    expect: int | None = None  # the status each answer should have: counted, and its share printed


# -- HTTP helpers --------------------------------------------------------------------------------


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    """``(status, headers, body)`` of a GET, the body decompressed; never raises on an HTTP error status."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, found, body = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        status, found, body = exc.code, dict(exc.headers), exc.read()
    if found.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return status, found, body


def form_token(base: str, key: str) -> str:
    """A valid form token of a site's widget: from its page, or from the token endpoint of a cached page."""
    _status, _headers, page = fetch(f"{base}/w/{key}?lang=en", {"Accept-Language": "en"})
    found = TOKEN_INPUT.search(page.decode())
    if found:
        return found.group(1)
    status, _headers, body = fetch(f"{base}/w/{key}/token?lang=en")
    if status != 200:
        raise RuntimeError(f"no form token in the widget page of {key}, and /w/{key}/token answered {status}")
    return json.loads(body)["form_token"]


# -- the routes ----------------------------------------------------------------------------------


def widget_path(db: data.Database, site: int, mode: str = "form") -> str:
    """The widget page as the loader asks for it: its mode and the embedding page's origin."""
    origin = urllib.parse.quote(f"https://site{site}.example", safe="")
    return f"/w/{db.keys[site]}?mode={mode}&origin={origin}"


def read_routes(base: str, db: data.Database, folder: Path) -> list[Route]:
    """The read routes on ``base`` (the service, or the front); the badge is probed (it may not exist yet)."""
    key = db.keys[HOT]
    spread = folder / "spread.paths"
    spread.write_text("".join(widget_path(db, n) + "\n" for n in range(len(db.keys))))
    routes = [Route("GET /embed.js", "loader", "/embed.js")]
    routes += [Route(f"GET /w/<key>?mode={mode} (one site)", "page", widget_path(db, HOT, mode)) for mode in MODES]
    routes.append(Route(f"GET /w/<key>?mode=form ({len(db.keys):,} sites)", "", "/", "paths", Load.paths_args(spread)))
    routes.append(Route("GET /api/v1/sites/<key>/count", "count", f"/api/v1/sites/{key}/count"))
    # A browser's revalidation of the form (the default) it holds: measure() fetches the ETag right before.
    routes.append(Route("GET /w/<key>?mode=form, If-None-Match", "", widget_path(db, HOT), expect=304))
    badge = f"/badge/{key}.svg"
    status = fetch(base + badge, BROWSER_HEADERS)[0]
    routes.append(Route("GET /badge/<key>.svg", "", badge, na="" if status == 200 else f"n/a ({status})"))
    return routes


def etags(base: str, db: data.Database, requests: int = 20) -> str:
    """How many different ETags the widget page has in each mode over ``requests`` requests: one, or a
    browser's copy revalidates only on the worker that made it."""
    found = []
    for mode in MODES:
        tags = {fetch(base + widget_path(db, HOT, mode), BROWSER_HEADERS)[1].get("ETag") for _ in range(requests)}
        found.append(f"{mode} {len(tags - {None})}" + (" (none)" if tags == {None} else ""))
    return f"distinct ETags of the widget page in {requests} requests: {', '.join(found)}"


def current_etag(url: str, tries: int = 10) -> str | None:
    """The ETag a browser would hold now: the first that two answers in a row agree on (a cache's first
    answer may be a stale copy it is replacing), else the last one seen."""
    etag = None
    for _ in range(tries):
        previous, etag = etag, fetch(url, BROWSER_HEADERS)[1].get("ETag")
        if etag is None or etag == previous:
            break
        time.sleep(0.1)
    return etag


def measure(load: Load, base: str, route: Route) -> Figures | None:
    """wrk on a route; for a revalidation, with the ETag of an answer fetched just now (None: no ETag)."""
    if route.expect == 304:
        etag = current_etag(base + route.path)
        if not etag:
            return None
        route.headers = {"If-None-Match": etag}
    return load.run(base + route.path, script=route.script, args=route.args, headers=route.headers,
                    count_statuses=route.expect is not None)


def share(figures: Figures, status: int) -> str:
    """"answered 304: 97%": how many answers had the status a route expects."""
    answered = sum(figures.statuses.values())
    return f"answered {status}: {100 * figures.statuses.get(status, 0) / answered:.0f}%" if answered else ""


# -- the run -------------------------------------------------------------------------------------


class Run:
    """Everything one invocation measures, and the processes it started (all stopped at the end)."""

    def __init__(self, args: argparse.Namespace, folder: Path, stack: ExitStack):
        self.args = args
        self.folder = folder
        self.stack = stack
        self.load = Load(folder, args.duration)
        self.references: dict[str, Row] = {}
        self.reference_rss_kb: list[int] = []
        self.payloads: list[tuple[str, int, int]] = []
        self.stages: list[Stage] = []
        self.skipped: dict[str, str] = {}

    def start(self, server: Server, path: str) -> Server:
        self.stack.callback(server.stop)
        server.wait_until_up(path)
        return server

    def row(self, name: str, figures: Figures, kind: str = "") -> Row:
        bare, static = self.references.get("bare"), self.references.get("static")
        return Row(name, kind, figures.rate, figures.p50_ms, figures.p99_ms, figures.errors, figures.bytes_per_answer,
                   figures.rate / bare.rate if bare and bare.rate else None,
                   figures.rate / static.rate if static and static.rate else None)

    # -- references --------------------------------------------------------------------------

    def start_references(self) -> None:
        """The bare Flask app under the same gunicorn, and nginx serving the widget page as a static file
        (with its gzipped copy): started once, measured before each stage (the machine may be busier)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGE_")}
        self.bare = self.start(gunicorn("bare", "bare:app", env, self.folder, cwd=str(Path(__file__).parent)), "/")
        docroot = readable(self.folder / "static")
        page = sample_widget_page(self.folder)
        (docroot / "widget.html").write_bytes(page)
        (docroot / "widget.html.gz").write_bytes(gzip.compress(page, 9))
        port = free_port()
        conf = (f"server {{\n    listen 127.0.0.1:{port};\n    root {docroot};\n    gzip_static on;\n"
                "    location / { }\n}\n")
        self.static = self.start(nginx("nginx-static", self.folder, conf, port), "/widget.html")

    def measure_references(self) -> list[Row]:
        """Both references now; the ratios of the routes that follow are to these figures."""
        self.references = {}
        self.references["bare"] = self.row(f"bare Flask, gunicorn -w {WORKERS}: GET /", self.load.run(self.bare.base + "/"))
        self.references["static"] = self.row("nginx static widget.html (gzip_static)",
                                             self.load.run(self.static.base + "/widget.html"))
        self.reference_rss_kb = self.bare.worker_rss()
        rows = list(self.references.values())
        for reference in rows:
            reference.x_bare = reference.rate / self.references["bare"].rate
            reference.x_static = reference.rate / self.references["static"].rate
        return rows

    # -- one engine ----------------------------------------------------------------------------

    def measure_engine(self, engine: str) -> None:
        with ExitStack() as stack:
            db = stack.enter_context(data.fresh_database(engine, str(self.folder), POSTGRES_URL))
            db.create()
            env = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGE_")}
            env.update({"PLEDGE_DATABASE": db.url, "PLEDGE_SECRET_KEY": SECRET, "PLEDGE_RATELIMIT_ENABLED": "false",
                        "PLEDGE_MIN_FILL_SECONDS": "0", "PLEDGE_MAIL_IN_PROCESS": "false", "PLEDGE_PROXY_FIX": "1",
                        "PLEDGE_DATA_DIR": str(self.folder / f"data-{engine}")})
            # No limit holds a sign-on aside: every request is a new person, all from 127.0.0.1.
            env.update({f"PLEDGE_{name}": "0" for name in ("LIMIT_EMAIL_PER_DAY", "LIMIT_SITE_PER_HOUR",
                                                             "LIMIT_IP_PER_DAY", "MAILS_PER_ADDRESS_PER_DAY")})
            service = gunicorn(f"service-{engine}", "widget:create_app()", env, self.folder)
            stack.callback(service.stop)
            service.wait_until_up(f"/api/v1/sites/{db.keys[HOT]}/count")
            front, front_note = self.start_front(engine, service, stack)
            if not self.payloads:
                self.payloads = payloads(lambda path: fetch(service.base + path)[2], db.keys[HOT])
            for size in self.args.sizes:
                stage = Stage(engine, size, db.fill_confirmed(size), os.getloadavg()[0])
                self.stages.append(stage)
                print(f"\n{engine}: {size:,} confirmed sign-ons over {len(db.keys):,} sites (loaded in "
                      f"{stage.load_seconds:.1f} s; load average {stage.load_average:.1f})", flush=True)
                stage.references = self.measure_references()
                stage.direct = self.read_rows(service.base, db, "service")
                stage.checks.append(etags(service.base, db))
                if front:
                    stage.front = self.read_rows(front.base, db, "front")
                stage.front_note = front_note
                self.write_rows(stage, service, db)
                self.dashboard(stage, service, db)
                stage.worker_rss_kb = service.worker_rss()
                print_stage(stage)
            problems = service.log.read_text(errors="replace").count("Traceback")
            if problems:
                print(f"{engine}: {problems} tracebacks in {service.log}")

    def start_front(self, engine: str, service: Server, stack: ExitStack) -> tuple[Server | None, str]:
        """The deployment's nginx front (deploy/nginx/pledge.conf.template rendered by envsubst) before
        ``service``; None and the reason when there is no template or nginx refuses it."""
        if not TEMPLATE.exists():
            return None, "n/a (no template)"
        port = free_port()
        values = {"PLEDGE_UPSTREAM": f"127.0.0.1:{service.port}", "PLEDGE_LISTEN": f"127.0.0.1:{port}",
                  "PLEDGE_CACHE_DIR": str(readable(self.folder / f"nginx-cache-{engine}")),
                  # The template answers only its server name (others get no answer): wrk asks for 127.0.0.1.
                  "PLEDGE_SERVER_NAME": "127.0.0.1"}
        rendered = subprocess.run(["envsubst", " ".join(f"${{{name}}}" for name in values)],
                                  input=TEMPLATE.read_text(), capture_output=True, text=True,
                                  env={**os.environ, **values}, check=True).stdout
        try:
            front = nginx(f"nginx-front-{engine}", self.folder, rendered, port)
            stack.callback(front.stop)
            front.wait_until_up("/embed.js")
        except ServerError as exc:
            print(f"nginx front: n/a ({exc})")
            return None, f"n/a ({str(exc).splitlines()[0]})"
        return front, ""

    def read_rows(self, base: str, db: data.Database, where: str) -> list[Row]:
        routes = read_routes(base, db, self.folder)
        # Warm up: every worker imports, compiles its templates and connects before the clock runs.
        warm = self.folder / f"warm-{where}.paths"
        warm.write_text("".join(route.path + "\n" for route in routes if route.path and not route.na))
        self.load.run(base + "/", script="paths", args=Load.paths_args(warm), seconds=1)
        rows = []
        for route in routes:
            if route.na:
                rows.append(Row(route.name, route.kind, note=route.na))
                continue
            figures = measure(self.load, base, route)
            if figures is None:
                rows.append(Row(route.name, route.kind, note="n/a (no ETag)"))
                continue
            rows.append(self.row(route.name, figures, route.kind))
            if route.expect:
                rows[-1].target = share(figures, route.expect)
        return rows

    def write_rows(self, stage: Stage, service: Server, db: data.Database) -> None:
        """The sign-on POST (each a new address) and the confirm POST, each checked against the rows."""
        base, key = service.base, db.keys[HOT]
        run = f"r{len(self.stages)}{stage.engine[:2]}"
        body = urllib.parse.urlencode({**ANSWERS, "form_token": form_token(base, key)})
        before = db.count("SELECT COUNT(*) FROM signons")
        figures = self.load.run(f"{base}/w/{key}?lang=en", script="signon", args=[f"/w/{key}?lang=en", body, run],
                                count_statuses=True)
        db.quiet()
        like = f"'{run}-%'"
        stored = db.count(f"SELECT COUNT(*) FROM signons WHERE email LIKE {like}")
        mailed = db.count(f"SELECT COUNT(*) FROM outbox o JOIN signons s ON s.id = o.signon_id WHERE s.email LIKE {like}")
        redirected = figures.statuses.get(303, 0)
        other = sum(n for status, n in figures.statuses.items() if status != 303)
        row = self.row("POST /w/<key> (sign-on)", figures, "signon")
        row.errors = figures.errors + other
        stage.writes.append(row)
        stage.checks.append(
            f"sign-on POST: {redirected} answered 303, {other} other; {stored} new rows in signons, {mailed} with their "
            f"outbox row; lost: {max(0, redirected - stored)} (rows beyond the 303s: requests wrk cut off when it "
            f"stopped); sign-ons in all: {before:,} -> {db.count('SELECT COUNT(*) FROM signons'):,}")

        from widget.tokens import Tokens

        tokens = Tokens([SECRET], {})
        pending = db.add_pending(max(2000, 2000 * self.args.duration))
        paths = self.folder / f"confirm-{run}.paths"
        paths.write_text("".join(f"/confirm/{tokens.dumps('confirm', signon_id)}\n" for signon_id in pending))
        confirmed = "SELECT COUNT(*) FROM signons WHERE status = 'confirmed'"
        before = db.count(confirmed)
        figures = self.load.run(base + "/", script="paths", args=Load.paths_args(paths, "POST"), count_statuses=True)
        db.quiet()
        newly = db.count(confirmed) - before
        answered = figures.statuses.get(200, 0)
        other = sum(n for status, n in figures.statuses.items() if status != 200)
        row = self.row("POST /confirm/<token>", figures, "confirm")
        row.errors = figures.errors + other
        stage.writes.append(row)
        stage.checks.append(f"confirm POST: {answered} answered 200, {other} other; {newly} sign-ons confirmed "
                            f"(of {len(pending)} links; a link used again answers \"already confirmed\")")
        drift = db.recount()
        stage.checks.append(f"counters against the rows: {'no drift' if not drift else drift[:3]}")

    def dashboard(self, stage: Stage, service: Server, db: data.Database) -> None:
        """The median of 20 renders of the dashboard of the site with a tenth of the sign-ons."""
        from flask import Flask

        signer = Flask("bench")
        signer.secret_key = SECRET  # the service's: standalone, Flask's SECRET_KEY is the first PLEDGE key
        cookie = signer.session_interface.get_signing_serializer(signer).dumps(
            {"pledge_host_session": db.start_host_session(0), "_permanent": True})
        url = f"{service.base}/host/sites/{db.keys[0]}"
        headers = {"Cookie": f"session={cookie}", "Accept-Language": "en", "Accept-Encoding": "gzip"}
        stage.dashboard_signons = db.count(f"SELECT confirmed FROM counts WHERE site_key = '{db.keys[0]}'")
        times = []
        for n in range(21):
            started = time.perf_counter()
            status, _headers, _body = fetch(url, headers)
            if status != 200:
                stage.dashboard_note = f"n/a ({status})"
                return
            if n:  # the first one warms the worker up
                times.append((time.perf_counter() - started) * 1000)
        stage.dashboard_ms = statistics.median(times)


def sample_widget_page(folder: Path) -> bytes:
    """The widget page (form mode) as the service renders it, made in this process on a scratch database:
    the static file of the nginx reference."""
    from widget import create_app, state

    app = create_app({"PLEDGE_DATABASE": f"sqlite:///{folder}/sample.db", "PLEDGE_SECRET_KEY": SECRET,
                      "PLEDGE_MAIL_IN_PROCESS": False, "PLEDGE_DATA_DIR": str(folder / "sample")})
    site = state(app).store.add_site("Bench site", ["https://site0.example"], "owner@bench.example", "4p1000")
    page = app.test_client().get(f"/w/{site.key}?mode=form", headers={"Accept-Language": "en"}).data
    state(app).store.close()
    return page


# -- printing ------------------------------------------------------------------------------------


def number(value: float | None, digits: int = 0) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


HEADER = (f"{'route':<44} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} {'B/answer':>8} "
          f"{'x bare':>6} {'x static':>8}  target")


def print_rows(title: str, rows: list[Row]) -> None:
    print(f"  {title}\n  {HEADER}")
    for row in rows:
        if row.note:
            print(f"  {row.route:<44} {row.note}")
            continue
        print(f"  {row.route:<44} {number(row.rate):>8} {number(row.p50_ms, 1):>7} {number(row.p99_ms, 1):>7} "
              f"{row.errors:>6} {row.bytes_per_answer:>8} {ratio(row.x_bare):>6} {ratio(row.x_static):>8}  {row.target}")


def judge(stage: Stage) -> None:
    """Fill each row's target column: met or not, never asserted."""
    for row in stage.direct:
        if row.kind in ("loader", "page", "count") and row.x_bare is not None:
            row.target = f">= {TARGET_DIRECT} x bare: {'met' if row.x_bare >= TARGET_DIRECT else 'NOT met'}"
    for row in stage.front:
        if row.kind in ("page", "count") and row.x_static is not None:
            row.target = f">= {TARGET_FRONT} x static: {'met' if row.x_static >= TARGET_FRONT else 'NOT met'}"
    for row in stage.writes:
        if row.kind == "signon" and row.rate is not None:
            met = row.rate >= TARGET_SIGNONS
            row.target = f">= {TARGET_SIGNONS}/s" + (f": {'met' if met else 'NOT met'}" if stage.engine == "sqlite" else
                                                     " (SQLite's target; figure only)")


def print_stage(stage: Stage) -> None:
    judge(stage)
    print_rows("references, measured right before", stage.references)
    print_rows(f"straight to gunicorn (-w {WORKERS})", stage.direct)
    if stage.front:
        print_rows("through the nginx front (deploy/nginx/pledge.conf.template)", stage.front)
    else:
        print(f"  nginx front: {stage.front_note}")
    print_rows("writes", stage.writes)
    for check in stage.checks:
        print(f"    {check}")
    dashboard = (f"{stage.dashboard_ms:.1f} ms median of 20 renders (target < {TARGET_DASHBOARD_MS} ms: "
                 f"{'met' if stage.dashboard_ms < TARGET_DASHBOARD_MS else 'NOT met'})"
                 if stage.dashboard_ms is not None else stage.dashboard_note)
    print(f"  host dashboard of a site with {stage.dashboard_signons:,} sign-ons: {dashboard}")
    print(f"  RSS of each gunicorn worker: {', '.join(f'{kb / 1024:.0f} MB' for kb in stage.worker_rss_kb)}",
          flush=True)


def machine() -> dict[str, str]:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    head = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True)
    uname = subprocess.run(["uname", "-a"], capture_output=True, text=True).stdout.strip()
    return {"nproc": str(os.cpu_count()), "uname": uname or " ".join(platform.uname()), "cpu": model,
            "date": time.strftime("%Y-%m-%d %H:%M %Z"), "commit": head.stdout.strip(),
            "python": platform.python_version()}


def summary(run: Run) -> list[str]:
    """Each target, and whether every measurement of it met it."""
    lines = []

    def verdict(name: str, values: list[tuple[str, bool]]) -> None:
        if not values:
            lines.append(f"{name}: not measured")
            return
        failed = [label for label, met in values if not met]
        lines.append(f"{name}: {'met' if not failed else 'NOT met'}"
                     + (f" ({len(failed)} of {len(values)} short: {', '.join(failed[:6])})" if failed else ""))

    def at(stage: Stage, row: Row) -> str:
        return f"{stage.engine} {stage.confirmed:,} {row.route}"

    verdict(f"straight: /embed.js, widget page, count API >= {TARGET_DIRECT} x bare Flask",
            [(f"{at(s, r)} {r.x_bare:.2f}", r.x_bare >= TARGET_DIRECT) for s in run.stages for r in s.direct
             if r.kind in ("loader", "page", "count") and r.x_bare is not None])
    verdict(f"through nginx: widget page, count API >= {TARGET_FRONT} x nginx static",
            [(f"{at(s, r)} {r.x_static:.2f}", r.x_static >= TARGET_FRONT) for s in run.stages for r in s.front
             if r.kind in ("page", "count") and r.x_static is not None])
    verdict(f"sign-ons >= {TARGET_SIGNONS}/s into SQLite",
            [(f"{s.confirmed:,} {r.rate:.0f}/s", r.rate >= TARGET_SIGNONS) for s in run.stages for r in s.writes
             if s.engine == "sqlite" and r.kind == "signon"])
    postgres = [f"{s.confirmed:,}: {r.rate:.0f}/s" for s in run.stages for r in s.writes
                if s.engine == "postgresql" and r.kind == "signon"]
    if postgres:
        lines.append(f"sign-ons into PostgreSQL (figure only): {', '.join(postgres)}")
    verdict(f"host dashboard < {TARGET_DASHBOARD_MS} ms",
            [(f"{s.engine} {s.dashboard_signons:,} sign-ons {s.dashboard_ms:.0f} ms", s.dashboard_ms < TARGET_DASHBOARD_MS)
             for s in run.stages if s.dashboard_ms is not None])
    sizes = {name: packed for name, _raw, packed in run.payloads}
    if sizes:
        loader, first = sizes["loader /embed.js"], sizes[run.payloads[-1][0]]
        verdict(f"loader <= {TARGET_LOADER_GZ} B gzipped", [(f"{loader} B", loader <= TARGET_LOADER_GZ)])
        verdict(f"widget page + CSS + JS <= {TARGET_FIRST_LOAD_GZ} B gzipped",
                [(f"{first} B", first <= TARGET_FIRST_LOAD_GZ)])
    return lines


def added_rows(args: argparse.Namespace) -> None:
    """The rows of issue 26, each from its own script (which starts and stops its own servers): the widget page
    over many sites in 16 languages at random against bare Flask, and the confirmation mail's latency."""
    here = Path(__file__).parent
    if args.spread:
        print(f"\nwidget page, {args.spread} sites x 16 languages at random, straight to gunicorn (bench/spread.py)",
              flush=True)
        subprocess.run([sys.executable, str(here / "spread.py"), "--sites", args.spread,
                        "--duration", str(max(args.duration, 5))], check=False)
    if args.mail_rate:
        print(f"\nconfirmation mail latency at {args.mail_rate:g} sign-ons/s (bench/mail_latency.py)", flush=True)
        subprocess.run([sys.executable, str(here / "mail_latency.py"), "--rate", str(args.mail_rate),
                        "--seconds", "5" if args.quick else "20"], check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgresql", help="sqlite, postgresql or both (default)")
    parser.add_argument("--duration", type=int, default=5, help="seconds of wrk per route (default 5)")
    parser.add_argument("--sizes", default="1000,1000000", help="confirmed sign-ons at each stage")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 s per route, 20,000 sign-ons")
    parser.add_argument("--json", type=Path, help="write every figure to this file as JSON")
    parser.add_argument("--spread", default="1000,10000",
                        help="the honest case: these numbers of sites x 16 languages at random (bench/spread.py); '' for none")
    parser.add_argument("--mail-rate", type=float, default=150,
                        help="sign-ons a second of the mail latency rows (bench/mail_latency.py); 0 for none")
    parser.add_argument("--only-added", action="store_true",
                        help="only the rows of issue 26 (the honest case, the mail latency): no engine stages")
    args = parser.parse_args()
    if args.quick:
        args.duration, args.sizes = 1, "20000"
    args.sizes = [int(size) for size in args.sizes.split(",")]
    engines = [engine.strip() for engine in args.engines.split(",") if engine.strip()]
    for tool in ("wrk", "nginx", "envsubst"):
        if subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode:
            sys.exit(f"{tool} is missing: apt-get install -y wrk nginx gettext-base")

    about = machine()
    print(f"{about['date']} on {about['cpu']} ({about['nproc']} cores), {about['uname']}; commit {about['commit']}")
    print(f"wrk -t{THREADS} -c{CONNECTIONS} -d{args.duration}s, headers {BROWSER_HEADERS}; gunicorn -w {WORKERS} "
          f"(sync workers); sizes {', '.join(f'{size:,}' for size in args.sizes)} confirmed sign-ons over "
          f"{data.SITES:,} sites", flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="pledge-bench-") as scratch, ExitStack() as stack:
        folder = Path(scratch)
        folder.chmod(0o755)  # nginx's workers (nobody) read the static file and write the cache below
        run = Run(args, folder, stack)
        run.start_references()
        for engine in [] if args.only_added else engines:
            problem = data.postgres_problem(POSTGRES_URL) if engine == "postgresql" else None
            if problem:
                run.skipped[engine] = f"n/a (not reachable at {POSTGRES_URL}: {problem})"
                print(f"\n{engine}: {run.skipped[engine]}")
                continue
            run.measure_engine(engine)
        if run.stages:
            print(f"\nRSS of each bare Flask worker: {', '.join(f'{kb / 1024:.0f} MB' for kb in run.reference_rss_kb)}")
            print("\npayloads (the service's answers, gzip -6)\n" + table(run.payloads))
        added_rows(args)
        print(f"\ntargets (printed, not asserted; {time.monotonic() - started:.0f} s in all)")
        verdicts = summary(run)
        for line in verdicts:
            print(f"  {line}")
    if args.json:
        args.json.write_text(json.dumps({
            "machine": about, "settings": {"wrk": f"-t{THREADS} -c{CONNECTIONS} -d{args.duration}s",
                                           "headers": BROWSER_HEADERS, "gunicorn_workers": WORKERS,
                                           "sizes": args.sizes, "sites": data.SITES},
            "reference_rss_kb": run.reference_rss_kb, "payloads": run.payloads, "skipped": run.skipped,
            "stages": [asdict(stage) for stage in run.stages], "targets": verdicts,
        }, indent=2))


if __name__ == "__main__":
    main()
