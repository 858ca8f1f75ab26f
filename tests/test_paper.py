"""Paper sign-ons: a host enters signed paper declarations (one by one or as a CSV file); they wait,
counted in nothing, until the operator approves them; then they count once, in the site, the total and
the paper counts; exports flag them; withdrawing or forgetting one takes it out of every count."""
from __future__ import annotations

import csv
import io
import json
import re

import pytest
from conftest import deliver, links, path_of, post_sign_on
from test_host import sign_in

from widget import state

# The journeys of the README, on SQLite and on PostgreSQL.
pytestmark = pytest.mark.both_engines

OWNER = "webmaster@lycee.example"
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
HEADER = "name,email,organization,org_type,country,goal,actions,timetable,resources"
PAPER_ANSWERS = {
    "name": "Moussa Ndiaye",
    "organization": "Groupement des Producteurs de Kaolack",
    "org_type": "producers_group",
    "country": "SN",
    "goal": "Raise soil carbon on 500 ha.",
    "actions": "Compost, hedges.",
    "timetable": "2026 to 2029",
    "resources": "Three technicians.",
}


def csv_row(**overrides) -> str:
    values = {**PAPER_ANSWERS, "email": "", **overrides}
    stream = io.StringIO()
    csv.writer(stream, lineterminator="\n").writerow([values[name] for name in HEADER.split(",")])
    return stream.getvalue().rstrip("\n")


def paper_page(client, site_key: str, query: str = ""):
    return client.get(f"/host/sites/{site_key}/paper{query}")


def token(client, site_key: str) -> str:
    return CSRF.search(paper_page(client, site_key).get_data(as_text=True)).group(1)


def enter(client, site_key: str, **overrides):
    """Enter one paper declaration through the host's form."""
    data = dict(PAPER_ANSWERS, email="", kind="one", csrf_token=token(client, site_key))
    data.update(overrides)
    return client.post(f"/host/sites/{site_key}/paper", data={k: v for k, v in data.items() if v is not None})


def upload(client, site_key: str, content: bytes | str, filename: str = "paper.csv"):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(f"/host/sites/{site_key}/paper", content_type="multipart/form-data",
                       data={"kind": "csv", "csrf_token": token(client, site_key), "file": (io.BytesIO(data), filename)})


def confirmed(app, site, inbox, address: str) -> None:
    visitor = app.test_client()
    post_sign_on(visitor, site.key, address)
    deliver(app)
    visitor.post(path_of(links(inbox.wait_for(address)[-1])[0]))


def counts(app, site) -> tuple[int, int, int, int]:
    """(site, total, paper of the site, paper of the total)."""
    store = state(app).store
    c, p = store.counts("4p1000", site.key), store.paper_counts("4p1000", site.key)
    return c.site, c.total, p.site, p.total


@pytest.fixture
def host(app, client, site, inbox):
    sign_in(app, client, inbox, OWNER)
    return client


def test_one_by_one_entry_waits_and_is_not_counted(app, host, site):
    response = enter(host, site.key)  # no e-mail address: optional on paper
    assert response.status_code == 303
    [waiting] = state(app).store.paper_signons(site.key)
    assert (waiting.status, waiting.source, waiting.answers["organization"]) == ("paper", "paper", PAPER_ANSWERS["organization"])
    assert not waiting.has_email
    assert counts(app, site) == (0, 0, 0, 0)
    assert host.get(f"/api/v1/sites/{site.key}/count").get_json()["total"] == 0
    page = host.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert "1 paper signature added" in html and PAPER_ANSWERS["organization"] in html  # listed as waiting
    assert page.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_the_form_refuses_what_the_widget_refuses(app, host, site):
    response = enter(host, site.key, organization="", country="XX", email="not-an-address", name="x" * 201)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Please fill in this field." in html and "Please choose one of the options." in html
    assert "valid e-mail address" in html and "at most 200 characters" in html
    assert state(app).store.paper_signons() == []


def test_approve_counts_in_site_total_and_paper_once(app, host, site, runner):
    assert enter(host, site.key, email="Moussa@Kaolack.example").status_code == 303
    [listed] = json.loads(runner.invoke(args=["pledge", "paper", "list", "--json"]).stdout)
    assert listed["email"] == "moussa@kaolack.example" and listed["source"] == "paper"
    assert "Groupement des Producteurs de Kaolack" in runner.invoke(args=["pledge", "paper", "list"]).stdout

    result = runner.invoke(args=["pledge", "paper", "approve", listed["id"]])
    assert result.exit_code == 0 and "approved 1 paper sign-on(s)" in result.stdout
    signon = state(app).store.get_signon(listed["id"])
    assert signon.status == "confirmed" and signon.confirmed_at is not None
    assert counts(app, site) == (1, 1, 1, 1)

    again = runner.invoke(args=["pledge", "paper", "approve", listed["id"]])
    assert again.exit_code == 1 and "not waiting for approval" in again.output
    assert runner.invoke(args=["pledge", "paper", "approve", "--all"]).stdout.startswith("approved 0")
    assert counts(app, site) == (1, 1, 1, 1)  # counted once
    assert state(app).store.recount() == []
    assert "no paper sign-ons wait" in runner.invoke(args=["pledge", "paper", "list"]).stdout
    page = paper_page(host, site.key).get_data(as_text=True)
    assert "No paper signature waits for approval." in page
    assert re.search(r"Approved paper signatures</dt><dd>1<", page)


def test_approve_all_and_an_address_that_signed_meanwhile(app, host, site, runner, inbox):
    enter(host, site.key, email="late@example.org")
    enter(host, site.key, organization="Mairie de Fatick")
    confirmed(app, site, inbox, "late@example.org")  # signed on the web before the operator looked
    assert runner.invoke(args=["pledge", "paper", "approve"]).exit_code == 2  # ids or --all
    result = runner.invoke(args=["pledge", "paper", "approve", "--all"])
    assert result.exit_code == 1 and "approved 1 paper sign-on(s)" in result.stdout
    assert "signed the campaign meanwhile" in result.output
    assert counts(app, site) == (2, 2, 1, 1)
    assert state(app).store.recount() == []


def test_reject_deletes(app, host, site, runner):
    enter(host, site.key, email="rejected@example.org")
    [waiting] = state(app).store.paper_signons()
    result = runner.invoke(args=["pledge", "paper", "reject", waiting.id])
    assert result.exit_code == 0 and "rejected 1" in result.stdout
    assert state(app).store.get_signon(waiting.id) is None
    assert counts(app, site) == (0, 0, 0, 0)
    again = runner.invoke(args=["pledge", "paper", "reject", waiting.id])
    assert again.exit_code == 1 and f"{waiting.id}: not waiting" in again.output
    assert runner.invoke(args=["pledge", "paper", "approve", waiting.id]).exit_code == 1


def test_csv_with_three_good_rows_stores_three(app, host, site):
    content = "\ufeff" + "\r\n".join([
        HEADER,
        csv_row(email="one@example.org"),
        csv_row(email="two@example.org", organization="Coopérative, « Terres vives »", country="fr"),
        csv_row(goal="Two lines:\nmore cover crops, fewer bare soils."),  # no address, a cell on two lines
    ]) + "\r\n"
    response = upload(host, site.key, content)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert "3 paper signatures added" in host.get(response.headers["Location"]).get_data(as_text=True)
    stored = state(app).store.paper_signons(site.key)
    assert len(stored) == 3 and {s.status for s in stored} == {"paper"}
    assert sorted(s.email for s in stored if s.has_email) == ["one@example.org", "two@example.org"]
    second = next(s for s in stored if s.email == "two@example.org")
    assert second.answers["organization"] == "Coopérative, « Terres vives »" and second.answers["country"] == "FR"
    assert counts(app, site) == (0, 0, 0, 0)


def test_csv_with_bad_rows_stores_nothing_and_names_each_row_and_column(app, host, site):
    content = "\n".join([
        HEADER,
        csv_row(country="XX"),
        csv_row(organization=""),
        csv_row(name="x" * 201),
        csv_row(email="not an address"),
        csv_row(org_type="farm"),
        csv_row(email="good@example.org"),  # a good row: stored neither
    ])
    response = upload(host, site.key, content)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Nothing from this file was added" in html
    assert "Row 2, column “country”: “XX” is not a country code" in html
    assert "Row 3, column “organization”: Please fill in this field." in html
    assert "Row 4, column “name”: Please use at most 200 characters." in html
    assert "Row 5, column “email”: Please enter a valid e-mail address" in html
    assert "Row 6, column “org_type”: “farm” is not a type of organisation" in html
    assert "Row 7" not in html
    assert state(app).store.paper_signons() == []


def test_csv_header_encoding_and_size_are_checked(app, host, site):
    def errors(content):
        response = upload(host, site.key, content)
        assert response.status_code == 400
        return response.get_data(as_text=True)

    assert "“colour” is not a column" in errors("name,organization,org_type,country,colour\nA,B,company,FR,red")
    twice = errors(HEADER + ",Name\n" + csv_row() + ",again")
    assert "the column “name” is there twice" in twice and "missing" not in twice
    assert "the column “organization” is missing" in errors("name,org_type,country,goal,actions,timetable\nA,company,FR,g,a,t")
    assert "not UTF-8" in errors(("\n".join([HEADER, csv_row(organization="Société")])).encode("latin-1"))
    assert "Row 2: 3 cells" in errors(HEADER + "\nA,B,C")
    assert "too large: at most 60 KB" in errors(HEADER + "\n" + "\n".join(csv_row(goal="g" * 1500) for _ in range(38)))
    over_the_request_limit = upload(host, site.key, HEADER + "\n" + "\n".join(csv_row(goal="g" * 1500) for _ in range(50)))
    assert over_the_request_limit.status_code == 413
    assert "Please choose a file." in host.post(
        f"/host/sites/{site.key}/paper", data={"kind": "csv", "csrf_token": token(host, site.key)}
    ).get_data(as_text=True)
    assert state(app).store.paper_signons() == []


def test_csv_from_a_spreadsheet_set_to_semicolons(app, host, site):
    content = HEADER.replace(",", ";").upper() + "\n" + csv_row().replace(",", ";")
    assert upload(host, site.key, content).status_code == 303
    assert len(state(app).store.paper_signons(site.key)) == 1


def test_a_duplicate_in_the_file_is_an_error_but_hosts_never_learn_who_signed(app, host, site, inbox):
    """Any organisation may become a host: its paper page must not tell whether an address has signed the
    campaign (through another site) or waits on paper elsewhere. The operator finds out at approval."""
    confirmed(app, site, inbox, "signed@example.org")
    enter(host, site.key, email="waiting@example.org")
    content = "\n".join([HEADER, csv_row(email="twice@example.org"), csv_row(email="Twice@Example.org")])
    html = upload(host, site.key, content).get_data(as_text=True)
    assert "Row 3, column “email”: This address is on row 2 already." in html
    assert len(state(app).store.paper_signons()) == 1  # waiting@ only: nothing from the file

    content = "\n".join([HEADER, csv_row(email="SIGNED@example.org"), csv_row(email="waiting@example.org")])
    response = upload(host, site.key, content)
    assert response.status_code == 303 and "signed" not in response.get_data(as_text=True)
    one = enter(host, site.key, email="signed@example.org")
    assert one.status_code == 303  # the same answer as for any address
    assert len(state(app).store.paper_signons()) == 4

    runner = app.test_cli_runner()
    result = runner.invoke(args=["pledge", "paper", "approve", "--all"])
    assert "signed the campaign meanwhile" in result.output  # the operator is told, the host never
    assert counts(app, site) == (2, 2, 1, 1)  # signed@ once (web), waiting@ once (paper): nothing twice


def test_another_host_or_signed_out_gets_404(app, client, site, inbox):
    form = dict(PAPER_ANSWERS, kind="one")
    assert paper_page(client, site.key).status_code == 404
    assert client.post(f"/host/sites/{site.key}/paper", data=form).status_code == 404
    other = state(app).store.add_site("Mairie", ["https://mairie.example"], "maire@mairie.example", "4p1000")
    sign_in(app, client, inbox, "maire@mairie.example")
    assert paper_page(client, other.key).status_code == 200
    assert paper_page(client, site.key).status_code == 404
    form["csrf_token"] = token(client, other.key)
    assert client.post(f"/host/sites/{site.key}/paper", data=form).status_code == 404
    assert paper_page(client, "bogus").status_code == 404
    assert state(app).store.paper_signons() == []


def test_without_the_csrf_token_nothing_is_stored(app, host, site):
    assert host.post(f"/host/sites/{site.key}/paper", data=dict(PAPER_ANSWERS, kind="one")).status_code == 400
    bad = host.post(f"/host/sites/{site.key}/paper", data=dict(PAPER_ANSWERS, kind="one", csrf_token="forged"))
    assert bad.status_code == 400
    no_token = host.post(f"/host/sites/{site.key}/paper", content_type="multipart/form-data",
                         data={"kind": "csv", "file": (io.BytesIO(f"{HEADER}\n{csv_row()}".encode()), "p.csv")})
    assert no_token.status_code == 400
    assert state(app).store.paper_signons() == []


def test_host_csv_and_cli_export_flag_paper(app, host, site, runner, inbox):
    confirmed(app, site, inbox, "web@example.org")
    enter(host, site.key)  # no address
    runner.invoke(args=["pledge", "paper", "approve", "--all"])

    rows = list(csv.DictReader(io.StringIO(host.get(f"/host/sites/{site.key}.csv").get_data(as_text=True))))
    assert sorted(row["Paper"] for row in rows) == ["no", "yes"]
    [paper_row] = [row for row in rows if row["Paper"] == "yes"]
    assert paper_row["Organisation"] == PAPER_ANSWERS["organization"]

    exported = runner.invoke(args=["pledge", "export"]).stdout
    header, *lines = list(csv.reader(io.StringIO(exported)))
    assert header[-4:] == ["source", "utm_source", "utm_medium", "utm_campaign"]
    by_source = {line[-4]: dict(zip(header, line)) for line in lines}
    assert set(by_source) == {"web", "paper"}
    assert by_source["paper"]["email"] == ""  # the stand-in address of a paper without one is never shown
    assert by_source["web"]["email"] == "web@example.org"
    as_json = json.loads(runner.invoke(args=["pledge", "export", "--format", "json"]).stdout)
    assert sorted(row["source"] for row in as_json) == ["paper", "web"]


def test_withdrawal_and_forget_take_an_approved_paper_out_of_both_counts(app, host, site, runner):
    for address in ("a@example.org", "b@example.org", None):
        enter(host, site.key, email=address or "", organization=f"Org {address}")
    runner.invoke(args=["pledge", "paper", "approve", "--all"])
    assert counts(app, site) == (3, 3, 3, 3)
    store = state(app).store
    store.withdraw_signon(store.find_confirmed("4p1000", "a@example.org").id)
    assert counts(app, site) == (2, 2, 2, 2)
    assert runner.invoke(args=["pledge", "forget", "--email", "b@example.org", "--yes"]).exit_code == 0
    assert counts(app, site) == (1, 1, 1, 1)
    assert store.recount() == []


def test_recount_reports_paper_counters_that_drifted(app, host, site, runner):
    enter(host, site.key)
    runner.invoke(args=["pledge", "paper", "approve", "--all"])
    store = state(app).store
    assert store.recount() == []
    with store.write() as db:
        db.execute("UPDATE counts SET paper = 5 WHERE site_key = ?", [site.key])
    assert store.recount() == [("4p1000", f"{site.key} (paper)", 5, 1)]


def test_dashboard_reads_n_of_them_on_paper(app, host, site, runner, inbox):
    confirmed(app, site, inbox, "web@example.org")
    enter(host, site.key)
    html = host.get(f"/host/sites/{site.key}").get_data(as_text=True)
    assert f'href="/host/sites/{site.key}/paper"' in html
    assert "of them on paper" not in html  # waiting: not counted
    runner.invoke(args=["pledge", "paper", "approve", "--all"])
    html = host.get(f"/host/sites/{site.key}").get_data(as_text=True)
    assert "Through this site: 2 signatures, 1 of them on paper." in html
    assert "The whole campaign: 2 signatures, 1 of them on paper." in html
