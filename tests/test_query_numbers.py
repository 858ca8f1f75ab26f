"""Numbers read from requests are parsed with bounds (issue 18, item 7): ``GET /w/KEY?min=`` with 4,301
digits was a 500 with a traceback (Python refuses to convert more than 4,300 digits), and other numbers of
queries and forms (the desk's pages and cursors, a webhook to remove, an e-mail to retry) were as fragile.
A bad number falls back to the default or gets a clean 400/404, never a 500."""
from __future__ import annotations

import pytest
from test_admin_pages import post, sign_in as admin_sign_in
from test_admin_pages import app  # noqa: F401  (fixture: the app with a desk)
from test_host import CSRF, CSRF_VALUE, sign_in

from widget import state
from widget.whole_numbers import MAX_ID, whole_number

HUGE = "9" * 4301
#: What int() accepts or chokes on and a query must not: signs, separators, spaces inside, other scripts'
#: digits, superscripts, decimals, exponents, and more digits than Python converts.
NOT_WHOLE = ["-1", "+1", "1_000", "1 000", "٣", "²", "1.5", "1e3", "0x10", "", " ", "abc", HUGE + "x"]


def test_whole_numbers_are_ascii_digits_within_bounds():
    assert whole_number("42") == 42 and whole_number(" 007 ") == 7 and whole_number("0") == 0
    assert all(whole_number(text) is None for text in NOT_WHOLE)
    assert whole_number(None) is None
    assert whole_number(HUGE) is None and whole_number(str(MAX_ID)) == MAX_ID and whole_number(str(MAX_ID + 1)) is None
    assert whole_number("0" * 5000 + "12") == 12  # leading zeros are no size
    assert whole_number("5", low=1, high=3) is None and whole_number("0", low=1, high=3) is None
    assert whole_number(HUGE, high=1000, clamp=True) == 1000 and whole_number("0", low=1, high=3, clamp=True) == 1
    assert whole_number("x", high=1000, clamp=True) is None


def test_a_widget_minimum_of_any_length_is_no_crash(make_app):
    app = make_app()
    site = state(app).store.add_site("Lycée", ["https://lycee.example"], "w@lycee.example", "4p1000")
    client = app.test_client()
    hidden = client.get(f"/w/{site.key}?min={HUGE}&mode=counter")  # more than any count: the count stays hidden
    assert hidden.status_code == 200 and "<progress" not in hidden.get_data(as_text=True)
    for junk in NOT_WHOLE:
        shown = client.get(f"/w/{site.key}", query_string={"min": junk, "mode": "counter"})
        assert shown.status_code == 200 and "<progress" in shown.get_data(as_text=True), junk


@pytest.mark.parametrize("query", [f"page={HUGE}", "page=-3", f"hidden_page={HUGE}", "hidden_page=99999999999999999999",
                                   f"n={HUGE}&done=approved", f"skipped={HUGE}&done=approved&n=1", "page=٣"])
def test_the_desks_page_numbers_fall_back(app, client, query):  # noqa: F811
    admin_sign_in(app, client)
    for page in ("/admin/list", "/admin/sites", "/admin/held"):
        assert client.get(f"{page}?{query}").status_code == 200, page


@pytest.mark.parametrize("before", [HUGE, "99999999999999999999", "-1", "²"])
def test_the_audit_logs_cursor_falls_back(app, client, before):  # noqa: F811
    admin_sign_in(app, client)
    assert client.get(f"/admin/audit?before={before}").status_code == 200


def test_retrying_a_mail_of_no_such_number_changes_nothing(app, client):  # noqa: F811
    admin_sign_in(app, client)
    response = post(client, "/admin/mail", "/admin/mail/retry", id=[HUGE, "²", "99999999999999999999"])
    assert response.status_code == 303
    assert "3 were left alone" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_removing_a_webhook_of_no_such_number_changes_nothing(make_app, inbox):
    app = make_app(PLEDGE_WEBHOOKS_ALLOW_PRIVATE=True)
    client = app.test_client()
    store = state(app).store
    site = store.add_site("Lycée", ["https://lycee.example"], "webmaster@lycee.example", "4p1000")
    sign_in(app, client, inbox, site.owner_email)
    page = client.get(f"/host/sites/{site.key}/webhooks").get_data(as_text=True)
    client.post(f"/host/sites/{site.key}/webhooks", data={"csrf_token": CSRF_VALUE.search(page).group(1),
                                                          "url": "http://127.0.0.1:9/hook"})
    for remove in ("²", HUGE, "-1"):
        page = client.get(f"/host/sites/{site.key}/webhooks").get_data(as_text=True)
        removed = client.post(f"/host/sites/{site.key}/webhooks",
                              data={"csrf_token": CSRF_VALUE.search(page).group(1), "remove": remove})
        assert removed.status_code == 303, remove
    assert len(store.list_webhooks()) == 1


def test_milestones_are_plain_whole_numbers(make_app, inbox):
    app = make_app()
    client = app.test_client()
    site = state(app).store.add_site("Lycée", ["https://lycee.example"], "webmaster@lycee.example", "4p1000")
    sign_in(app, client, inbox, site.owner_email)
    for milestones in ("1_000", HUGE, "٣"):
        page = client.get("/host/settings").get_data(as_text=True)
        sent = client.post("/host/settings", data={"csrf_token": CSRF.search(page).group(1),
                                                   "notify_milestones": "y", "milestones": milestones})
        assert sent.status_code == 400 and "Please give whole numbers" in sent.get_data(as_text=True), milestones
