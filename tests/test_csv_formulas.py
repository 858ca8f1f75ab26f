"""No CSV export of ours can make a spreadsheet run a formula, whatever list separator it picks (the comma, or
the semicolon of French and German Excel): each = + - @ (and tab, carriage return) that could begin a cell,
at the start of ours or after a separator inside it, gets an apostrophe. Dates and numbers stay as they are."""
from __future__ import annotations

import csv
import io
import re

from conftest import deliver, links, path_of, post_sign_on
from test_admin_pages import ADMIN, confirmed, post, sign_in as desk_sign_in
from test_host import sign_in as host_sign_in

from widget.export import csv_cell
from widget.appstate import state

#: Attacks in the single-line organisation field: after ; and , and at the start of a cell.
ORGANIZATIONS = ["ACME;=cmd|' /C calc'!A0", "ACME,+HYPERLINK(\"x\")", "ACME;-2+3", "ACME,@SUM(1)"]
#: In a multi-line answer, where tabs and carriage returns may be typed.
ANSWERS = {"goal": "=1+2", "actions": "Plan;\t=1+1\r\n- hedges, \"=2\"", "resources": "Seeds;\r=3"}
SEPARATORS = re.compile(r"[,;|\t\r\n]")


def cells_a_spreadsheet_may_see(text: str) -> list[str]:
    """Every piece of the raw CSV a spreadsheet could make a cell of, whatever separator it splits on."""
    return [piece.lstrip(' "') for piece in SEPARATORS.split(text)]


def assert_no_formula(text: str) -> None:
    runnable = [cell for cell in cells_a_spreadsheet_may_see(text) if cell[:1] in ("=", "+", "-", "@")]
    assert not runnable, runnable


def signed(app, client, site, inbox) -> None:
    for index, organization in enumerate(ORGANIZATIONS):
        address = f"formula{index}@example.org"
        sent = post_sign_on(client, site.key, address, organization=organization, contact_consent="y", **ANSWERS)
        assert sent.status_code == 200, sent.get_data(as_text=True)
        deliver(app)
        assert client.post(path_of(links(inbox.wait_for(address)[-1])[0])).status_code == 200


def test_a_cell_is_neutralised_after_every_separator_and_at_its_start():
    for attack in ("=", "+", "-", "@", "\t", "\r"):
        for before in ("", "ACME;", "ACME,", "ACME; ", 'ACME;"'):
            value = csv_cell(before + attack + "cmd|' /C calc'!A0")
            assert_no_formula(value)
            assert value.startswith(before) and value.endswith("cmd|' /C calc'!A0")
    assert csv_cell("Coopérative des Sols Vivants") == "Coopérative des Sols Vivants"
    assert csv_cell(42) == 42 and csv_cell("2026-11-25T09:41:02Z") == "2026-11-25T09:41:02Z"


def test_the_hosts_csv_and_the_export_run_no_formula(make_app, inbox):
    app = make_app(PLEDGE_ADMINS=ADMIN)
    client = app.test_client()
    site = state(app).store.add_site("Lycée", ["https://lycee.example"], "webmaster@lycee.example", "4p1000")
    signed(app, client, site, inbox)

    host = app.test_client()
    host_sign_in(app, host, inbox, site.owner_email)
    host_csv = host.get(f"/host/sites/{site.key}.csv").get_data(as_text=True)
    exported = app.test_cli_runner().invoke(args=["pledge", "export"]).output
    for text in (host_csv, exported):
        assert_no_formula(text)
        rows = list(csv.reader(io.StringIO(text)))
        assert len(rows) == 1 + len(ORGANIZATIONS)
        flat = [cell for row in rows for cell in row]
        assert "ACME;'=cmd|' /C calc'!A0" in flat and "'=1+2" in flat  # still readable, as typed
    exported_rows = list(csv.DictReader(io.StringIO(exported)))
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row["confirmed_at"]) for row in exported_rows)


def test_the_desks_audit_csv_runs_no_formula(make_app):
    app = make_app(PLEDGE_ADMINS=ADMIN)
    desk = app.test_client()
    desk_sign_in(app, desk)
    site = state(app).store.add_site("Lycée", ["https://lycee.example"], "webmaster@lycee.example", "4p1000")
    entry_id = state(app).store.get_entry(confirmed(app, site, "x@example.org", "Some Org").id).id
    reason = "spam;=cmd|' /C calc'!A0"
    assert post(desk, "/admin/list", "/admin/list/hide", id=entry_id, reason=reason).status_code == 303
    text = desk.get("/admin/audit.csv").get_data(as_text=True)
    assert "list.hide" in text and "spam;'=cmd" in text
    assert_no_formula(text)


def test_the_open_data_csv_keeps_its_dates_and_numbers(app, client, site, inbox):
    signed(app, client, site, inbox)
    for path in (f"/api/v1/sites/{site.key}/daily.csv", "/api/v1/campaigns/4p1000/daily.csv"):
        text = client.get(path).get_data(as_text=True)
        assert_no_formula(text)
        [header, *rows] = list(csv.reader(io.StringIO(text)))
        assert header == ["date", "confirmed"]
        assert rows and all(re.fullmatch(r"\d{4}-\d\d-\d\d", day) and int(n) > 0 for day, n in rows)
