"""Prometheus metrics: a scrape of gunicorn with three workers (prometheus_client in multiprocess mode, set up
by deploy/gunicorn.conf.py) adds up every worker's counts exactly; /metrics is there only when asked for, and
only for loopback or the bearer token (anyone else gets the ordinary 404)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from conftest import TOKEN_INPUT, VALID_ANSWERS, free_port, links, path_of, stop, wait_until_up
from test_concurrency import environment, request
from widget import state

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-c", "from widget.console import main; main()"]
SIGN_ONS = 30
CONFIRMED = 10
TOKEN = "scrape-token-4f1c9a"


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """``{(sample name, sorted labels): value}`` of a Prometheus text exposition."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(scraped: dict, name: str, **labels: str) -> float:
    return scraped.get((name, tuple(sorted(labels.items()))), 0.0)


def get(url: str, **headers: str) -> tuple[int, str]:
    return request(urllib.request.Request(url, headers=headers))


def test_a_scrape_of_three_gunicorn_workers_counts_every_sign_on_once(tmp_path, smtp_server, inbox):
    """30 sign-ons spread over three workers, one refused for a missing consent, one bot, 10 confirmed: the
    counters of one scrape are exact, whichever worker answers it, and the gauges read the database."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_4194000.db").write_bytes(b"")  # a count of a process long gone: emptied at start
    env = environment(f"sqlite:///{tmp_path / 'pledge.db'}")
    env.update(PLEDGE_SMTP_URL=smtp_server.url, PLEDGE_MAIL_IN_PROCESS="true", PLEDGE_MAIL_POLL_SECONDS="0.2",
               PLEDGE_METRICS="true", PLEDGE_METRICS_TOKEN=TOKEN, PLEDGE_PROXY_FIX="1",
               PROMETHEUS_MULTIPROC_DIR=str(folder))
    added = subprocess.run(CLI + ["site", "add", "--name", "School", "--origin", "https://school.example",
                                  "--email", "webmaster@school.example", "--json"],
                           env=env, cwd=tmp_path, capture_output=True, text=True, check=True, timeout=60)
    key = json.loads(added.stdout)["key"]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
                                   "-w", "3", "-b", f"127.0.0.1:{port}", "widget:create_app()"],
                                  env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_up(f"{base}/healthz", server, log)
        assert not (folder / "counter_4194000.db").exists()
        token = TOKEN_INPUT.search(get(f"{base}/w/{key}")[1]).group(1)

        def sign_on(n: int, **overrides: str) -> tuple[int, str]:
            data = dict(VALID_ANSWERS, email=f"signer{n:03d}@coop-sols.example", form_token=token, **overrides)
            return request(f"{base}/w/{key}", {k: v for k, v in data.items() if v is not None})

        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(sign_on, range(SIGN_ONS)))
        assert all(status == 200 for status, _ in answers)
        assert sign_on(900, consent=None)[0] == 400
        assert sign_on(901, homepage="https://spam.example")[0] == 200  # a bot gets the usual answer
        for n in range(20):  # cached widget pages, answered by the fast path
            get(f"{base}/w/{key}?lang=fr")

        mails = {}
        for message in [m for n in range(SIGN_ONS) for m in inbox.wait_for(f"signer{n:03d}@coop-sols.example")]:
            mails[str(message["To"])] = message
        assert len(mails) == SIGN_ONS
        for n in range(CONFIRMED):
            path = path_of(links(mails[f"signer{n:03d}@coop-sols.example"])[0])
            assert request(base + path, {})[0] == 200
        inbox.wait_for("webmaster@school.example")  # the host's mail: its site passed 10 signatures

        pids = {name.rsplit("_", 1)[1] for name in os.listdir(folder) if name.startswith("counter_")}
        assert len(pids) >= 2, f"the requests reached one worker only: {sorted(os.listdir(folder))}"
        # A count moves just after its answer went out (a mail's once the server took it, a request's once
        # its answer was closed): scrape until the last ones are in, then every count must be exact.
        deadline = time.monotonic() + 15
        while True:
            status, text = get(f"{base}/metrics")  # from loopback, no proxy in between
            assert status == 200, text
            scraped = samples(text)
            if (value(scraped, "pledge_mails_sent_total") == SIGN_ONS + 1 and
                    value(scraped, "pledge_request_duration_seconds_count", route="confirm") == CONFIRMED
                    or time.monotonic() > deadline):
                break
            time.sleep(0.1)
        assert all(name.startswith("pledge_") for name, _labels in scraped)
        signons = {labels: n for (name, labels), n in scraped.items() if name == "pledge_signons_total"}
        assert signons == {
            (("campaign", "4p1000"), ("outcome", "pending"), ("reason", "")): SIGN_ONS,
            (("campaign", "4p1000"), ("outcome", "refused"), ("reason", "consent")): 1,
            (("campaign", "4p1000"), ("outcome", "refused"), ("reason", "bot")): 1,
        }
        assert value(scraped, "pledge_confirmations_total", campaign="4p1000") == CONFIRMED
        assert value(scraped, "pledge_mails_queued_total", kind="confirm") == SIGN_ONS
        assert value(scraped, "pledge_mails_queued_total", kind="milestone") == 1
        assert value(scraped, "pledge_mails_sent_total") == SIGN_ONS + 1
        assert value(scraped, "pledge_mails_failed_total") == 0
        assert value(scraped, "pledge_request_duration_seconds_count", route="signon") == SIGN_ONS + 2
        assert value(scraped, "pledge_request_duration_seconds_count", route="confirm") == CONFIRMED
        assert value(scraped, "pledge_responses_total", route="signon", status="3xx") == SIGN_ONS + 1
        assert value(scraped, "pledge_page_cache_lookups_total", layer="fast", page="widget", result="hit") >= 15
        assert value(scraped, "pledge_mail_waiting", state="new") == 0
        assert value(scraped, "pledge_ready") == 1 and value(scraped, "pledge_database_up") == 1
        assert samples(get(f"{base}/metrics")[1]).get(("pledge_mails_sent_total", ())) == SIGN_ONS + 1  # any worker

        # Through a proxy, from elsewhere: the token or nothing, and nothing says there is something.
        outside = {"X-Forwarded-For": "10.20.30.40"}
        not_found = get(f"{base}/no-such-page", **outside)
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            assert get(f"{base}/metrics", **outside, **headers) == not_found
        assert get(f"{base}/metrics", **outside, Authorization=f"Bearer {TOKEN}")[0] == 200
    finally:
        stop(server)


def test_metrics_are_off_unless_asked_for_and_count_what_happens(make_app, site):
    app = make_app()
    client = app.test_client()
    assert client.get("/metrics").status_code == 404  # PLEDGE_METRICS is off by default
    metrics_app = make_app(PLEDGE_METRICS=True, PLEDGE_METRICS_TOKEN=TOKEN)
    scrape = metrics_app.test_client()
    assert scrape.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 404
    assert scrape.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 404  # via a proxy
    assert scrape.get("/metrics", environ_base={"REMOTE_ADDR": "::ffff:127.0.0.1"}).status_code == 200
    assert scrape.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"},
                      environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    before = samples(scrape.get("/metrics").get_data(as_text=True))
    state(metrics_app).store.add_site("Coop", ["https://coop.example"], "web@coop.example", "4p1000", key="coopkey")
    metrics_client = metrics_app.test_client()
    from conftest import post_sign_on

    post_sign_on(metrics_client, "coopkey", "amina@coop.example")
    post_sign_on(metrics_client, "coopkey", "amina+again@coop.example")  # held: the same mailbox, 3 a day
    post_sign_on(metrics_client, "coopkey", "amina+3@coop.example")
    post_sign_on(metrics_client, "coopkey", "amina+4@coop.example")
    after = samples(scrape.get("/metrics").get_data(as_text=True))
    moved = Counter({labels: n - before.get((name, labels), 0) for (name, labels), n in after.items()
                     if name == "pledge_signons_total"})
    assert moved[(("campaign", "4p1000"), ("outcome", "pending"), ("reason", ""))] == 3
    assert moved[(("campaign", "4p1000"), ("outcome", "held"), ("reason", "email_per_day"))] == 1
