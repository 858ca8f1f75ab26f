"""Issue 18's attacks on caches and request bodies, against gunicorn and through the nginx template in
front of it (the set-up of tests/test_nginx.py, started once more for this module).

- An unknown filter's empty list, asked by an attacker, never reaches anyone who asked for the whole list,
  whichever worker kept it and whatever nginx keeps (item 5).
- A body sent in chunks is refused past PLEDGE_MAX_REQUEST_BYTES by gunicorn's workers without being read
  into memory, and through nginx by the service (our page) or by nginx itself (item 6).
- The HSTS lines docs/deploy.md gives for the front put the header on every answer, nginx's own included
  (item 8).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from conftest import TOKEN_INPUT, VALID_ANSWERS, free_port, stop, wait_until_up
from test_list import sign
from test_nginx import ENVSUBST, MAIN_CONFIG, NGINX, TEMPLATE
from test_nginx import front  # noqa: F401  (fixture: nginx in front of gunicorn)
from test_request_bodies import LIMIT, form_pieces, send_chunked

from widget.store import open_store

LIST = "/api/v1/campaigns/4p1000/signatories"


def upstream_port(front) -> int:  # noqa: F811
    """gunicorn's own port, behind nginx."""
    args = front.gunicorn.args
    return int(args[args.index("-b") + 1].rsplit(":", 1)[1])


def peak_memory(pids: list[int]) -> dict[int, int]:
    """Each process's peak resident memory so far, in kB."""
    return {pid: int(re.search(r"VmHWM:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1)) for pid in pids}


def test_an_unknown_country_never_empties_the_list_through_nginx(front):  # noqa: F811
    store = open_store(front.database)
    try:
        sign(store, "nginx-1", "Ferme des Quatre Vents", country="FR")
    finally:
        store.close()
    # Each poisoning request is an address of its own for nginx (a parameter the service ignores), and
    # they come at once, so that every gunicorn worker answers some of them.
    with ThreadPoolExecutor(8) as pool:
        poisoned = list(pool.map(lambda n: front.fetch(f"{LIST}?country=ZZ&n={n}", visitor=30 + n % 8), range(16)))
    assert all(json.loads(answer.text)["items"] == [] for answer in poisoned)
    for path in (LIST, f"{LIST}?q=", f"{LIST}?x=1"):
        answers = [front.fetch(path, visitor=40 + n) for n in range(4)]
        for answer in answers:
            assert [item["organization"] for item in json.loads(answer.text)["items"]] == ["Ferme des Quatre Vents"], path


def test_a_chunked_body_of_50_mb_is_refused_by_gunicorn_without_reading_it(front):  # noqa: F811
    workers = front.workers()
    before = peak_memory(workers)
    answer = send_chunked(upstream_port(front), f"/w/{front.site_key}", form_pieces({}, 50 * 2**20),
                          source="127.0.0.50", Accept_Language="fr")
    assert answer.status == 413 and '<html lang="fr"' in answer.text
    grown = max(peak_memory(workers)[pid] - before[pid] for pid in workers)
    assert grown < 16 * 1024, f"a worker's peak memory grew by {grown} kB"
    api = send_chunked(upstream_port(front), f"/api/v1/sites/{front.site_key}/count", form_pieces({}, 2**20),
                       source="127.0.0.51")
    assert api.status == 413 and json.loads(api.body)["error"] == "too_large"


def test_through_nginx_a_chunked_body_gets_our_page_or_nginxs_refusal(front):  # noqa: F811
    """nginx takes chunked bodies up to its client_max_body_size (128 KiB) and passes them on with a
    length: over the service's 64 KiB the visitor gets the service's page in their language; far over,
    nginx refuses it itself."""
    over = send_chunked(front.port, f"/w/{front.site_key}", form_pieces({}, LIMIT + 1), source="127.0.0.52",
                        Accept_Language="fr")
    assert over.status == 413 and '<html lang="fr"' in over.text
    huge = send_chunked(front.port, f"/w/{front.site_key}", form_pieces({}, 5 * 2**20), source="127.0.0.53")
    assert huge.status == 413 and "nginx" in huge.text


def test_a_chunked_sign_on_works_through_nginx_and_straight_to_gunicorn(front):  # noqa: F811
    for n, port in enumerate((front.port, upstream_port(front))):
        page = front.fetch(f"/w/{front.site_key}", visitor=54 + n)
        fields = dict(VALID_ANSWERS, email=f"chunked{n}@ferme.example", form_token=TOKEN_INPUT.search(page.text).group(1))
        answer = send_chunked(port, f"/w/{front.site_key}", form_pieces(fields, LIMIT - 2000), source=f"127.0.0.{56 + n}")
        assert answer.status == 303, answer.text[:2000]
    store = open_store(front.database)
    try:
        stored = {row[0] for row in store.query("SELECT email FROM signons WHERE email LIKE 'chunked%'")}
    finally:
        store.close()
    assert stored == {"chunked0@ferme.example", "chunked1@ferme.example"}


def documented_hsts_lines() -> str:
    """The nginx lines docs/deploy.md gives for HSTS at the front."""
    deploy = (Path(__file__).resolve().parents[1] / "docs" / "deploy.md").read_text()
    return re.search(r"HSTS at the front.*?```nginx\n(.*?)```", deploy, re.S).group(1)


def test_the_documented_hsts_lines_put_the_header_on_every_answer(front, tmp_path):  # noqa: F811
    port = free_port()
    rendered = subprocess.run(
        [ENVSUBST, "${PLEDGE_UPSTREAM} ${PLEDGE_LISTEN} ${PLEDGE_CACHE_DIR}"], input=TEMPLATE.read_text(),
        capture_output=True, text=True, check=True,
        env={"PLEDGE_UPSTREAM": f"127.0.0.1:{upstream_port(front)}", "PLEDGE_LISTEN": f"127.0.0.1:{port}",
             "PLEDGE_CACHE_DIR": str(tmp_path / "cache")},
    ).stdout
    marker = "        add_header X-Cache-Status"
    assert rendered.count(marker) == 1
    (tmp_path / "pledge.conf").write_text(rendered.replace(marker, documented_hsts_lines() + marker))
    (tmp_path / "nginx.conf").write_text(MAIN_CONFIG.format(tmp=tmp_path, user="user root;" if os.geteuid() == 0 else ""))
    nginx = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/robots.txt", nginx, tmp_path / "error.log")
        proxied = send_chunked(port, "/nowhere", form_pieces({}, 10), method="GET", source="127.0.0.60")
        refused = send_chunked(port, f"/w/{front.site_key}", form_pieces({}, 5 * 2**20), source="127.0.0.61")
    finally:
        stop(nginx)
    for answer in (proxied, refused):
        assert answer.headers.get_all("Strict-Transport-Security") == ["max-age=31536000"], answer.status
    assert (proxied.status, refused.status) == (404, 413) and "nginx" in refused.text
