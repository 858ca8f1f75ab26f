"""Public reads are cacheable and cost next to nothing; private pages never are.

The widget page and the count API carry ``Cache-Control: public`` with stale-while-revalidate and
stale-if-error, a strong ETag (a 304 for a client that has the page) and the right ``Vary``; each process
renders a page once per site, language, query and coding and keeps it ``PLEDGE_CACHE_SECONDS``. A cached
page's form token is shared: its script fetches a visitor's own, so the minimum fill time still holds.
"""
from __future__ import annotations

import gzip
import re
import time

import pytest
from conftest import TOKEN_INPUT, VALID_ANSWERS, deliver, links, path_of, post_sign_on

from widget import state
from widget.views import widget as widget_view

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


@pytest.fixture
def cached(make_app):
    """The app with the shipped cache settings (the other tests turn the cache off)."""
    return make_app(PLEDGE_CACHE_SECONDS=5)


@pytest.fixture
def site(cached):
    return state(cached).store.add_site("Lycée", ["https://lycee.example"], "webmaster@lycee.example", "4p1000")


@pytest.fixture
def renders(monkeypatch):
    """How many times the widget page was rendered."""
    calls = []
    real = widget_view.render_page
    monkeypatch.setattr(widget_view, "render_page", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    return calls


def test_the_widget_page_is_public_tagged_and_answered_with_a_304(cached, site):
    client = cached.test_client()
    first = client.get(f"/w/{site.key}?mode=button", headers={"Accept-Language": "fr"})
    control = first.headers["Cache-Control"]
    assert control == "public, max-age=5, stale-while-revalidate=30, stale-if-error=86400"
    assert first.headers["Vary"] == "Accept-Language, Accept-Encoding"
    etag = first.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{24}"', etag)  # strong: no W/
    again = client.get(f"/w/{site.key}?mode=button", headers={"Accept-Language": "fr", "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert "frame-ancestors 'self' https://lycee.example" in again.headers["Content-Security-Policy"]


def test_every_worker_makes_the_same_page(make_app, site):
    """Two processes (here two apps on one database) render one page into the same bytes: a client's
    copy from one worker is a 304 at the other."""
    one, other = make_app(PLEDGE_CACHE_SECONDS=5), make_app(PLEDGE_CACHE_SECONDS=5)
    first = one.test_client().get(f"/w/{site.key}?hl=fr")
    assert other.test_client().get(f"/w/{site.key}?hl=fr", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_each_language_and_each_coding_is_its_own_copy(cached, site):
    client = cached.test_client()
    french = client.get(f"/w/{site.key}", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    english = client.get(f"/w/{site.key}", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert 'lang="fr"' in french.get_data(as_text=True) and 'lang="en"' in english.get_data(as_text=True)
    assert french.headers["ETag"] != english.headers["ETag"]
    packed = client.get(f"/w/{site.key}", headers={"Accept-Language": "fr-FR,fr;q=0.9", **GZIP})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == french.data  # the same page, compressed once
    assert packed.headers["ETag"] != french.headers["ETag"]  # each representation its own tag


def test_a_language_given_by_the_host_page_makes_one_copy_for_every_visitor(cached, site, renders):
    client = cached.test_client()
    german = client.get(f"/w/{site.key}?hl=fr", headers={"Accept-Language": "de"})
    english = client.get(f"/w/{site.key}?hl=fr", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert german.headers["Vary"] == "Accept-Encoding" and 'lang="fr"' in german.get_data(as_text=True)
    assert english.headers["ETag"] == german.headers["ETag"] and renders == ["widget.html"]


def test_the_same_page_is_rendered_once_until_it_expires(cached, site, renders, monkeypatch):
    client = cached.test_client()
    for _ in range(5):
        assert client.get(f"/w/{site.key}?mode=counter&theme=dark", headers={"Accept-Language": "de"}).status_code == 200
    client.get(f"/w/{site.key}?theme=dark&mode=counter", headers={"Accept-Language": "de"})  # another order, same page
    client.get(f"/w/{site.key}?mode=counter&theme=dark", headers={"Accept-Language": "de", **GZIP})  # compressed
    assert renders == ["widget.html"]
    client.get(f"/w/{site.key}?mode=counter&theme=light", headers={"Accept-Language": "de"})
    assert len(renders) == 2  # another theme is another page
    first = client.get(f"/w/{site.key}?mode=counter&theme=dark", headers={"Accept-Language": "de"}).headers["ETag"]
    later = time.monotonic() + 6
    monkeypatch.setattr("widget.caching.time.monotonic", lambda: later)
    again = client.get(f"/w/{site.key}?mode=counter&theme=dark", headers={"Accept-Language": "de", "If-None-Match": first})
    # Expired after PLEDGE_CACHE_SECONDS, made again from the campaign's kept shell (no template rendered:
    # see tests/test_widget_shell.py)...
    assert len(renders) == 2
    assert again.status_code == 304  # ...into the same bytes (same count, same shared token): still a 304


def test_the_count_api_is_cached_for_seconds_and_then_fresh(cached, site, inbox, monkeypatch):
    client = cached.test_client()
    first = client.get(f"/api/v1/sites/{site.key}/count")
    assert first.json["site"] == 0 and first.headers["Cache-Control"].startswith("public, max-age=5, ")
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get(f"/api/v1/sites/{site.key}/count",
                      headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    post_sign_on(client, site.key, "cache@example.org")
    deliver(cached)
    client.post(path_of(links(inbox.wait_for("cache@example.org")[0])[0]))
    assert client.get(f"/api/v1/sites/{site.key}/count").json["site"] == 0  # at most 5 s old
    later = time.monotonic() + 6
    monkeypatch.setattr("widget.caching.time.monotonic", lambda: later)
    fresh = client.get(f"/api/v1/sites/{site.key}/count", headers={"If-None-Match": first.headers["ETag"]})
    assert fresh.status_code == 200 and fresh.json["site"] == 1


def test_private_pages_are_never_stored(cached, site, inbox):
    client = cached.test_client()
    token = TOKEN_INPUT.search(client.get(f"/w/{site.key}").get_data(as_text=True)).group(1)
    answer = client.post(f"/w/{site.key}", data=dict(VALID_ANSWERS, email="p@example.org", form_token=token))
    assert answer.status_code == 303 and answer.headers.get("Cache-Control", "no-store") == "no-store"
    sent = client.get(answer.headers["Location"])
    assert sent.headers["Cache-Control"] == "no-store"
    errors = client.post(f"/w/{site.key}", data={"form_token": token})
    assert errors.status_code == 400 and errors.headers["Cache-Control"] == "no-store"
    deliver(cached)
    confirm = client.get(path_of(links(inbox.wait_for("p@example.org")[0])[0]))
    assert confirm.headers["Cache-Control"] == "no-store"
    assert client.get("/host/").headers["Cache-Control"] == "no-store"
    assert client.get(f"/w/{site.key}/token").headers["Cache-Control"] == "no-store"


def test_a_shared_token_still_makes_a_fast_bot_wait(make_app, monkeypatch):
    """Everyone served one cached copy gets the same token. A visitor's script asks for their own when
    they start typing, so a form sent back too fast after that is still a bot's."""
    app = make_app(PLEDGE_CACHE_SECONDS=600, PLEDGE_MIN_FILL_SECONDS=3)
    site = state(app).store.add_site("Lycée", ["https://lycee.example"], "w@lycee.example", "4p1000")
    client = app.test_client()
    start = time.time()
    clock = {"now": start}
    monkeypatch.setattr(time, "time", lambda: clock["now"])
    page = client.get(f"/w/{site.key}").get_data(as_text=True)
    shared = TOKEN_INPUT.search(page).group(1)
    token_url = re.search(r'data-token-url="([^"]+)"', page).group(1).replace("&amp;", "&")
    clock["now"] = start + 100  # a visitor gets the same copy a while later and starts typing
    assert TOKEN_INPUT.search(client.get(f"/w/{site.key}").get_data(as_text=True)).group(1) == shared
    own = client.get(token_url).json["form_token"]
    assert own != shared
    clock["now"] = start + 101  # sent one second after the first keystroke: a bot
    client.post(f"/w/{site.key}", data=dict(VALID_ANSWERS, email="fast@example.org", form_token=own))
    clock["now"] = start + 105  # four seconds after: a person
    client.post(f"/w/{site.key}", data=dict(VALID_ANSWERS, email="person@example.org", form_token=own))
    stored = {s.email for s in state(app).store.signons_of("fast@example.org") + state(app).store.signons_of("person@example.org")}
    assert stored == {"person@example.org"}


def test_static_files_are_compressed_once_and_versioned(cached):
    client = cached.test_client()
    page = client.get("/host/").get_data(as_text=True)
    address = re.search(r'href="(/pledge-static/host\.css\?v=[0-9a-f]+)"', page).group(1)
    versioned = client.get(address, headers=GZIP)
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert versioned.headers["Content-Encoding"] in ("br", "gzip") and versioned.headers["Vary"] == "Accept-Encoding"
    plain = client.get("/pledge-static/host.css")
    assert "Content-Encoding" not in plain.headers and plain.headers["Cache-Control"].startswith("public, max-age=300")
    assert client.get("/pledge-static/host.css", headers={"If-None-Match": plain.headers["ETag"]}).status_code == 304
    only_gzip = client.get("/pledge-static/host.css", headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(only_gzip.data) == plain.data
    assert client.get("/pledge-static/../__init__.py").status_code == 404


def test_a_head_request_reads_the_widget_and_never_signs_anyone_on(cached, site):
    client = cached.test_client()
    token = TOKEN_INPUT.search(client.get(f"/w/{site.key}").get_data(as_text=True)).group(1)
    for _ in range(2):  # through the app, then from the kept page
        head = client.open(f"/w/{site.key}", method="HEAD", data=dict(VALID_ANSWERS, email="h@example.org", form_token=token))
        assert head.status_code == 200 and head.headers["Cache-Control"].startswith("public")
    assert state(cached).store.signons_of("h@example.org") == []


def test_odd_static_names_are_a_404_not_a_crash(cached):
    client = cached.test_client()
    for name in ("a%00b", "x" * 300 + ".css", "..%2F..%2Fsetup.cfg"):
        assert client.get(f"/pledge-static/{name}").status_code == 404


def test_variations_of_a_query_share_one_copy_and_the_cache_has_a_size(cached, site, renders):
    client = cached.test_client()
    for query in ("?min=7&mode=nope", "?mode=form&min=007", "?min=7&theme=unknown"):
        client.get(f"/w/{site.key}{query}", headers={"Accept-Language": "fr"})
    assert len(renders) == 1
    pages = state(cached).pages
    pages.max_bytes = 3 * max(len(b) for p in pages._pages.values() for b in p.bodies.values())
    for n in range(10):
        client.get(f"/w/{site.key}?min={n + 100}", headers={"Accept-Language": "fr"})
    assert pages.bytes <= pages.max_bytes and len(pages._pages) < 10


def test_inside_a_host_app_the_fast_path_is_off_unless_asked_for(tmp_path, smtp_server):
    from flask import Flask

    from widget import PledgeWidget
    from widget.fastpath import PublicReads

    def host_app(**config):
        app = Flask("host")
        app.config.update(SECRET_KEY="s", PLEDGE_DATABASE=f"sqlite:///{tmp_path / 'h.db'}", PLEDGE_SMTP_URL=smtp_server.url,
                          PLEDGE_MAIL_IN_PROCESS=False, **config)
        PledgeWidget(app)
        return app

    def layers(app):  # the WSGI layers in front of the app, outermost first (request ids, probes...)
        layer = app.wsgi_app
        while hasattr(layer, "wsgi_app"):
            yield layer
            layer = layer.wsgi_app

    assert not any(isinstance(layer, PublicReads) for layer in layers(host_app()))  # the host's hooks see every request
    assert any(isinstance(layer, PublicReads) for layer in layers(host_app(PLEDGE_FAST_PATH=True)))
