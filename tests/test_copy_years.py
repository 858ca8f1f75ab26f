"""`db copy` takes this round's tables along (bounced mailboxes, their reports, the key of the mailbox hashes):
on the copy, a bounced mailbox still gets no mail and an erased signatory still signs once."""
from __future__ import annotations

import time

from test_db_copy import copy, rows
from widget.store import Mail, SignOn, open_store

NEW_TABLES = ("mailbox_bounces", "bounce_reports", "store_keys", "signons")


def test_db_copy_takes_bounces_and_erasures_along(tmp_path):
    source_url = f"sqlite:///{tmp_path / 'source.db'}"
    source = open_store(source_url)
    source.migrate()
    source.add_site("Lycée", ["https://lycee.example"], "web@lycee.example", "4p1000", key="lycee")
    for n, address in enumerate(("amina@coop.example", "nobody@coop.example")):
        signon = SignOn(id=f"s{n}", campaign="4p1000", site_key="lycee", email=address, lang="fr", status="pending",
                        created_at=time.time(), confirmed_at=None, consent_at=time.time(), consent_version="v1",
                        answers={"name": f"Person {n}", "organization": "Coop"})
        source.create_signon(signon, Mail(to=address, subject="Confirm", text="t", html="h", kind="confirm"))
    source.confirm_signon("s0")
    [bounced_mail] = [row[0] for row in source.query("SELECT id FROM outbox WHERE to_addr = 'nobody@coop.example'")]
    assert source.record_bounce(bounced_mail, "hard", "5.1.1") == "hard"
    assert source.erase_contacts("4p1000") == 2
    source.close()

    # SQLite to SQLite: what each engine pair does is tests/test_db_copy.py's; here, that these tables go along.
    target_url = f"sqlite:///{tmp_path / 'target.db'}"
    result = copy(source_url, target_url)
    assert result.exit_code == 0, result.output
    for table in NEW_TABLES:
        assert rows(source_url, table) == rows(target_url, table) != [], table
    target = open_store(target_url)
    try:
        assert target.find_confirmed("4p1000", "Amina@coop.example").id == "s0"  # the copied key finds the hash
        assert target.enqueue_mail(Mail(to="nobody@coop.example", subject="News", text="t", html="h", kind="digest"))
        assert target.claim_mail(10, 60, "copy-test") == []  # kept as failed: the mailbox bounced
    finally:
        target.close()
