"""After sending the form: post, redirect, get. Reload and Back neither send again nor pretend nothing was sent."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from conftest import VALID_ANSWERS, form_token
from test_journey_browser import fill_sign_on

from widget import state


def test_a_sign_on_is_answered_by_a_redirect_to_the_sent_page(app, client, site):
    query = "?lang=fr&origin=https%3A%2F%2Flycee.example&theme=dark"
    data = dict(VALID_ANSWERS, email="prg@example.org", form_token=form_token(client, site.key, query))
    response = client.post(f"/w/{site.key}{query}", data=data)
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == f"/w/{site.key}/sent"
    assert {k: v[0] for k, v in parse_qs(location.query).items()} == {
        "lang": "fr", "origin": "https://lycee.example", "theme": "dark"}
    sent = client.get(response.headers["Location"])
    html = sent.get_data(as_text=True)
    assert sent.status_code == 200 and "Consultez votre messagerie" in html and 'data-theme="dark"' in html
    assert 'data-host-origin="https://lycee.example"' in html  # it still tells the host page its height
    for _ in range(3):  # reloading the answer sends nothing again
        client.get(response.headers["Location"])
    assert state(app).store.query("SELECT COUNT(*) FROM signons")[0][0] == 1


def test_a_refused_form_is_shown_again_with_its_errors_not_redirected(client, site):
    data = dict(VALID_ANSWERS, email="not an address", form_token=form_token(client, site.key))
    response = client.post(f"/w/{site.key}", data=data)
    assert response.status_code == 400 and "Please check your answers" in response.get_data(as_text=True)


def test_back_after_signing_says_it_was_sent_and_sends_nothing(live, page):
    page.goto(live.host.add("back-after-sign", live.snippet()))
    frame = page.frame_locator("iframe")
    address = "back-button@lycee.example"
    fill_sign_on(frame, address)
    frame.get_by_role("button", name="Sign").click()
    frame.get_by_role("heading", name="Check your inbox").wait_for()

    # Only the frame navigated, so the joint history goes back inside the frame (page.go_back() would
    # wait for the top page to load again).
    page.evaluate("history.back()")
    frame = page.frame_locator("iframe")
    frame.get_by_text("You have sent this form already").wait_for()
    assert frame.get_by_label(re.compile("^E-mail address")).input_value() == ""  # not the filled form
    page.evaluate("history.forward()")
    page.frame_locator("iframe").get_by_role("heading", name="Check your inbox").wait_for()
    rows = live.store.query("SELECT COUNT(*) FROM signons WHERE email = ?", [address])[0][0]
    assert rows == 1
