"""Signatories' data stays safe: tokens, headers, logs, escaping, consent, access and erasure."""
from __future__ import annotations

import csv
import io
import json
import logging
import time


from conftest import deliver, links, path_of, post_sign_on

from widget import state
from widget.logs import redact
from widget.store import Mail, SignOn
from widget.tokens import Tokens


def signed_and_mailed(app, client, site, inbox, address):
    post_sign_on(client, site.key, address)
    deliver(app)
    return inbox.wait_for(address)[-1]


def test_a_token_made_for_another_purpose_is_refused(app, client, site, inbox):
    mail = signed_and_mailed(app, client, site, inbox, "purpose@example.org")
    confirm_path, withdraw_path = path_of(links(mail)[0]), path_of(links(mail, "withdraw")[0])
    as_confirm = withdraw_path.replace("/withdraw/", "/confirm/")
    as_withdraw = confirm_path.replace("/confirm/", "/withdraw/")
    for path in (as_confirm, as_withdraw):
        response = client.post(path)
        assert response.status_code == 400 and "This link is not valid" in response.get_data(as_text=True)
    assert state(app).store.counts("4p1000", site.key).site == 0
    assert state(app).store.find_confirmed("4p1000", "purpose@example.org") is None
    assert len(state(app).store.signons_of("purpose@example.org")) == 1


def test_key_rotation_keeps_old_links_working_and_signs_new_ones_with_the_newest_key(make_app, inbox):
    old_app = make_app(PLEDGE_SECRET_KEY="old-key")
    site = state(old_app).store.add_site("S", ["https://s.example"], "o@s.example", "4p1000")
    post_sign_on(old_app.test_client(), site.key, "rotate@example.org")
    deliver(old_app)
    [old_link] = links(inbox.wait_for("rotate@example.org")[0])

    new_app = make_app(PLEDGE_SECRET_KEY="new-key, old-key")
    client = new_app.test_client()
    post_sign_on(client, site.key, "fresh@example.org")
    deliver(new_app)
    [new_link] = links(inbox.wait_for("fresh@example.org")[0])
    token = new_link.rsplit("/", 1)[1]
    ages = {"confirm": 3600, "form": 1, "withdraw": 1, "host-login": 1}
    assert Tokens(["new-key"], ages).loads("confirm", token)
    assert "your signature is confirmed" in client.post(path_of(old_link)).get_data(as_text=True)


def test_tokens_carry_an_opaque_id_never_the_address(app, client, site, inbox):
    import base64

    mail = signed_and_mailed(app, client, site, inbox, "opaque@example.org")
    for link in links(mail) + links(mail, "withdraw"):
        payload = link.rsplit("/", 1)[1].split(".")[0]
        decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        assert b"opaque" not in decoded and b"@" not in decoded


def test_security_headers_on_every_response(app, client, site):
    for path in ("/", f"/w/{site.key}", "/embed.js", f"/api/v1/sites/{site.key}/count", "/confirm/x",
                 "/pledge-static/widget.css", "/w/missing"):
        headers = client.get(path).headers
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert "default-src 'none'" in headers["Content-Security-Policy"], path
        assert headers["Referrer-Policy"] in ("strict-origin-when-cross-origin", "no-referrer"), path
        assert "Strict-Transport-Security" not in headers  # plain HTTP: HSTS would mean nothing
    secure = client.get(f"/w/{site.key}", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    assert client.get("/confirm/x").headers["Referrer-Policy"] == "no-referrer"


def test_oversized_request_is_refused_politely(app, client, site):
    response = client.post(f"/w/{site.key}?lang=de", data={"goal": "x" * 70_000})
    assert response.status_code == 413
    assert 'lang="de"' in response.get_data(as_text=True)
    assert state(app).store.outbox_stats()["queued"] == 0


def test_logs_hold_no_token_and_mask_addresses(live, caplog):
    import urllib.request

    caplog.set_level(logging.INFO)
    token = Tokens(["live-secret"], {"confirm": 60}).dumps("confirm", "some-id")
    try:
        urllib.request.urlopen(f"{live.url}/confirm/{token}")
    except OSError:
        pass
    logging.getLogger("widget").warning("delivery to amina.diallo@coop.example failed")
    text = caplog.text
    assert "/confirm/[token]" in text and token not in text
    assert "amina.diallo@" not in text and "a***@coop.example" in text
    assert redact("GET /withdraw/abc.def.ghi?x HTTP/1.1") == "GET /withdraw/[token]?x HTTP/1.1"


def test_visitor_text_is_escaped_in_mails_and_pages(app, client, site, inbox):
    post_sign_on(client, site.key, "esc@example.org", organization='<img src=x onerror="alert(1)">')
    deliver(app)
    mail = inbox.wait_for("esc@example.org")[0]
    html = mail.get_body(("html",)).get_content()
    assert "<img src=x" not in html and "&lt;img src=x" in html
    page = client.get(path_of(links(mail)[0])).get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x" in page


def test_consent_is_recorded_with_its_time_and_text_version(app, client, site):
    before = time.time()
    post_sign_on(client, site.key, "consent@example.org", query="?lang=pt")
    [signon] = state(app).store.signons_of("consent@example.org")
    assert before <= signon.consent_at <= time.time()
    assert signon.consent_version == "4p1000-declaration-2026-11/pt"


def test_access_and_erasure_requests(app, client, site, runner, inbox):
    mail = signed_and_mailed(app, client, site, inbox, "me@example.org")
    client.post(path_of(links(mail)[0]))
    post_sign_on(client, site.key, "other@example.org")
    exported = json.loads(runner.invoke(args=["pledge", "export", "--email", "Me@Example.org", "--format", "json"]).stdout)
    assert [(e["email"], e["status"]) for e in exported] == [("me@example.org", "confirmed")]
    assert exported[0]["organization"] == "Coopérative des Sols Vivants"
    as_csv = runner.invoke(args=["pledge", "export", "--email", "me@example.org"]).stdout
    assert list(csv.DictReader(io.StringIO(as_csv)))[0]["status"] == "confirmed"

    result = runner.invoke(args=["pledge", "forget", "--email", "me@example.org", "--yes"])
    assert "forgot 1" in result.stdout
    store = state(app).store
    assert store.signons_of("me@example.org") == []
    assert store.counts("4p1000", site.key) == (0, 0)
    assert store.query("SELECT COUNT(*) FROM outbox WHERE to_addr = 'me@example.org'")[0][0] == 0
    assert len(store.signons_of("other@example.org")) == 1  # nobody else's data is touched


def test_the_in_process_sender_purges_stale_sign_ons(make_app):
    app = make_app(PLEDGE_PENDING_DAYS=7)
    store = state(app).store
    old = time.time() - 8 * 86400
    stale = SignOn(id="stale", campaign="4p1000", site_key="s", email="s@example.org", lang="en",
                   status="pending", created_at=old, confirmed_at=None, consent_at=old, consent_version="v")
    store.create_signon(stale, Mail(to="s@example.org", subject="s", text="t", html="h"))
    thread = state(app).sender.start_thread(poll_seconds=0.05)
    try:
        deadline = time.monotonic() + 10
        while store.get_signon("stale") is not None:
            assert time.monotonic() < deadline, "the sender's daily housekeeping never purged"
            time.sleep(0.05)
    finally:
        thread.stop.set()


def test_the_widget_loads_nothing_from_third_parties(live, page):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(live.host.add("third-parties", live.snippet()))
    page.frame_locator("iframe").get_by_role("button", name="Sign").wait_for()
    page.wait_for_load_state("networkidle")
    assert requested and all(url.startswith((live.url, live.host.origin)) for url in requested), requested


def test_a_json_body_is_a_bad_request_not_a_crash(app, client, site):
    for body in ("0", "[1, 2]", '{"email": "j@example.org"}', "not json"):
        response = client.post(f"/w/{site.key}", data=body, content_type="application/json")
        assert response.status_code == 400, body
    assert state(app).store.outbox_stats()["queued"] == 0


def test_ids_and_keys_never_look_like_command_line_options():
    from widget.store import new_id

    assert not any(new_id(12).startswith("-") for _ in range(2000))


def test_text_is_stored_in_one_unicode_form(app, client, site):
    decomposed = "Coope\u0301rative  "  # "é" typed as e + combining accent, and trailing spaces
    post_sign_on(client, site.key, "nfc@example.org", organization=decomposed)
    [signon] = state(app).store.signons_of("nfc@example.org")
    assert signon.answers["organization"] == "Coopérative"  # NFC, trimmed


def test_no_database_connection_is_open_after_the_app_is_built(app):
    """gunicorn may fork after create_app(): a connection opened before the fork must not exist."""
    store = state(app).store
    if store.engine == "sqlite":
        assert getattr(store._local, "db", None) is None
    else:
        assert store._pool is None
