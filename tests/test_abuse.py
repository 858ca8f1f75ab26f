"""Bots, floods and inbox bombing: the same answer for everyone, and nothing that counts or mails."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import types
from concurrent.futures import ThreadPoolExecutor
import urllib.error
import urllib.parse
import urllib.request

from conftest import TOKEN_INPUT, VALID_ANSWERS, deliver, form_token, free_port, links, path_of, post_sign_on, wait_until_up

from widget import state

SAME_ANSWER = "Check your inbox"


def rows(app, status=None) -> int:
    query, params = "SELECT COUNT(*) FROM signons", []
    if status:
        query, params = query + " WHERE status = ?", [status]
    return state(app).store.query(query, params)[0][0]


def test_honeypot_gets_the_usual_answer_and_nothing_happens(app, client, site):
    response = post_sign_on(client, site.key, "bot@example.org", homepage="http://spam.example")
    assert response.status_code == 200 and SAME_ANSWER in response.get_data(as_text=True)
    assert rows(app) == 0 and state(app).store.outbox_stats()["queued"] == 0


def test_form_sent_back_too_fast_is_a_bot(make_app, monkeypatch):
    """The widget's script fetches the visitor's own token when they start typing (a cached page's token
    is shared: see test_caching.py); a form sent back within seconds of that is a bot's."""
    app = make_app(PLEDGE_MIN_FILL_SECONDS=3)
    client = app.test_client()
    site = state(app).store.add_site("S", ["https://s.example"], "o@s.example", "4p1000")

    def send(address: str) -> str:
        token = client.get(f"/w/{site.key}/token?lang=en").json["form_token"]
        data = dict(VALID_ANSWERS, email=address, form_token=token)
        return client.post(f"/w/{site.key}", data=data, follow_redirects=True).get_data(as_text=True)

    assert SAME_ANSWER in send("fast@example.org")
    assert rows(app) == 0

    import widget.abuse

    later = types.SimpleNamespace(time=lambda real=time.time: real() + 5)  # a person takes a few seconds
    monkeypatch.setattr(widget.abuse, "time", later)
    assert SAME_ANSWER in send("person@example.org")
    assert rows(app, "pending") == 1


def test_a_person_who_fixes_a_mistake_quickly_is_no_bot(make_app, monkeypatch):
    """The minimum fill time counts from when the form was first shown, not from the page that showed
    the visitor's mistake: ticking a forgotten box and sending again within a second is what people do."""
    import itsdangerous.timed

    app = make_app(PLEDGE_MIN_FILL_SECONDS=3)
    client = app.test_client()
    site = state(app).store.add_site("S", ["https://s.example"], "o@s.example", "4p1000")
    real = itsdangerous.timed.TimestampSigner.get_timestamp
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: real(self) - 20)
    first = form_token(client, site.key)  # the visitor opened the form 20 seconds ago and filled it in
    monkeypatch.undo()
    data = dict(VALID_ANSWERS, email="quick-fix@example.org", form_token=first)
    del data["consent"]
    page = client.post(f"/w/{site.key}", data=data).get_data(as_text=True)  # forgot the consent
    assert "Please tick this box to sign." in page
    data.update(consent="y", form_token=TOKEN_INPUT.search(page).group(1))  # ticks it at once
    assert client.post(f"/w/{site.key}", data=data).status_code == 303
    assert rows(app, "pending") == 1


def test_sign_ons_over_the_address_limit_are_held_then_released(app, client, site, runner, inbox):
    app.config["PLEDGE_PUBLIC_URL"] = "https://pledge.example"
    answers = [post_sign_on(client, site.key, "flood@example.org").get_data(as_text=True) for _ in range(5)]
    assert all(SAME_ANSWER in a for a in answers)
    assert (rows(app, "pending"), rows(app, "held")) == (3, 2)  # PLEDGE_LIMIT_EMAIL_PER_DAY = 3
    deliver(app)
    assert len(inbox.wait_for("flood@example.org", count=3)) == 3

    held = json.loads(runner.invoke(args=["pledge", "held", "list", "--json"]).stdout)
    assert [h["email"] for h in held] == ["flood@example.org"] * 2
    result = runner.invoke(args=["pledge", "held", "release", held[0]["id"]])
    assert "released 1" in result.stdout
    assert "discarded 1" in runner.invoke(args=["pledge", "held", "discard", held[1]["id"]]).stdout
    deliver(app)
    mails = inbox.wait_for("flood@example.org", count=4)
    assert links(mails[-1])[0].startswith("https://pledge.example/confirm/")
    assert rows(app, "held") == 0 and rows(app) == 4


def test_site_and_ip_limits_hold_across_addresses(make_app):
    app = make_app(PLEDGE_LIMIT_SITE_PER_HOUR=4, PLEDGE_LIMIT_IP_PER_DAY=2)
    site = state(app).store.add_site("S", ["https://s.example"], "o@s.example", "4p1000")
    one_ip = app.test_client()
    for n in range(3):
        post_sign_on(one_ip, site.key, f"ip{n}@example.org")
    assert (rows(app, "pending"), rows(app, "held")) == (2, 1)
    for n in range(3):
        other = app.test_client()
        other.environ_base["REMOTE_ADDR"] = f"192.0.2.{n + 10}"
        post_sign_on(other, site.key, f"site{n}@example.org")
    # 4 per hour for the site, held ones included (a flood that is held is still a flood).
    assert (rows(app, "pending"), rows(app, "held")) == (3, 3)


def test_no_inbox_bombing_through_many_sites(app, site, inbox):
    store = state(app).store
    victim = "victim@example.org"
    post_sign_on(app.test_client(), site.key, victim)
    deliver(app)
    app.test_client().post(path_of(links(inbox.wait_for(victim)[0])[0]))
    for n in range(8):  # an attacker signs the victim up again and again, from many sites and IPs
        other = store.add_site(f"Site {n}", [f"https://s{n}.example"], "o@example.org", "4p1000")
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n}"
        assert SAME_ANSWER in post_sign_on(client, other.key, victim).get_data(as_text=True)
    deliver(app)
    time.sleep(0.3)
    assert len(inbox.to(victim)) == 5  # PLEDGE_MAILS_PER_ADDRESS_PER_DAY, the first mail included


def test_new_link_has_a_cool_down(app, client, site, inbox):
    post_sign_on(client, site.key, "again@example.org")
    deliver(app)
    url = path_of(links(inbox.wait_for("again@example.org")[0])[0])
    page = client.post(url + "/renew").get_data(as_text=True)
    assert "wait a few minutes" in page
    deliver(app)
    time.sleep(0.3)
    assert len(inbox.to("again@example.org")) == 1


def test_request_rate_limit_answers_429_in_the_visitors_language(make_app):
    app = make_app(PLEDGE_RATELIMIT_SIGNON="2 per minute")
    site = state(app).store.add_site("S", ["https://s.example"], "o@s.example", "4p1000")
    client = app.test_client()
    codes = [post_sign_on(client, site.key, f"r{n}@example.org", query="?lang=fr").status_code for n in range(3)]
    assert codes == [200, 200, 429]
    response = post_sign_on(client, site.key, "r9@example.org", query="?lang=fr")
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert "Trop de demandes" in response.get_data(as_text=True)
    assert client.get(f"/w/{site.key}").status_code == 200  # reading the widget is not limited


def test_client_ip_comes_from_the_trusted_proxy_only(make_app):
    app = make_app(PLEDGE_RATELIMIT_SIGNON="1 per minute", PLEDGE_PROXY_FIX=1)
    site = state(app).store.add_site("S", ["https://s.example"], "o@s.example", "4p1000")
    client = app.test_client()

    def sign(address: str, forwarded: str) -> int:
        token = TOKEN_INPUT.search(client.get(f"/w/{site.key}").get_data(as_text=True)).group(1)
        data = dict(VALID_ANSWERS, email=address, form_token=token)
        return client.post(f"/w/{site.key}", data=data, headers={"X-Forwarded-For": forwarded}).status_code

    assert sign("a@example.org", "203.0.113.1") == 303
    assert sign("b@example.org", "203.0.113.2") == 303  # another client behind the proxy
    assert sign("c@example.org", "203.0.113.1") == 429
    # Without a trusted proxy, the header is ignored: a client cannot pick a new IP per request.
    plain = make_app(PLEDGE_RATELIMIT_SIGNON="1 per minute", PLEDGE_DATABASE=app.config["PLEDGE_DATABASE"])
    client = plain.test_client()
    assert sign("d@example.org", "203.0.113.50") == 303
    assert sign("e@example.org", "203.0.113.51") == 429


def test_rate_limit_holds_for_all_workers_together_with_redis(tmp_path, redis_url):
    """Three gunicorn workers share one count in Redis: the limit holds in total, not per worker."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGE_")}
    env.update({"PLEDGE_DATABASE": f"sqlite:///{tmp_path / 'p.db'}", "PLEDGE_SECRET_KEY": "k",
                "PLEDGE_RATELIMIT_STORAGE_URI": redis_url, "PLEDGE_RATELIMIT_SIGNON": "5 per minute",
                "PLEDGE_MAIL_IN_PROCESS": "false", "PLEDGE_MIN_FILL_SECONDS": "0"})
    subprocess.run([sys.executable, "-c", "from widget.console import main; main()", "site", "add", "--name", "S",
                    "--origin", "https://s.example", "--email", "o@s.example", "--json"],
                   env=env, check=True, capture_output=True, cwd=tmp_path)
    key = json.loads(subprocess.run([sys.executable, "-c", "from widget.console import main; main()", "site", "list",
                                     "--json"], env=env, check=True, capture_output=True, cwd=tmp_path).stdout)[0]["key"]
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "3", "-b", f"127.0.0.1:{port}",
                               "widget:create_app()"], env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/w/{key}", server)
        widget = urllib.request.urlopen(f"{base}/w/{key}", timeout=2).read().decode()
        token = TOKEN_INPUT.search(widget).group(1)

        def sign(n: int) -> int:
            body = urllib.parse.urlencode(dict(VALID_ANSWERS, email=f"w{n}@example.org", form_token=token)).encode()
            try:
                return urllib.request.urlopen(f"{base}/w/{key}", data=body, timeout=10).status
            except urllib.error.HTTPError as exc:
                return exc.code

        # Concurrent requests, so that every worker takes some (memory:// would then allow 3 x 5).
        with ThreadPoolExecutor(max_workers=12) as pool:
            codes = list(pool.map(sign, range(20)))
        assert codes.count(200) == 5 and codes.count(429) == 15, codes
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)


def test_with_redis_down_sign_ons_go_on_and_each_process_still_limits(make_app, inbox):
    """Our choice when Redis is unreachable: fail open on Flask-Limiter's in-memory fallback. Visitors
    can still sign, and a client is still stopped, by each process's own count."""
    app = make_app(PLEDGE_RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0",
                   PLEDGE_RATELIMIT_SIGNON="2 per minute")
    site = state(app).store.add_site("S", ["https://s.example"], "o@s.example", "4p1000")
    client = app.test_client()
    started = time.monotonic()
    codes = [post_sign_on(client, site.key, f"r{n}@example.org").status_code for n in range(4)]
    assert codes == [200, 200, 429, 429]
    assert time.monotonic() - started < 10  # a dead Redis does not hold each request for long


def test_searches_of_the_public_list_are_limited_but_reading_it_is_not(make_app):
    """Each new search text reaches the database past every cache: a stranger cycling through them is
    slowed down; browsing the list (no search) and other visitors are not."""
    app = make_app(PLEDGE_RATELIMIT_SEARCH="3 per minute")
    client = app.test_client()
    answers = [client.get(f"/c/4p1000/signatories?q=word{i}").status_code for i in range(5)]
    assert answers == [200, 200, 200, 429, 429]
    api = client.get("/api/v1/campaigns/4p1000/signatories?q=another")
    assert api.status_code == 429 and api.is_json and api.headers["Access-Control-Allow-Origin"] == "*"
    assert [client.get("/c/4p1000/signatories").status_code for _ in range(5)] == [200] * 5
    other = client.get("/c/4p1000/signatories?q=word", environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert other.status_code == 200
