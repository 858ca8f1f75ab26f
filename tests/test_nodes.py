"""Several app nodes: two gunicorn processes and two mail workers sharing one PostgreSQL and one Redis.

What one node promises must hold for the whole: every visitor gets the normal page whichever node
answers, every confirmation is counted once even when its two clicks land on different nodes, every
mail goes out exactly once however many workers claim the outbox, and a client's rate limit is one
limit in total, not one per process.
"""
from __future__ import annotations

import json
import random
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

import pytest

from conftest import TOKEN_INPUT, VALID_ANSWERS, SMTPServer, free_port, links, path_of, stop, wait_until_up
from test_concurrency import environment, problems, request

from widget.store import open_store

SIGN_ONS = 1000  # enough for 32 threads to meet on every row they share; the suite stays under its 15 minutes
SITES = 3
THREADS = 32
WORKERS = 3  # gunicorn worker processes per node
LIMIT = 5  # sign-ons per minute from one client IP
BURST = 40  # sign-ons sent at once from one client IP, through both nodes
CLI = [sys.executable, "-c", "from widget.console import main; main()"]


def visitor_ip(n: int) -> str:
    """The address of visitor ``n``, as the trusted proxy in front of the nodes reports it."""
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def as_visitor(url: str, ip: str, data: dict | None = None) -> tuple[int, str]:
    """:func:`test_concurrency.request` from the client ``ip``, behind the proxy (X-Forwarded-For)."""
    return request(urllib.request.Request(url, headers={"X-Forwarded-For": ip}), data)


@pytest.mark.slow
def test_two_nodes_and_two_mail_workers_on_postgresql_and_redis_count_and_mail_everything_once(
    tmp_path, capsys, postgres_url, redis_url
):
    """2,000 people sign on through two nodes at once and click their link twice, each click on another
    node; two mail workers deliver the outbox to a real SMTP server meanwhile. The counts must equal the
    confirmed rows, every mail the outbox calls sent must have arrived exactly once, and one client
    sending many sign-ons at once through both nodes must get exactly the limit accepted."""
    smtp = SMTPServer()
    smtp.start()
    env = environment(postgres_url)
    env.update(
        {
            "PLEDGE_RATELIMIT_ENABLED": "true",
            "PLEDGE_RATELIMIT_STORAGE_URI": redis_url,
            "PLEDGE_RATELIMIT_SIGNON": f"{LIMIT} per minute",
            "PLEDGE_PROXY_FIX": "1",  # one trusted proxy: each visitor has an address of their own
            "PLEDGE_SMTP_URL": smtp.url,
            "PLEDGE_MAIL_POLL_SECONDS": "0.2",
        }
    )
    processes: dict[str, subprocess.Popen] = {}
    logs = []

    def start(name: str, command: list[str]) -> subprocess.Popen:
        log = (tmp_path / f"{name}.log").open("w")
        logs.append(log)
        processes[name] = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
        return processes[name]

    def alive() -> None:
        for name, process in processes.items():
            assert process.poll() is None, f"{name} exited:\n{(tmp_path / f'{name}.log').read_text()}"

    store = open_store(postgres_url)
    site_keys: list[str] = []
    nodes: list[str] = []
    try:
        for n in range(SITES):
            added = subprocess.run(
                CLI + ["site", "add", "--name", f"School {n}", "--origin", f"https://school{n}.example",
                       "--email", f"webmaster@school{n}.example", "--json"],
                env=env, cwd=tmp_path, capture_output=True, text=True, check=True, timeout=60,
            )
            site_keys.append(json.loads(added.stdout)["key"])

        for name in ("node-a", "node-b"):
            port = free_port()
            node = start(name, [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "--preload",
                                "-b", f"127.0.0.1:{port}", "widget:create_app()"])
            nodes.append(f"http://127.0.0.1:{port}")
            wait_until_up(f"{nodes[-1]}/api/v1/sites/{site_keys[0]}/count", node, tmp_path / f"{name}.log")
        for name in ("mail-1", "mail-2"):
            start(name, CLI + ["mail", "worker"])
        # One node's form tokens are good on the other: the nodes share the signing key.
        form_tokens = {key: TOKEN_INPUT.search(request(f"{nodes[0]}/w/{key}")[1]).group(1) for key in site_keys}

        def sign_on(n: int, ip: str, node: str) -> tuple[int, str]:
            key = site_keys[n % SITES]
            data = dict(VALID_ANSWERS, email=f"signer{n:05d}@coop-sols.example", form_token=form_tokens[key])
            return as_visitor(f"{node}/w/{key}", ip, data)

        # Phase 1: 2,000 sign-ons at once, half on each node, while the mail workers deliver.
        started = time.monotonic()
        with ThreadPoolExecutor(THREADS) as pool:
            answers = list(pool.map(lambda n: sign_on(n, visitor_ip(n), nodes[n % 2]), range(SIGN_ONS)))
        phase1 = time.monotonic() - started
        bad = problems(answers, "Check your inbox")
        assert bad == [], f"{len(bad)} of {SIGN_ONS} sign-ons failed, e.g. {bad[:5]}"

        # Each visitor's link, from the mail the SMTP server received.
        addresses = [f"signer{n:05d}@coop-sols.example" for n in range(SIGN_ONS)]
        mails: dict[str, EmailMessage] = {}
        seen = 0
        deadline = time.monotonic() + 120
        while not all(address in mails for address in addresses):
            alive()
            assert time.monotonic() < deadline, f"{sum(a in mails for a in addresses)} of {SIGN_ONS} mails arrived"
            time.sleep(0.2)
            with smtp.inbox.lock:  # only the new ones: the SMTP server runs in this process too
                arrived = smtp.inbox.messages[seen:]
            seen += len(arrived)
            mails.update((str(m["To"]), m) for m in arrived)
        mailed = time.monotonic() - started
        confirm_paths = [path_of(links(mails[address])[0]) for address in addresses]

        # Phase 2: every link clicked twice, once on each node, in a shuffled order.
        jobs = [(n, node) for n in range(SIGN_ONS) for node in nodes]
        random.Random(7).shuffle(jobs)

        def click(n: int, node: str) -> tuple[int, str]:
            return as_visitor(node + confirm_paths[n], visitor_ip(n), {})

        started = time.monotonic()
        with ThreadPoolExecutor(THREADS) as pool:
            confirmations = list(pool.map(lambda job: click(*job), jobs))
        phase2 = time.monotonic() - started
        bad = problems(confirmations, "confirmed")
        assert bad == [], f"{len(bad)} of {len(jobs)} confirmations failed, e.g. {bad[:5]}"
        thanked = sum("your signature is confirmed" in body for _, body in confirmations)
        already = sum("Already confirmed" in body for _, body in confirmations)
        assert (thanked, already) == (SIGN_ONS, SIGN_ONS)

        # Phase 3: one client sends many sign-ons at once through both nodes: the limit holds in total.
        with ThreadPoolExecutor(16) as pool:
            burst = list(pool.map(lambda n: (nodes[n % 2], sign_on(n, "203.0.113.9", nodes[n % 2])[0]),
                                  range(SIGN_ONS, SIGN_ONS + BURST)))
        codes = Counter(code for _, code in burst)
        per_node = [Counter(code for node, code in burst if node == base) for base in nodes]
        assert codes == {200: LIMIT, 429: BURST - LIMIT}, (codes, per_node)

        # The outbox empties; then the workers stop, so that no mail is still on its way.
        deadline = time.monotonic() + 60
        while store.outbox_stats()["queued"]:
            alive()
            assert time.monotonic() < deadline, f"the outbox did not empty: {store.outbox_stats()}"
            time.sleep(0.2)
        alive()
        for name in ("mail-1", "mail-2"):
            stop(processes[name])

        # The counts equal the confirmed rows, per site and in total, on both nodes.
        confirmed = store.query("SELECT COUNT(*) FROM signons WHERE status = 'confirmed'")[0][0]
        stored = store.query("SELECT COUNT(*) FROM signons")[0][0]
        per_site = dict(store.query("SELECT site_key, COUNT(*) FROM signons WHERE status = 'confirmed' GROUP BY 1"))
        counters = dict(store.query("SELECT site_key, confirmed FROM counts WHERE campaign = '4p1000'"))
        assert (confirmed, stored) == (SIGN_ONS, SIGN_ONS + LIMIT)
        assert counters == {**per_site, "": confirmed}
        assert store.recount() == []
        for base in nodes:
            for key in site_keys:
                status, body = request(f"{base}/api/v1/sites/{key}/count")
                assert status == 200
                assert json.loads(body) | {"goal": None} == {
                    "campaign": "4p1000", "site": per_site[key], "total": confirmed, "goal": None, "status": "open", "closes": None
                }

        # Every mail the outbox holds as sent arrived once, and nothing else arrived.
        outbox = Counter(store.query("SELECT to_addr, subject FROM outbox WHERE sent_at IS NOT NULL"))
        assert store.outbox_stats() == {"queued": 0, "sent": sum(outbox.values()), "failed": 0}
        with smtp.inbox.lock:
            received = Counter((str(m["To"]), str(m["Subject"])) for m in smtp.inbox.messages)
        duplicates = sum(n - 1 for n in received.values())
        assert duplicates == 0, [mail for mail, n in received.items() if n > 1][:5]
        assert received == outbox
        assert store.query("SELECT COUNT(*) FROM outbox WHERE attempts > 0")[0][0] == 0  # none needed a retry
        recipients = Counter(to for to, _ in received.elements())
        assert [address for address in addresses if recipients[address] != 1] == []  # one link each, no more
        # Each milestone a site passed (10, 100 of 10, 100, 1000) was mailed to its host once, by one node.
        milestones = sorted(store.query("SELECT site_key, threshold FROM milestones_sent"))
        assert milestones == sorted((key, t) for key in site_keys for t in (10, 100, 1000) if t <= per_site[key])
        hosts = {f"webmaster@school{n}.example" for n in range(SITES)}
        assert sum(n for to, n in recipients.items() if to in hosts) == len(milestones)

        total = sum(received.values())
        with capsys.disabled():
            print(
                f"\n[2 nodes x gunicorn -w {WORKERS}, 2 mail workers, PostgreSQL + Redis] "
                f"sign-ons {SIGN_ONS} in {phase1:.1f} s ({SIGN_ONS / phase1:.0f}/s), all mailed after {mailed:.1f} s; "
                f"confirmations {len(jobs)} in {phase2:.1f} s ({len(jobs) / phase2:.0f}/s), confirmed {confirmed}, "
                f"counted {counters['']}; mails delivered {total} ({len(milestones)} milestones to hosts), duplicates "
                f"{duplicates}; one client's {BURST} sign-ons: {codes[200]} x 200, {codes[429]} x 429 "
                f"(node A {dict(per_node[0])}, node B {dict(per_node[1])})"
            )
    finally:
        for process in processes.values():
            stop(process)
        for log in logs:
            log.close()
        store.close()
        smtp.stop()
    for name in processes:
        text = (tmp_path / f"{name}.log").read_text()
        assert "Traceback" not in text, f"{name}:\n{text}"
