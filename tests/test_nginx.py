"""deploy/nginx/pledge.conf.template in front of gunicorn, as an operator runs it: Debian's nginx with the
template rendered by envsubst, the service behind it with PLEDGE_PROXY_FIX=1.

Public reads are answered from nginx's cache (each language and each coding its own copy, gzipped
once by the service, not again per hit); private pages and POSTs never are; a sign-on through nginx
works end to end; a client cannot choose its rate-limit identity with a forged X-Forwarded-For; a page
past its max-age is answered at once from the stale copy while the service is busy; a request for a host
other than server_name's gets no answer, and absolute links are on the host nginx checked.

Every visitor here connects from an address of its own on the loopback network (127.0.0.N), so that
each test has its own rate-limit identity, as real visitors do.
"""
from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import TOKEN_INPUT, VALID_ANSWERS, free_port, need_service, stop, wait_until_up
from test_concurrency import KEY, environment
from test_list import sign
from test_request_bodies import LIMIT, form_pieces, send_chunked

from widget.store import open_store
from widget.tokens import Tokens

TEMPLATE = Path(__file__).resolve().parents[1] / "deploy" / "nginx" / "pledge.conf.template"
NGINX = os.environ.get("PLEDGE_TEST_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
ENVSUBST = shutil.which("envsubst")
MAX_AGE = 2  # PLEDGE_CACHE_SECONDS of the service: the stale test waits it out
SIGN_ON_LIMIT = 2  # sign-ons per minute per client and per gunicorn worker (memory:// counts per process)
WORKERS = 2
COLD_VISITORS = 20
#: The names nginx answers (PLEDGE_SERVER_NAME): the visitors' 127.0.0.1, and a public name they may send.
SERVER_NAMES = ("127.0.0.1", "pledge.example")

#: Accept-Encoding as browsers send it, and as a client without gzip (a feed reader, curl) does.
BROWSER = "gzip, deflate, br"
PLAIN = "identity"

# The main nginx.conf around the template, as Debian's wraps conf.d/*.conf; every path in the test's
# folder, so that nginx runs as any user (as root, its workers would otherwise switch to nobody, who
# cannot enter the test's folder).
MAIN_CONFIG = """\
{user}
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log info;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/pledge.conf;
}}
"""


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def cache(self) -> str | None:
        """What nginx's cache did: HIT, MISS, BYPASS, STALE, UPDATING... (None: not a cached location)."""
        return self.headers.get("X-Cache-Status")

    @property
    def text(self) -> str:
        """The body as the browser reads it: gunzipped once when it came gzipped."""
        body = gzip.decompress(self.body) if self.headers.get("Content-Encoding") == "gzip" else self.body
        return body.decode()

    @property
    def lang(self) -> str | None:
        start = self.text.find('<html lang="')
        return self.text[start + 12:self.text.index('"', start + 12)] if start >= 0 else None


@dataclass
class Front:
    """nginx at ``port``, gunicorn behind it; ``database`` is the service's."""

    port: int
    site_key: str
    database: str
    gunicorn: subprocess.Popen

    def fetch(self, path: str, *, visitor: int = 2, method: str = "GET", data: dict | None = None,
              encoding: str = BROWSER, language: str = "en", timeout: float = 30, **headers: str) -> Answer:
        """One request to nginx from the visitor at 127.0.0.<visitor>, redirects not followed;
        ``headers`` with underscores for dashes (X_Forwarded_For=...)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout,
                                                source_address=(f"127.0.0.{visitor}", 0))
        sent = {"Accept-Encoding": encoding, "Accept-Language": language}
        sent.update({name.replace("_", "-"): value for name, value in headers.items()})
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            return Answer(response.status, response.headers, response.read())
        finally:
            connection.close()

    def workers(self) -> list[int]:
        """The gunicorn worker processes (the master's children)."""
        pid = self.gunicorn.pid
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def nginx_problem() -> str | None:
    if not os.access(NGINX, os.X_OK):
        return "not installed: apt-get install nginx"
    if ENVSUBST is None:
        return "envsubst is not installed: apt-get install gettext-base"
    return None


def render_template(upstream: int, port: int, cache_dir: Path) -> str:
    """deploy/nginx/pledge.conf.template as envsubst fills it in, for gunicorn on ``upstream``."""
    return subprocess.run(
        [ENVSUBST, "${PLEDGE_UPSTREAM} ${PLEDGE_LISTEN} ${PLEDGE_CACHE_DIR} ${PLEDGE_SERVER_NAME}"],
        input=TEMPLATE.read_text(), capture_output=True, text=True, check=True,
        env={"PLEDGE_UPSTREAM": f"127.0.0.1:{upstream}", "PLEDGE_LISTEN": f"127.0.0.1:{port}",
             "PLEDGE_CACHE_DIR": str(cache_dir), "PLEDGE_SERVER_NAME": " ".join(SERVER_NAMES)},
    ).stdout


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    need_service("nginx", NGINX, nginx_problem())
    tmp = tmp_path_factory.mktemp("nginx")
    database = f"sqlite:///{tmp / 'pledge.db'}"
    env = environment(database)
    env.update(
        {
            "PLEDGE_PROXY_FIX": "1",  # nginx is the one proxy in front
            "PLEDGE_RATELIMIT_ENABLED": "true",
            "PLEDGE_RATELIMIT_SIGNON": f"{SIGN_ON_LIMIT} per minute",
            "PLEDGE_CACHE_SECONDS": str(MAX_AGE),
            "PLEDGE_TRUSTED_HOSTS": ",".join(SERVER_NAMES),  # as nginx's server_name: no PLEDGE_PUBLIC_URL here
        }
    )
    added = subprocess.run(
        [sys.executable, "-c", "from widget.console import main; main()", "site", "add", "--name", "Lycée Jean Moulin",
         "--origin", "https://lycee.example", "--email", "webmaster@lycee.example", "--json"],
        env=env, cwd=tmp, capture_output=True, text=True, check=True, timeout=60,
    )
    site_key = json.loads(added.stdout)["key"]

    upstream, port = free_port(), free_port()
    (tmp / "pledge.conf").write_text(render_template(upstream, port, tmp / "cache"))
    (tmp / "nginx.conf").write_text(MAIN_CONFIG.format(tmp=tmp, user="user root;" if os.geteuid() == 0 else ""))

    gunicorn_log = tmp / "gunicorn.log"
    nginx_log = tmp / "error.log"
    with gunicorn_log.open("w") as log:
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{upstream}", "widget:create_app()"],
            env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=log,
        )
    nginx = None
    try:
        wait_until_up(f"http://127.0.0.1:{upstream}/api/v1/sites/{site_key}/count", gunicorn, gunicorn_log)
        nginx = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-g", "daemon off;"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_until_up(f"http://127.0.0.1:{port}/embed.js", nginx, nginx_log)
        yield Front(port, site_key, database, gunicorn)
    finally:
        if nginx is not None:
            stop(nginx)
        stop(gunicorn)
    assert "Traceback" not in gunicorn_log.read_text()


def test_public_reads_are_answered_from_the_cache(front):
    """The loader, the widget page, the count API and a static file: the second request of each never
    reaches the service."""
    for path in ("/embed.js", f"/w/{front.site_key}?min=1", f"/api/v1/sites/{front.site_key}/count",
                 "/pledge-static/widget.js"):
        first, second = front.fetch(path), front.fetch(path)
        assert first.status == second.status == 200, path
        assert first.cache in ("MISS", "HIT"), path  # HIT: an earlier test asked already
        assert second.cache == "HIT", f"{path}: {second.headers}"
        assert second.body == first.body, path


def test_the_lists_badges_and_open_data_are_answered_from_the_cache_and_their_404s_are_not(front):
    """The public reads of issue 11 follow the same rules: the second request never reaches the service;
    an unknown campaign or badge is asked again each time (an error carries no freshness)."""
    for path in ("/c/4p1000/signatories", "/api/v1/campaigns/4p1000/signatories", f"/badge/{front.site_key}.svg",
                 "/badge/campaign/4p1000.svg", "/api/v1/campaigns/4p1000", "/api/v1/campaigns/4p1000/daily.csv",
                 f"/api/v1/sites/{front.site_key}/daily.json", f"/w/{front.site_key}?mode=list"):
        first, second = front.fetch(path), front.fetch(path)
        assert first.status == second.status == 200, path
        assert second.cache == "HIT", f"{path}: {second.headers}"
        assert "Set-Cookie" not in second.headers, path
    for path in ("/c/no-such-campaign/signatories", "/api/v1/campaigns/no-such-campaign", "/badge/nokey.svg"):
        first, second = front.fetch(path), front.fetch(path)
        assert first.status == second.status == 404, path
        assert second.cache != "HIT", f"{path}: {second.headers}"


def test_a_browser_revalidating_its_copy_gets_304_from_the_cache(front):
    path = f"/w/{front.site_key}?min=2"
    first = front.fetch(path)
    etag = first.headers.get("ETag")
    assert etag and not etag.startswith("W/"), f"a strong ETag expected: {first.headers}"
    again = front.fetch(path, If_None_Match=etag)
    assert (again.status, again.cache, again.body) == (304, "HIT", b"")


def test_each_language_is_cached_apart(front):
    """A cache keyed on the URL alone would serve the first visitor's language to everyone."""
    path = f"/w/{front.site_key}?min=3"
    french = front.fetch(path, language="fr-FR,fr;q=0.9,en;q=0.5")
    english = front.fetch(path, language="en-GB,en;q=0.9")
    assert (french.lang, english.lang) == ("fr", "en")
    assert english.cache != "HIT"  # the French copy was not served to the English visitor
    for _ in range(2):
        assert front.fetch(path, language="fr-FR,fr;q=0.9,en;q=0.5").lang == "fr"
        assert front.fetch(path, language="en-GB,en;q=0.9").lang == "en"
    cached = front.fetch(path, language="fr-FR,fr;q=0.9,en;q=0.5"), front.fetch(path, language="en-GB,en;q=0.9")
    assert [(answer.cache, answer.lang) for answer in cached] == [("HIT", "fr"), ("HIT", "en")]


def test_gzip_and_plain_clients_each_get_their_own_copy_from_the_cache(front):
    """The page is gzipped once by the service and cached gzipped; nginx compresses it neither again (a
    body gzipped twice would not be HTML after one gunzip) nor itself on every hit; a client without
    gzip gets the plain page."""
    path = f"/w/{front.site_key}?min=4"
    for _ in range(2):
        zipped, plain = front.fetch(path, encoding=BROWSER), front.fetch(path, encoding=PLAIN)
    assert zipped.cache == plain.cache == "HIT"
    assert zipped.headers.get("Content-Encoding") == "gzip"
    # nginx's own gzip, per hit, would stream the body (no Content-Length) and weaken the ETag (W/).
    assert zipped.headers.get("Content-Length") and not zipped.headers.get("ETag", "W/").startswith("W/")
    assert zipped.body[:2] == b"\x1f\x8b" and gzip.decompress(zipped.body).lstrip().lower().startswith(b"<!doctype html")
    assert plain.headers.get("Content-Encoding") is None
    assert plain.body.lstrip().lower().startswith(b"<!doctype html")
    assert zipped.lang == plain.lang == "en"
    assert "Accept-Encoding" in zipped.headers.get("Vary", "")  # browsers' caches keep them apart too


def test_visitors_of_a_cold_page_wait_for_one_request_not_for_the_cache_lock(front):
    """A page nobody asked for yet, asked by many at once: one request goes to the service and the others
    wait for its answer (proxy_cache_lock), but not the 0.5 s a waiting request sleeps by default
    before nginx looks at the lock again: proxy_cache_lock_timeout cuts that short."""
    path = f"/w/{front.site_key}?min=7"
    together = threading.Barrier(COLD_VISITORS)

    def visit(visitor: int) -> tuple[float, str | None]:
        together.wait()
        started = time.monotonic()
        answer = front.fetch(path, visitor=visitor)
        assert answer.status == 200
        return time.monotonic() - started, answer.cache

    with ThreadPoolExecutor(COLD_VISITORS) as pool:
        visits = list(pool.map(visit, range(20, 20 + COLD_VISITORS)))
    slowest = max(wait for wait, _ in visits)
    assert slowest < 0.4, f"the slowest visitor waited {slowest:.2f} s"
    served = [cache for _, cache in visits]
    assert served.count("HIT") >= COLD_VISITORS // 2, f"most visitors should get the one answer: {served}"


def private_paths(front, visitor: int) -> list[str]:
    """A host's sign-in page, a confirmation link, the form token, the "check your inbox" page."""
    email = f"private{visitor}@coop-sols.example"
    page = front.fetch(f"/w/{front.site_key}", visitor=visitor)
    token = TOKEN_INPUT.search(page.text).group(1)
    sent = front.fetch(f"/w/{front.site_key}", visitor=visitor, method="POST",
                       data=dict(VALID_ANSWERS, email=email, form_token=token))
    assert sent.status == 303, sent.text[:500]
    db = open_store(front.database)
    try:
        signon_id = db.query("SELECT id FROM signons WHERE email = ?", [email])[0][0]
    finally:
        db.close()
    confirm = Tokens([KEY], {"confirm": 3600}).dumps("confirm", signon_id)
    return ["/host/", f"/confirm/{confirm}", f"/w/{front.site_key}/token", f"/w/{front.site_key}/sent"]


def test_private_pages_are_never_cached(front):
    for path in private_paths(front, visitor=3):
        answers = [front.fetch(path, visitor=3) for _ in range(3)]
        assert [a.status for a in answers] == [200] * 3, path
        assert all(a.cache in (None, "MISS", "BYPASS") for a in answers), f"{path}: {[a.cache for a in answers]}"
        assert all("no-store" in a.headers.get("Cache-Control", "") for a in answers), path


def test_a_signed_in_host_is_never_served_from_the_cache(front):
    """Whatever an answer says, a request with the host session cookie goes to the service."""
    path = f"/api/v1/sites/{front.site_key}/count"
    front.fetch(path)
    assert front.fetch(path).cache == "HIT"
    assert front.fetch(path, Cookie="session=abc").cache == "BYPASS"


def test_a_sign_on_through_nginx_works_and_each_visitor_gets_their_own_answer(front):
    answers = {}
    for visitor, email in ((4, "amina@coop-sols.example"), (5, "jules@ferme-bio.example")):
        page = front.fetch(f"/w/{front.site_key}", visitor=visitor)
        token = TOKEN_INPUT.search(page.text).group(1)
        answers[email] = front.fetch(f"/w/{front.site_key}", visitor=visitor, method="POST",
                                     data=dict(VALID_ANSWERS, email=email, form_token=token))
    for email, answer in answers.items():
        assert answer.status == 303, f"{email}: {answer.status} {answer.text[:500]}"
        assert answer.headers["Location"].split("?")[0].endswith(f"/w/{front.site_key}/sent")
        assert answer.cache in (None, "MISS", "BYPASS")
    db = open_store(front.database)
    try:
        stored = {row[0] for row in db.query("SELECT email FROM signons")}
    finally:
        db.close()
    assert set(answers) <= stored  # the second POST reached the service too, not a stored answer
    sent = front.fetch(f"/w/{front.site_key}/sent?lang=fr", visitor=4)
    assert sent.status == 200 and sent.lang == "fr"


def test_a_forged_x_forwarded_for_does_not_choose_the_rate_limit_identity(front):
    """nginx replaces X-Forwarded-For by the address that connected: a client sending a new forged one
    with each sign-on is still one client, and gets 429 once over the limit. (Each gunicorn worker counts
    on its own with memory://: two workers accept at most twice the limit, so five sign-ons from one
    client meet a 429.) Another client is not limited by the first one's sign-ons."""
    path = f"/w/{front.site_key}"
    statuses = [front.fetch(path, visitor=6, method="POST", data={"email": "x@example.org"},
                            X_Forwarded_For=f"203.0.113.{n}").status
                for n in range(SIGN_ON_LIMIT * WORKERS + 1)]
    assert 429 in statuses, statuses
    assert front.fetch(path, visitor=7, method="POST", data={"email": "y@example.org"}).status != 429


def test_a_request_too_large_for_the_service_gets_its_page_and_a_huge_one_is_cut_short_by_nginx(front):
    """Over PLEDGE_MAX_REQUEST_BYTES (64 KiB) the service answers 413 with its page in the visitor's
    language; nginx lets that through, and refuses itself what is far larger, before buffering it."""
    path = f"/w/{front.site_key}"
    over = front.fetch(path, visitor=8, method="POST", data={"goal": "x" * 100_000}, language="fr")
    huge = front.fetch(path, visitor=8, method="POST", data={"goal": "x" * 1_000_000}, language="fr")
    assert (over.status, over.lang) == (413, "fr")
    assert huge.status == 413 and "nginx" in huge.text


def test_the_service_sees_the_scheme_and_host_the_visitor_used_not_forged_ones(front):
    """nginx sets X-Forwarded-Proto and -Host itself. The widget on the service's own pages (the front
    page's demo) talks to its parent only if the origin it is given is the service's own, as the
    service sees it: over plain HTTP here, whatever X-Forwarded-Proto the client sent."""
    forged = {"Host": "pledge.example", "X_Forwarded_Proto": "https", "X_Forwarded_Host": "evil.example"}
    own = front.fetch(f"/w/{front.site_key}?min=6&origin=http://pledge.example", **forged)
    claimed = front.fetch(f"/w/{front.site_key}?min=6&origin=https://pledge.example", **forged)
    assert 'data-host-origin="http://pledge.example"' in own.text
    assert 'data-host-origin=""' in claimed.text


def test_a_page_past_its_max_age_is_answered_at_once_while_the_service_is_busy(front):
    """The workers are frozen (SIGSTOP): the stale copy is served at once while nginx fetches a new one
    in the background, and the new one is served once the service answers again."""
    path = f"/w/{front.site_key}?min=5"
    front.fetch(path)
    assert front.fetch(path).cache == "HIT"
    time.sleep(MAX_AGE + 1.2)  # nginx counts max-age in whole seconds
    workers = front.workers()
    for pid in workers:
        os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        stale = front.fetch(path, timeout=3)
        elapsed = time.monotonic() - started
    except TimeoutError:
        pytest.fail("the visitor waited for the frozen service instead of getting the stale copy")
    finally:
        for pid in workers:
            os.kill(pid, signal.SIGCONT)
    assert stale.status == 200 and stale.cache in ("STALE", "UPDATING"), stale.cache
    assert elapsed < 0.5, f"the stale copy took {elapsed:.2f} s"
    deadline = time.monotonic() + 10
    while front.fetch(path).cache != "HIT":  # the background update landed
        assert time.monotonic() < deadline, "the entry was never refreshed"
        time.sleep(0.1)


def test_a_forged_host_gets_no_answer_from_the_front_and_nginx_hides_its_version(front):
    """Only server_name's hosts reach the service: any other gets the connection closed (444), a page nginx
    keeps included, so a link can never be built on it."""
    assert front.fetch("/embed.js").status == 200
    for method, path in (("GET", "/host/"), ("POST", "/host/"), ("GET", "/embed.js"), ("POST", f"/w/{front.site_key}"),
                         ("POST", "/admin/login")):
        for host in ("attacker.example", "pledge.example.attacker.example"):
            with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
                front.fetch(path, visitor=9, method=method, data={} if method == "POST" else None, Host=host)
    assert front.fetch("/host/", visitor=9, Host="pledge.example").status == 200
    assert front.fetch("/embed.js").headers["Server"] == "nginx"  # no version


def test_the_lists_next_link_through_the_front_is_on_the_host_asked_for(front):
    """The JSON list's absolute `next` link is built on the host nginx checked; the cached copies of each
    host (nginx's and the service's) keep to their own."""
    from test_list import sign

    db = open_store(front.database)
    try:
        for n in range(51):
            sign(db, f"front{n:02}", site_key=front.site_key, org_type="research")
    finally:
        db.close()
    path = "/api/v1/campaigns/4p1000/signatories?org_type=research"
    hosts = [("pledge.example", "http://pledge.example"), (f"127.0.0.1:{front.port}", "http://127.0.0.1")] * 3
    # nginx's cache first, then (a session cookie passes it by) each worker's own copies, host after host.
    for cookie in ("", "session=abc"):
        for host, root in hosts:
            answer = front.fetch(path, Host=host, Cookie=cookie)
            assert answer.status == 200, answer.text[:300]
            assert json.loads(answer.text)["next"].startswith(f"{root}/api/v1/campaigns/4p1000/signatories?"), host


# Issue 18's attacks on caches and request bodies, through the front:
#
# - An unknown filter's empty list, asked by an attacker, never reaches anyone who asked for the whole list,
# whichever worker kept it and whatever nginx keeps (item 5).
# - A body sent in chunks is refused past PLEDGE_MAX_REQUEST_BYTES by gunicorn's workers without being read
# into memory, and through nginx by the service (our page) or by nginx itself (item 6).
# - The HSTS lines docs/deploy.md gives for the front put the header on every answer, nginx's own included
# (item 8).

LIST = "/api/v1/campaigns/4p1000/signatories"


def upstream_port(front) -> int:
    """gunicorn's own port, behind nginx."""
    args = front.gunicorn.args
    return int(args[args.index("-b") + 1].rsplit(":", 1)[1])


def peak_memory(pids: list[int]) -> dict[int, int]:
    """Each process's peak resident memory so far, in kB."""
    return {pid: int(re.search(r"VmHWM:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1)) for pid in pids}


def test_an_unknown_country_never_empties_the_list_through_nginx(front):
    store = open_store(front.database)
    try:
        sign(store, "nginx-1", "Ferme des Quatre Vents", country="FR")
    finally:
        store.close()
    # A search no other test of this module asked for (a key nobody cached yet); an unknown country on top of
    # it must never be kept as its answer. Each poisoning request is an address of its own for nginx (a
    # parameter the service ignores), and they come at once, so that every gunicorn worker answers some.
    search = f"{LIST}?q=Quatre"
    with ThreadPoolExecutor(8) as pool:
        poisoned = list(pool.map(lambda n: front.fetch(f"{search}&country=ZZ&n={n}", visitor=30 + n % 8), range(16)))
    assert all(json.loads(answer.text)["items"] == [] for answer in poisoned)
    for path in (search, f"{search}&x=1"):
        answers = [front.fetch(path, visitor=40 + n) for n in range(4)]
        for answer in answers:
            assert [item["organization"] for item in json.loads(answer.text)["items"]] == ["Ferme des Quatre Vents"], path


def test_a_chunked_body_of_50_mb_is_refused_by_gunicorn_without_reading_it(front):
    workers = front.workers()
    before = peak_memory(workers)
    answer = send_chunked(upstream_port(front), f"/w/{front.site_key}", form_pieces({}, 50 * 2**20),
                          source="127.0.0.50", Accept_Language="fr")
    assert answer.status == 413 and '<html lang="fr"' in answer.text
    grown = max(peak_memory(workers)[pid] - before[pid] for pid in workers)
    assert grown < 16 * 1024, f"a worker's peak memory grew by {grown} kB"
    api = send_chunked(upstream_port(front), f"/api/v1/sites/{front.site_key}/count", form_pieces({}, 2**20),
                       source="127.0.0.51")
    assert api.status == 413 and json.loads(api.body)["error"] == "too_large"


def test_through_nginx_a_chunked_body_gets_our_page_or_nginxs_refusal(front):
    """nginx takes chunked bodies up to its client_max_body_size (128 KiB) and passes them on with a
    length: over the service's 64 KiB the visitor gets the service's page in their language; far over,
    nginx refuses it itself."""
    over = send_chunked(front.port, f"/w/{front.site_key}", form_pieces({}, LIMIT + 1), source="127.0.0.52",
                        Accept_Language="fr")
    assert over.status == 413 and '<html lang="fr"' in over.text
    huge = send_chunked(front.port, f"/w/{front.site_key}", form_pieces({}, 5 * 2**20), source="127.0.0.53")
    assert huge.status == 413 and "nginx" in huge.text


def test_a_chunked_sign_on_works_through_nginx_and_straight_to_gunicorn(front):
    for n, port in enumerate((front.port, upstream_port(front))):
        page = front.fetch(f"/w/{front.site_key}", visitor=54 + n)
        fields = dict(VALID_ANSWERS, email=f"chunked{n}@ferme.example", form_token=TOKEN_INPUT.search(page.text).group(1))
        answer = send_chunked(port, f"/w/{front.site_key}", form_pieces(fields, LIMIT - 2000), source=f"127.0.0.{56 + n}")
        assert answer.status == 303, answer.text[:2000]
    store = open_store(front.database)
    try:
        stored = {row[0] for row in store.query("SELECT email FROM signons WHERE email LIKE 'chunked%'")}
    finally:
        store.close()
    assert stored == {"chunked0@ferme.example", "chunked1@ferme.example"}


def documented_hsts_lines() -> str:
    """The nginx lines docs/deploy.md gives for HSTS at the front."""
    deploy = (Path(__file__).resolve().parents[1] / "docs" / "deploy.md").read_text()
    return re.search(r"HSTS at the front.*?```nginx\n(.*?)```", deploy, re.S).group(1)


def test_the_documented_hsts_lines_put_the_header_on_every_answer(front, tmp_path):
    port = free_port()
    rendered = render_template(upstream_port(front), port, tmp_path / "cache")
    marker = "        add_header X-Cache-Status"
    assert rendered.count(marker) == 1
    (tmp_path / "pledge.conf").write_text(rendered.replace(marker, documented_hsts_lines() + marker))
    (tmp_path / "nginx.conf").write_text(MAIN_CONFIG.format(tmp=tmp_path, user="user root;" if os.geteuid() == 0 else ""))
    nginx = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/robots.txt", nginx, tmp_path / "error.log")
        proxied = send_chunked(port, "/nowhere", form_pieces({}, 10), method="GET", source="127.0.0.60")
        refused = send_chunked(port, f"/w/{front.site_key}", form_pieces({}, 5 * 2**20), source="127.0.0.61")
    finally:
        stop(nginx)
    for answer in (proxied, refused):
        assert answer.headers.get_all("Strict-Transport-Security") == ["max-age=31536000"], answer.status
    assert (proxied.status, refused.status) == (404, 413) and "nginx" in refused.text


def test_each_answer_through_the_front_names_its_own_request(front):
    """nginx gives each request an id, passes it to the service (trusted: PLEDGE_PROXY_FIX) and answers it,
    from its cache too: never the id of the request that filled the cache."""
    ids = [front.fetch("/embed.js").headers.get_all("X-Request-ID") for _ in range(3)]
    ids.append(front.fetch("/host/").headers.get_all("X-Request-ID"))  # a private page: from the service
    assert all(len(found) == 1 and re.fullmatch(r"[0-9a-f]{32}", found[0]) for found in ids), ids
    assert len({found[0] for found in ids}) == 4
