"""What a load balancer sees: ``/healthz`` while the process serves, ``/readyz`` 200 or 503 with a JSON reason
(the database out of reach, behind on migrations, the mail queue stuck), never cached, never rate-limited."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from flask import Flask

from conftest import free_port, run_sql, stop, wait_until_up
from widget import PledgeWidget, state
from widget.store.schema import MIGRATIONS


class TCPProxy:
    """A relay on loopback in front of the machine's PostgreSQL: :meth:`close` puts the database out of reach
    of whoever talks through it (its connections cut, new ones refused), :meth:`open` brings it back. The
    shared server itself is never touched."""

    def __init__(self, target: tuple[str, int] = ("127.0.0.1", 5432)):
        self.target = target
        self.port = free_port()
        self.sockets: list[socket.socket] = []
        self.open()

    def open(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR: the same port again
        self.listener.settimeout(0.1)
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        listener = self.listener
        while self.running:
            try:
                client, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        self.running = False
        self.listener.close()
        for end in self.sockets:
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()
        self.sockets = []


def get(url: str) -> tuple[int, dict, str]:
    """``(status, headers, body)`` of a GET, whatever the status."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def test_readyz_flips_to_503_while_postgresql_is_out_of_reach_and_back(tmp_path, postgres_url):
    """gunicorn on a PostgreSQL reached through a relay: the relay goes away (connections cut, new ones
    refused) and the load balancer's probe gets 503 with a JSON reason within seconds, while /healthz stays 200;
    the relay comes back and so does the 200."""
    proxy = TCPProxy()
    database = postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    assert database != postgres_url
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGE_")}
    env.update(PLEDGE_DATABASE=database, PLEDGE_SECRET_KEY="k", PLEDGE_MAIL_IN_PROCESS="false")
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}",
                                   "widget:create_app()"], env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", server, log)
        status, headers, body = get(f"{base}/readyz")
        assert status == 200, body
        assert json.loads(body)["status"] == "ready" and headers["Cache-Control"] == "no-store"

        proxy.close()
        started = time.monotonic()
        status, headers, body = get(f"{base}/readyz")
        assert status == 503, body
        assert time.monotonic() - started < 5  # under a load balancer's time-out
        assert headers["Content-Type"] == "application/json" and headers["Cache-Control"] == "no-store"
        answer = json.loads(body)
        assert answer["status"] == "unavailable" and answer["reason"] == "database out of reach"
        assert "5432" not in body and str(proxy.port) not in body  # no address of the database
        assert get(f"{base}/healthz")[0] == 200  # alive: the process is fine, the database is not

        proxy.open()
        deadline = time.monotonic() + 30
        while (status := get(f"{base}/readyz")[0]) != 200:
            assert time.monotonic() < deadline, "/readyz stayed 503 after the database came back"
            time.sleep(0.2)
    finally:
        stop(server)
        proxy.close()


def test_readyz_says_why_a_node_is_not_ready(make_app):
    """Behind on migrations, or an e-mail that has waited too long for its first attempt: 503 and why. An
    e-mail retried after a failure (one address's slow server) does not count."""
    app = make_app(PLEDGE_READY_MAIL_SECONDS=600)
    store = state(app).store
    client = app.test_client()
    assert client.get("/readyz").json == {"status": "ready", "checks": {
        "database": "ok", "migrations": f"{len(MIGRATIONS)} of {len(MIGRATIONS)}", "mail_queue": "ok"}}

    run_sql(store, "INSERT INTO outbox (to_addr, subject, text_body, html_body, created_at, attempts, "
                   "next_attempt_at) VALUES ('slow@coop.example', 's', 't', 'h', ?, 3, ?)",
            [time.time() - 7200, time.time() + 60])
    assert client.get("/readyz").status_code == 200  # retrying: not stuck
    run_sql(store, "INSERT INTO outbox (to_addr, subject, text_body, html_body, created_at, attempts, "
                   "next_attempt_at) VALUES ('new@coop.example', 's', 't', 'h', ?, 0, ?)",
            [time.time() - 700, time.time() - 700])
    answer = client.get("/readyz")
    assert answer.status_code == 503 and "mail queue stuck" in answer.json["reason"]
    assert answer.json["checks"]["mail_queue"].startswith("stuck")

    app.config["PLEDGE_READY_MAIL_SECONDS"] = 0  # not checked
    assert client.get("/readyz").status_code == 200
    run_sql(store, "DELETE FROM schema_migrations WHERE version = ?", [len(MIGRATIONS)])
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json["reason"] == f"database schema behind: migration {len(MIGRATIONS) - 1} of {len(MIGRATIONS)}"


@pytest.mark.parametrize("fast_path", [True, False])
def test_health_answers_are_never_kept_nor_limited_with_or_without_the_fast_path(app_database, tmp_path, fast_path):
    """Inside a host app (no fast path, the views answer) and standalone (the fast path answers): the same
    answers, no-store, with our headers, under the prefix; fifty probes in a row under tight rate limits all
    get through."""
    host = Flask("host", instance_path=str(tmp_path))
    host.config.update(PLEDGE_DATABASE=app_database, SECRET_KEY="k", PLEDGE_URL_PREFIX="/pledge",
                       PLEDGE_FAST_PATH=fast_path, PLEDGE_RATELIMIT_SIGNON="1 per minute",
                       PLEDGE_RATELIMIT_SEARCH="1 per minute", PLEDGE_MAIL_IN_PROCESS=False)
    PledgeWidget(host)
    client = host.test_client()
    try:
        for _ in range(50):
            alive, ready = client.get("/pledge/healthz"), client.get("/pledge/readyz")
            assert (alive.status_code, alive.data, ready.status_code) == (200, b"ok\n", 200)
        for answer in (alive, ready, client.head("/pledge/readyz")):
            assert answer.headers["Cache-Control"] == "no-store"
            assert answer.headers["X-Content-Type-Options"] == "nosniff"
            assert len(answer.headers["X-Request-ID"]) == 32
        assert client.get("/healthz").status_code == 404  # our addresses live under the prefix
    finally:
        state(host).store.close()


@pytest.mark.parametrize("fast_path", [True, False])
def test_a_load_balancer_asking_by_its_own_address_gets_its_answers(make_app, fast_path):
    """Only the service's own hosts are answered (a link is built on the host), but a probe names the node's
    address: /healthz and /readyz answer it, whichever layer answers them."""
    app = make_app(PLEDGE_TRUSTED_HOSTS="pledge.example", PLEDGE_FAST_PATH=fast_path)
    client = app.test_client()
    node = {"Host": "10.0.0.11:8000"}
    assert client.get("/host/", headers=node).status_code == 400
    assert client.get("/healthz", headers=node).status_code == 200
    assert client.get("/readyz", headers=node).status_code == 200
