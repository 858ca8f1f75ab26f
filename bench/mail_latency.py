"""What a signatory feels first: the time from a sign-on's answer to the SMTP server accepting its confirmation.

    .venv/bin/python bench/mail_latency.py [--rate 150] [--seconds 20] [--senders in-process,worker:1,worker:2]

A fresh database (SQLite, or a PostgreSQL schema with ``--engine postgresql``) with ten sites; the service under
gunicorn with 2 x cores + 1 workers; an SMTP server
(aiosmtpd, in this process) that notes when each message arrives, by its recipient. Sign-ons are sent at a
steady rate (open loop: each at its own moment, whatever the answers before it; one thread per request in
flight), each with a new address; for each, the time from its 303 answer to its message's arrival. Senders:
``in-process`` (each gunicorn worker's own thread, woken by its sign-ons), or ``worker:N`` (N processes of
``pledge-widget mail worker``, the web process sending nothing). Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from contextlib import ExitStack
from pathlib import Path

import data
from servers import WORKERS, Server, free_port, gunicorn

SECRET = "bench-secret"
POSTGRES_URL = os.environ.get("PLEDGE_TEST_POSTGRESQL", "postgresql://postgres@127.0.0.1:5432/test")
ANSWERS = {"name": "Amina Diallo", "organization": "Coopérative des Sols Vivants", "org_type": "producers_group",
           "country": "SN", "goal": "Raise soil organic carbon on 2,000 ha of member farms.",
           "actions": "Cover crops, agroforestry, training of members.", "timetable": "2026 to 2030",
           "resources": "Two agronomists and a seed fund.", "consent": "y"}
TOKEN_INPUT = re.compile(r'<input[^>]*name="form_token"[^>]*value="([^"]+)"')
TARGET_P99 = 2.0  # seconds (issue 26)


class Arrivals:
    """aiosmtpd's handler: when each recipient's message arrived (time.monotonic())."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook
        now = time.monotonic()
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.at.setdefault(rcpt.lower(), now)
        return "250 Message accepted"


def smtp_server(arrivals: Arrivals):
    from aiosmtpd.controller import Controller

    controller = Controller(arrivals, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller


def env_for(db: data.Database, smtp_port: int, in_process: bool, folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGE_")}
    env.update({"PLEDGE_DATABASE": db.url, "PLEDGE_SECRET_KEY": SECRET, "PLEDGE_RATELIMIT_ENABLED": "false",
                "PLEDGE_MIN_FILL_SECONDS": "0", "PLEDGE_MAIL_IN_PROCESS": "true" if in_process else "false",
                "PLEDGE_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}", "PLEDGE_PROXY_FIX": "1",
                "PLEDGE_DATA_DIR": str(folder / "data"), "PLEDGE_BLOCK_DISPOSABLE": "false"})
    env.update({f"PLEDGE_{name}": "0" for name in ("LIMIT_EMAIL_PER_DAY", "LIMIT_SITE_PER_HOUR", "LIMIT_IP_PER_DAY",
                                                     "MAILS_PER_ADDRESS_PER_DAY")})
    return env


def form_body(port: int, key: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", f"/w/{key}?lang=en")
    page = conn.getresponse().read().decode()
    conn.close()
    return urllib.parse.urlencode({**ANSWERS, "form_token": TOKEN_INPUT.search(page).group(1)})


def sign_on_steadily(port: int, path: str, body: str, run: str, rate: float, seconds: float) -> dict[str, float]:
    """Sign-ons at ``rate`` a second for ``seconds``; ``{address: moment of its 303}``."""
    answered: dict[str, float] = {}
    errors: list[str] = []
    lock = threading.Lock()
    local = threading.local()

    def one(number: int) -> None:
        address = f"{run}-{number}@bench.example"
        try:
            conn = getattr(local, "conn", None) or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            local.conn = conn
            conn.request("POST", path, body + "&email=" + urllib.parse.quote(address),
                         {"Content-Type": "application/x-www-form-urlencoded"})
            answer = conn.getresponse()
            answer.read()
            now = time.monotonic()
            with lock:
                if answer.status == 303:
                    answered[address] = now
                else:
                    errors.append(str(answer.status))
        except Exception as exc:  # noqa: BLE001 - counted, the run goes on
            local.conn = None
            with lock:
                errors.append(type(exc).__name__)

    # A pool of threads, each taking the next sign-on when its moment has come (open loop up to the pool).
    total = int(rate * seconds)
    start = time.monotonic() + 0.2
    counter = iter(range(total))
    counter_lock = threading.Lock()

    def worker() -> None:
        while True:
            with counter_lock:
                number = next(counter, None)
            if number is None:
                return
            delay = start + number / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            one(number)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(64)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    late = time.monotonic() - (start + seconds)
    if errors:
        print(f"    {len(errors)} sign-ons not answered 303: {sorted(set(errors))[:5]}")
    if late > 1:
        print(f"    the load ran {late:.1f} s late: the service answered slower than {rate}/s")
    return answered


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(senders: str, args: argparse.Namespace, folder: Path, arrivals: Arrivals, smtp_port: int) -> str:
    with ExitStack() as stack:
        db = stack.enter_context(data.fresh_database(args.engine, str(folder), POSTGRES_URL))
        db.create(10)
        in_process = senders == "in-process"
        env = env_for(db, smtp_port, in_process, folder)
        if args.code:
            env["PYTHONPATH"] = args.code
        if args.poll is not None:
            env["PLEDGE_MAIL_POLL_SECONDS"] = str(args.poll)
        service = gunicorn(f"service-{senders.replace(':', '')}", "widget:create_app()", env, folder)
        stack.callback(service.stop)
        service.wait_until_up(f"/api/v1/sites/{db.keys[0]}/count")
        if not in_process:
            for n in range(int(senders.split(":")[1])):
                worker = Server(f"mail-worker-{n}", [str(Path(sys.executable).parent / "pledge-widget"), "mail", "worker"],
                                folder / f"mail-worker-{n}.log", 0, env=env, cwd=str(folder))
                stack.callback(worker.stop)
        key = db.keys[1]
        body = form_body(service.port, key)
        run = f"m{int(time.time())}{senders.replace(':', '')}"
        answered = sign_on_steadily(service.port, f"/w/{key}?lang=en", body, run, args.rate, args.seconds)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with arrivals.lock:
                missing = [a for a in answered if a not in arrivals.at]
            if not missing:
                break
            time.sleep(0.5)
        with arrivals.lock:
            latencies = [arrivals.at[a] - t for a, t in answered.items() if a in arrivals.at]
        lost = len(answered) - len(latencies)
        if not latencies:
            return f"{senders}: no mail arrived ({len(answered)} sign-ons answered)"
        p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
        return (f"{senders}: {len(answered):,} sign-ons at {args.rate}/s, mail p50 {p50:.2f} s, p99 {p99:.2f} s, "
                f"max {max(latencies):.2f} s, not arrived after 120 s: {lost} "
                f"(target p99 < {TARGET_P99} s: {'met' if p99 < TARGET_P99 and not lost else 'NOT met'}); "
                f"load average {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=150)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--senders", default="in-process,worker:1,worker:2")
    parser.add_argument("--engine", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--poll", type=float, help="PLEDGE_MAIL_POLL_SECONDS of the senders (default: the service's)")
    parser.add_argument("--code", help="measure the widget package of this checkout instead (a baseline)")
    args = parser.parse_args()
    arrivals = Arrivals()
    with tempfile.TemporaryDirectory(prefix="bench-mail-") as tmp, ExitStack() as stack:
        controller = smtp_server(arrivals)
        stack.callback(controller.stop)
        print(f"gunicorn -w {WORKERS}, {args.engine}, {args.rate}/s for {args.seconds} s, {os.cpu_count()} cores, "
              f"code of {args.code or 'this checkout'}", flush=True)
        for senders in args.senders.split(","):
            print("  " + measure(senders, args, Path(tmp), arrivals, controller.port), flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
