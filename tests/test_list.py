"""The public list of signatories: the store's keyset pages, filters, search and moderation (on both
engines), the page and its JSON, the CLI, the widget's list mode, and leaving the list from the mail."""
from __future__ import annotations

import json
import re
import time

import pytest
from conftest import deliver, links, path_of, post_sign_on, run_sql
from test_store import store  # noqa: F401  (fixture: a migrated store on each engine)

from widget import audit, listing
from widget.appstate import state
from widget.store import Mail, SignOn
from widget.store.listing import Cursor, Filters, public_id
from widget.views.widget import widget_key

MAIL = Mail(to="a@example.org", subject="Confirm", text="text", html="<p>html</p>")
LEAVE = re.compile(r"https?://[^\s\"<>]+/leave-list/[A-Za-z0-9_.\-]+")


def sign(store, id: str, organization: str | None = None, site_key: str = "s1", country: str | None = "FR",
         org_type: str | None = "company", at: float | None = None, confirm: bool = True, consent: bool = True,
         campaign: str = "4p1000") -> None:
    now = time.time()
    answers = {"name": "Ana Secret", "organization": organization if organization is not None else f"Org {id}"}
    answers.update({k: v for k, v in (("country", country), ("org_type", org_type)) if v})
    answers = {k: v for k, v in answers.items() if v}
    store.create_signon(SignOn(id=id, campaign=campaign, site_key=site_key, email=f"{id}@secret.example", lang="en",
                               status="pending", created_at=now, confirmed_at=None,
                               consent_at=now if consent else None, consent_version="v1/en", answers=answers), MAIL)
    if confirm:
        store.confirm_signon(id)
        if at is not None:
            run_sql(store, "UPDATE signons SET confirmed_at = ? WHERE id = ?", [at, id])


def every_page(store, filters: Filters, limit: int, moderation: str = "post") -> list[str]:
    names, after, pages = [], None, 0
    while True:
        entries, after = store.list_entries(filters, moderation, after, limit)
        names += [entry.organization for entry in entries]
        pages += 1
        assert pages < 1000
        if after is None:
            return names


CAMPAIGN = Filters(campaign="4p1000")


# -- the store, on both engines ------------------------------------------------------------------


def test_only_confirmed_consenting_organisations_are_listed_newest_first(store):  # noqa: F811
    sign(store, "old", at=1000.0)
    sign(store, "new", at=2000.0)
    sign(store, "unconfirmed", confirm=False)
    sign(store, "noconsent", consent=False, at=3000.0)
    sign(store, "noorg", organization="", at=3000.0)
    sign(store, "other", campaign="other", at=3000.0)
    entries, after = store.list_entries(CAMPAIGN)
    assert [e.organization for e in entries] == ["Org new", "Org old"] and after is None
    # What is published is not the sign-on's id (which confirm and withdraw links carry).
    assert entries[0].id == public_id("new") != "new" and "new" not in entries[0].id
    assert store.count_entries(CAMPAIGN) == 2


def test_keyset_pages_cover_the_list_once_even_with_ties(store):  # noqa: F811
    # 40 sign-ons confirmed at 8 moments only: every page boundary falls inside a tie.
    for n in range(40):
        sign(store, f"t{n:02}", at=5000.0 + n // 5)
    expected = [e.organization for e in store.list_entries(CAMPAIGN, limit=100)[0]]
    assert len(expected) == 40 and len(set(expected)) == 40
    for limit in (1, 3, 7, 40):
        assert every_page(store, CAMPAIGN, limit) == expected
    # A cursor survives its trip through a URL, float and all.
    entries, after = store.list_entries(CAMPAIGN, limit=7)
    assert Cursor.parse(str(after)) == after
    assert store.list_entries(CAMPAIGN, after=Cursor.parse(str(after)), limit=100)[0][0].organization == expected[7]


def test_filters_and_search(store):  # noqa: F811
    sign(store, "a", "École des Sols", country="FR", org_type="research", site_key="s1")
    sign(store, "b", "ÉCOLOGIE Sans Frontières", country="SN", org_type="civil_society", site_key="s2")
    sign(store, "c", "100% Compost_Ltd", country="FR", org_type="company", site_key="s2")
    sign(store, "d", "1000 Compost Ltd", country="DE", org_type="company", site_key="s1")

    def names(**filters) -> set[str]:
        return {e.organization for e in store.list_entries(Filters(campaign="4p1000", **filters))[0]}

    assert names(country="FR") == {"École des Sols", "100% Compost_Ltd"}
    assert names(org_type="company") == {"100% Compost_Ltd", "1000 Compost Ltd"}
    assert names(country="FR", org_type="company") == {"100% Compost_Ltd"}
    assert names(site_key="s2") == {"ÉCOLOGIE Sans Frontières", "100% Compost_Ltd"}
    # Case-insensitive beyond A-Z, a substring anywhere.
    assert names(q="écol") == {"École des Sols", "ÉCOLOGIE Sans Frontières"}
    assert names(q="SOLS") == {"École des Sols"}
    # LIKE's wildcards are letters like any other.
    assert names(q="0%") == {"100% Compost_Ltd"}
    assert names(q="t_l") == {"100% Compost_Ltd"}
    assert names(q="zzz") == set()
    assert store.count_entries(Filters(campaign="4p1000", q="compost")) == 2


def test_moderation_hides_shows_and_keeps_the_counts(store):  # noqa: F811
    sign(store, "a")
    sign(store, "b")
    entry_id = public_id("a")
    counts = store.counts("4p1000", "s1")
    with pytest.raises(listing.ListingError, match="reason"):
        listing.hide(store, entry_id, "  ")
    with pytest.raises(listing.ListingError, match="no signatory"):
        listing.hide(store, "0123456789abcdef", "spam")
    hidden = listing.hide(store, entry_id, "Not an organisation", actor="cli:op")
    assert (hidden.state, hidden.reason, hidden.changed_by) == ("hidden", "Not an organisation", "cli:op")
    assert [e.organization for e in store.list_entries(CAMPAIGN)[0]] == ["Org b"]
    assert store.counts("4p1000", "s1") == counts
    assert listing.show(store, entry_id).state == "listed"
    assert len(store.list_entries(CAMPAIGN)[0]) == 2
    listing.pending(store, entry_id)
    assert [e.id for e in store.waiting_entries("post")] == [entry_id]
    assert listing.approve(store, entry_id).state == "listed"
    # The signatory leaves: nobody but them lists the entry again; it still counts.
    listing.leave(store, entry_id)
    assert [e.organization for e in store.list_entries(CAMPAIGN)[0]] == ["Org b"]
    with pytest.raises(listing.ListingError, match="left"):
        listing.show(store, entry_id)
    assert store.get_entry(entry_id).state == "left"
    assert store.counts("4p1000", "s1") == counts


def test_pre_moderation_lists_only_what_the_operator_approved(store):  # noqa: F811
    sign(store, "a", at=1000.0)
    sign(store, "b", at=2000.0)
    assert store.list_entries(CAMPAIGN, "pre")[0] == []
    assert [e.organization for e in store.waiting_entries("pre")] == ["Org a", "Org b"]
    listing.approve(store, public_id("b"))
    assert [e.organization for e in store.list_entries(CAMPAIGN, "pre")[0]] == ["Org b"]
    assert [e.organization for e in store.waiting_entries("pre")] == ["Org a"]
    listing.hide(store, public_id("a"), "duplicate")
    with pytest.raises(listing.ListingError, match="show"):
        listing.approve(store, public_id("a"))
    assert store.waiting_entries("pre") == []


def test_the_list_reads_ranges_of_its_indexes(store):  # noqa: F811
    # Page 5,000 costs what page 1 does only if the query walks an index in its order: check the plan.
    sign(store, "a")
    if store.engine != "sqlite":
        pytest.skip("SQLite's plan names the index; PostgreSQL's depends on the table's size (see bench/list.py)")
    plan = " ".join(str(row) for row in store.query(
        "EXPLAIN QUERY PLAN SELECT public_id FROM signons WHERE status = 'confirmed' AND consent_at IS NOT NULL "
        "AND organization IS NOT NULL AND (list_state IS NULL OR list_state = 'listed') AND campaign = ? "
        "AND (confirmed_at, public_id) < (?, ?) ORDER BY confirmed_at DESC, public_id DESC "
        "LIMIT 51", ["4p1000", 1.0, "a"]))
    assert "signons_list_campaign" in plan and "TEMP B-TREE" not in plan


# -- the page and its JSON -----------------------------------------------------------------------


def confirmed_on_web(app, client, site, inbox, address: str, **answers) -> tuple[str, str]:
    """Sign on through the widget and confirm from the mail; returns the mail's plain text and its leave link."""
    post_sign_on(client, site.key, address, **answers)
    deliver(app)
    mail = inbox.wait_for(address)[-1]
    client.post(path_of(links(mail)[0]))
    text = mail.get_body(("plain",)).get_content()
    found = LEAVE.search(text)
    return text, found.group(0) if found else ""


def test_the_page_shows_a_confirmed_organisation_exactly_as_typed(app, client, site, inbox):
    confirmed_on_web(app, client, site, inbox, "x@evil.example", organization="<script>alert(1)</script>")
    confirmed_on_web(app, client, site, inbox, "y@evil.example", organization="http://evil.example",
                     country="FR", org_type="company")
    response = client.get("/c/4p1000/signatories")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "http://evil.example" in html and 'href="http://evil.example' not in html
    assert "<table" in html and '<th scope="col">Organisation</th>' in html
    assert "2 organisations" in html and "France" in html and ">Company<" in html
    # Never a name nor an address.
    assert "Amina Diallo" not in html and "evil.example</" not in html.replace("http://evil.example", "")
    assert response.headers["Cache-Control"].startswith("public")
    assert "Accept-Language" in response.headers["Vary"]
    assert 'lang="en"' in html


@pytest.mark.parametrize("lang, senegal", [("ar", "السنغال"), ("fa", "سنگال")])
def test_the_page_in_arabic_or_persian_is_right_to_left_with_localised_countries(app, client, site, inbox, lang,
                                                                                  senegal):
    confirmed_on_web(app, client, site, inbox, f"{lang}@example.org")
    html = client.get(f"/c/4p1000/signatories?lang={lang}").get_data(as_text=True)
    assert f'<html lang="{lang}" dir="rtl"' in html
    assert senegal in html  # Senegal, the sign-on's country, in the page's language
    assert "Coopérative des Sols Vivants" in html


def test_the_page_filters_searches_and_pages(app, client):
    store = state(app).store
    for n in range(60):
        sign(store, f"p{n:02}", f"Farm {n:02}", country="FR" if n % 2 else "SN", at=10000.0 + n)
    html = client.get("/c/4p1000/signatories").get_data(as_text=True)
    assert "60 organisations" in html and "Farm 59" in html and "Farm 09" not in html
    next_url = re.search(r'<a href="([^"]+)" rel="next">', html).group(1).replace("&amp;", "&")
    second = client.get(next_url).get_data(as_text=True)
    assert "Farm 09" in second and "Farm 10" not in second and 'rel="next"' not in second
    filtered = client.get("/c/4p1000/signatories?country=sn&q=farm+0").get_data(as_text=True)
    assert re.findall(r"<bdi>(Farm \d+)</bdi>", filtered) == ["Farm 08", "Farm 06", "Farm 04", "Farm 02", "Farm 00"]
    assert '<option value="SN" selected>' in filtered
    assert "No signatory matches this search." in client.get("/c/4p1000/signatories?q=nothing").get_data(as_text=True)


def test_a_language_by_query_and_one_by_accept_language_are_not_the_same_cached_page(make_app):
    """The page picked by ?lang= says no Vary: Accept-Language and keeps its language in its links; the same
    language negotiated from the header must vary by it, or a proxy serves it to every reader."""
    app = make_app(PLEDGE_CACHE_SECONDS=60)
    client = app.test_client()
    sign(state(app).store, "a", "Farm A", country="SN")
    by_query = client.get("/c/4p1000/signatories?country=SN&lang=ar")
    assert "Accept-Language" not in by_query.headers["Vary"]
    by_header = client.get("/c/4p1000/signatories?country=SN", headers={"Accept-Language": "ar"})
    assert '<html lang="ar"' in by_header.get_data(as_text=True)
    assert "Accept-Language" in by_header.headers["Vary"]
    # The other order: the search form of the page picked by ?lang= keeps that language.
    client.get("/c/4p1000/signatories?country=FR", headers={"Accept-Language": "ar"})
    html = client.get("/c/4p1000/signatories?country=FR&lang=ar").get_data(as_text=True)
    assert '<input type="hidden" name="lang" value="ar">' in html


def test_bad_filters_are_left_out_with_a_message(app, client):
    sign(state(app).store, "a")
    assert client.get("/c/4p1000/signatories?q=" + "a" * 5000).status_code == 200  # cut, not refused
    response = client.get("/c/4p1000/signatories?country=XX&org_type=bogus&after=nonsense")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'role="alert"' in html
    assert "the country is not a known country code." in html and "Org a" in html
    assert "not one of this campaign" in html and "starts again at the newest" in html
    api = client.get("/api/v1/campaigns/4p1000/signatories?country=France")
    assert api.status_code == 400 and api.json["error"] == "bad_request" and "country" in api.json["message"]
    assert client.get("/api/v1/campaigns/4p1000/signatories?org_type=%00").status_code == 400
    assert client.get("/api/v1/campaigns/4p1000/signatories?after=nonsense").status_code == 400
    # Well formed, but no such country or type: nothing matches.
    assert client.get("/api/v1/campaigns/4p1000/signatories?country=XX").json == {"items": [], "next": None}
    assert client.get("/api/v1/campaigns/4p1000/signatories?org_type=bogus").json == {"items": [], "next": None}
    assert client.get("/api/v1/campaigns/4p1000/signatories?q=%00a").status_code == 200


def test_an_empty_list_and_an_unknown_campaign(client):
    assert "No signatory yet." in client.get("/c/4p1000/signatories").get_data(as_text=True)
    assert client.get("/c/nope/signatories").status_code == 404
    missing = client.get("/api/v1/campaigns/nope/signatories")
    assert missing.status_code == 404 and missing.json["error"] == "not_found"


def test_the_json_list_pages_with_next_urls(app, client):
    store = state(app).store
    for n in range(55):
        sign(store, f"j{n:02}", f"Org {n:02}", country="FR", org_type="research", at=20000.0 + n // 10 + (n == 54))
    response = client.get("/api/v1/campaigns/4p1000/signatories")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"].startswith("public") and response.headers["ETag"]
    first = response.json
    assert set(first) == {"items", "next"} and len(first["items"]) == 50
    assert first["items"][0] == {"id": public_id("j54"), "organization": "Org 54", "org_type": "research",
                                 "country": "FR", "signed_on": time.strftime("%Y-%m-%d", time.gmtime(20006.0)),
                                 "verified_domain": None}
    assert first["next"].startswith("http://localhost/api/v1/campaigns/4p1000/signatories?after=")
    second = client.get(path_of(first["next"])).json
    assert second["next"] is None
    ids = [item["id"] for item in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 55
    found = client.get("/api/v1/campaigns/4p1000/signatories?q=org+0").json["items"]
    assert {item["organization"] for item in found} == {f"Org 0{n}" for n in range(10)}
    cached = client.get("/api/v1/campaigns/4p1000/signatories", headers={"If-None-Match": response.headers["ETag"]})
    assert cached.status_code == 304


# -- moderation from the command line ------------------------------------------------------------


def test_the_operator_hides_and_shows_an_entry_from_the_command_line(app, client, runner):
    store = state(app).store
    sign(store, "a", "Spam Inc")
    sign(store, "b", "Real Org")
    entry = public_id("a")
    assert "Spam Inc" in client.get("/c/4p1000/signatories").get_data(as_text=True)
    missing_reason = runner.invoke(args=["pledge", "list", "hide", entry])
    assert missing_reason.exit_code != 0 and "--reason" in missing_reason.output
    unknown = runner.invoke(args=["pledge", "list", "hide", "feedfeedfeedfeed", "--reason", "spam"])
    assert unknown.exit_code == 1 and "no signatory with the id" in unknown.output
    hidden = runner.invoke(args=["pledge", "list", "hide", entry, "--reason", "Advertising"])
    assert hidden.exit_code == 0 and "hidden" in hidden.output
    html = client.get("/c/4p1000/signatories").get_data(as_text=True)
    assert "Spam Inc" not in html and "Real Org" in html and "1 organisation" in html
    assert client.get("/api/v1/campaigns/4p1000").json["total"] == 2  # still counted
    shown = runner.invoke(args=["pledge", "list", "show", entry])
    assert shown.exit_code == 0 and "listed" in shown.output
    assert "Spam Inc" in client.get("/c/4p1000/signatories").get_data(as_text=True)


def test_pre_moderation_from_the_command_line(make_app):
    app = make_app(PLEDGE_LIST_MODERATION="pre")
    client, runner = app.test_client(), app.test_cli_runner()
    sign(state(app).store, "a", "Waiting Org")
    assert "No signatory yet." in client.get("/c/4p1000/signatories").get_data(as_text=True)
    waiting = runner.invoke(args=["pledge", "list", "pending", "--json"])
    assert waiting.exit_code == 0
    [row] = json.loads(waiting.output)
    assert row["id"] == public_id("a") and row["organization"] == "Waiting Org" and "email" not in row
    assert runner.invoke(args=["pledge", "list", "approve", row["id"]]).exit_code == 0
    assert "Waiting Org" in client.get("/c/4p1000/signatories").get_data(as_text=True)
    assert runner.invoke(args=["pledge", "list", "pending"]).output.strip() == "no entry waits for approval"


def test_under_pre_moderation_the_mail_says_the_staff_check_first(make_app, inbox):
    app = make_app(PLEDGE_LIST_MODERATION="pre")
    site = state(app).store.add_site("S", ["https://s.example"], "o@s.example", "4p1000")
    text, leave = confirmed_on_web(app, app.test_client(), site, inbox, "pre@example.org", organization="Pre Org")
    assert leave and "once the campaign’s staff have checked it" in text


def test_an_entry_sent_back_to_the_queue_waits_for_approval_and_the_log_says_who(app):
    client, runner = app.test_client(), app.test_cli_runner()
    sign(state(app).store, "q", "Second Look Ltd")
    assert "Second Look Ltd" in client.get("/c/4p1000/signatories").get_data(as_text=True)
    entry_id = public_id("q")
    assert runner.invoke(args=["pledge", "list", "requeue", entry_id]).exit_code == 0
    assert "Second Look Ltd" not in client.get("/c/4p1000/signatories").get_data(as_text=True)
    assert entry_id in runner.invoke(args=["pledge", "list", "pending"]).output
    [entry] = [e for e in audit.entries(state(app).store) if e.action == "list.requeue"]
    assert entry.target == f"entry:{entry_id}" and entry.actor.startswith("cli:")
    assert runner.invoke(args=["pledge", "list", "approve", entry_id]).exit_code == 0
    assert "Second Look Ltd" in client.get("/c/4p1000/signatories").get_data(as_text=True)


def test_a_bad_moderation_setting_is_refused(make_app):
    with pytest.raises(ValueError, match="PLEDGE_LIST_MODERATION"):
        make_app(PLEDGE_LIST_MODERATION="sometimes")


# -- leaving the list from the confirmation mail -------------------------------------------------


def test_leaving_the_list_from_the_mail_keeps_the_signature_counted(app, client, site, inbox):
    text, leave = confirmed_on_web(app, client, site, inbox, "leave@example.org", organization="Leaving Org")
    assert leave and "public list of signatories" in text
    assert "Leaving Org" in client.get("/c/4p1000/signatories").get_data(as_text=True)
    page = client.get(path_of(leave))
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Leaving Org" in page.get_data(as_text=True)
    assert "Leaving Org" in client.get("/c/4p1000/signatories").get_data(as_text=True)  # a GET changes nothing
    done = client.post(path_of(leave))
    assert done.status_code == 200 and "no longer on the list" in done.get_data(as_text=True)
    assert "Leaving Org" not in client.get("/c/4p1000/signatories").get_data(as_text=True)
    assert client.get(f"/api/v1/sites/{site.key}/count").json["site"] == 1
    # A reload, a double click or the mail's link used again later: the same answer, not "nothing to take
    # off: only signatures that agreed to publication are listed", which tells them they never agreed.
    again = client.post(path_of(leave))
    assert again.status_code == 200 and "no longer on the list" in again.get_data(as_text=True)
    assert client.post(path_of(leave)[:-3] + "xyz").status_code == 400  # a tampered link
    # The withdraw link does not open the leave page, nor the reverse.
    assert client.get(path_of(leave).replace("/leave-list/", "/withdraw/")).status_code == 400


def test_a_sign_on_without_an_organisation_gets_no_leave_link(app):
    from widget.signons import confirmation_mail

    store = state(app).store
    sign(store, "noorg", organization="", confirm=False)
    sign(store, "withorg", organization="Some Org", confirm=False)
    with app.test_request_context():
        assert "/leave-list/" not in confirmation_mail(store.get_signon("noorg")).text
        assert "/leave-list/" in confirmation_mail(store.get_signon("withorg")).text


# -- the widget's list mode ----------------------------------------------------------------------


def test_the_list_mode_shows_the_sites_or_the_campaigns_latest(app, client, site):
    store = state(app).store
    other = store.add_site("Other", ["https://other.example"], "o@other.example", "4p1000")
    sign(store, "mine", "Through This Site", site_key=site.key)
    sign(store, "theirs", "Through Another", site_key=other.key)
    mine = client.get(f"/w/{site.key}?mode=list")
    html = mine.get_data(as_text=True)
    assert mine.status_code == 200 and mine.headers["Cache-Control"].startswith("public")
    assert "Through This Site" in html and "Through Another" not in html
    assert 'href="/c/4p1000/signatories?lang=en"' in html
    campaign = client.get(f"/w/{site.key}?mode=list&scope=campaign").get_data(as_text=True)
    assert "Through This Site" in campaign and "Through Another" in campaign
    assert "Through Another" not in client.get(f"/w/{site.key}").get_data(as_text=True)  # the form mode
    for rtl in ("ar", "fa"):
        page = client.get(f"/w/{site.key}?mode=list&lang={rtl}").get_data(as_text=True)
        assert 'dir="rtl"' in page and "Through This Site" in page, rtl


def test_the_scope_is_part_of_the_widget_pages_cache_key():
    site_scope = widget_key("k", {"mode": "list"}, "")
    assert widget_key("k", {"mode": "list", "scope": "campaign"}, "") != site_scope
    assert widget_key("k", {"mode": "list", "scope": "site"}, "") == site_scope
    assert widget_key("k", {"mode": "list", "scope": "junk"}, "") == site_scope
    # Other modes ignore the scope: no extra copy for it.
    assert widget_key("k", {"mode": "form", "scope": "campaign"}, "") == widget_key("k", {}, "")


def test_the_snippet_builder_offers_the_list_mode_and_its_scope(app, client, site, inbox):
    from test_host import sign_in
    from test_snippet_builder import PREVIEW, snippet_of

    sign_in(app, client, inbox, site.owner_email)
    page = client.get(f"/host/sites/{site.key}/snippet").get_data(as_text=True)
    assert 'id="mode-list"' in page and 'id="scope-campaign"' in page
    assert "data-scope" not in snippet_of(page)
    page = client.get(f"/host/sites/{site.key}/snippet?mode=list&scope=campaign").get_data(as_text=True)
    assert 'data-mode="list" data-scope="campaign"' in snippet_of(page)
    preview = PREVIEW.search(page).group(1).replace("&amp;", "&")
    assert "mode=list" in preview and "scope=campaign" in preview
    assert client.get(preview).status_code == 200
    # The scope means nothing to the other modes: their snippets do not carry it.
    page = client.get(f"/host/sites/{site.key}/snippet?mode=counter&scope=campaign").get_data(as_text=True)
    assert "data-scope" not in snippet_of(page)


def test_the_migration_gives_earlier_sign_ons_their_public_id(database_url):
    from widget.store import open_store

    older = open_store(database_url)
    try:
        older.migrate(upto=9)
        now = time.time()
        run_sql(older, "INSERT INTO signons (id, campaign, site_key, email, organization, status, created_at, "
                "confirmed_at, consent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ["before", "4p1000", "s1", "b@example.org", "Ancienne ÉCOLE", "confirmed", now, now, now])
        older.migrate()
        [entry] = older.list_entries(Filters(campaign="4p1000", q="école"))[0]
        assert entry.id == public_id("before") and entry.organization == "Ancienne ÉCOLE"
    finally:
        older.close()
