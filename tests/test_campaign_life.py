"""A campaign's whole life (issue 22), over HTTP and on the command line: opening and closing on the clock,
pausing and closing by hand, extending; what the widget, the APIs and a POST say in each state; the goal
that rises; several workers on one database; the campaigns file's new keys; ``campaign export``."""
from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import time
from datetime import datetime, timezone

import pytest

from conftest import VALID_ANSWERS, deliver, links, path_of
from test_host import sign_in as sign_in_host
from widget import audit, campaign_actions, create_app, state
from widget.campaign_toml import campaign_texts, export_campaign
from widget.campaigns import Campaign, CampaignError, auto_goal, load_file
from widget.forms import form_token
from widget.i18n import LANGUAGES, speaking
from widget.moments import MomentError, iso_moment, parse_moment

DAY = 86400
ACTOR = "cli:tester"


def iso(timestamp: float) -> str:
    return iso_moment(timestamp)


def campaigns_file(tmp_path, opens: float | None = None, closes: float | None = None, goal: str = "500") -> str:
    """A campaigns file with one campaign, ``gardens``, opening and closing when told."""
    times = "".join(f'{key} = "{iso(value)}"\n' for key, value in (("opens", opens), ("closes", closes)) if value)
    path = tmp_path / "campaigns.toml"
    path.write_text(f"""[campaigns.gardens]
goal = {goal}
fields = ["name", "email", "organization", "country", "consent"]
{times}
[campaigns.gardens.texts.en]
title = "School gardens"
declaration = "We ask for a garden in every school."
consent = "I sign this letter."

[campaigns.gardens.texts.fr]
title = "Jardins d'école"
""", encoding="utf-8")
    return str(path)


def gardens(make_app, tmp_path, config=None, **times):
    app = make_app(PLEDGE_CAMPAIGNS_FILE=campaigns_file(tmp_path, **times), **(config or {}))
    site = state(app).store.add_site("School", ["https://school.example"], "web@school.example", "gardens")
    return app, site


def sign(client, site_key: str, address: str):
    """A sign-on with a form token handed out earlier (a form left open while the campaign changed)."""
    app = client.application
    with app.app_context():
        token = form_token(state(app).tokens, site_key, "en")
    data = dict(VALID_ANSWERS, email=address, form_token=token)
    for name in ("org_type", "goal", "actions", "timetable", "resources"):
        data.pop(name)
    return client.post(f"/w/{site_key}", data=data, follow_redirects=True)


def stored(app) -> tuple[int, int]:
    """Sign-ons and mails in the database."""
    store = state(app).store
    return store.query("SELECT COUNT(*) FROM signons")[0][0], store.query("SELECT COUNT(*) FROM outbox")[0][0]


# -- the pure parts ----------------------------------------------------------------------------------------


def test_the_auto_goal_is_the_next_round_step_above_the_count():
    assert [auto_goal(n) for n in (0, 99, 100, 249, 250, 999, 1000, 2499, 4999, 9999, 24_999, 99_999)] == [
        100, 100, 250, 250, 500, 1000, 2500, 2500, 5000, 10_000, 25_000, 100_000]
    assert auto_goal(1000) == 2500  # a goal reached is a goal passed: the next one shows


@pytest.mark.parametrize("text, expected", [
    ("2027-03-01T09:00:00Z", "2027-03-01T09:00:00Z"),
    ("2027-03-01T10:00:00+01:00", "2027-03-01T09:00:00Z"),
    ("2027-03-01T09:00", "2027-03-01T09:00:00Z"),  # no offset: UTC
    (" 2027-03-01 09:00:00z ", "2027-03-01T09:00:00Z"),
])
def test_moments_are_iso_8601_in_utc(text, expected):
    assert iso(parse_moment(text)) == expected


@pytest.mark.parametrize("text, says", [("2027-03-01", "a day without a time"), ("tomorrow", "not an ISO 8601"),
                                        ("", "not an ISO 8601"), ("2027-02-30T10:00Z", "not an ISO 8601")])
def test_what_is_not_a_moment_is_refused_with_a_reason(text, says):
    with pytest.raises(MomentError, match=says):
        parse_moment(text)


def test_statuses_follow_the_clock_and_the_operators_hand():
    opens, closes = 1_800_000_000.0, 1_800_000_000.0 + 30 * DAY
    campaign = Campaign("c", None, "en", ("en",), ("email", "consent"), frozenset(), (), "1", opens=opens, closes=closes)
    assert [campaign.status(t) for t in (opens - 1, opens, closes - 1, closes)] == ["upcoming", "open", "open", "closed"]
    paused = Campaign("c", None, "en", ("en",), (), frozenset(), (), "1", closes=closes, paused_at=opens)
    assert paused.status(opens + 1) == "paused" and paused.status(closes) == "closed"
    closed = Campaign("c", None, "en", ("en",), (), frozenset(), (), "1", closed_at=opens + 5)
    assert closed.status(opens + 4) == "open" and closed.status(opens + 5) == "closed" and closed.ended_at(opens + 9) == opens + 5
    # The countdown: the last week only, in whole UTC days, 0 on the closing day.
    closing = datetime(2027, 3, 10, 17, 0, tzinfo=timezone.utc).timestamp()
    last = Campaign("c", None, "en", ("en",), (), frozenset(), (), "1", closes=closing)
    assert last.days_left(closing - 8 * DAY) is None
    assert last.days_left(datetime(2027, 3, 7, 23, 0, tzinfo=timezone.utc).timestamp()) == 3
    assert last.days_left(datetime(2027, 3, 10, 0, 5, tzinfo=timezone.utc).timestamp()) == 0
    # Pages are kept until the next change of what they show, not beyond.
    assert last.next_change(closing - 10 * DAY) == closing - 7 * DAY
    assert last.next_change(datetime(2027, 3, 8, 12, 0, tzinfo=timezone.utc).timestamp()) == datetime(
        2027, 3, 9, tzinfo=timezone.utc).timestamp()
    assert last.next_change(closing + 1) is None


# -- the campaigns file's keys -----------------------------------------------------------------------------


def test_the_file_takes_opens_closes_and_an_auto_goal(tmp_path):
    path = campaigns_file(tmp_path, opens=parse_moment("2027-03-01T09:00Z"), closes=parse_moment("2027-06-30T18:00Z"),
                          goal='"auto"')
    campaign = load_file(path, LANGUAGES)["gardens"]
    assert (iso(campaign.opens), iso(campaign.closes), campaign.auto_goal, campaign.goal) == (
        "2027-03-01T09:00:00Z", "2027-06-30T18:00:00Z", True, None)
    assert campaign.goal_for(260) == 500


@pytest.mark.parametrize("lines, message", [
    ('opens = "next spring"', "'opens' must be an ISO 8601 date and time in UTC, such as 2027-03-01T09:00:00Z, "
                              "not 'next spring'"),
    ("closes = 2027-03-31", "'closes' must be an ISO 8601 date and time in UTC, such as 2027-03-01T09:00:00Z, not the "
                            "day 2027-03-31 (add its time: 2027-03-31T00:00:00Z is its start)"),
    ('opens = 2027-04-01T00:00:00Z\ncloses = "2027-03-01T00:00:00Z"', "'closes' must come after 'opens'"),
    ('goal = "lots"', "'goal' must be a positive whole number or \"auto\", not 'lots'"),
])
def test_bad_times_and_goals_in_the_file_are_told_by_line(tmp_path, lines, message):
    path = tmp_path / "c.toml"
    path.write_text(f'[campaigns.x]\nfields = ["email", "consent"]\nrequired = ["email"]\n{lines}\n[campaigns.x.texts.en]\ntitle = "t"\n'
                    'declaration = "d"\nconsent = "c"\n', encoding="utf-8")
    with pytest.raises(CampaignError) as error:
        load_file(path, LANGUAGES)
    assert str(error.value).endswith(f"campaign 'x': {message}") and ", line " in str(error.value)


def test_a_file_campaign_exports_to_toml_that_loads_back_the_same(tmp_path, make_app):
    source = tmp_path / "in.toml"
    source.write_text('''[campaigns.letter]
goal = "auto"
consent_version = "2026-11"
fields = ["name", "email", "organization", "org_type", "consent", "contact_consent"]
required = ["name", "email", "organization", "consent"]
org_types = ["school", "council"]
opens = 2027-03-01T09:00:00Z
closes = "2027-06-30T18:00:00+02:00"

[campaigns.letter.texts.fr]
title = "Lettre « ouverte »"
declaration = """Nous demandons un jardin.

Un \\"vrai\\" jardin, pas un bac.\\tFin."""
consent = "Je signe."
help.organization = "Votre école"
org_type.school = "École"

[campaigns.letter.texts.ar]
title = "رسالة مفتوحة"
''', encoding="utf-8")
    app = make_app(PLEDGE_CAMPAIGNS_FILE=str(source))
    original = state(app).campaigns["letter"]
    with app.app_context():
        text = export_campaign(original, campaign_texts(original, speaking))
    again = tmp_path / "out.toml"
    again.write_text(text, encoding="utf-8")
    loaded = load_file(again, LANGUAGES)["letter"]
    assert loaded == original
    assert 'declaration = """\nNous demandons' in text  # a declaration stays readable in the file


def test_the_builtin_campaign_exports_every_translated_language(app, tmp_path):
    with app.app_context():
        builtin = state(app).campaigns["4p1000"]
        text = export_campaign(builtin, campaign_texts(builtin, speaking))
    path = tmp_path / "builtin.toml"
    path.write_text(text, encoding="utf-8")
    loaded = load_file(path, LANGUAGES)["4p1000"]
    assert loaded.texts["en"]["title"].startswith("4 per 1000")
    assert loaded.texts["fr"]["title"] != loaded.texts["en"]["title"]  # the French catalogue's title
    assert (loaded.fields, loaded.required, loaded.goal) == (builtin.fields, builtin.required, builtin.goal)


# -- the widget and the APIs in each state -----------------------------------------------------------------


def test_an_upcoming_campaign_says_when_it_opens_and_refuses_sign_ons(make_app, tmp_path, inbox):
    opens = parse_moment("2099-03-01T09:00:00Z")
    app, site = gardens(make_app, tmp_path, opens=opens)
    client = app.test_client()
    page = client.get(f"/w/{site.key}?lang=en").get_data(as_text=True)
    assert re.search(r"Opens on March 1, 2099 at 9:00\sAM UTC", page)  # (CLDR puts a narrow space before AM)
    assert 'id="signon"' not in page and "We ask for a garden" in page  # the text to sign, no form
    french = client.get(f"/w/{site.key}?lang=fr").get_data(as_text=True)
    assert "1 mars 2099" in french and "09:00 TU" in french  # the visitor's language, the time zone said
    answer = sign(client, site.key, "early@example.org")
    assert answer.status_code == 410 and "Opens on" in answer.get_data(as_text=True)
    assert stored(app) == (0, 0) and deliver(app) == (0, 0)
    assert client.get(f"/api/v1/sites/{site.key}/count").json["status"] == "upcoming"


def test_pause_resume_close_and_extend_on_the_widget_the_apis_and_posts(make_app, tmp_path, inbox):
    app, site = gardens(make_app, tmp_path)
    client = app.test_client()
    assert sign(client, site.key, "first@example.org").status_code == 200
    deliver(app)
    [confirm] = links(inbox.wait_for("first@example.org")[0])

    with app.test_request_context():
        assert campaign_actions.pause("gardens", ACTOR).changed
    page = client.get(f"/w/{site.key}").get_data(as_text=True)
    assert "Signing is paused for a moment." in page and 'id="signon"' not in page
    before = stored(app)
    paused = sign(client, site.key, "during-pause@example.org")
    assert paused.status_code == 410 and "resumes soon" in paused.get_data(as_text=True)
    assert stored(app) == before
    assert client.get(f"/api/v1/campaigns/gardens").json["status"] == "paused"

    with app.test_request_context():
        assert campaign_actions.resume("gardens", ACTOR).changed
        closed = campaign_actions.close("gardens", ACTOR)
        assert closed.after.status() == "closed"
        assert not campaign_actions.close("gardens", ACTOR).changed  # already closed: nothing recorded
        with pytest.raises(campaign_actions.CampaignActionError, match="closed"):
            campaign_actions.pause("gardens", ACTOR)
    # A sign-on made before the close still counts when confirmed with its link, still valid.
    client.post(path_of(confirm))
    count = client.get(f"/api/v1/sites/{site.key}/count").json
    assert (count["total"], count["status"]) == (1, "closed")
    assert count["closes"] == iso(closed.after.closed_at)
    page = client.get(f"/w/{site.key}").get_data(as_text=True)  # also what the no-script link opens
    day = datetime.fromtimestamp(closed.after.closed_at, timezone.utc)
    assert f"1 organisation signed by {day:%B} {day.day}, {day.year}." in page
    assert "Thank you to everyone who signed." in page and "/c/gardens/signatories" in page
    assert 'id="signon"' not in page
    assert sign(client, site.key, "late@example.org").status_code == 410
    for mode in ("button", "counter", "list"):
        shown = client.get(f"/w/{site.key}?mode={mode}").get_data(as_text=True)
        assert "organisation signed by" in shown and 'id="signon"' not in shown and 'class="sign-link"' not in shown

    with app.test_request_context():
        with pytest.raises(campaign_actions.CampaignActionError, match="has passed"):
            campaign_actions.extend("gardens", time.time() - 60, ACTOR)
        extended = campaign_actions.extend("gardens", time.time() + 3 * DAY + 3600, ACTOR)
    assert extended.after.status() == "open"
    page = client.get(f"/w/{site.key}").get_data(as_text=True)
    assert 'id="signon"' in page and "Closes in 3 days" in page
    assert sign(client, site.key, "after-extension@example.org").status_code == 200
    entries = [(e.action, e.actor, e.after["status"]) for e in reversed(audit.entries(state(app).store))]
    assert entries == [("campaign.pause", ACTOR, "paused"), ("campaign.resume", ACTOR, "open"),
                       ("campaign.close", ACTOR, "closed"), ("campaign.extend", ACTOR, "open")]


def test_the_last_day_says_when_and_pages_are_kept_no_longer_than_until_the_close(make_app, tmp_path):
    closes = time.time() + 3
    app, site = gardens(make_app, tmp_path, closes=closes)
    app.config["PLEDGE_CACHE_SECONDS"] = 60
    client = app.test_client()
    answer = client.get(f"/w/{site.key}")
    assert "Closes today at" in answer.get_data(as_text=True) or "Closes in 1 day" in answer.get_data(as_text=True)
    max_age = int(re.search(r"max-age=(\d+)", answer.headers["Cache-Control"]).group(1))
    assert max_age <= 3
    count = client.get(f"/api/v1/sites/{site.key}/count")
    assert int(re.search(r"max-age=(\d+)", count.headers["Cache-Control"]).group(1)) <= 3
    time.sleep(max(0.0, closes - time.time()) + 0.1)
    assert "organisations signed by" in client.get(f"/w/{site.key}").get_data(as_text=True)
    assert client.get(f"/api/v1/sites/{site.key}/count").json["status"] == "closed"


def test_an_auto_goal_rises_past_each_step(make_app, tmp_path):
    app, site = gardens(make_app, tmp_path, goal='"auto"')
    client = app.test_client()
    assert client.get(f"/api/v1/sites/{site.key}/count").json["goal"] == 100
    with state(app).store.write() as db:
        db.execute("INSERT INTO counts (campaign, site_key, confirmed) VALUES ('gardens', '', 100)")
    assert client.get(f"/api/v1/campaigns/gardens").json["goal"] == 250
    assert 'max="250"' in client.get(f"/w/{site.key}").get_data(as_text=True)


def test_an_expired_link_gets_no_new_one_once_signing_closed(make_app, tmp_path, inbox):
    app, site = gardens(make_app, tmp_path, config={"PLEDGE_CONFIRM_MAX_AGE": 1})
    client = app.test_client()
    sign(client, site.key, "slow@example.org")
    deliver(app)
    [confirm] = links(inbox.wait_for("slow@example.org")[0])
    with app.test_request_context():
        campaign_actions.close("gardens", ACTOR)
    time.sleep(2.1)
    page = client.get(path_of(confirm))
    assert page.status_code == 410 and "no new link can be sent" in page.get_data(as_text=True)
    renew = client.post(path_of(confirm) + "/renew")
    assert renew.status_code == 410
    assert deliver(app) == (0, 0)


# -- several workers on one database ---------------------------------------------------------------------


def test_a_pause_on_one_worker_stops_posts_on_every_other_at_once(make_app, tmp_path, app_database):
    # Workers that look at the campaigns' revision only every minute: a POST does not rely on that look.
    first, site = gardens(make_app, tmp_path)
    second = make_app(PLEDGE_CAMPAIGNS_FILE=campaigns_file(tmp_path), PLEDGE_CAMPAIGN_REFRESH_SECONDS=60,
                      PLEDGE_CACHE_SECONDS=60)
    other = second.test_client()
    shown = other.get(f"/w/{site.key}")
    assert 'id="signon"' in shown.get_data(as_text=True)
    with first.test_request_context():
        campaign_actions.pause("gardens", ACTOR)
    answer = sign(other, site.key, "racing@example.org")
    assert answer.status_code == 410 and stored(second) == (0, 0)
    # Its cached page still shows the form until it looks again; then the page (and its ETag) change.
    assert other.get(f"/w/{site.key}").headers["ETag"] == shown.headers["ETag"]
    state(second).campaigns.refresh(force=True)
    again = other.get(f"/w/{site.key}", headers={"If-None-Match": shown.headers["ETag"]})
    assert again.status_code == 200 and again.headers["ETag"] != shown.headers["ETag"]
    assert "Signing is paused" in again.get_data(as_text=True)


def test_a_sign_on_under_way_when_the_campaign_closes_is_not_stored(make_app, tmp_path):
    """The state is read again inside the sign-on's own transaction (after the view's first look)."""
    app, site = gardens(make_app, tmp_path)
    client = app.test_client()
    pledge = state(app)
    real = pledge.campaigns.now
    calls = []

    def now_then_close(slug):  # the view's look says open; the operator closes right after it
        found = real(slug)
        if not calls:
            calls.append(slug)
            with app.test_request_context():
                campaign_actions.close(slug, ACTOR)
        return found

    pledge.campaigns.now = now_then_close
    try:
        answer = sign(client, site.key, "too-late@example.org")
    finally:
        pledge.campaigns.now = real
    assert answer.status_code == 410 and stored(app) == (0, 0)


# -- the command line ------------------------------------------------------------------------------------


def test_the_campaign_commands(make_app, tmp_path):
    app, site = gardens(make_app, tmp_path, closes=parse_moment("2099-01-01T00:00Z"))
    runner = app.test_cli_runner()
    rows = json.loads(runner.invoke(args=["pledge", "campaign", "list", "--json"]).output)
    assert [(r["campaign"], r["source"], r["status"], r["closes"], r["goal"]) for r in rows] == [
        ("4p1000", "builtin", "open", None, 100_000), ("gardens", "file", "open", "2099-01-01T00:00:00Z", 500)]
    assert runner.invoke(args=["pledge", "campaign", "pause", "gardens"]).output == "gardens: paused (closes 2099-01-01T00:00:00Z)\n"
    assert "already paused" in runner.invoke(args=["pledge", "campaign", "pause", "gardens"]).output
    assert runner.invoke(args=["pledge", "campaign", "resume", "gardens"]).exit_code == 0
    # Bad input: a clear message and exit code, nothing changed.
    for args, code, says in (
        (["extend", "gardens", "--to", "soon"], 2, "not an ISO 8601 date and time"),
        (["extend", "gardens", "--to", "2099-05-01"], 2, "a day without a time"),
        (["extend", "gardens", "--to", "2001-01-01T00:00Z"], 2, "has passed"),
        (["pause", "nope"], 2, "no campaign 'nope'"),
    ):
        result = runner.invoke(args=["pledge", "campaign", *args])
        assert (result.exit_code, says in result.output) == (code, True), result.output
    assert state(app).campaigns["gardens"].closes == parse_moment("2099-01-01T00:00Z")
    assert runner.invoke(args=["pledge", "campaign", "close", "gardens"]).exit_code == 0
    refused = runner.invoke(args=["pledge", "campaign", "resume", "gardens"])
    assert refused.exit_code == 1 and "is closed" in refused.output
    result = runner.invoke(args=["pledge", "campaign", "extend", "gardens", "--to", "2100-01-01T12:00:00+02:00"])
    assert result.output == "gardens: open (closes 2100-01-01T10:00:00Z)\n"
    exported = runner.invoke(args=["pledge", "campaign", "export", "gardens"]).output
    assert "closes = 2100-01-01T10:00:00Z" in exported and '[campaigns.gardens.texts.fr]' in exported
    entries = audit.entries(state(app).store)
    assert [e.action for e in reversed(entries)] == ["campaign.pause", "campaign.resume", "campaign.close",
                                                     "campaign.extend"]
    assert all(e.actor.startswith("cli:") for e in entries)


def test_a_slug_may_be_in_the_file_or_the_desk_not_both(make_app, tmp_path, app_database):
    app = make_app()
    with app.test_request_context():
        campaign, problems = campaign_actions.save_campaign("gardens", {
            "texts": {"en": {"title": "Desk gardens", "declaration": "d", "consent": "c"}},
            "fields": ["email", "consent"], "required": ["email"]}, "boss@example.org", create=True)
    assert problems == [] and campaign.source == "desk"
    with pytest.raises(ValueError, match="gardens of PLEDGE_CAMPAIGNS_FILE are also written in the desk"):
        create_app({"PLEDGE_DATABASE": app_database, "PLEDGE_SECRET_KEY": "k",
                    "PLEDGE_CAMPAIGNS_FILE": campaigns_file(tmp_path)})


def test_embed_v1_is_the_loader_at_an_immutable_address(client):
    latest, pinned = client.get("/embed.js"), client.get("/embed/v1.js")
    assert pinned.status_code == 200 and pinned.data == latest.data
    assert pinned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert pinned.headers["Access-Control-Allow-Origin"] == "*"
    assert pinned.mimetype == "text/javascript"


def test_the_builder_offers_the_pinned_loader_with_the_integrity_of_its_bytes(app, client, site, inbox):
    sign_in_host(app, client, inbox, site.owner_email)
    page = client.get(f"/host/sites/{site.key}/snippet?loader=pinned").get_data(as_text=True)
    code = html.unescape(re.search(r'id="snippet" data-live><code>(.*?)</code>', page, re.S).group(1))
    served = client.get("/embed/v1.js", headers={"Accept-Encoding": "identity"}).data
    integrity = "sha384-" + base64.b64encode(hashlib.sha384(served).digest()).decode()
    assert code.endswith(f'<script async src="http://localhost/embed/v1.js" integrity="{integrity}" '
                         'crossorigin="anonymous"></script>')
    assert 'id="loader-pinned" value="pinned" checked' in page


def test_a_closed_campaign_takes_no_new_sites(make_app, tmp_path, inbox):
    app, site = gardens(make_app, tmp_path)
    client = app.test_client()
    sign_in_host(app, client, inbox, site.owner_email)
    assert 'value="gardens"' in client.get("/host/sites/new").get_data(as_text=True)
    with app.test_request_context():
        campaign_actions.close("gardens", ACTOR)
    assert 'value="gardens"' not in client.get("/host/sites/new").get_data(as_text=True)
