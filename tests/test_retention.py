"""Retention: PLEDGE_RETAIN_CONTACT_DAYS after a campaign's close, `retention apply` erases its sign-ons' names,
addresses and commitment texts; counts, the public list's entries and the audit log stay whole, and the
mailbox, kept as a keyed hash, still signs the campaign once if it opens again."""
from __future__ import annotations

import json
import time

import pytest

from conftest import deliver, links, path_of, post_sign_on, run_sql
from widget import audit, campaign_actions, state
from widget.store.retention import ERASED_EMAIL, HASH_PREFIX

pytestmark = pytest.mark.both_engines

DAYS = 30
PEOPLE = ("amina@coop.example", "Jean.Martin+pledge@mairie.example", "elise@ferme.example")


def apply(app, *args: str) -> list[dict]:
    result = app.test_cli_runner().invoke(args=["pledge", "retention", "apply", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_retention_run_erases_contact_details_and_keeps_counts_list_and_audit(make_app, inbox):
    app = make_app(PLEDGE_RETAIN_CONTACT_DAYS=str(DAYS), PLEDGE_CACHE_SECONDS=0)
    store = state(app).store
    store.add_site("Lycée Jean Moulin", ["https://lycee.example"], "webmaster@lycee.example", "4p1000", key="lycee")
    client = app.test_client()
    for n, address in enumerate(PEOPLE):
        post_sign_on(client, "lycee", address, organization=f"Coopérative {n}", name=f"Person {n}")
    deliver(app)
    for address in PEOPLE[:2]:  # two confirm, the third never does
        client.post(path_of(links(inbox.wait_for(address.lower())[0])[0]))
    assert tuple(store.counts("4p1000", "lycee")) == (2, 2)
    listed = client.get("/api/v1/campaigns/4p1000/signatories").json["items"]
    audit.record(store, "cli:root", "site.approve", "site:lycee", None, {"status": "active"})
    with app.app_context():
        campaign_actions.close("4p1000", "cli:root")
    entries_before = audit.entries(store)

    [waiting] = apply(app)  # closed today: listed with the day its details go, nothing erased yet
    assert (waiting["campaign"], waiting["signons"], waiting["erased"]) == ("4p1000", 3, False)
    assert waiting["erase_at"][:10] == time.strftime("%Y-%m-%d", time.gmtime(time.time() + DAYS * 86400))
    run_sql(store, "UPDATE campaign_life SET closed_at = closed_at - ?", [(DAYS + 1) * 86400])
    [planned] = apply(app, "--dry-run")
    assert planned["signons"] == 3 and planned["erased"] is False
    assert store.query("SELECT COUNT(*) FROM signons WHERE erased_at IS NULL")[0][0] == 3  # a dry run erases nothing

    [done] = apply(app)
    assert done["signons"] == 3 and done["erased"] is True
    rows = store.query("SELECT email, mailbox, name, goal, actions, timetable, resources, ip_hash, organization, "
                       "org_type, country, status FROM signons ORDER BY organization")
    for email, box, *erased, organization, org_type, country, status in rows:
        assert email == ERASED_EMAIL and box.startswith(HASH_PREFIX) and erased == [None] * 6
        assert organization.startswith("Coopérative") and (org_type, country) == ("producers_group", "SN")
    dump = json.dumps(rows + store.query("SELECT to_addr, text_body FROM outbox"))
    assert not any(part in dump.lower() for part in ("amina", "jean.martin", "elise", "person "))
    # What is counted and public stays; the audit log only gained the erasure's entry.
    assert tuple(store.counts("4p1000", "lycee")) == (2, 2) and store.recount() == []
    assert client.get("/api/v1/campaigns/4p1000/signatories").json["items"] == listed
    after = audit.entries(store)
    assert after[1:] == entries_before and after[0].action == "retention.erase"
    assert after[0].after["signons"] == 3
    assert apply(app)[0]["signons"] == 0  # run again: nothing left to erase

    # Opened again: the mailbox that signed (kept as its hash) signs once, whatever its spelling.
    with app.app_context():
        campaign_actions.extend("4p1000", time.time() + 86400, "cli:root")
    post_sign_on(client, "lycee", "AMINA+again@coop.example")
    assert store.query("SELECT COUNT(*) FROM signons")[0][0] == 3
    assert store.find_confirmed("4p1000", "amina@coop.example").email == ERASED_EMAIL
    # An erasure request finds what is left of the address's sign-ons.
    assert store.forget("amina@coop.example") == 1 and tuple(store.counts("4p1000", "lycee")) == (1, 1)


def test_never_keeps_everything_and_bad_values_stop_the_start(make_app):
    app = make_app()
    with app.app_context():
        campaign_actions.close("4p1000", "cli:root")
    result = app.test_cli_runner().invoke(args=["pledge", "retention", "apply"])
    assert result.exit_code == 0 and "PLEDGE_RETAIN_CONTACT_DAYS is never" in result.output
    for bad in ("forever", "-1", "3.5"):
        with pytest.raises(ValueError, match="PLEDGE_RETAIN_CONTACT_DAYS must be a number of days"):
            make_app(PLEDGE_RETAIN_CONTACT_DAYS=bad)
