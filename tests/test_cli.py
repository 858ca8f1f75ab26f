"""The command line an operator uses: sites, counts, export, the outbox, purge."""
from __future__ import annotations

import csv
import io
import json
import time

import pytest
from conftest import deliver, links, path_of, post_sign_on, run_sql

from widget import state

# The journeys of the README, on SQLite and on PostgreSQL.
pytestmark = pytest.mark.both_engines


def add_site(runner, *extra):
    result = runner.invoke(
        args=["pledge", "site", "add", "--name", "Lycée Jean Moulin", "--origin", "https://lycee.example",
              "--email", "webmaster@lycee.example", *extra]
    )
    assert result.exit_code == 0, result.output
    return result


def test_site_add_prints_key_and_ready_snippet(app, runner):
    app.config["PLEDGE_PUBLIC_URL"] = "https://pledge.example"
    site = json.loads(add_site(runner, "--json").stdout)
    assert site["key"] and site["origins"] == ["https://lycee.example"]
    assert site["snippet"] == (
        f'<a class="pledge-widget" href="https://pledge.example/w/{site["key"]}" style="display:block;height:100vh">'
        "4 per 1000: Declaration of Intent for soils, food security and the climate</a>\n"
        '<script async src="https://pledge.example/embed.js"></script>'
    )
    assert state(app).store.get_site(site["key"]).name == "Lycée Jean Moulin"


def test_site_add_refuses_what_is_not_an_origin(runner, app):
    result = runner.invoke(args=["pledge", "site", "add", "--name", "X", "--origin", "lycee.example/page",
                                 "--email", "w@x.example"])
    assert result.exit_code != 0 and "is not an origin" in result.output
    result = runner.invoke(args=["pledge", "site", "add", "--name", "X", "--origin", "https://x.example",
                                 "--email", "w@x.example", "--campaign", "nope"])
    assert result.exit_code != 0 and "unknown campaign" in result.output
    assert state(app).store.list_sites() == []


def test_site_list_and_counts(app, runner, client, inbox):
    key = json.loads(add_site(runner, "--json").stdout)["key"]
    listed = json.loads(runner.invoke(args=["pledge", "site", "list", "--json"]).stdout)
    assert [s["key"] for s in listed] == [key]
    post_sign_on(client, key, "count@example.org")
    deliver(app)
    client.post(path_of(links(inbox.wait_for("count@example.org")[0])[0]))
    counts = json.loads(runner.invoke(args=["pledge", "counts", "--site", key, "--json"]).stdout)
    assert counts == [{"campaign": "4p1000", "site": key, "confirmed": 1, "total": 1}]


def test_export_csv_neutralises_spreadsheet_formulas(app, runner, client, inbox):
    key = json.loads(add_site(runner, "--json").stdout)["key"]
    post_sign_on(client, key, "csv@example.org", organization="=HYPERLINK(\"http://evil\")", name="@SUM(A1)")
    deliver(app)
    client.post(path_of(links(inbox.wait_for("csv@example.org")[0])[0]))
    output = runner.invoke(args=["pledge", "export", "--format", "csv"]).stdout
    [row] = list(csv.DictReader(io.StringIO(output)))
    assert row["email"] == "csv@example.org"
    assert row["organization"] == "'=HYPERLINK(\"http://evil\")"
    assert row["name"] == "'@SUM(A1)"
    as_json = json.loads(runner.invoke(args=["pledge", "export", "--format", "json", "--site", key]).stdout)
    assert as_json[0]["organization"] == "=HYPERLINK(\"http://evil\")"  # JSON is data, not a sheet


def test_mail_worker_once_and_status(app, runner, client, site, inbox):
    post_sign_on(client, site.key, "worker@example.org")
    assert json.loads(runner.invoke(args=["pledge", "mail", "status"]).stdout)["queued"] == 1
    result = runner.invoke(args=["pledge", "mail", "worker", "--once"])
    assert "sent 1" in result.stdout
    assert inbox.wait_for("worker@example.org")
    assert json.loads(runner.invoke(args=["pledge", "mail", "status"]).stdout) == {"queued": 0, "sent": 1, "failed": 0}


def test_purge_drops_only_old_unconfirmed_sign_ons_and_old_mail(app, runner, client, site, monkeypatch, inbox):
    store = state(app).store
    post_sign_on(client, site.key, "old@example.org")
    for _ in range(4):  # the fourth is over PLEDGE_LIMIT_EMAIL_PER_DAY: held
        post_sign_on(client, site.key, "held@example.org")
    post_sign_on(client, site.key, "kept@example.org")
    deliver(app)
    client.post(path_of(links(inbox.wait_for("kept@example.org")[0])[0]))
    assert [s.status for s in store.signons_of("held@example.org")].count("held") == 1
    monkeypatch.setattr(time, "time", lambda real=time.time: real() + 8 * 86400)
    result = runner.invoke(args=["pledge", "purge"])
    monkeypatch.undo()
    assert "purged 5" in result.stdout
    assert store.signons_of("old@example.org") == [] and store.signons_of("held@example.org") == []
    assert [s.status for s in store.signons_of("kept@example.org")] == ["confirmed"]  # confirmed: kept
    assert store.outbox_stats() == {"queued": 0, "sent": 0, "failed": 0}  # no old mail left behind
    post_sign_on(client, site.key, "new@example.org")
    assert "purged 0" in runner.invoke(args=["pledge", "purge"]).stdout


def test_origins_are_stored_as_browsers_report_them(app, runner):
    from widget.origins import normalise_origin

    assert normalise_origin("HTTPS://Lycée.Example:443/") == "https://xn--lyce-dpa.example"
    assert normalise_origin("http://localhost:80") == "http://localhost"
    assert normalise_origin("http://127.0.0.1:8080") == "http://127.0.0.1:8080"
    for bad in ("http://*.example", "https://a.example/page", "ftp://a.example", "a.example"):
        result = runner.invoke(args=["pledge", "site", "add", "--name", "X", "--origin", bad, "--email", "w@x.example"])
        assert result.exit_code != 0 and "--origin" in result.output, bad


def test_a_broken_campaigns_file_is_reported_without_a_traceback(tmp_path):
    import os
    import subprocess
    import sys

    path = tmp_path / "campaigns.toml"
    path.write_text("[campaigns.x]\ngoal = 5\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGE_")}
    env.update({"PLEDGE_CAMPAIGNS_FILE": str(path), "PLEDGE_DATABASE": f"sqlite:///{tmp_path / 'p.db'}",
                "PLEDGE_SECRET_KEY": "k"})
    result = subprocess.run([sys.executable, "-c", "from widget.console import main; main()", "site", "list"],
                            env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "campaign 'x'" in result.stderr and "Traceback" not in result.stderr


def test_the_console_script_lists_each_command_once(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGE_")}
    env.update({"PLEDGE_DATABASE": f"sqlite:///{tmp_path / 'p.db'}", "PLEDGE_SECRET_KEY": "k"})
    result = subprocess.run([sys.executable, "-c", "from widget.console import main; main()", "--help"],
                            env=env, capture_output=True, text=True, check=True)
    commands = [line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines() if line.strip()]
    from widget.cli import pledge

    assert commands == sorted(pledge.commands)  # each of ours once, in order, and nobody else's
    assert {"counts", "export", "forget", "held", "host", "mail", "purge", "run", "site"} <= set(commands)


def test_snippet_in_the_host_sites_language(app, runner):
    site = json.loads(add_site(runner, "--lang", "fr", "--json").stdout)
    assert ">4 pour 1000\u00a0: Déclaration d’intention pour les sols" in site["snippet"]


def test_site_add_refuses_a_blank_name_and_an_address_sign_in_would_refuse(runner, app):
    def add(name: str, email: str):
        return runner.invoke(args=["pledge", "site", "add", "--name", name, "--origin", "https://x.example",
                                   "--email", email])

    blank = add("   ", "w@x.example")
    assert blank.exit_code != 0 and "blank" in blank.output
    # The host sign-in form refuses a reserved domain such as .test: so does the command line.
    reserved = add("School", "a@school.test")
    assert reserved.exit_code != 0 and "--email" in reserved.output
    assert state(app).store.list_sites() == []


def test_site_edit_and_remove(app, runner, client, site, inbox):
    post_sign_on(client, site.key, "edit@example.org")
    deliver(app)
    client.post(path_of(links(inbox.wait_for("edit@example.org")[-1])[0]))
    result = runner.invoke(args=["pledge", "site", "edit", site.key, "--name", "Lycée J. Moulin",
                                 "--origin", "https://lycee.example", "--origin", "https://www.lycee.example:443",
                                 "--email", "Nouveau.Webmaster@Lycee.example", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"key": site.key, "name": "Lycée J. Moulin", "campaign": "4p1000",
                                         "origins": ["https://lycee.example", "https://www.lycee.example"],
                                         "email": "nouveau.webmaster@lycee.example", "status": "active"}
    assert runner.invoke(args=["pledge", "site", "edit", "bogus", "--name", "X"]).exit_code == 2

    assert runner.invoke(args=["pledge", "site", "remove", site.key, "--yes"]).exit_code == 0
    assert client.get(f"/w/{site.key}").status_code == 404
    assert json.loads(runner.invoke(args=["pledge", "site", "list", "--json"]).stdout) == []
    totals = json.loads(runner.invoke(args=["pledge", "counts", "--json"]).stdout)
    assert {"campaign": "4p1000", "site": None, "confirmed": 1} in totals  # still in the campaign's total
    assert state(app).store.recount() == []
    assert runner.invoke(args=["pledge", "site", "remove", site.key, "--yes"]).exit_code == 2


def test_commands_about_an_unknown_site_or_sign_on_say_so(runner, site):
    export = runner.invoke(args=["pledge", "export", "--site", "bogus"])
    assert export.exit_code == 2 and "no site with the key 'bogus'" in export.output and "campaign" not in export.stdout
    discard = runner.invoke(args=["pledge", "held", "discard", "bogus"])
    assert discard.exit_code != 0 and "bogus: not held" in discard.output


def test_held_release_needs_the_public_url_and_held_list_says_why(make_app, site):
    app = make_app(PLEDGE_LIMIT_EMAIL_PER_DAY=1)
    client, runner = app.test_client(), app.test_cli_runner()
    for _ in range(2):
        post_sign_on(client, site.key, "twice@example.org")
    listing = runner.invoke(args=["pledge", "held", "list"])
    assert "address over PLEDGE_LIMIT_EMAIL_PER_DAY" in listing.stdout
    [held] = json.loads(runner.invoke(args=["pledge", "held", "list", "--json"]).stdout)
    assert held["held_reason"] == "email_per_day"

    refused = runner.invoke(args=["pledge", "held", "release", held["id"]])
    assert refused.exit_code != 0 and "PLEDGE_PUBLIC_URL" in refused.output
    assert len(state(app).store.held_signons()) == 1  # nothing released, nothing mailed
    app.config["PLEDGE_PUBLIC_URL"] = "https://pledge.example"
    released = runner.invoke(args=["pledge", "held", "release", held["id"]])
    assert released.exit_code == 0 and "released 1" in released.stdout
    [mail] = state(app).store.query("SELECT text_body FROM outbox ORDER BY id DESC LIMIT 1")
    assert "https://pledge.example/confirm/" in mail[0]


@pytest.mark.sqlite_only  # PostgreSQL has pg_dump (docs/deploy.md)
def test_db_backup_is_a_consistent_copy_of_a_live_database(app, runner, site, tmp_path):
    if state(app).store.engine != "sqlite":
        pytest.skip("db backup copies an SQLite database (PostgreSQL: pg_dump, see docs/deploy.md)")
    import sqlite3
    import threading

    from widget.store import Mail, SignOn

    store = state(app).store
    stop = threading.Event()

    def write() -> None:  # the service goes on taking sign-ons during the backup
        n = 0
        while not stop.is_set():
            n += 1
            signon_id = f"backup-{n}"
            store.create_signon(SignOn(id=signon_id, campaign="4p1000", site_key=site.key,
                                       email=f"{signon_id}@example.org", lang="en", status="pending",
                                       created_at=time.time(), confirmed_at=None, consent_at=time.time(),
                                       consent_version="v"), Mail(to=f"{signon_id}@example.org", subject="s", text="t", html="h"))
            store.confirm_signon(signon_id)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        time.sleep(0.3)
        result = runner.invoke(args=["pledge", "db", "backup", str(tmp_path / "copy.db")])
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0 and "backed up" in result.stdout, result.output
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    rows = copy.execute("SELECT COUNT(*) FROM signons WHERE status = 'confirmed'").fetchone()[0]
    counted = copy.execute("SELECT confirmed FROM counts WHERE site_key = ?", [site.key]).fetchone()[0]
    assert rows == counted > 0  # a snapshot between two transactions: counters and rows agree
    again = runner.invoke(args=["pledge", "db", "backup", str(tmp_path / "copy.db")])
    assert again.exit_code != 0 and "--force" in again.output


def test_recount_reports_drift_and_fixes_it(app, runner, site, inbox):
    post_sign_on(app.test_client(), site.key, "drift@example.org")
    deliver(app)
    app.test_client().post(path_of(links(inbox.wait_for("drift@example.org")[0])[0]))
    clean = runner.invoke(args=["pledge", "recount"])
    assert clean.exit_code == 0 and "every counter equals its rows" in clean.output
    run_sql(state(app).store, "UPDATE counts SET confirmed = confirmed + 41 WHERE site_key = ?", [site.key])
    drifted = runner.invoke(args=["pledge", "recount", "--json"])
    assert drifted.exit_code == 1
    assert json.loads(drifted.stdout) == [{"campaign": "4p1000", "site": site.key, "counter": 42, "rows": 1}]
    fixed = runner.invoke(args=["pledge", "recount", "--fix"])
    assert fixed.exit_code == 0 and "fixed 1 counter(s)" in fixed.output
    assert state(app).store.counts("4p1000", site.key) == (1, 1) and state(app).store.recount() == []
