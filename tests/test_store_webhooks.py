"""The store's webhook outbox, on both engines: events queued with the change they tell of, disjoint
claims across threads, retries scheduled by the sender, endpoints switched off after 3 days of failures."""
from __future__ import annotations

import json
import time
from collections import Counter

from conftest import run_sql
from test_store import MAIL, signon, store, together  # noqa: F401 - store: the fixture, on both engines

from widget.store import Limits, SignOn, open_store


def confirmed(store, id: str, email: str, site_key: str = "s1", **changes) -> SignOn:
    record = signon(id, email, site_key)
    if changes:
        record = SignOn(**{**record.__dict__, **changes})
    store.create_signon(record, MAIL, Limits())
    assert store.confirm_signon(id).status == "confirmed"
    return record


def test_confirm_and_withdraw_queue_one_delivery_per_matching_endpoint(store):
    site_hook = store.add_webhook("https://crm.example/s1", "whsec_x", site_key="s1")
    campaign_hook = store.add_webhook("https://crm.example/all", "whsec_y", campaign="4p1000")
    store.add_webhook("https://crm.example/s2", "whsec_z", site_key="s2")
    store.add_webhook("https://crm.example/other", "whsec_w", campaign="other")
    store.create_signon(signon("p1", "pending@example.org"), MAIL, Limits())  # never confirmed: no event
    confirmed(store, "c1", "ana@example.org")
    rows = store.query("SELECT endpoint_id, event_id, event_type, payload FROM webhook_deliveries ORDER BY endpoint_id")
    assert [r[0] for r in rows] == [site_hook.id, campaign_hook.id]
    assert rows[0][1] == rows[1][1] and rows[0][1].startswith("msg_")
    body = json.loads(rows[0][3])
    assert body["type"] == "signon.confirmed" and body["data"]["site"] == "s1"
    assert body["data"]["organization"] == "Org" and "email" not in body["data"] and "name" not in body["data"]
    store.withdraw_signon("p1")  # a pending sign-on withdrawn: nothing to tell
    store.withdraw_signon("c1")
    types = Counter(r[0] for r in store.query("SELECT event_type FROM webhook_deliveries"))
    assert types == {"signon.confirmed": 2, "signon.withdrawn": 2}


def test_contact_details_only_with_contact_consent(store):
    store.add_webhook("https://crm.example/s1", "whsec_x", site_key="s1")
    confirmed(store, "c1", "ana@example.org", contact_consent="v1")
    data = json.loads(store.query("SELECT payload FROM webhook_deliveries")[0][0])["data"]
    assert data["email"] == "ana@example.org" and data["name"] == "Ana"


def test_a_disabled_endpoint_gets_nothing(store):
    hook = store.add_webhook("https://crm.example/s1", "whsec_x", site_key="s1")
    run_sql(store, "UPDATE webhook_endpoints SET disabled_at = 1 WHERE id = ?", [hook.id])
    confirmed(store, "c1", "ana@example.org")
    assert store.query("SELECT COUNT(*) FROM webhook_deliveries") == [(0,)]


def test_claims_are_disjoint_across_threads(store, database_url):
    store.add_webhook("https://crm.example/s1", "whsec_x", site_key="s1")
    for n in range(40):
        confirmed(store, f"c{n}", f"a{n}@example.org")
    stores = [open_store(database_url) for _ in range(4)]
    try:
        claimed = together(4, lambda n: [d.id for d in stores[n].claim_webhooks(15, 60, f"w{n}")])
    finally:
        for other in stores:
            other.close()
    every = [i for ids in claimed for i in ids]
    assert len(every) == len(set(every)) == 40


def test_failures_are_retried_later_and_success_clears_failing_since(store):
    hook = store.add_webhook("https://crm.example/s1", "whsec_x", site_key="s1")
    confirmed(store, "c1", "ana@example.org")
    [delivery] = store.claim_webhooks(10, 60, "w")
    assert store.claim_webhooks(10, 60, "v") == []  # claimed
    assert store.mark_webhook_failed(delivery, 500, "HTTP error 500: " + "x" * 500, time.time() + 30) is None
    assert store.claim_webhooks(10, 60, "w") == []  # not due yet
    status, error, attempts = store.query("SELECT last_status, last_error, attempts FROM webhook_deliveries")[0]
    assert (status, len(error), attempts) == (500, 200, 1)
    assert store.get_webhook(hook.id).failing_since is not None
    run_sql(store, "UPDATE webhook_deliveries SET next_attempt_at = 0")
    [again] = store.claim_webhooks(10, 60, "w")
    assert again.event_id == delivery.event_id and again.attempts == 1
    store.mark_webhook_delivered(again, 204)
    assert store.get_webhook(hook.id).failing_since is None
    assert store.claim_webhooks(10, 60, "w") == []
    assert store.last_webhook_status(hook.id)["delivered"]


def test_an_endpoint_failing_for_3_days_is_switched_off(store):
    hook = store.add_webhook("https://crm.example/s1", "whsec_x", site_key="s1")
    confirmed(store, "c1", "ana@example.org")
    [delivery] = store.claim_webhooks(10, 60, "w")
    assert store.mark_webhook_failed(delivery, None, "timed out", time.time()) is None
    run_sql(store, "UPDATE webhook_endpoints SET failing_since = ?", [time.time() - 3 * 86400 - 1])
    [delivery] = store.claim_webhooks(10, 60, "w")
    disabled = store.mark_webhook_failed(delivery, None, "timed out", time.time())
    assert disabled is not None and disabled.id == hook.id and "timed out" in disabled.disabled_reason
    assert store.claim_webhooks(10, 60, "w") == []  # a switched-off endpoint's deliveries wait no more


def test_remove_deletes_the_endpoint_and_its_deliveries(store):
    hook = store.add_webhook("https://crm.example/s1", "whsec_x", site_key="s1")
    confirmed(store, "c1", "ana@example.org")
    assert store.remove_webhook(hook.id) and not store.remove_webhook(hook.id)
    assert store.query("SELECT COUNT(*) FROM webhook_deliveries") == [(0,)]
    assert store.list_webhooks() == []


def test_old_deliveries_are_purged(store):
    hook = store.add_webhook("https://crm.example/s1", "whsec_x", site_key="s1")
    confirmed(store, "c1", "ana@example.org")
    confirmed(store, "c2", "bob@example.org")
    first, second = store.claim_webhooks(10, 60, "w")
    store.mark_webhook_delivered(first, 200)
    assert store.purge_webhook_deliveries(time.time() + 1) == 1  # the undelivered one waits on
    run_sql(store, "UPDATE webhook_endpoints SET disabled_at = 1 WHERE id = ?", [hook.id])
    assert store.purge_webhook_deliveries(time.time() + 1) == 1


def test_a_sites_webhooks_follow_its_key_rotation(store):
    site = store.add_site("S", ["https://s.example"], "owner@s.example", "4p1000")
    hook = store.add_webhook("https://crm.example/s", "whsec_x", site_key=site.key)
    rotated = store.rotate_key(site.key, 60)
    assert store.get_webhook(hook.id).site_key == rotated.key
    confirmed(store, "c1", "ana@example.org", site_key=rotated.key)
    assert json.loads(store.query("SELECT payload FROM webhook_deliveries")[0][0])["data"]["site"] == rotated.key


def test_an_erasure_deletes_what_was_sent_about_the_address_but_tells_the_crm(store):
    store.add_webhook("https://crm.example/s1", "whsec_x", site_key="s1")
    confirmed(store, "c1", "ana@example.org", contact_consent="v1")
    confirmed(store, "c2", "other@example.org", contact_consent="v1")
    assert store.forget("ana@example.org") == 1
    left = store.query("SELECT signon_id, event_type FROM webhook_deliveries ORDER BY id")
    assert left == [("c2", "signon.confirmed"), ("c1", "signon.withdrawn")]
    assert not [p for (p,) in store.query("SELECT payload FROM webhook_deliveries WHERE event_type = 'signon.confirmed'")
                if "ana@example.org" in p]
