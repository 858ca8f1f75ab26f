"""Disposable addresses (issue 23): refused on the sign-on form and in paper sign-ons with a message saying
why, unless ``PLEDGE_BLOCK_DISPOSABLE=false``; ``pledge-widget --version`` names the list's version."""
from __future__ import annotations

import sys

import pytest

from conftest import post_sign_on
from test_paper import csv_row, HEADER, host, upload  # noqa: F401  (host: the signed-in host fixture)

from widget import state
from widget.console import main
from widget.disposable import is_disposable

REFUSED = "addresses of disposable mail services cannot sign"


@pytest.mark.parametrize("address, expected", [
    ("someone@mailinator.com", True),
    ("someone@Mailinator.COM", True),
    ("someone@eu.mailinator.com", True),  # a subdomain of a listed domain
    ("someone@gmail.com", False),
    ("someone@mailinator.com.example", False),  # only the listed domain and its subdomains
    ("someone@école.example", False),
    ("", False),
])
def test_the_list(address, expected):
    assert is_disposable(address) is expected


def test_the_form_refuses_a_disposable_address_and_stores_nothing(app, site):
    answer = post_sign_on(app.test_client(), site.key, "Someone@Mailinator.com")
    assert answer.status_code == 400
    assert REFUSED in answer.get_data(as_text=True)
    assert state(app).store.query("SELECT COUNT(*) FROM signons") == [(0,)]


def test_the_operator_may_accept_them(make_app):
    app = make_app(PLEDGE_BLOCK_DISPOSABLE=False)
    site = state(app).store.add_site("S", ["https://s.example"], "o@s.example", "4p1000")
    answer = post_sign_on(app.test_client(), site.key, "someone@mailinator.com")
    assert answer.status_code == 200 and REFUSED not in answer.get_data(as_text=True)
    assert state(app).store.query("SELECT status FROM signons") == [("pending",)]


def test_paper_sign_ons_refuse_them_too(app, host, site):  # noqa: F811
    content = "\r\n".join([HEADER, csv_row(email="one@example.org"), csv_row(email="two@yopmail.com")]) + "\r\n"
    answer = upload(host, site.key, content)
    assert answer.status_code == 400
    assert REFUSED in answer.get_data(as_text=True)
    assert state(app).store.paper_signons(site.key) == []


def test_the_version_names_the_lists_version(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["pledge-widget", "--version"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 0
    first, details = capsys.readouterr().out.splitlines()
    assert first.startswith("pledge-widget ")
    assert details.startswith("disposable-email-domains ") and "domains)" in details
