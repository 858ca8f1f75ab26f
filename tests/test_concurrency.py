"""The production set-up under load: gunicorn with four worker processes writing one SQLite file, and
the same on PostgreSQL.

Thousands of visitors signing and confirming at once must all get their page, and the counts shown on
host sites must equal the confirmed sign-ons, one for one, with no "database is locked" anywhere.
"""
from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import TOKEN_INPUT, VALID_ANSWERS, free_port, stop, wait_until_up

from widget.store import open_store
from widget.tokens import Tokens

SIGN_ONS = 1000  # enough for 32 threads to meet on every row they share; the suite stays under its 15 minutes
LATE_SIGN_ONS = 200  # sent while the confirmations run, and left unconfirmed
SITES = 3
THREADS = 32
KEY = "k"


def environment(database: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGE_")}
    env.update(
        {
            "PLEDGE_DATABASE": database,
            "PLEDGE_SECRET_KEY": KEY,
            "PLEDGE_RATELIMIT_ENABLED": "false",
            "PLEDGE_MIN_FILL_SECONDS": "0",
            "PLEDGE_LIMIT_EMAIL_PER_DAY": "0",
            "PLEDGE_LIMIT_SITE_PER_HOUR": "0",
            "PLEDGE_LIMIT_IP_PER_DAY": "0",
            "PLEDGE_MAILS_PER_ADDRESS_PER_DAY": "0",
            "PLEDGE_MAIL_IN_PROCESS": "false",
        }
    )
    return env


def request(url: str, data: dict | None = None) -> tuple[int, str]:
    """``(status, body)`` of a GET, or of a form-encoded POST when ``data`` is given; never raises on 4xx/5xx."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with urllib.request.urlopen(url, data=body, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def problems(answers: list[tuple[int, str]], expected: str) -> list[str]:
    """A short description of every answer that is not a 200 page containing ``expected``."""
    bad = []
    for status, body in answers:
        if status != 200 or expected not in body or "database is locked" in body:
            title = re.search(r"<title>(.*?)</title>", body, re.S)
            bad.append(f"{status}: {title.group(1).strip() if title else body[:200]!r}")
    return bad


@pytest.mark.slow
def test_four_gunicorn_workers_on_one_database_lose_and_miscount_nothing(tmp_path, capsys, database_url):
    """Several worker processes write the same SQLite file at once (gunicorn's default set-up): every
    visitor must get the normal page, never a server error or "database is locked", and every
    confirmation must be counted exactly once, on the right site, even when a link is clicked twice."""
    database = database_url
    env = environment(database)

    site_keys = []
    for n in range(SITES):
        added = subprocess.run(
            [sys.executable, "-c", "from widget.console import main; main()", "site", "add", "--name", f"School {n}",
             "--origin", f"https://school{n}.example", "--email", f"webmaster@school{n}.example", "--json"],
            env=env, cwd=tmp_path, capture_output=True, text=True, check=True, timeout=60,
        )
        site_keys.append(json.loads(added.stdout)["key"])

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "gunicorn.log"
    log = log_path.open("w")
    gunicorn = subprocess.Popen(
        # --preload: the app is built before the fork, so no connection may be opened before it.
        [sys.executable, "-m", "gunicorn", "-w", "4", "--preload", "-b", f"127.0.0.1:{port}", "widget:create_app()"],
        env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=log,
    )
    try:
        wait_until_up(f"{base}/api/v1/sites/{site_keys[0]}/count", gunicorn, log_path)
        form_tokens = {key: TOKEN_INPUT.search(request(f"{base}/w/{key}")[1]).group(1) for key in site_keys}

        def sign_on(n: int) -> tuple[int, str]:
            key = site_keys[n % SITES]
            data = dict(VALID_ANSWERS, email=f"signer{n:05d}@coop-sols.example", form_token=form_tokens[key])
            return request(f"{base}/w/{key}", data)

        # Phase 1: 2,000 sign-ons at once.
        started = time.monotonic()
        with ThreadPoolExecutor(THREADS) as pool:
            answers = list(pool.map(sign_on, range(SIGN_ONS)))
        phase1 = time.monotonic() - started
        bad = problems(answers, "Check your inbox")
        assert bad == [], f"{len(bad)} of {SIGN_ONS} sign-ons failed, e.g. {bad[:5]}"

        db = open_store(database)
        ids = [row[0] for row in db.query("SELECT id FROM signons")]
        assert len(ids) == SIGN_ONS
        assert db.query("SELECT COUNT(*) FROM outbox")[0][0] == SIGN_ONS  # each with its mail queued

        # Phase 2: every confirmation link clicked twice, shuffled, while more people sign on.
        tokens = Tokens([KEY], {"confirm": 3600, "form": 3600, "withdraw": 3600, "host-login": 3600})
        jobs = [("confirm", tokens.dumps("confirm", i)) for i in ids for _ in range(2)]
        jobs += [("sign-on", n) for n in range(SIGN_ONS, SIGN_ONS + LATE_SIGN_ONS)]
        random.Random(4).shuffle(jobs)

        def run(job) -> tuple[str, tuple[int, str]]:
            kind, value = job
            if kind == "confirm":
                return kind, request(f"{base}/confirm/{value}", {})
            return kind, sign_on(value)

        started = time.monotonic()
        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(run, jobs))
        phase2 = time.monotonic() - started
        confirmations = [answer for kind, answer in results if kind == "confirm"]
        late = [answer for kind, answer in results if kind == "sign-on"]
        bad = problems(late, "Check your inbox") + problems(confirmations, "confirmed")
        assert bad == [], f"{len(bad)} of {len(jobs)} requests failed, e.g. {bad[:5]}"
        # Each person sees "confirmed" once; the second click of the same link says it was done already.
        thanked = sum("your signature is confirmed" in body for _, body in confirmations)
        already = sum("Already confirmed" in body for _, body in confirmations)
        assert (thanked, already) == (SIGN_ONS, SIGN_ONS)

        # The counts equal the confirmed rows, per site and in total.
        confirmed = db.query("SELECT COUNT(*) FROM signons WHERE status = 'confirmed'")[0][0]
        stored = db.query("SELECT COUNT(*) FROM signons")[0][0]
        per_site = dict(db.query("SELECT site_key, COUNT(*) FROM signons WHERE status = 'confirmed' GROUP BY 1"))
        counters = dict(db.query("SELECT site_key, confirmed FROM counts WHERE campaign = '4p1000'"))
        assert confirmed == SIGN_ONS
        assert stored == SIGN_ONS + LATE_SIGN_ONS
        assert counters == {**per_site, "": confirmed}
        assert db.recount() == []
        db.close()
        for key in site_keys:
            status, body = request(f"{base}/api/v1/sites/{key}/count")
            assert status == 200
            assert json.loads(body) | {"goal": None} == {
                "campaign": "4p1000", "site": per_site[key], "total": confirmed, "goal": None, "status": "open", "closes": None
            }

        requests = SIGN_ONS + len(jobs)
        elapsed = phase1 + phase2
        with capsys.disabled():
            print(
                f"\n[gunicorn -w 4, one {db.engine} database] sign-ons sent {SIGN_ONS + LATE_SIGN_ONS}, stored {stored}; "
                f"confirmations sent {len(confirmations)}, confirmed {confirmed}, counted {counters['']}; "
                f"phase 1 {phase1:.1f} s ({SIGN_ONS / phase1:.0f} req/s), phase 2 {phase2:.1f} s "
                f"({len(jobs) / phase2:.0f} req/s); {requests} requests in {elapsed:.1f} s, "
                f"{requests / elapsed:.0f} req/s"
            )
    finally:
        stop(gunicorn)
        log.close()
    errors = log_path.read_text()
    assert "database is locked" not in errors
    assert "Traceback" not in errors
