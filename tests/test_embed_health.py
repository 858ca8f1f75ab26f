"""Embed health over HTTP: the loader's beacon (`POST /w/<key>/health`), what it keeps and refuses, the
dashboard's "Where is my widget?" with each problem's fix, the host's mail at most once a week per site,
and `db copy` taking the reports along."""
from __future__ import annotations

import re
import time

import pytest

from conftest import deliver, path_of
from test_db_copy import copy, rows
from test_host import sign_in
from widget import state
from widget.embed_health import report
from widget.store import Mail, open_store
from widget.store.embed_health import MAIL_EVERY, MAX_ORIGINS

BEACON = {"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "empty"}


def beacon(client, key: str, reason: str = "csp", origin: str = "https://lycee.example", **headers):
    return client.post(f"/w/{key}/health?mode=form&reason={reason}&origin={origin}", headers={**BEACON, **headers})


def problems(app, key: str) -> list[tuple]:
    return [(p.origin, p.reason, p.count) for p in state(app).store.embed_problems(key, 0)]


def health_mails(app) -> list[str]:
    return [row[0] for row in state(app).store.query("SELECT to_addr FROM outbox WHERE kind = 'widget_problem'")]


@pytest.mark.both_engines
def test_a_beacon_is_kept_as_one_row_per_origin_and_answered_204_without_cookie(app, client, site):
    for reason in ("csp", "csp", "timeout"):
        response = beacon(client, site.key, reason, Origin="https://lycee.example")
        assert response.status_code == 204 and response.data == b""
        assert "Set-Cookie" not in response.headers and response.headers["Cache-Control"] == "no-store"
    beacon(client, site.key, "refused", "https://elsewhere.example")
    assert sorted(problems(app, site.key)) == [("https://elsewhere.example", "refused", 1),
                                               ("https://lycee.example", "timeout", 3)]


def test_what_is_not_a_report_is_ignored_with_the_same_204(app, client, site):
    ignored = [
        beacon(client, "no-such-key"),  # unknown key
        beacon(client, site.key, reason="broken"),
        beacon(client, site.key, origin="javascript:alert(1)"),
        beacon(client, site.key, origin="https://" + "a" * 300 + ".example"),
        beacon(client, site.key, Origin="https://evil.example"),  # the browser says another page sent it
        beacon(client, site.key, **{"Sec-Fetch-Mode": "cors"}),  # not a beacon
    ]
    assert [r.status_code for r in ignored] == [204] * len(ignored)
    big = client.post(f"/w/{site.key}/health?reason=csp&origin=https://lycee.example", data="x" * 2000,
                      headers={**BEACON, "Content-Type": "text/plain"})
    assert big.status_code == 413
    assert problems(app, site.key) == []
    # A browser that sends "Origin: null" (a page with no-referrer) or no Fetch Metadata at all is heard.
    assert beacon(client, site.key, Origin="null").status_code == 204
    assert client.post(f"/w/{site.key}/health?reason=csp&origin=https://lycee.example").status_code == 204
    assert problems(app, site.key) == [("https://lycee.example", "csp", 2)]


def test_reports_are_rate_limited_per_client(make_app):
    app = make_app(PLEDGE_RATELIMIT_HEALTH="2 per minute")
    site = state(app).store.add_site("Lycée", ["https://lycee.example"], "w@lycee.example", "4p1000")
    client = app.test_client()
    assert [beacon(client, site.key).status_code for _ in range(3)] == [204, 204, 429]
    assert problems(app, site.key) == [("https://lycee.example", "csp", 2)]


def test_a_site_keeps_at_most_20_origins(app, site):
    with app.test_request_context():
        for n in range(MAX_ORIGINS + 3):
            report(site, f"https://page{n}.example", "refused")
        report(site, "https://page0.example", "csp")  # a known origin is still counted
    found = problems(app, site.key)
    assert len(found) == MAX_ORIGINS and ("https://page0.example", "csp", 2) in found


def test_the_host_is_mailed_once_a_week_per_site_if_it_wants(app, site, inbox):
    now = time.time()
    with app.test_request_context():
        for n in range(5):
            report(site, "https://lycee.example", "csp", now=now + n)
        assert health_mails(app) == ["webmaster@lycee.example"]
        report(site, "https://lycee.example", "csp", now=now + MAIL_EVERY - 10)
        assert len(health_mails(app)) == 1
        report(site, "https://lycee.example", "csp", now=now + MAIL_EVERY + 10)
        assert len(health_mails(app)) == 2
        state(app).store.update_host("webmaster@lycee.example", notify_health=0)
        report(site, "https://lycee.example", "csp", now=now + 3 * MAIL_EVERY)
        assert len(health_mails(app)) == 2
    deliver(app)
    mail = inbox.wait_for("webmaster@lycee.example")[-1]
    assert mail["Subject"] == "The widget of Lycée Jean Moulin could not show on a page"
    text = mail.get_body(("plain",)).get_content()
    assert "lycee.example/" not in text.split("-- ")[0].replace("/host/sites/", "")  # names no page
    assert f"/host/sites/{site.key}#widget-problems" in text and "List-Unsubscribe" in mail
    # Its one-click unsubscribe switches this mail off, and only this one.
    state(app).store.update_host("webmaster@lycee.example", notify_health=1)
    unsubscribe = path_of(mail["List-Unsubscribe"].strip()[1:-1])
    page = app.test_client().get(unsubscribe).get_data(as_text=True)
    assert "Stop e-mails about your widget not showing?" in page
    assert app.test_client().post(unsubscribe, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    host = state(app).store.get_host("webmaster@lycee.example")
    assert host.notify_health is False and host.notify_milestones is True


def test_the_dashboard_says_what_is_wrong_and_how_to_fix_it(app, client, site, inbox):
    visitor = app.test_client()
    beacon(visitor, site.key, "csp")
    beacon(visitor, site.key, "refused", "https://wordpress.example")
    beacon(visitor, site.key, "refused", "https://lycee.example")  # its own origin, a later reason
    sign_in(app, client, inbox, "webmaster@lycee.example")
    page = client.get(f"/host/sites/{site.key}").get_data(as_text=True)
    listed = re.search(r'<ul class="problems">.*?</ul>', page, re.S).group(0)
    assert "https://wordpress.example" in listed
    assert "is not one of the site’s addresses" in listed and f"/host/sites/{site.key}/edit" in listed
    assert "did not start on the page" in listed
    # The CSP fix, where the report said the page's policy refused the frame.
    beacon(visitor, site.key, "csp")
    page = client.get(f"/host/sites/{site.key}").get_data(as_text=True)
    assert "Content-Security-Policy does not allow the widget" in page
    assert "script-src http://localhost\nframe-src http://localhost" in page


def test_the_host_can_switch_the_mail_off(app, client, site, inbox):
    sign_in(app, client, inbox, "webmaster@lycee.example")
    page = client.get("/host/settings").get_data(as_text=True)
    assert '<input checked id="notify_health" name="notify_health" type="checkbox" value="y">' in page  # on by default
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/host/settings", data={"csrf_token": token, "notify_milestones": "y", "milestones": "10"})
    assert state(app).store.get_host("webmaster@lycee.example").notify_health is False


def test_db_copy_takes_the_reports_along(tmp_path):
    source_url = f"sqlite:///{tmp_path / 'source.db'}"
    source = open_store(source_url)
    source.migrate()
    source.add_site("Lycée", ["https://lycee.example"], "web@lycee.example", "4p1000", key="lycee")
    source.record_embed_problem("lycee", "https://lycee.example", "csp", time.time())
    source.record_health_mail("lycee", time.time(), Mail(to="web@lycee.example", subject="s", text="t", html="h"))
    source.close()
    target_url = f"sqlite:///{tmp_path / 'target.db'}"
    result = copy(source_url, target_url)
    assert result.exit_code == 0, result.output
    for table in ("embed_problems", "embed_health_mails"):
        assert rows(source_url, table) == rows(target_url, table) != [], table
