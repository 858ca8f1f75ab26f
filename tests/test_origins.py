"""An origin is a scheme, a host and a port, nothing else: it goes into the widget's Content-Security-Policy,
where a space, a ``;``, a comma or a quote would let a host add sources or whole directives (``report-uri``,
``sandbox``...). Refused on the host's form and on the command line, and checked again where the header is
built, for rows stored before."""
from __future__ import annotations

import json

import pytest

from conftest import run_sql
from test_host import CSRF, sign_in
from test_host_self_service import add_site, sign_up

from widget import state
from widget.origins import InvalidOrigin, frame_sources, normalise_origin

INJECTIONS = [
    "https://a.example; report-uri https://evil.example/r",
    "https://a.example;sandbox",
    "https://a.example sandbox",
    "https://a.example,https://evil.example",
    "https://a.example'",
    'https://a.example"',
    "https://'unsafe-inline'",
    "https://a.example:443;sandbox",
    "https://a.example\tsandbox",
]


@pytest.mark.parametrize("typed, origin", [
    ("HTTPS://Lycée.Example:443/", "https://xn--lyce-dpa.example"),
    ("https://straße.example", "https://xn--strae-oqa.example"),  # as browsers write it (UTS #46)
    ("https://école。example", "https://xn--cole-9oa.example"),
    ("http://localhost:80", "http://localhost"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ("https://[2001:DB8::1]:8443", "https://[2001:db8::1]:8443"),
    ("https://my_school.example", "https://my_school.example"),
    ("  https://a.example/ ", "https://a.example"),
])
def test_origins_are_written_as_browsers_report_them(typed, origin):
    assert normalise_origin(typed) == origin


@pytest.mark.parametrize("typed, reason", [
    *((value, "host") for value in INJECTIONS if ":443" not in value),
    ("https://a.example:443;sandbox", "port"),
    ("ftp://a.example", "scheme"), ("a.example", "scheme"), ("javascript://a.example", "scheme"),
    ("https://a.example/page", "path"), ("https://a.example?x=1", "path"), ("https://a.example#x", "path"),
    ("https://user@a.example", "path"),
    ("https://*.example", "wildcard"), ("*", "scheme"),
    ("https://-a.example", "host"), ("https://a..example", "host"), ("https://", "host"),
    ("https://1.2.3", "host"), ("https://256.0.0.1", "host"), ("https://[fe80::1%eth0]", "host"),
    ("https://" + "a" * 64 + ".example", "host"),
    ("https://a.example:0", "port"), ("https://a.example:65536", "port"), ("https://a.example:+80", "port"),
])
def test_anything_else_is_refused_with_its_reason(typed, reason):
    with pytest.raises(InvalidOrigin) as refused:
        normalise_origin(typed)
    assert refused.value.reason == reason


def test_the_host_form_refuses_injected_directives_and_says_why(app, client, inbox):
    sign_up(app, client, inbox, "csp@example.org")
    for injected in INJECTIONS:
        html = add_site(client, origins=f"https://ok.example\n{injected}", expect=400).get_data(as_text=True)
        assert "a web site’s name has only letters, digits, hyphens and dots" in html or "a port is a number" in html
    html = add_site(client, origins="https://ok.example:70000", expect=400).get_data(as_text=True)
    assert "a port is a number from 1 to 65535" in html
    assert "* inside an address is not allowed" in add_site(client, origins="https://*.ok.example", expect=400).get_data(as_text=True)
    assert state(app).store.sites_of("csp@example.org") == []


def test_the_edit_form_refuses_them_too(app, client, site, inbox):
    sign_in(app, client, inbox, "webmaster@lycee.example")
    page = client.get(f"/host/sites/{site.key}/edit").get_data(as_text=True)
    response = client.post(f"/host/sites/{site.key}/edit", data={
        "csrf_token": CSRF.search(page).group(1), "name": "Lycée", "origins": "https://lycee.example; sandbox"})
    assert response.status_code == 400 and "no spaces, quotes, commas or semicolons" in response.get_data(as_text=True)
    assert state(app).store.get_site(site.key).origins == ("https://lycee.example",)


def test_the_command_line_refuses_them(app, runner, site):
    for injected in INJECTIONS:
        result = runner.invoke(args=["pledge", "site", "add", "--name", "X", "--origin", injected,
                                     "--email", "w@x.example"])
        assert result.exit_code == 2 and "--origin" in result.output, injected
        result = runner.invoke(args=["pledge", "site", "edit", site.key, "--origin", injected])
        assert result.exit_code == 2 and "--origin" in result.output, injected
    listed = json.loads(runner.invoke(args=["pledge", "site", "list", "--json"]).stdout)
    assert [s["origins"] for s in listed] == [["https://lycee.example"]]


def test_a_bad_origin_stored_before_adds_nothing_to_the_policy(app, client, site):
    stored = ["https://lycee.example", *INJECTIONS, "https://b.example:8443"]
    run_sql(state(app).store, "UPDATE sites SET origins = ? WHERE key = ?", [json.dumps(stored), site.key])
    policy = client.get(f"/w/{site.key}").headers["Content-Security-Policy"]
    directives = [d.strip() for d in policy.split(";")]
    assert "frame-ancestors 'self' https://lycee.example https://b.example:8443" in directives
    assert [d.split()[0] for d in directives].count("frame-ancestors") == 1
    assert "sandbox" not in policy and "report-uri" not in policy and "evil" not in policy and "," not in policy
    assert frame_sources(stored) == ["https://lycee.example", "https://b.example:8443"]
