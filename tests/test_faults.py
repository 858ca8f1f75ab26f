"""Faults an operator will meet sooner or later: the SMTP server goes down, the mail worker is killed
in the middle of a batch, the web process is killed in the middle of a sign-on. In each case the
promise of the README must hold: what was answered "check your inbox" is kept, and its mail goes out
(at worst twice, never zero times)."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter

import pytest

from conftest import Inbox, SMTPServer, deliver, free_port, links, path_of, post_sign_on, run_sql

from widget import state
from widget.store import open_store

SECRET = "test-secret"  # the make_app fixture's PLEDGE_SECRET_KEY


def clean_environment(**values: str) -> dict[str, str]:
    """This process's environment without any PLEDGE_* variable, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGE_")}
    env.update(values)
    return env


# -- a. the SMTP server is down ---------------------------------------------------------------


def test_smtp_outage_keeps_sign_ons_and_delivers_each_mail_once_when_it_is_back(make_app, database_url):
    """A visitor must not see an error because our mail server is down: the sign-on is accepted, its
    mail waits in the outbox through failed attempts, and goes out exactly once when the server is back
    (a second copy would make people wonder which link to click)."""
    server = SMTPServer()  # on a free port, not started: connections are refused
    app = make_app(PLEDGE_SMTP_URL=server.url, PLEDGE_DATABASE=database_url)
    client = app.test_client()
    store = state(app).store
    site = store.add_site("Lycée Jean Moulin", ["https://lycee.example"], "webmaster@lycee.example", "4p1000")
    addresses = [f"outage{i}@coop-sols.example" for i in range(4)]
    try:
        for address in addresses:
            response = post_sign_on(client, site.key, address)
            assert response.status_code == 200
            assert "Check your inbox" in response.get_data(as_text=True)
        assert store.outbox_stats() == {"queued": 4, "sent": 0, "failed": 0}

        # The server is down: every attempt fails, nothing is lost and nothing is given up on.
        # Each round stops at the first failure (the server is down: no point trying the rest now)
        # and gives the untried mails back, so every mail gets its attempt and its back-off in turn.
        assert [deliver(app) for _ in addresses] == [(0, 1)] * len(addresses)
        assert store.outbox_stats() == {"queued": 4, "sent": 0, "failed": 0}
        assert deliver(app) == (0, 0)  # nothing is retried before its back-off has passed
        assert store.outbox_stats() == {"queued": 4, "sent": 0, "failed": 0}

        server.start()
        run_sql(store, "UPDATE outbox SET next_attempt_at = 0")  # the clock moves past the back-off
        assert deliver(app) == (4, 0)
        assert deliver(app) == (0, 0)
        assert store.outbox_stats() == {"queued": 0, "sent": 4, "failed": 0}
        for address in addresses:
            assert len(server.inbox.to(address)) == 1, address

        # A link that waited out the outage still confirms the sign-on.
        [url] = links(server.inbox.to(addresses[0])[0])
        done = client.post(path_of(url))
        assert "your signature is confirmed" in done.get_data(as_text=True)
        assert client.get(f"/api/v1/sites/{site.key}/count").json["site"] == 1
    finally:
        server.stop()


def delivered(server) -> tuple[Counter, int]:
    """Mails received per address, and how many of them were second copies."""
    received = Counter(str(m["To"]) for m in server.inbox.messages)
    return received, sum(n - 1 for n in received.values())


# -- b. the mail worker is killed in the middle of a batch -------------------------------------


class SlowInbox(Inbox):
    """An SMTP server that takes 0.1 s to accept each message, so a batch can be interrupted."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.1)
        return await super().handle_DATA(server, session, envelope)


def test_a_mail_worker_killed_mid_batch_loses_no_mail(make_app, tmp_path, capsys, database_url):
    """`kill -9` of the mail worker (OOM killer, a reboot) must not lose a confirmation mail: its claim
    on the batch expires and the next worker sends the rest. At most the one mail that was on the wire
    goes out twice."""
    server = SMTPServer()
    server.inbox = SlowInbox()
    server.start()
    database = database_url
    app = make_app(PLEDGE_DATABASE=database, PLEDGE_SMTP_URL=server.url, PLEDGE_RATELIMIT_ENABLED=False)
    client = app.test_client()
    store = state(app).store
    site = store.add_site("Lycée Jean Moulin", ["https://lycee.example"], "webmaster@lycee.example", "4p1000")
    addresses = [f"batch{i:02d}@coop-sols.example" for i in range(30)]
    for address in addresses:
        assert "Check your inbox" in post_sign_on(client, site.key, address).get_data(as_text=True)
    assert store.outbox_stats()["queued"] == len(addresses)

    env = clean_environment(
        PLEDGE_DATABASE=database,
        PLEDGE_SECRET_KEY=SECRET,
        PLEDGE_SMTP_URL=server.url,
        PLEDGE_MAIL_LEASE_SECONDS="1",
        PLEDGE_MAIL_POLL_SECONDS="0.2",
    )
    command = [sys.executable, "-c", "from widget.console import main; main()", "mail", "worker"]
    log_path = tmp_path / "worker.log"
    log = log_path.open("w")
    worker = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while len(server.inbox.messages) < 3:
            assert worker.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "the mail worker sent nothing"
            time.sleep(0.01)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        time.sleep(1.5)  # its lease runs out (and the server finishes the message that was on the wire)
        before = len(server.inbox.messages)
        assert before < len(addresses), "the worker finished before it was killed: nothing was tested"

        once = subprocess.run(command + ["--once"], env=env, cwd=tmp_path, capture_output=True, timeout=60)
        assert once.returncode == 0, once.stderr.decode()
        resumed = once.stdout.decode().strip()  # "sent N, failed 0"

        received, duplicates = delivered(server)
        with capsys.disabled():
            print(
                f"\n[worker killed mid-batch, {store.engine}] queued {len(addresses)}, delivered before the kill {before}, "
                f"delivered in all {len(server.inbox.messages)}, duplicates {duplicates} (the next worker: {resumed})"
            )
        assert [a for a in addresses if received[a] == 0] == []  # nobody waits for a mail that never comes
        assert duplicates <= 1
        assert set(received) == set(addresses)
        assert store.outbox_stats() == {"queued": 0, "sent": len(addresses), "failed": 0}
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        log.close()
        server.stop()


def test_two_live_senders_on_a_slow_smtp_server_send_each_mail_once(make_app, capsys, database_url):
    """Several senders run at once in production (one per gunicorn worker, or a `mail worker` beside
    them); the README says each claims its batch, so a healthy sender's mail is never sent twice. A slow
    SMTP server must not change that: here a batch of 30 takes about 3 s to send and the lease is 1 s
    (the same ratio as the defaults, a batch of 50 and a 120 s lease, with a server taking 2.4 s per
    message). Nobody is killed: any duplicate here is a mail that two live senders both sent."""
    server = SMTPServer()
    server.inbox = SlowInbox()
    server.start()
    app = make_app(PLEDGE_SMTP_URL=server.url, PLEDGE_MAIL_LEASE_SECONDS=1.0, PLEDGE_RATELIMIT_ENABLED=False,
                   PLEDGE_DATABASE=database_url)
    client = app.test_client()
    site = state(app).store.add_site("Lycée Jean Moulin", ["https://lycee.example"], "webmaster@lycee.example", "4p1000")
    addresses = [f"slow{i:02d}@coop-sols.example" for i in range(30)]
    for address in addresses:
        assert "Check your inbox" in post_sign_on(client, site.key, address).get_data(as_text=True)
    try:
        results: list[tuple[int, int]] = []
        first = threading.Thread(target=lambda: results.append(deliver(app)))  # the store: a connection per thread
        second = threading.Thread(target=lambda: results.append(deliver(app)))
        first.start()
        time.sleep(1.5)  # the second sender's round comes while the first is still sending its batch
        second.start()
        first.join(timeout=60)
        second.join(timeout=60)
        received, duplicates = delivered(server)
        with capsys.disabled():
            print(
                f"\n[two senders, slow SMTP, {state(app).store.engine}] queued {len(addresses)}, (sent, failed) per sender {results}, "
                f"delivered {len(server.inbox.messages)}, duplicates {duplicates}"
            )
        assert set(received) == set(addresses)
        assert duplicates <= 1, f"{duplicates} people got their confirmation mail twice"
    finally:
        server.stop()


# -- c. the web process is killed in the middle of a sign-on -----------------------------------

SIGN_ON_SCRIPT = textwrap.dedent(
    """
    import json, os, signal, sys, time
    from widget.store import Mail, SignOn, open_store
    url, moment = sys.argv[1], sys.argv[2]
    store = open_store(url)
    store.migrate()
    real_enqueue = type(store)._enqueue

    def enqueue_then_die(db, mail, signon_id):
        real_enqueue(db, mail, signon_id)
        # Both rows are written, inside the transaction; the process dies before COMMIT.
        seen = [db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("signons", "outbox")]
        print(json.dumps({"inside_transaction": seen}), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    if moment == "before-commit":
        type(store)._enqueue = staticmethod(enqueue_then_die)
    now = time.time()
    signon = SignOn(id="k1", campaign="4p1000", site_key="s1", email="killed@coop-sols.example", lang="fr",
                    status="pending", created_at=now, confirmed_at=None, consent_at=now, consent_version="v1/fr",
                    answers={"name": "Ana", "organization": "Org"})
    mail = Mail(to="killed@coop-sols.example", subject="Confirm", text="text", html="<p>html</p>")
    print(json.dumps({"status": store.create_signon(signon, mail)}), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


@pytest.mark.parametrize(
    "moment, kept",
    [("before-commit", False), ("after-return", True)],
    ids=["killed-before-commit", "killed-after-answer"],
)
def test_a_process_killed_during_a_sign_on_keeps_all_of_it_or_nothing(tmp_path, moment, kept, database_url):
    """A sign-on without its mail would never be confirmed, and a mail without its sign-on would carry a
    dead link: a crash must leave both or neither. Once the sign-on call has returned (the visitor is
    told "check your inbox"), both are on disk, even if the process dies the next instant."""
    url = database_url
    run = subprocess.run(
        [sys.executable, "-c", SIGN_ON_SCRIPT, url, moment],
        env=clean_environment(), cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert run.returncode == -signal.SIGKILL, run.stderr
    said = [json.loads(line) for line in run.stdout.splitlines()]
    if moment == "before-commit":
        assert said == [{"inside_transaction": [1, 1]}]  # it died with both rows written, uncommitted
    else:
        assert said == [{"status": "pending"}]

    store = open_store(url)
    if store.engine == "sqlite":
        assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    signons = store.query("SELECT id, email, status FROM signons")
    outbox = store.query("SELECT signon_id, to_addr FROM outbox")
    if kept:
        assert signons == [("k1", "killed@coop-sols.example", "pending")]
        assert outbox == [("k1", "killed@coop-sols.example")]
        assert store.outbox_stats() == {"queued": 1, "sent": 0, "failed": 0}
    else:
        assert signons == []
        assert outbox == []
    store.close()


# -- d. the database is out of reach ------------------------------------------------------------


def test_postgresql_out_of_reach_gives_a_503_in_the_visitors_language(make_app, postgres_url):
    """A database restart or fail-over is not the visitor's fault nor a bug: 503 with Retry-After, in
    their language, and JSON for the API, after a bounded wait."""
    app = make_app(PLEDGE_DATABASE=postgres_url, PROPAGATE_EXCEPTIONS=False)  # as in production
    store = state(app).store
    site = store.add_site("Lycée", ["https://lycee.example"], "webmaster@lycee.example", "4p1000")
    store.close()
    store.url, store.connect_timeout = f"postgresql://postgres@127.0.0.1:{free_port()}/test", 2  # nobody there
    client = app.test_client()
    page = client.get(f"/w/{site.key}", headers={"Accept-Language": "fr"})
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert "Un problème est survenu" in page.get_data(as_text=True)
    api = client.get(f"/api/v1/sites/{site.key}/count")
    assert api.status_code == 503 and api.is_json
