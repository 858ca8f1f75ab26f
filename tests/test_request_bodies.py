"""Bodies over ``PLEDGE_MAX_REQUEST_BYTES`` are refused however they are sent (issue 18, item 6).

The limit was compared with ``Content-Length`` only: a body sent in chunks says no length, and a chunked
50 MB sign-on was read whole into a worker's memory. Here bodies go over real HTTP, in chunks, to the
development server (gunicorn and nginx: tests/test_nginx_edges.py); the answer is our 413 page in the
visitor's language (JSON under /api/), and a chunked body within the limit still signs on.
"""
from __future__ import annotations

import http.client
import re
import socket
import threading
import urllib.parse
from dataclasses import dataclass
from typing import Iterator

import pytest
from conftest import TOKEN_INPUT, VALID_ANSWERS, ServerThread

from widget import state

LIMIT = 64 * 1024  # PLEDGE_MAX_REQUEST_BYTES, left at its default
PIECE = 64 * 1024


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


def form_pieces(fields: dict[str, str], size: int = 0) -> Iterator[bytes]:
    """``fields`` form-encoded, then a ``goal`` answer that makes the body ``size`` bytes long, in pieces."""
    encoded = urllib.parse.urlencode(fields).encode()
    yield encoded
    padding = size - len(encoded) - len(b"&goal=")
    if padding > 0:
        yield b"&goal="
        block = b"x" * PIECE
        while padding > 0:
            yield block[:padding]
            padding -= PIECE


def send_chunked(port: int, path: str, pieces: Iterator[bytes], method: str = "POST", source: str = "127.0.0.1",
                 timeout: float = 60, **headers: str) -> Answer:
    """A POST whose body goes in chunks (Transfer-Encoding: chunked, no Content-Length), over a raw
    connection; the answer is read while the body is still being sent (a server may answer and close
    before reading it all). ``headers`` with underscores for dashes."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0))
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Transfer-Encoding: chunked",
             "Content-Type: application/x-www-form-urlencoded", "Accept-Encoding: identity", "Connection: close",
             *(f"{name.replace('_', '-')}: {value}" for name, value in headers.items())]

    def send() -> None:
        try:
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            for piece in filter(None, pieces):  # an empty chunk would end the body
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            sock.sendall(b"0\r\n\r\n")
        except OSError:  # the server answered and closed before taking it all: what we test for
            pass

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        response = http.client.HTTPResponse(sock)
        response.begin()
        return Answer(response.status, response.headers, response.read())
    finally:
        try:
            sock.shutdown(socket.SHUT_RDWR)  # wakes the sender if it still waits to send
        except OSError:
            pass
        sock.close()
        sender.join(timeout)


@pytest.fixture
def served(make_app):
    """The standalone service (with a desk) over real HTTP, and one site."""
    app = make_app(TESTING=False, PLEDGE_ADMINS="boss@example.org", PLEDGE_CACHE_SECONDS=5)
    site = state(app).store.add_site("Lycée", ["https://lycee.example"], "w@lycee.example", "4p1000")
    server = ServerThread(app)
    yield app, server.port, site.key
    server.stop()


def test_a_chunked_body_over_the_limit_gets_our_page_in_the_visitors_language(served):
    app, port, key = served
    answer = send_chunked(port, f"/w/{key}", form_pieces({}, 5 * 2**20), Accept_Language="fr")
    assert answer.status == 413 and '<html lang="fr"' in answer.text
    assert state(app).store.outbox_stats()["queued"] == 0


@pytest.mark.parametrize("method, path", [("POST", "/host/"), ("POST", "/admin/login"), ("POST", "/confirm/x"),
                                          ("GET", "/c/4p1000/signatories")])
def test_every_route_refuses_a_chunked_body_over_the_limit_and_takes_one_that_fills_it(served, method, path):
    _app, port, _key = served
    assert send_chunked(port, path, form_pieces({}, LIMIT + 1), method=method).status == 413
    assert send_chunked(port, path, form_pieces({}, LIMIT), method=method).status != 413


def test_the_api_refuses_one_in_json(served):
    _app, port, key = served
    answer = send_chunked(port, f"/api/v1/sites/{key}/count", form_pieces({}, 2 * 2**20))
    assert answer.status == 413 and answer.headers["Content-Type"] == "application/json"


def test_a_read_with_a_body_goes_past_the_fast_path_and_is_refused(served):
    _app, port, key = served
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", f"/w/{key}")
    assert connection.getresponse().read() and connection.close() is None  # now kept: the fast path has it
    assert send_chunked(port, f"/w/{key}", form_pieces({}, LIMIT + 1), method="GET").status == 413


def test_a_chunked_sign_on_within_the_limit_signs_on(served):
    app, port, key = served
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", f"/w/{key}")
    token = TOKEN_INPUT.search(connection.getresponse().read().decode()).group(1)
    connection.close()
    fields = dict(VALID_ANSWERS, email="chunked@ferme.example", form_token=token)
    answer = send_chunked(port, f"/w/{key}", form_pieces(fields, LIMIT - 1000))
    assert answer.status == 303, answer.text[:2000]
    assert re.search(r"/w/[^/]+/sent", answer.headers["Location"])
    assert state(app).store.outbox_stats()["queued"] == 1


def test_flasks_own_limit_is_ours_in_the_standalone_service(make_app):
    assert make_app(PLEDGE_MAX_REQUEST_BYTES=10_000).config["MAX_CONTENT_LENGTH"] == 10_000
