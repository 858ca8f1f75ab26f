"""An operator's action and its audit entry are one transaction, on both engines: when the entry cannot be
written (here a trigger refuses every INSERT into audit_log, as a full disk or a lost connection would),
the change is not made either. Were the entry written after the change, in a transaction of its own, each
test below would find a change that the audit log does not account for."""
from __future__ import annotations

import time

import pytest

from conftest import post_sign_on, run_sql
from test_admin_pages import ADMIN, add_paper, confirmed, held_signons, status_of
from widget import actions, audit
from widget.appstate import state

pytestmark = pytest.mark.both_engines

REFUSED = "audit log unavailable"
#: A trigger that makes every INSERT into audit_log fail, in each engine's dialect.
REFUSE_AUDIT = {
    "sqlite": f"CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END",
    "postgresql": f"CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                  f"RAISE EXCEPTION '{REFUSED}'; END $$; CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log "
                  "FOR EACH ROW EXECUTE FUNCTION refuse_audit()",
}


@pytest.fixture
def app(make_app):
    # One sign-on per hour through a site: the second and later ones are held.
    return make_app(PLEDGE_LIMIT_SITE_PER_HOUR=1, PLEDGE_PUBLIC_URL="https://pledge.example")


def refuse_audit(app):
    """From now on, no audit entry can be written."""
    run_sql(state(app).store, REFUSE_AUDIT[state(app).store.engine])


def fails(action, *args) -> None:
    with pytest.raises(Exception, match=REFUSED):
        action(*args, ADMIN)


def test_site_approve_and_disable(app, site):
    store = state(app).store
    pending = store.add_site("P", ["https://p.example"], "p@p.example", "4p1000", status="pending")
    refuse_audit(app)
    with app.app_context():
        fails(actions.disable_site, site.key)
        fails(actions.approve_site, pending.key)
    assert (store.get_site(site.key).status, store.get_site(pending.key).status) == ("active", "pending")
    assert audit.entries(store) == []


def test_held_release_and_discard(app, client, site):
    first, second = held_signons(app, client, site, 2)
    store = state(app).store
    queued = store.outbox_stats()["queued"]
    refuse_audit(app)
    with app.test_request_context():
        fails(actions.release_held, [first, second])
        fails(actions.discard_held, [first, second])
    assert [status_of(app, signon_id) for signon_id in (first, second)] == ["held", "held"]
    assert store.outbox_stats()["queued"] == queued  # no confirmation mail either
    assert audit.entries(store) == []


def test_list_hide_show_approve_requeue(app, site):
    signon = confirmed(app, site, "org@example.org", "Org")
    store = state(app).store
    refuse_audit(app)
    with app.app_context():
        fails(actions.hide_entry, signon.id, "spam")
        for action in (actions.show_entry, actions.approve_entry, actions.requeue_entry):
            fails(action, signon.id)
    entry = store.get_entry(signon.id)
    assert (entry.state, entry.reason, entry.changed_by) == (None, None, None)
    assert audit.entries(store) == []


def test_paper_approve_and_reject(app, site):
    first, second = add_paper(app, site, "Paper One", "Paper Two")
    store = state(app).store
    refuse_audit(app)
    with app.app_context():
        fails(actions.approve_paper, None)  # one transaction for the batch: the first is not approved either
        fails(actions.reject_paper, [first, second])
    assert [status_of(app, signon_id) for signon_id in (first, second)] == ["paper", "paper"]
    assert store.counts("4p1000", site.key).site == 0
    assert audit.entries(store) == []


def test_mail_retry(app, client, site):
    store = state(app).store
    other = store.add_site("Other", ["https://other.example"], "o@other.example", "4p1000")
    for key, address in ((site.key, "one@example.org"), (other.key, "two@example.org")):
        post_sign_on(client, key, address)
    run_sql(store, "UPDATE outbox SET failed_at = ?, attempts = 5, last_error = 'no such user'", [time.time()])
    refuse_audit(app)
    with app.app_context():
        fails(actions.retry_mail, None)
    assert len(store.failed_mail()) == 2
    assert audit.entries(store) == []
