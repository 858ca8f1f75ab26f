"""The host sign-in, as an attacker tries it: a page elsewhere must not sign its visitor into the attacker's
host account (login CSRF), and the answer to "send me a link" must not tell, by its time, which addresses
are hosts when sign-up is closed."""
from __future__ import annotations

import re
import statistics
import time

from conftest import deliver, path_of
from test_host import CSRF, LOGIN_LINK, ask_for_link, press_sign_in

from widget import state
from widget.host import start as host_views

ATTACKER = "attacker-host@example.org"


def attackers_link(app, inbox) -> str:
    """The attacker's own, valid sign-in link (any address may sign up)."""
    ask_for_link(app.test_client(), ATTACKER)
    deliver(app)
    [url] = LOGIN_LINK.findall(inbox.wait_for(ATTACKER)[-1].get_body(("plain",)).get_content())
    return path_of(url)


def test_a_cross_site_post_of_a_sign_in_link_signs_nobody_in(make_app, inbox):
    app = make_app(PLEDGE_RATELIMIT_ENABLED=False)  # one client tries many times here
    path = attackers_link(app, inbox)
    victim = app.test_client()
    victim.get("/host/")  # the victim has a session on the service (its CSRF secret), as a browser would
    for headers in ({"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
                    {"Origin": "https://evil.example"}, {}):
        # The attacker's page cannot read the victim's token: its form sends none, or one of its own.
        for data in ({}, {"csrf_token": "forged"}):
            assert victim.post(path, data=data, headers=headers).status_code == 400, headers
    assert "Send me a link" in victim.get("/host/").get_data(as_text=True)  # signed in as nobody
    assert state(app).store.get_host(ATTACKER) is None  # and the link was not used up
    # The link's own page and its button still sign the attacker in, on the attacker's own browser.
    assert press_sign_in(app.test_client(), path).status_code == 303


def spread(times: list[float]) -> float:
    """The median absolute deviation: how far a time typically strays from the median, spikes aside."""
    middle = statistics.median(times)
    return statistics.median(abs(t - middle) for t in times)


def test_the_sign_in_answer_takes_the_same_time_for_a_host_and_a_stranger(make_app, site, monkeypatch):
    """With sign-up closed, a host's address gets a mail and a stranger's nothing: the answer must not say
    which by its time. Timed in turns, many times over; the shared floor is shortened for the test (the same
    code whatever its value). Today's answers without the floor take longer for the host (its link's row and
    its mail) in nearly every pair, and the medians differ by many times the times' own spread."""
    app = make_app(PLEDGE_HOST_SIGNUP="closed", PLEDGE_HOST_LINKS_PER_HOUR=1000,
                   PLEDGE_MAILS_PER_ADDRESS_PER_DAY=0, PLEDGE_RATELIMIT_ENABLED=False)
    monkeypatch.setattr(host_views, "ANSWER_SECONDS", 0.05)
    client = app.test_client()
    token = CSRF.search(client.get("/host/").get_data(as_text=True)).group(1)
    addresses = {"host": "webmaster@lycee.example", "stranger": "stranger@example.org"}
    took: dict[str, list[float]] = {"host": [], "stranger": []}
    answers: dict[str, set[str]] = {"host": set(), "stranger": set()}
    tokens = re.compile(r'value="[^"]+"')
    turns = 40
    for turn in range(turns):
        for who in (("host", "stranger") if turn % 2 else ("stranger", "host")):
            started = time.perf_counter()
            answer = client.post("/host/", data={"email": addresses[who], "csrf_token": token})
            took[who].append(time.perf_counter() - started)
            assert answer.status_code == 200
            answers[who].add(tokens.sub("", answer.get_data(as_text=True)))
    assert state(app).store.recent_host_logins(addresses["host"], 3600) == turns  # a link each time for the host
    assert answers["host"] == answers["stranger"] and len(answers["host"]) == 1  # the same bytes, tokens aside
    # How often a host's answer came later than a stranger's: about half the time when time tells nothing
    # (a rank test, as Mann-Whitney's: 0.25 and 0.75 are about four standard deviations from a half).
    later = sum((h > s) + (h == s) / 2 for h in took["host"] for s in took["stranger"]) / turns**2
    host_median, stranger_median = statistics.median(took["host"]), statistics.median(took["stranger"])
    summary = f"host later in {later:.0%} of pairs; medians {host_median * 1000:.1f} ms, {stranger_median * 1000:.1f} ms"
    assert 0.25 < later < 0.75, summary
    tolerance = 0.0005 + 2 * statistics.mean([spread(took["host"]), spread(took["stranger"])])
    assert abs(host_median - stranger_median) < tolerance, f"{summary}, tolerance {tolerance * 1000:.1f} ms"
    assert min(took["stranger"]) >= 0.05  # the floor holds for the stranger too
