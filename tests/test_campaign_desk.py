"""The desk's campaigns (issue 22) over HTTP: the list and its life-cycle actions (audited under the admin's
address, closing behind a fresh sign-in, bad input a localised message and nothing changed), and the editor
of campaigns written in the desk (the campaigns file's rules, problems by their field, a new consent_version
when a wording people agree to changes, the preview framed by the desk alone, saves that would overwrite
someone else's refused). A campaign written there works at once, from the widget to the count."""
from __future__ import annotations

import re

import pytest

from conftest import deliver, links, path_of, post_sign_on
from test_admin_pages import ADMIN, entries, post, sign_in, token
from widget.appstate import state

FORM = {
    "slug": "gardens", "goal": "auto", "opens": "", "closes": "2099-06-30T18:00", "default_lang": "en",
    "fields": ["name", "organization", "country"], "required": ["name", "organization"], "org_types": "",
    "text.title": "School gardens", "text.declaration": "We ask for a garden.\r\n\r\nIn every school.",
    "text.consent": "I sign this letter.",
}


@pytest.fixture
def app(make_app):
    return make_app(PLEDGE_ADMINS=ADMIN)


@pytest.fixture
def desk(app, client):
    sign_in(app, client)
    return client


def errors_of(response) -> dict[str, str]:
    return dict(re.findall(r'<p class="error" id="([^"]+)-error">([^<]+)</p>', response.get_data(as_text=True)))


def create(desk, **changes):
    return post(desk, "/admin/campaigns/new", "/admin/campaigns/new", **dict(FORM, **changes))


def test_the_list_shows_every_campaign_with_its_status_dates_and_total(app, desk):
    page = desk.get("/admin/campaigns")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "4p1000" in html and "Built in" in html and "Open" in html and "0 / 100,000" in html
    assert 'href="/admin/campaigns"' in desk.get("/admin/").get_data(as_text=True)  # in the desk's menu


def test_pause_resume_and_extend_are_audited_under_the_admins_address(app, desk):
    answer = post(desk, "/admin/campaigns", "/admin/campaigns/pause", slug="4p1000")
    assert answer.status_code == 303 and state(app).campaigns["4p1000"].status() == "paused"
    assert "The campaign is paused" in desk.get(answer.location).get_data(as_text=True)
    post(desk, "/admin/campaigns", "/admin/campaigns/resume", slug="4p1000")
    post(desk, "/admin/campaigns", "/admin/campaigns/extend", slug="4p1000", to="2099-12-31T23:59")
    assert [(e.action, e.actor) for e in reversed(entries(app))] == [
        ("campaign.pause", ADMIN), ("campaign.resume", ADMIN), ("campaign.extend", ADMIN)]
    assert "2099-12-31T23:59:00Z" in entries(app)[0].after["closes"]


@pytest.mark.parametrize("to, says", [("", "Please give a date and a time."), ("soon", "Please give a date and a time."),
                                      ("2001-01-01T00:00", "Please choose a moment to come.")])
def test_a_bad_closing_time_changes_nothing_and_says_why_by_the_field(app, desk, to, says):
    answer = post(desk, "/admin/campaigns", "/admin/campaigns/extend", slug="4p1000", to=to)
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert says in html and 'aria-invalid="true"' in html
    assert entries(app) == [] and state(app).campaigns["4p1000"].closes is None


def test_the_refusals_speak_the_admins_language(app, desk):
    answer = post(desk, "/admin/campaigns", "/admin/campaigns/extend", slug="4p1000", to="2001-01-01T00:00")
    french = desk.post("/admin/campaigns/extend", headers={"Accept-Language": "fr"},
                       data={"csrf_token": token(desk, "/admin/campaigns"), "slug": "4p1000", "to": "nope"})
    assert french.status_code == 400 and '<html lang="fr"' in french.get_data(as_text=True)
    assert answer.status_code == 400


def test_closing_wants_a_fresh_sign_in(app, client):
    sign_in(app, client, fresh=False)
    answer = post(client, "/admin/campaigns", "/admin/campaigns/close", slug="4p1000")
    assert answer.status_code == 303 and answer.location.endswith("/admin/reauth")
    assert state(app).campaigns["4p1000"].status() == "open" and entries(app) == []
    sign_in(app, client)
    post(client, "/admin/campaigns", "/admin/campaigns/close", slug="4p1000")
    assert state(app).campaigns["4p1000"].status() == "closed"


def test_a_post_without_its_csrf_token_changes_nothing(app, desk):
    assert desk.post("/admin/campaigns/pause", data={"slug": "4p1000"}).status_code == 400
    assert desk.post("/admin/campaigns/new", data=FORM).status_code == 400
    assert state(app).campaigns["4p1000"].status() == "open" and "gardens" not in state(app).campaigns


def test_a_campaign_written_in_the_desk_works_at_once(app, desk, client, inbox):
    answer = create(desk)
    assert answer.status_code == 303 and answer.location == "/admin/campaigns/gardens/edit?texts=en&done=saved"
    campaign = state(app).campaigns["gardens"]
    assert (campaign.source, campaign.auto_goal, campaign.consent_version) == ("desk", True, "1")
    assert campaign.paragraphs("declaration") == ["We ask for a garden.", "In every school."]
    [entry] = entries(app, "campaign.create")
    assert entry.actor == ADMIN and entry.after["texts.en.title"] == "School gardens"
    # A host site for it, from the command line, and a sign-on through its widget, confirmed.
    result = app.test_cli_runner().invoke(args=["pledge", "site", "add", "--name", "School", "--origin",
                                                "https://school.example", "--email", "web@school.example",
                                                "--campaign", "gardens", "--json"])
    assert result.exit_code == 0, result.output
    key = re.search(r'"key": "([^"]+)"', result.output).group(1)
    signed = post_sign_on(client, key, "teacher@school.example", org_type=None, goal=None, actions=None,
                          timetable=None, resources=None)
    assert signed.status_code == 200 and "Check your inbox" in signed.get_data(as_text=True)
    deliver(app)
    [mail] = inbox.wait_for("teacher@school.example")
    assert "School gardens" in mail["Subject"]
    client.post(path_of(links(mail)[0]))
    assert client.get(f"/api/v1/sites/{key}/count").json == {
        "campaign": "gardens", "site": 1, "total": 1, "goal": 100, "status": "open", "closes": "2099-06-30T18:00:00Z"}
    assert state(app).store.get_signon(state(app).store.query("SELECT id FROM signons")[0][0]).consent_version == "1/en"


def test_the_editors_problems_are_the_files_rules_said_by_each_field(app, desk):
    answer = create(desk, slug="school gardens", goal="lots", opens="2099-07-01T00:00", required=["country"],
                    fields=["name"], **{"text.title": "", "text.consent": ""})
    assert answer.status_code == 400
    assert errors_of(answer) == {
        "slug": "Use letters, digits, “-” and “_” only (at most 64).",
        "goal": "Give a whole number above zero, or “auto”, or leave it empty.",
        "closes": "The closing must come after the opening.",
        "required": "A required field must be shown too.",
        "text-title": "This text is needed in the campaign’s main language.",
        "text-consent": "This text is needed in the campaign’s main language.",
    }
    html = answer.get_data(as_text=True)
    assert 'href="#text-title"' in html and 'id="text-title"' in html  # the summary links to each field
    assert 'value="school gardens"' in html and "We ask for a garden." in html  # what was typed stays
    assert "gardens" not in state(app).campaigns and "school gardens" not in state(app).campaigns
    assert entries(app) == []
    taken = create(desk, slug="4p1000")
    assert errors_of(taken) == {"slug": "There is a campaign with this name already: choose another."}


def test_a_new_consent_wording_is_a_new_consent_version(app, desk, client):
    create(desk)
    edit = "/admin/campaigns/gardens/edit?texts=fr"
    page = desk.get(edit).get_data(as_text=True)
    assert "No texts yet in" in page and "Français" in page
    updated_at = re.search(r'name="updated_at" value="([^"]+)"', page).group(1)
    fields = dict(FORM, updated_at=updated_at, lang_edited="fr", **{"text.title": "Jardins d'école", "text.consent": "",
                                                                     "text.declaration": ""})
    fields.pop("slug")
    answer = post(desk, edit, edit, **fields)
    assert answer.status_code == 303
    campaign = state(app).campaigns["gardens"]
    assert campaign.consent_version == "1" and campaign.texts["fr"] == {"title": "Jardins d'école"}
    assert "lacks" in desk.get(edit).get_data(as_text=True)  # French has no declaration: English stands in
    # Someone changes the French consent: a new version; the old answer (its updated_at) cannot overwrite it.
    page = desk.get(edit).get_data(as_text=True)
    fresh = re.search(r'name="updated_at" value="([^"]+)"', page).group(1)
    post(desk, edit, edit, **dict(fields, updated_at=fresh, **{"text.consent": "Je signe cette lettre."}))
    assert state(app).campaigns["gardens"].consent_version == "2"
    stale = post(desk, edit, edit, **dict(fields, **{"text.title": "Autre titre"}))
    assert stale.status_code == 409 and "Someone saved this campaign" in stale.get_data(as_text=True)
    assert state(app).campaigns["gardens"].texts["fr"]["title"] == "Jardins d'école"
    [edited, _created] = [e for e in entries(app) if e.action.startswith("campaign.")][:2]
    assert edited.after == {"consent_version": "2", "texts.fr.consent": "Je signe cette lettre."}


def test_the_files_campaigns_are_read_only_here(app, desk):
    assert desk.get("/admin/campaigns/4p1000/edit").status_code == 404
    exported = desk.get("/admin/campaigns/4p1000/export")
    assert exported.status_code == 200 and exported.mimetype == "application/toml"
    assert exported.get_data(as_text=True).startswith("[campaigns.4p1000]")


def test_the_preview_shows_the_unsaved_texts_framed_by_the_desk_alone(app, desk):
    page = desk.get("/admin/campaigns/new")
    assert "frame-src 'self'" in page.headers["Content-Security-Policy"]
    preview = post(desk, "/admin/campaigns/new", "/admin/campaigns/preview",
                   **dict(FORM, **{"text.title": "Not saved yet"}))
    assert preview.status_code == 200 and "Not saved yet" in preview.get_data(as_text=True)
    assert preview.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in preview.headers["Content-Security-Policy"]
    assert preview.headers["Cache-Control"] == "no-store"
    assert "disabled>Sign</button>" in preview.get_data(as_text=True)
    lacking = post(desk, "/admin/campaigns/new", "/admin/campaigns/preview", **dict(FORM, **{"text.title": ""}))
    assert "once the campaign has a title" in lacking.get_data(as_text=True)
    assert "frame-ancestors 'self'" in lacking.headers["Content-Security-Policy"]
    assert "gardens" not in state(app).campaigns  # a preview saves nothing


def test_the_editor_sets_check_ins_and_progress_by_the_files_rules(app, desk):
    wrong = create(desk, checkins="P6M soon", checkins_repeat="yearly", checkins_max="many")
    assert wrong.status_code == 400 and "gardens" not in state(app).campaigns
    assert errors_of(wrong) == {
        "checkins": "Give ISO 8601 durations such as P6M P1Y, separated by spaces.",
        "checkins_repeat": "Give one ISO 8601 duration such as P1Y, or leave it empty.",
        "checkins_max": "Give a whole number above zero, or leave it empty.",
    }
    assert 'value="P6M soon"' in wrong.get_data(as_text=True)  # what was typed stays
    saved = create(desk, checkins="P6M, P1Y", checkins_repeat="P1Y", checkins_until="timetable",
                   checkins_max="4", show_progress="y", fields=FORM["fields"] + ["checkin_consent"])
    assert saved.status_code == 303
    campaign = state(app).campaigns["gardens"]
    assert (campaign.checkins, campaign.checkins_repeat, campaign.checkins_until, campaign.checkins_max,
            campaign.show_progress) == (("P6M", "P1Y"), "P1Y", "timetable", 4, True)
    page = desk.get("/admin/campaigns/gardens/edit").get_data(as_text=True)
    assert 'value="P6M P1Y"' in page and 'name="show_progress" value="y" checked' in page
    exported = desk.get("/admin/campaigns/gardens/export").get_data(as_text=True)
    for line in ('checkins = ["P6M", "P1Y"]', 'checkins_repeat = "P1Y"', 'checkins_until = "timetable"',
                 "checkins_max = 4", "show_progress = true"):
        assert line in exported
