"""Commitments followed through: the optional consents, check-ins on a real clock, progress reports and
their public page and JSON (issue 24)."""
from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone

import pytest

from conftest import VALID_ANSWERS, deliver, links, path_of, post_sign_on, run_sql
from test_admin_pages import ADMIN, post
from test_admin_pages import sign_in as admin_sign_in
from test_db_copy import copy, rows
from test_host import sign_in
from widget import audit
from widget import state
from widget.checkins import send_checkins
from widget.durations import checkin_times, parse_duration, timetable_end
from widget.store import Mail, SignOn, open_store

PROGRESS = re.compile(r"https?://[^\s\"<>]+/progress/[A-Za-z0-9_.\-]+")
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


def campaigns_file(tmp_path, checkins: str = '["PT1S"]', extra: str = "") -> str:
    path = tmp_path / "campaigns.toml"
    path.write_text(f"""[campaigns.soils]
fields = ["name", "email", "organization", "org_type", "country", "goal", "actions", "timetable", "consent",
          "contact_consent", "checkin_consent", "news_consent"]
org_types = ["company", "producers_group"]
checkins = {checkins}
{extra}
[campaigns.soils.texts.en]
title = "Living soils"
declaration = "We regenerate soils."
consent = "I sign."
""", encoding="utf-8")
    return str(path)


def signed(client, app, address: str, **answers):
    """A confirmed sign-on (through the confirmation mail's link), and its store record."""
    site = state(app).store.add_site("Farm site", ["https://farm.example"], "web@farm.example", "soils") \
        if not state(app).store.sites_of("web@farm.example") else state(app).store.sites_of("web@farm.example")[0]
    post_sign_on(client, site.key, address, **answers)
    signon = state(app).store.signons_of(address)[-1]
    with app.test_request_context():
        from widget.signons import confirmation_mail  # noqa: PLC0415 - a test helper, not the package
        confirm = [line for line in confirmation_mail(signon).text.split() if "/confirm/" in line][0]
    client.post(path_of(confirm))
    # Confirmed a minute ago, as far as the schedule goes: its one-second check-in is due.
    run_sql(state(app).store, "UPDATE signons SET confirmed_at = confirmed_at - 60 WHERE id = ?", [signon.id])
    return state(app).store.get_signon(signon.id)


# -- the pure parts -------------------------------------------------------------------------------------


def test_durations_are_calendar_ones():
    assert parse_duration("P6M").after(at("2026-08-31T12:00:00")) == at("2027-02-28T12:00:00")
    assert parse_duration("PT30S").after(at("2026-01-01T00:00:00")) == at("2026-01-01T00:00:30")
    for wrong in ("P", "6M", "P1.5Y", "-P1Y", "PT", "P0D"):
        with pytest.raises(ValueError):
            parse_duration(wrong)


def test_the_4p1000_rule_follows_the_timetable_else_asks_three_times():
    confirmed = at("2026-03-01T00:00:00")
    assert timetable_end("2026 to 2028") == at("2029-01-01T00:00:00")
    rule = dict(offsets=("P6M",), repeat="P1Y", until="timetable", limit=3)
    assert checkin_times(confirmed, timetable="2026 to 2028", **rule) == [
        at("2026-09-01T00:00:00"), at("2027-09-01T00:00:00"), at("2028-09-01T00:00:00")]
    assert len(checkin_times(confirmed, timetable="until 2035", **rule)) == 10
    assert len(checkin_times(confirmed, timetable="as soon as we can", **rule)) == 3
    assert checkin_times(confirmed, ("P6M", "P1Y")) == [at("2026-09-01T00:00:00"), at("2027-03-01T00:00:00")]


# -- consents -------------------------------------------------------------------------------------------


def test_the_boxes_are_optional_unticked_and_stored_with_their_wording(make_app, tmp_path):
    app = make_app(PLEDGE_CAMPAIGNS_FILE=campaigns_file(tmp_path))
    client = app.test_client()
    site = state(app).store.add_site("Farm site", ["https://farm.example"], "web@farm.example", "soils")
    page = client.get(f"/w/{site.key}").get_data(as_text=True)
    for name in ("checkin_consent", "news_consent"):
        box = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
        assert 'type="checkbox"' in box and "checked" not in box and "required" not in box
    post_sign_on(client, site.key, "a@farm.example", checkin_consent="y")
    post_sign_on(client, site.key, "b@farm.example")
    a, = state(app).store.signons_of("a@farm.example")
    b, = state(app).store.signons_of("b@farm.example")
    assert (a.checkin_consent, a.news_consent) == ("1/en", None)
    assert (b.checkin_consent, b.news_consent) == (None, None)


def test_consents_are_withdrawn_from_the_withdraw_page_and_in_one_click(make_app, tmp_path):
    app = make_app(PLEDGE_CAMPAIGNS_FILE=campaigns_file(tmp_path))
    client = app.test_client()
    signon = signed(client, app, "c@farm.example", checkin_consent="y", news_consent="y")
    with app.test_request_context():
        from widget.checkins import stop_url  # noqa: PLC0415
        from widget.signons import withdraw_url  # noqa: PLC0415
        withdraw, stop = path_of(withdraw_url(signon)), path_of(stop_url(signon.id, "checkins"))
    page = client.get(withdraw).get_data(as_text=True)
    assert "Stop check-ins" in page and "Stop news of this campaign" in page
    assert client.post(withdraw + "/mail", data={"kind": "news"}).status_code == 200
    assert state(app).store.get_signon(signon.id).news_consent is None
    assert client.get(stop).status_code == 200  # a mail scanner's GET changes nothing
    assert state(app).store.get_signon(signon.id).checkin_consent == "1/en"
    # RFC 8058: the mail client POSTs List-Unsubscribe=One-Click, without cookies or CSRF token.
    assert client.post(stop, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    kept = state(app).store.get_signon(signon.id)
    assert kept.checkin_consent is None and kept.status == "confirmed"
    assert client.post(stop).status_code == 200  # twice: nothing more to do


# -- check-ins and progress -----------------------------------------------------------------------------


def test_a_checkin_arrives_on_a_real_clock_and_progress_reaches_the_json_and_the_page(make_app, tmp_path, inbox):
    app = make_app(PLEDGE_CAMPAIGNS_FILE=campaigns_file(tmp_path), PLEDGE_CHECKIN_INTERVAL=0.3)
    # The sender the service runs in its process (PLEDGE_MAIL_IN_PROCESS), started here to be stopped at the end.
    sender = state(app).sender.start_thread(0.2)
    try:
        checkin_journey(app, inbox)
    finally:
        sender.stop.set()
        sender.join(5)


def checkin_journey(app, inbox):
    client = app.test_client()
    site = state(app).store.add_site("Farm site", ["https://farm.example"], "web@farm.example", "soils")
    post_sign_on(client, site.key, "d@farm.example", checkin_consent="y", contact_consent=None)
    confirmation, = inbox.wait_for("d@farm.example")
    client.post(path_of(links(confirmation)[0]))
    # A second later the check-in is due; a sender's round queues it and delivers it.
    mails = inbox.wait_for("d@farm.example", count=2, timeout=10)
    checkin = mails[1]
    text = checkin.get_body(("plain",)).get_content()
    assert VALID_ANSWERS["goal"] in text and VALID_ANSWERS["actions"] in text
    assert checkin["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/stop/" in checkin["List-Unsubscribe"]
    progress = path_of(PROGRESS.search(text).group(0))
    form = client.get(progress)
    assert form.status_code == 200 and form.headers["Cache-Control"] == "no-store"
    assert not state(app).store.query("SELECT COUNT(*) FROM progress_reports")[0][0]  # a GET records nothing
    refused = client.post(progress, data={"status": "done", "update": "Details at https://farm.example/x"},
                          headers=SAME_ORIGIN)
    assert refused.status_code == 400 and "web and e-mail addresses" in refused.get_data(as_text=True)
    assert client.post(progress, data={"status": "done", "update": "x" * 501}, headers=SAME_ORIGIN).status_code == 400
    assert client.post(progress, data={"status": "done"}).status_code == 400  # no Fetch Metadata: refused
    done = client.post(progress, data={"status": "done", "update": "Hedges planted on 40 ha."}, headers=SAME_ORIGIN)
    assert done.status_code == 200
    again = client.post(progress, data={"status": "in_progress"}, headers=SAME_ORIGIN)
    assert again.status_code == 410 and "/renew" in again.get_data(as_text=True)  # used: offers a new link
    figures = client.get("/api/v1/campaigns/soils/progress")
    assert figures.headers["Access-Control-Allow-Origin"] == "*"
    data = figures.get_json()
    assert data["reported"] == 1 and data["by_status"] == {"not_started": 0, "in_progress": 0, "done": 1}
    assert data["by_country"] == {"SN": 1} and data["updates"] == []  # the update waits for moderation
    assert "d@farm.example" not in figures.get_data(as_text=True)
    update_id = state(app).store.updates(None, "pending")[0].id
    assert "approved" in app.test_cli_runner().invoke(args=["pledge", "checkins", "approve", str(update_id)]).output
    assert audit.entries(state(app).store, action="progress.approve")[0].target == f"update:{update_id}"
    data = client.get("/api/v1/campaigns/soils/progress").get_json()
    assert data["updates"][0]["text"] == "Hedges planted on 40 ha."
    assert data["updates"][0]["organization"] == VALID_ANSWERS["organization"]
    page = client.get("/c/soils/progress").get_data(as_text=True)
    assert "Hedges planted on 40 ha." in page and VALID_ANSWERS["name"] not in page and "<svg" in page
    # ...and on the world map (server-drawn SVG, no script), whose figures the table beside it repeats.
    world = re.search(r'<svg class="world-map".*?</svg>', page, re.S).group(0)
    assert '<path class="n3" d="M' in world and world.count('<circle class="reported"') == 1
    assert "<title>Senegal: 1 signature; 1 organisation has reported progress</title>" in world
    assert re.search(r'<th scope="row">Senegal</th><td>1</td><td>1</td>', page) and "<script" not in world
    # One mail per check-in, however often it is looked for.
    assert send_checkins(app=app) == 0
    assert len(inbox.to("d@farm.example")) == 2


def test_checkins_are_claimed_once_and_a_withdrawn_signon_changes_nothing(make_app, tmp_path, inbox):
    app = make_app(PLEDGE_CAMPAIGNS_FILE=campaigns_file(tmp_path), PLEDGE_PUBLIC_URL="http://localhost")
    client = app.test_client()
    signon = signed(client, app, "e@farm.example", checkin_consent="y")
    signed(client, app, "f@farm.example")  # no consent: never asked
    result = app.test_cli_runner().invoke(args=["pledge", "checkins", "send", "--json"])
    assert result.output.strip() == '{"queued": 1}'
    assert send_checkins(app=app) == 0
    deliver(app)
    checkin = inbox.to("e@farm.example")[-1]
    progress = path_of(PROGRESS.search(checkin.get_body(("plain",)).get_content()).group(0))
    assert not inbox.to("f@farm.example")[1:]
    client.post(f"/withdraw/{state(app).tokens.dumps('withdraw', signon.id)}")
    gone = client.post(progress, data={"status": "done"}, headers=SAME_ORIGIN)
    assert gone.status_code == 404
    assert state(app).store.query("SELECT COUNT(*) FROM progress_reports")[0][0] == 0


def test_an_expired_link_offers_a_new_one_and_an_erasure_takes_the_updates(make_app, tmp_path, inbox):
    app = make_app(PLEDGE_CAMPAIGNS_FILE=campaigns_file(tmp_path))
    client = app.test_client()
    signon = signed(client, app, "g@farm.example", checkin_consent="y")
    send_checkins(app=app)
    link_id = state(app).store.query("SELECT id FROM progress_links")[0][0]
    old = state(app).tokens.dumps("progress", link_id, at=1_000_000)
    expired = client.get(f"/progress/{old}")
    assert expired.status_code == 410
    run_sql(state(app).store, "UPDATE progress_links SET created_at = created_at - 3600")  # past the cool-down
    assert client.post(f"/progress/{old}/renew", headers=SAME_ORIGIN).status_code == 200
    deliver(app)
    fresh = inbox.to("g@farm.example")[-1].get_body(("plain",)).get_content()
    assert "new link" in fresh
    progress = path_of(PROGRESS.search(fresh).group(0))
    client.post(progress, data={"status": "in_progress", "update": "Seeds bought."}, headers=SAME_ORIGIN)
    assert state(app).store.latest_progress([signon.id]) == {signon.id: "in_progress"}
    state(app).store.forget("g@farm.example")
    assert state(app).store.query("SELECT COUNT(*) FROM progress_reports")[0][0] == 0


@pytest.mark.both_engines
def test_reports_reach_the_webhooks_the_list_and_the_host_dashboard(make_app, tmp_path, inbox):
    app = make_app(PLEDGE_CAMPAIGNS_FILE=campaigns_file(tmp_path))
    client = app.test_client()
    store = state(app).store
    store.add_webhook("https://crm.example/hook", "s3cret", campaign="soils")
    signon = signed(client, app, "h@farm.example", checkin_consent="y")
    quiet = signed(client, app, "i@farm.example", checkin_consent="y", contact_consent="y")
    assert send_checkins(app=app) == 2
    assert send_checkins(app=app) == 0  # claimed: never twice
    assert store.checkins_claimed(signon.id) == [0]
    links_of = dict(store.query("SELECT signon_id, id FROM progress_links"))
    with app.test_request_context():
        from widget.checkins import report  # noqa: PLC0415
        assert report(links_of[signon.id], "in_progress", "Seeds bought.") == "recorded"
        assert report(links_of[quiet.id], "done", "Compost made.") == "recorded"
    assert store.record_progress(links_of[signon.id], "done", None) == "used"
    payloads = [json.loads(row[0]) for row in store.query(
        "SELECT payload FROM webhook_deliveries WHERE event_type = 'progress.reported' ORDER BY id")]
    # Only the signatory who agreed the host may contact them is named, with their words.
    assert [p["data"]["progress"] for p in payloads] == [{"status": "in_progress"},
                                                         {"status": "done", "update": "Compost made."}]
    assert "email" not in payloads[0]["data"] and payloads[1]["data"]["email"] == "i@farm.example"
    assert store.latest_progress([signon.id, quiet.id]) == {signon.id: "in_progress", quiet.id: "done"}
    rows = store.progress_rows("soils")
    assert sorted(row[0] for row in rows) == ["done", "in_progress"] and {row[1] for row in rows} == {"SN"}
    listed = client.get("/c/soils/signatories").get_data(as_text=True)
    assert "reported progress" in listed
    site = store.sites_of("web@farm.example")[0]
    assert [status for _org, status, _at in store.site_progress(site.key)] == ["done", "in_progress"]
    sign_in(app, client, inbox, "web@farm.example")
    dashboard = client.get(f"/host/sites/{site.key}").get_data(as_text=True)
    assert "Progress of your signatories" in dashboard and "In progress" in dashboard
    assert "Seeds bought." not in dashboard  # an update is the public page's, once approved


def test_the_desk_moderates_updates_and_records_who_did(make_app, tmp_path, inbox):
    app = make_app(PLEDGE_CAMPAIGNS_FILE=campaigns_file(tmp_path), PLEDGE_ADMINS=ADMIN)
    client = app.test_client()
    for address in ("j@farm.example", "k@farm.example"):
        signed(client, app, address, checkin_consent="y")
    send_checkins(app=app)
    store = state(app).store
    for link_id, signon_id in store.query("SELECT id, signon_id FROM progress_links"):
        text = "Ten hectares in cover crops." if store.get_signon(signon_id).email.startswith("j") else "Buy our compost!"
        assert store.record_progress(link_id, "in_progress", text) == "recorded"
    admin_sign_in(app, client)
    page = client.get("/admin/progress").get_data(as_text=True)
    assert "Ten hectares in cover crops." in page and "Buy our compost!" in page
    ids = {u.text: u.id for u in store.updates(None, "pending")}
    assert client.post("/admin/progress/approved", data={"id": ids["Ten hectares in cover crops."]}).status_code == 400
    assert post(client, "/admin/progress", "/admin/progress/approved", id=ids["Ten hectares in cover crops."]).status_code == 303
    assert post(client, "/admin/progress", "/admin/progress/rejected", id=ids["Buy our compost!"]).status_code == 303
    assert [u.text for u in store.updates("soils")] == ["Ten hectares in cover crops."]
    assert [e.actor for e in audit.entries(store, action="progress.reject")] == [ADMIN]


def test_db_copy_takes_consents_checkins_and_reports_along(tmp_path):
    source_url = f"sqlite:///{tmp_path / 'source.db'}"
    source = open_store(source_url)
    source.migrate()
    source.add_site("Farm", ["https://farm.example"], "web@farm.example", "4p1000", key="farm")
    now = time.time()
    source.create_signon(SignOn(id="s1", campaign="4p1000", site_key="farm", email="l@farm.example", lang="fr",
                                status="pending", created_at=now, confirmed_at=None, consent_at=now,
                                consent_version="v1/fr", answers={"organization": "Coop"}, checkin_consent="v1/fr",
                                news_consent="v1/fr"), Mail(to="l@farm.example", subject="s", text="t", html="h"))
    source.confirm_signon("s1")
    assert source.claim_checkin("s1", 0, "link1", Mail(to="l@farm.example", subject="s", text="t", html="h"))
    assert source.record_progress("link1", "done", "Hedges planted.") == "recorded"
    source.close()
    target_url = f"sqlite:///{tmp_path / 'target.db'}"
    result = copy(source_url, target_url)
    assert result.exit_code == 0, result.output
    for table in ("signons", "checkins_sent", "progress_links", "progress_reports"):
        assert rows(source_url, table) == rows(target_url, table) != [], table
    target = open_store(target_url)
    try:
        assert target.get_signon("s1").news_consent == "v1/fr"
        assert target.latest_progress(["s1"]) == {"s1": "done"}
    finally:
        target.close()


def test_the_widget_says_how_many_organisations_report_progress_when_the_campaign_asks(make_app, tmp_path):
    app = make_app(PLEDGE_CAMPAIGNS_FILE=campaigns_file(tmp_path, extra="show_progress = true"))
    client = app.test_client()
    for address in ("m@farm.example", "n@farm.example", "o@farm.example"):
        signed(client, app, address, checkin_consent="y")
    send_checkins(app=app)
    store = state(app).store
    for link_id, in store.query("SELECT id FROM progress_links ORDER BY id LIMIT 2"):
        assert store.record_progress(link_id, "done", "") == "recorded"
    site = store.sites_of("web@farm.example")[0]
    page = client.get(f"/w/{site.key}").get_data(as_text=True)
    assert "2 organisations report progress" in page
    # Inside #count, which the widget's script refreshes: the line is kept (and cached) as the count is.
    assert re.search(r'<div class="count" id="count">(?:(?!</div>).)*2 organisations report progress', page, re.S)
    with app.test_request_context():
        from widget.campaign_toml import export_campaign  # noqa: PLC0415
        assert "show_progress = true" in export_campaign(state(app).campaigns["soils"], {"en": {"title": "t"}})
    # Without the option (the default), no such line: the same reports, the same site.
    other = make_app(PLEDGE_CAMPAIGNS_FILE=campaigns_file(tmp_path))
    assert not state(other).campaigns["soils"].show_progress
    assert "report progress" not in other.test_client().get(f"/w/{site.key}").get_data(as_text=True)


def test_show_progress_must_be_true_or_false():
    from widget.campaigns import check_spec  # noqa: PLC0415
    problems = check_spec("soils", {"show_progress": "yes", "texts": {"en": {"title": "T", "declaration": "D",
                                                                             "consent": "C"}}})
    assert any("show_progress" in str(problem) for problem in problems)


def test_the_world_map_shades_countries_against_the_busiest_and_says_where_its_shapes_come_from():
    from widget.world_map import level, levels, shapes, world_map  # noqa: PLC0415
    data = shapes()
    assert "Natural Earth" in data["source"] and "public domain" in data["licence"]
    assert {"FR", "SN", "BR", "JP"} <= set(data["countries"]) and "AQ" not in data["countries"]
    assert [level(n, 100) for n in (0, 1, 9, 10, 49, 50, 100)] == [0, 1, 1, 2, 2, 3, 3]
    assert levels(100) == [(1, 1, 9), (2, 10, 49), (3, 50, 100)] and levels(1) == [(3, 1, 1)]
    drawn = world_map({"FR": (3, 0), "BR": (1, 2)}, "A <map>", lambda code, n, r: f"{code} {n} {r}", "m")
    assert drawn.count("<path") == len(data["countries"]) + 1 and "A &lt;map&gt;" in drawn
    assert "<title>FR 3 0</title>" in drawn and drawn.count("<circle") == 1


def test_an_access_request_carries_the_consents_and_the_progress_reported(make_app, tmp_path, inbox):
    app = make_app(PLEDGE_CAMPAIGNS_FILE=campaigns_file(tmp_path))
    client = app.test_client()
    store = state(app).store
    signon = signed(client, app, "k@farm.example", checkin_consent="y", news_consent="y")
    signed(client, app, "l@farm.example", checkin_consent="y")
    assert send_checkins(app=app) == 2
    link_id = dict(store.query("SELECT signon_id, id FROM progress_links"))[signon.id]
    assert store.record_progress(link_id, "in_progress", "Seeds =bought.") == "recorded"
    runner = app.test_cli_runner()
    [exported] = json.loads(runner.invoke(args=["pledge", "export", "--email", "k@farm.example",
                                                "--format", "json"]).stdout)
    assert (exported["checkin_consent"], exported["news_consent"]) == ("1/en", "1/en")
    [report] = exported["progress"]
    assert (report["status"], report["update"], report["moderation"]) == ("in_progress", "Seeds =bought.", "pending")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", report["reported_at"])
    as_csv = runner.invoke(args=["pledge", "export", "--email", "k@farm.example"]).stdout
    assert as_csv.splitlines()[0].endswith(",checkin_consent,news_consent,progress")
    assert "in_progress: Seeds =bought. (pending)" in as_csv and "Z in_progress" in as_csv
    # Someone else's reports are not in it; the plain export has no such column.
    assert "progress" not in runner.invoke(args=["pledge", "export"]).stdout.splitlines()[0]
