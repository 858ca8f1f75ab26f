"""Webhooks cannot be turned into a port scanner or a way inside: only port 443 and public addresses (IPv6
addresses that embed an IPv4 one judged by it), at most 10 endpoints a site or a campaign, and what a delivery
met told in our words, never in the remote's (no banner, no TLS or socket error text). Real servers on
loopback; only loopback, .example and .invalid names."""
from __future__ import annotations

import ipaddress
import json
import re
import socket
import threading
import time

import pytest
from conftest import deliver, free_port, run_sql
from test_host import sign_in
from test_webhooks import CSRF, Receiver, sign_and_confirm

from widget import webhooks
from widget.appstate import state
from widget.webhooks import MAX_ENDPOINTS, WebhookURLError, check_url, embedded_ipv4

#: IPv6 addresses that carry a loopback or private IPv4 address: 6to4, IPv4-mapped and -compatible, NAT64,
#: Teredo (server 10.0.0.1, client 127.0.0.1).
EMBEDDING = ["2002:7f00:1::", "2002:a00:1::1", "2002:c0a8:101::", "::ffff:10.0.0.1", "::10.0.0.1",
             "64:ff9b::a00:1", "64:ff9b::7f00:1", "2001:0:a00:1::80ff:fffe"]


@pytest.fixture
def site_key(app):
    return state(app).store.add_site("S", ["https://s.example"], "owner@s.example", "4p1000").key


def add(app, *args: str):
    return app.test_cli_runner().invoke(args=["pledge", "webhook", "add", *args])


@pytest.mark.parametrize("address", EMBEDDING)
def test_an_address_embedding_a_private_ipv4_one_is_refused_at_registration(app, site_key, address):
    result = add(app, "--site", site_key, "--url", f"https://[{address}]/hook")
    assert result.exit_code == 2 and "non-public" in result.output, result.output
    assert state(app).store.list_webhooks() == []


def test_the_embedded_ipv4_address_is_found_in_each_kind():
    found = {address: embedded_ipv4(ipaddress.ip_address(address)) for address in EMBEDDING}
    assert ipaddress.ip_address("127.0.0.1") in found["2002:7f00:1::"]
    assert ipaddress.ip_address("10.0.0.1") in found["64:ff9b::a00:1"]
    assert ipaddress.ip_address("127.0.0.1") in found["2001:0:a00:1::80ff:fffe"]  # Teredo's client
    assert embedded_ipv4(ipaddress.ip_address("2001:db8::200:5efe:a00:1")) == [ipaddress.ip_address("10.0.0.1")]
    assert embedded_ipv4(ipaddress.ip_address("2001:db8::1")) == []


def test_an_embedding_address_is_refused_at_delivery_too(app, client, site_key, inbox):
    """Registered by an older version (or while its name pointed elsewhere): refused when delivered,
    and no connection is made."""
    store = state(app).store
    store.add_webhook("https://[2002:7f00:1::]/hook", "whsec_" + "A" * 32, site_key=site_key)
    sign_and_confirm(app, client, store.get_site(site_key), inbox, "sixtofour@example.org")
    deliver(app)
    [(status, error)] = store.query("SELECT last_status, last_error FROM webhook_deliveries")
    assert status is None and error.startswith("refused:") and "non-public" in error


def test_only_port_443_unless_private_addresses_are_allowed(app, site_key, make_app):
    for url in ("https://crm.example:8443/hook", "https://crm.example:80/hook", "https://crm.invalid:22/"):
        result = add(app, "--site", site_key, "--url", url)
        assert result.exit_code == 2 and "443" in result.output, result.output
    with pytest.raises(WebhookURLError, match="443"):
        check_url("https://localhost:8443/", allow_private=False)
    assert check_url("https://localhost:8443/", allow_private=True)[2] == 8443
    assert state(app).store.list_webhooks() == []


def test_the_hosts_page_refuses_another_port(app, client, site_key, inbox):
    site = state(app).store.get_site(site_key)
    sign_in(app, client, inbox, site.owner_email)
    page = client.get(f"/host/sites/{site.key}/webhooks").get_data(as_text=True)
    refused = client.post(f"/host/sites/{site.key}/webhooks",
                          data={"csrf_token": CSRF.search(page).group(1), "url": "https://crm.example:8443/"})
    assert refused.status_code == 400 and "use the standard port (443)" in refused.get_data(as_text=True)
    assert state(app).store.list_webhooks() == []


def test_at_most_ten_endpoints_a_site_and_a_campaign(make_app, inbox):
    app = make_app(PLEDGE_WEBHOOKS_ALLOW_PRIVATE=True)
    store = state(app).store
    site = store.add_site("S", ["https://s.example"], "owner@s.example", "4p1000")
    url = f"http://127.0.0.1:{free_port()}/hook"
    for target in (["--site", site.key], ["--campaign", "4p1000"]):
        for _ in range(MAX_ENDPOINTS):
            assert add(app, *target, "--url", url).exit_code == 0
        refused = add(app, *target, "--url", url)
        assert refused.exit_code == 1 and f"{MAX_ENDPOINTS} webhooks already" in refused.output
    assert len(store.list_webhooks()) == 2 * MAX_ENDPOINTS

    client = app.test_client()
    sign_in(app, client, inbox, site.owner_email)
    page = client.get(f"/host/sites/{site.key}/webhooks").get_data(as_text=True)
    refused = client.post(f"/host/sites/{site.key}/webhooks", data={"csrf_token": CSRF.search(page).group(1), "url": url})
    assert refused.status_code == 400 and f"This site has {MAX_ENDPOINTS} webhooks already" in refused.get_data(as_text=True)
    assert len(store.list_webhooks(site.key)) == MAX_ENDPOINTS


class Listener:
    """A TCP server on loopback that does one thing to every connection (``serve(conn)``)."""

    def __init__(self, serve):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.serve, self.stopped = serve, threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while not self.stopped.is_set():
            try:
                conn, _ = self.socket.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn):
        with conn:
            try:
                self.serve(conn)
            except OSError:
                pass

    def close(self):
        self.stopped.set()
        self.socket.close()


BANNER = b"SSH-2.0-OpenSSH_9.6 secret-banner-of-the-inside\r\n"
BODY = b"db password at 10.1.2.3 leaked"


def banner(conn):
    conn.sendall(BANNER)


def http_500(conn):
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 500 Internal\r\nServer: secret-server/1.2\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY))


def silent(conn):
    conn.recv(65536)
    time.sleep(3)


def test_a_host_is_told_each_outcome_in_our_words_never_the_remotes(make_app, inbox, monkeypatch):
    monkeypatch.setattr(webhooks, "TOTAL_TIMEOUT", 1.0)
    app = make_app(PLEDGE_WEBHOOKS_ALLOW_PRIVATE=True)
    store = state(app).store
    site = store.add_site("S", ["https://s.example"], "owner@s.example", "4p1000")
    receiver = Receiver()  # plain HTTP: spoken to in TLS, it answers nonsense
    listeners = {name: Listener(serve) for name, serve in (("banner", banner), ("500", http_500), ("silent", silent))}
    urls = {
        "connection refused": f"http://127.0.0.1:{free_port()}/hook",
        "not an HTTP answer": f"http://127.0.0.1:{listeners['banner'].port}/hook",
        "HTTP 500": f"http://127.0.0.1:{listeners['500'].port}/hook",
        "timed out": f"http://127.0.0.1:{listeners['silent'].port}/hook",
        "TLS error": f"https://127.0.0.1:{receiver.port}/hook",
    }
    try:
        for url in urls.values():
            assert add(app, "--site", site.key, "--url", url).exit_code == 0
        client = app.test_client()
        sign_and_confirm(app, client, site, inbox, "outcomes@example.org")
        deliver(app)
        errors = dict(store.query("SELECT e.url, d.last_error FROM webhook_deliveries d "
                                  "JOIN webhook_endpoints e ON e.id = d.endpoint_id"))
        assert {words: errors[url] for words, url in urls.items()} == {words: words for words in urls}

        sign_in(app, client, inbox, site.owner_email)
        page = client.get(f"/host/sites/{site.key}/webhooks").get_data(as_text=True)
        for words in urls:
            assert words in page
        listed = app.test_cli_runner().invoke(args=["pledge", "webhook", "list", "--json"]).output
        for text in (page, listed):
            for remote in ("secret-banner", "SSH-2.0", "secret-server", "10.1.2.3", "WRONG_VERSION", "SSL", "Errno"):
                assert remote not in text, remote

        # Three days of failures: the owner's notice names the last error in the same words.
        run_sql(store, "UPDATE webhook_endpoints SET failing_since = ?", [time.time() - 3 * 86400 - 60])
        run_sql(store, "UPDATE webhook_deliveries SET next_attempt_at = 0")
        deliver(app)
        deliver(app)
        notices = [m.get_body(("plain",)).get_content() for m in inbox.wait_for(site.owner_email, count=5)
                   if "switched off" in m["Subject"]]
        assert len(notices) == 5
        assert any("Last error: not an HTTP answer" in notice for notice in notices)
        assert not any(re.search("secret-banner|SSH-2.0|secret-server|Errno", notice) for notice in notices)
        assert json.loads(app.test_cli_runner().invoke(args=["pledge", "webhook", "list", "--json"]).output)
    finally:
        receiver.close()
        for listener in listeners.values():
            listener.close()
