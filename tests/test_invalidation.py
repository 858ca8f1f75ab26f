"""Invalidation (issue 23): `signons invalidate (--domain|--site|--ip) [--since] [--until] --reason [--dry-run]
[--json]` and `signons restore --batch`, and the desk's /admin/invalidations. Invalidated sign-ons leave every
count, the public list and the exports, stay stored with their batch and reason, are never mailed; webhooks say
signon.invalidated and signon.restored; audited. An empty filter is refused: never "all"."""
from __future__ import annotations

import json
import time

import pytest

from conftest import deliver
from test_admin_pages import confirmed, entries, post, sign_in

from widget import state
from widget.store import Mail, SignOn, new_id

pytestmark = pytest.mark.both_engines

ADMIN = "boss@example.org"
CAMPAIGN = "4p1000"


@pytest.fixture
def app(make_app):
    return make_app(PLEDGE_ADMINS=ADMIN, PLEDGE_PUBLIC_URL="https://pledge.example")


def pending(app, site, email: str) -> SignOn:
    now = time.time()
    signon = SignOn(id=new_id(18), campaign=CAMPAIGN, site_key=site.key, email=email, lang="en", status="pending",
                    created_at=now, confirmed_at=None, consent_at=now, consent_version="1/en",
                    answers={"organization": "Pending org"})
    state(app).store.create_signon(signon, Mail(to=email, subject="s", text="t", html="h"))
    return signon


@pytest.fixture
def surge(app, site):
    """Three confirmed sign-ons from surge.example (one of them at a subdomain), one pending, one elsewhere."""
    store = state(app).store
    store.add_webhook("https://crm.example/hook", "whsec_" + "A" * 32, campaign=CAMPAIGN)
    made = [confirmed(app, site, f"s{n}@{domain}", f"Surge {n}")
            for n, domain in enumerate(("surge.example", "surge.example", "mail.surge.example"))]
    kept = confirmed(app, site, "real@other.example", "Real org")
    waiting = pending(app, site, "p@surge.example")
    return made, kept, waiting


def invalidate(runner, *args: str):
    return runner.invoke(args=["pledge", "signons", "invalidate", *args])


def events(app) -> list[str]:
    return [row[0] for row in state(app).store.query("SELECT event_type FROM webhook_deliveries ORDER BY id")]


@pytest.mark.sqlite_only  # checked before any SQL
@pytest.mark.parametrize("args", [
    (), ("--since", "2026-01-01T00:00:00Z"), ("--domain", " "), ("--domain", "not a domain"), ("--ip", "10.0.0.0/8"),
    ("--site", "no-such-site"), ("--domain", "surge.example", "--since", "yesterday"),
    ("--domain", "surge.example", "--since", "2026-02-01T00:00:00Z", "--until", "2026-01-01T00:00:00Z"),
])
def test_a_filter_that_cannot_be_used_is_refused(app, runner, site, args):
    confirmed(app, site, "s@surge.example", "Org")
    answer = invalidate(runner, *args, "--reason", "r")
    assert answer.exit_code == 2, answer.output
    assert state(app).store.counts(CAMPAIGN, site.key).total == 1


def test_invalidate_takes_them_out_of_everything_and_restore_brings_them_back(app, runner, site, surge, inbox):
    made, kept, waiting = surge
    store = state(app).store
    client = app.test_client()
    dry = invalidate(runner, "--domain", "Surge.Example", "--reason", "bot wave", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output)["size"] == 4 and json.loads(dry.output)["batch"] is None
    assert store.counts(CAMPAIGN, site.key) == (4, 4)

    done = invalidate(runner, "--domain", "surge.example", "--reason", "bot wave", "--json")
    assert done.exit_code == 0, done.output
    result = json.loads(done.output)
    assert result["size"] == 4 and result["by_status"] == {"confirmed": 3, "pending": 1}
    batch = result["batch"]
    assert store.counts(CAMPAIGN, site.key) == (1, 1)
    assert client.get(f"/api/v1/sites/{site.key}/count").get_json()["total"] == 1
    listed = client.get(f"/api/v1/campaigns/{CAMPAIGN}/signatories").get_json()["items"]
    assert [item["organization"] for item in listed] == ["Real org"]
    exported = runner.invoke(args=["pledge", "export", "--format", "json"])
    assert [row["email"] for row in json.loads(exported.output)] == ["real@other.example"]
    assert runner.invoke(args=["pledge", "recount"]).exit_code == 0
    # Stored with the batch and never mailed: the pending one's confirmation e-mail went with it.
    rows = store.query("SELECT status, invalidation, invalidated_from FROM signons WHERE email LIKE '%surge.example'")
    assert sorted(rows) == sorted([("invalidated", batch, "confirmed")] * 3 + [("invalidated", batch, "pending")])
    deliver(app)
    assert not [m for m in inbox.messages if "surge.example" in m["To"]]
    assert store.confirm_signon(waiting.id).status != "confirmed"
    renew = client.post(f"/confirm/{state(app).tokens.dumps('confirm', waiting.id)}/renew")
    assert renew.status_code == 200
    deliver(app)
    assert not [m for m in inbox.messages if "surge.example" in m["To"]]  # no fresh link either
    assert events(app).count("signon.invalidated") == 3
    [entry] = entries(app, "signons.invalidate")
    assert entry.target == f"invalidation:{batch}" and entry.after["reason"] == "bot wave"
    assert entry.after["filter"]["domain"] == "surge.example" and entry.after["size"] == 4
    listed = runner.invoke(args=["pledge", "signons", "batches", "--json"])
    assert [(b["batch"], b["size"], b["restored_at"]) for b in json.loads(listed.output)] == [(batch, 4, None)]

    restored = runner.invoke(args=["pledge", "signons", "restore", "--batch", batch, "--json"])
    assert restored.exit_code == 0, restored.output
    assert json.loads(restored.output)["by_status"] == {"confirmed": 3, "pending": 1}
    assert store.counts(CAMPAIGN, site.key) == (4, 4)
    assert store.get_signon(waiting.id).status == "pending"
    assert events(app).count("signon.restored") == 3
    assert runner.invoke(args=["pledge", "recount"]).exit_code == 0
    assert len(entries(app, "signons.restore")) == 1
    again = runner.invoke(args=["pledge", "signons", "restore", "--batch", batch])
    assert again.exit_code == 1 and store.counts(CAMPAIGN, site.key) == (4, 4)


def test_by_site_client_and_window(app, runner, site, surge):
    other = state(app).store.add_site("Other", ["https://o.example"], "o@o.example", CAMPAIGN)
    confirmed(app, other, "x@third.example", "Third")
    assert json.loads(invalidate(runner, "--site", other.key, "--reason", "r", "--dry-run", "--json").output)["size"] == 1
    # Nobody signed from 127.0.0.2; the window before these sign-ons holds none.
    assert json.loads(invalidate(runner, "--ip", "127.0.0.2", "--reason", "r", "--dry-run", "--json").output)["size"] == 0
    before = invalidate(runner, "--site", site.key, "--until", "2000-01-01T00:00:00Z", "--reason", "r", "--json")
    assert json.loads(before.output)["size"] == 0 and json.loads(before.output)["batch"] is None
    assert state(app).store.counts(CAMPAIGN, other.key) == (1, 5) and state(app).store.invalidations() == []


def test_a_restored_sign_on_whose_mailbox_signed_meanwhile_stays_out(app, runner, site):
    first = confirmed(app, site, "someone@surge.example", "Org")
    batch = json.loads(invalidate(runner, "--domain", "surge.example", "--reason", "r", "--json").output)["batch"]
    confirmed(app, site, "Someone+again@surge.example", "Org")  # the mailbox signs again, for real
    restored = runner.invoke(args=["pledge", "signons", "restore", "--batch", batch, "--json"])
    assert restored.exit_code == 0 and json.loads(restored.output)["skipped"] == [first.id]
    assert state(app).store.counts(CAMPAIGN, site.key) == (1, 1)
    assert runner.invoke(args=["pledge", "recount"]).exit_code == 0


@pytest.mark.sqlite_only  # the desk's views; the store runs on both engines above
def test_the_desk_previews_invalidates_and_restores(app, client, site, surge):
    sign_in(app, client)
    page = client.get("/admin/invalidations?domain=surge.example")
    assert page.status_code == 200 and 'value="surge.example"' in page.get_data(as_text=True)
    assert client.post("/admin/invalidations", data={"domain": "surge.example", "reason": "r"}).status_code == 400
    empty = post(client, "/admin/invalidations", "/admin/invalidations", reason="r")
    assert empty.status_code == 400 and "never takes every sign-on" in empty.get_data(as_text=True)
    preview = post(client, "/admin/invalidations", "/admin/invalidations/preview", domain="surge.example")
    assert preview.status_code == 200 and "4 sign-ons match, 3 of them confirmed." in preview.get_data(as_text=True)
    assert state(app).store.counts(CAMPAIGN, site.key) == (4, 4)
    assert post(client, "/admin/invalidations", "/admin/invalidations", domain="surge.example").status_code == 400
    done = post(client, "/admin/invalidations", "/admin/invalidations", domain="surge.example", reason="bot wave")
    assert done.status_code == 303
    assert "4 sign-ons invalidated" in client.get(done.headers["Location"]).get_data(as_text=True)
    assert state(app).store.counts(CAMPAIGN, site.key) == (1, 1)
    [batch] = state(app).store.invalidations()
    assert batch.created_by == ADMIN and entries(app, "signons.invalidate")[0].actor == ADMIN
    assert post(client, "/admin/invalidations", "/admin/invalidations/restore", batch=batch.id).status_code == 303
    assert state(app).store.counts(CAMPAIGN, site.key) == (4, 4)


def test_an_approved_paper_sign_on_leaves_the_paper_count_too(app, runner, site):
    store = state(app).store
    now = time.time()
    paper = SignOn(id=new_id(18), campaign=CAMPAIGN, site_key=site.key, email="paper@surge.example", lang="en",
                   status="paper", created_at=now, confirmed_at=None, consent_at=now, consent_version="1/en",
                   answers={"organization": "On paper"}, source="paper")
    store.add_paper_signons([paper])
    assert store.approve_paper([paper.id]) == {paper.id: "approved"}
    assert store.paper_counts(CAMPAIGN, site.key).site == 1
    batch = json.loads(invalidate(runner, "--site", site.key, "--reason", "r", "--json").output)["batch"]
    assert store.counts(CAMPAIGN, site.key) == (0, 0) and store.paper_counts(CAMPAIGN, site.key) == (0, 0)
    assert runner.invoke(args=["pledge", "recount"]).exit_code == 0
    assert runner.invoke(args=["pledge", "signons", "restore", "--batch", batch]).exit_code == 0
    assert store.counts(CAMPAIGN, site.key) == (1, 1) and store.paper_counts(CAMPAIGN, site.key) == (1, 1)
    assert runner.invoke(args=["pledge", "recount"]).exit_code == 0
