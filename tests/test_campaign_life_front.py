"""A campaign's life behind the production front (issue 22): gunicorn with two workers behind nginx. A pause
made by the command line (another process) stops sign-ons on every worker at once; the versioned loader
is served from nginx's cache, for a year."""
from __future__ import annotations

import re
import subprocess
import sys

from test_concurrency import environment
from test_nginx import WORKERS, front  # noqa: F401  (a fixture: its own instance for this module)
from widget.store import open_store

TOKEN = re.compile(r'name="form_token"[^>]*value="([^"]+)"')


def command(front, *args: str) -> str:  # noqa: F811
    run = subprocess.run([sys.executable, "-c", "from widget.console import main; main()", *args],
                         env=environment(front.database), capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return run.stdout


def stored(front) -> int:  # noqa: F811
    """The sign-ons of this test in the database."""
    store = open_store(front.database)
    try:
        return store.query("SELECT COUNT(*) FROM signons WHERE email LIKE 'worker%'")[0][0]
    finally:
        store.close()


def sign_on(front, token: str, n: int):  # noqa: F811
    """A sign-on through nginx, each from its own visitor address (the front's rate limit is per client)."""
    return front.fetch(f"/w/{front.site_key}", method="POST", visitor=10 + n, data={
        "form_token": token, "email": f"worker{n}@example.org", "name": "Ada", "organization": "Org",
        "org_type": "company", "country": "FR", "goal": "g", "actions": "a", "timetable": "t", "consent": "y"})


def test_a_pause_stops_sign_ons_on_every_worker_at_once(front):  # noqa: F811
    assert len(front.workers()) == WORKERS
    token = TOKEN.search(front.fetch(f"/w/{front.site_key}?hl=en", visitor=3).text).group(1)
    assert "paused" in command(front, "campaign", "pause", "4p1000")
    try:
        # More POSTs than workers: whichever worker takes each one, none is accepted, none waits for its
        # worker's next look at the campaigns.
        answers = [sign_on(front, token, n) for n in range(3 * WORKERS)]
        assert [a.status for a in answers] == [410] * (3 * WORKERS)
        assert all("Signing is paused" in a.text for a in answers)
        assert stored(front) == 0
    finally:
        command(front, "campaign", "resume", "4p1000")
    assert sign_on(front, token, 99).status == 303 and stored(front) == 1  # open again: accepted


def test_the_versioned_loader_comes_from_the_cache_for_a_year(front):  # noqa: F811
    latest = front.fetch("/embed.js")
    first, second = front.fetch("/embed/v1.js"), front.fetch("/embed/v1.js")
    assert first.status == second.status == 200 and second.cache == "HIT"
    assert second.body == latest.body
    assert second.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert second.headers["Access-Control-Allow-Origin"] == "*"
