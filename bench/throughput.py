"""Requests per second under gunicorn on one SQLite file: widget loads, count reads and sign-ons.

    python3 bench/throughput.py --workers 4 --seconds 10 --clients 16
"""
from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter

ANSWERS = {"name": "Bench", "organization": "Bench Org", "org_type": "company", "country": "FR", "goal": "g",
           "actions": "a", "timetable": "t", "consent": "y"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hammer(name: str, make_request, seconds: float, clients: int) -> None:
    codes: Counter = Counter()
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    latencies: list[float] = []

    def loop(worker: int) -> None:
        n = 0
        while time.monotonic() < stop:
            n += 1
            start = time.perf_counter()
            try:
                code = urllib.request.urlopen(make_request(worker, n), timeout=30).status
            except urllib.error.HTTPError as exc:
                code = exc.code
            with lock:
                codes[code] += 1
                latencies.append(time.perf_counter() - start)

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    total = sum(codes.values())
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[int(len(latencies) * 0.99)] * 1000
    print(f"{name:<18} {total / seconds:8.0f} req/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   {dict(codes)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGE_")}
        env.update({"PLEDGE_DATABASE": f"sqlite:///{folder}/bench.db", "PLEDGE_SECRET_KEY": "bench",
                    "PLEDGE_RATELIMIT_ENABLED": "false", "PLEDGE_MIN_FILL_SECONDS": "0",
                    "PLEDGE_LIMIT_EMAIL_PER_DAY": "0", "PLEDGE_LIMIT_SITE_PER_HOUR": "0",
                    "PLEDGE_LIMIT_IP_PER_DAY": "0", "PLEDGE_MAILS_PER_ADDRESS_PER_DAY": "0",
                    "PLEDGE_MAIL_IN_PROCESS": "false"})
        cli = [sys.executable, "-c", "from widget.cli import main; main()"]
        added = subprocess.run(cli + ["site", "add", "--name", "Bench", "--origin", "https://host.example",
                                      "--email", "b@host.example", "--json"],
                               env=env, check=True, capture_output=True, text=True)
        key = json.loads(added.stdout)["key"]
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(args.workers), "-b",
                                   f"127.0.0.1:{port}", "widget:create_app()"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    page = urllib.request.urlopen(f"{base}/w/{key}").read().decode()
                    break
                except OSError:
                    time.sleep(0.2)
            token = re.search(r'name="form_token"[^>]*value="([^"]+)"', page).group(1)
            print(f"gunicorn -w {args.workers}, {args.clients} clients, {args.seconds:.0f} s each, SQLite synchronous=FULL")
            hammer("widget GET", lambda w, n: f"{base}/w/{key}", args.seconds, args.clients)
            hammer("count API GET", lambda w, n: f"{base}/api/v1/sites/{key}/count", args.seconds, args.clients)

            def sign_on(worker: int, n: int) -> urllib.request.Request:
                data = dict(ANSWERS, email=f"b{worker}-{n}-{time.monotonic_ns()}@example.org", form_token=token)
                return urllib.request.Request(f"{base}/w/{key}", data=urllib.parse.urlencode(data).encode())

            hammer("sign-on POST", sign_on, args.seconds, args.clients)
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
