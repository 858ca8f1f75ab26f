"""Webhooks end to end: a real HTTP receiver on loopback verifies every delivery's Standard Webhooks
signature; retries keep their webhook-id; redirects are failures; private addresses are refused at
registration and at delivery time; 3 days of failures switch an endpoint off and mail its owner."""
from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import deliver, links, path_of, post_sign_on, run_sql
from standardwebhooks import Webhook
from test_host import sign_in

from widget.appstate import state
from widget.webhooks import WebhookURLError, check_url

pytestmark = pytest.mark.both_engines


class Receiver:
    """An HTTP server on 127.0.0.1 that records each request and answers from a script of statuses."""

    def __init__(self):
        self.requests: list[tuple[dict[str, str], bytes, str]] = []
        self.answers: list[int] = []  # statuses to give first; then 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body, self.path))
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", f"http://127.0.0.1:{receiver.port}/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def verified(self, secret: str) -> list[tuple[dict, dict]]:
        """Every request's headers and body, each signature checked with the standardwebhooks library."""
        return [(headers, Webhook(secret).verify(body, headers)) for headers, body, _path in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def app(make_app):
    return make_app(PLEDGE_WEBHOOKS_ALLOW_PRIVATE=True)


def add_hook(runner, *args: str) -> dict:
    result = runner.invoke(args=["pledge", "webhook", "add", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def sign_and_confirm(app, client, site, inbox, address: str, **answers):
    post_sign_on(client, site.key, address, **answers)
    deliver(app)
    mail = inbox.wait_for(address)[-1]
    assert client.post(path_of(links(mail)[0])).status_code == 200
    return mail


def test_a_confirmation_is_delivered_signed_without_contact_details(app, client, site, inbox, runner, receiver):
    hook = add_hook(runner, "--site", site.key, "--url", receiver.url())
    assert hook["secret"].startswith("whsec_")
    sign_and_confirm(app, client, site, inbox, "nocontact@example.org")
    deliver(app)
    [(headers, body)] = receiver.verified(hook["secret"])
    assert headers["webhook-id"].startswith("msg_")
    assert body["type"] == "signon.confirmed"
    data = body["data"]
    assert (data["campaign"], data["site"], data["org_type"], data["country"]) == (
        "4p1000", site.key, "producers_group", "SN")
    assert data["organization"] == "Coopérative des Sols Vivants" and data["signed_at"].endswith("Z")
    assert "email" not in data and "name" not in data
    assert "nocontact@example.org" not in receiver.requests[0][1].decode()


def test_contact_details_travel_with_consent_and_a_withdrawal_follows(app, client, site, inbox, runner, receiver):
    hook = add_hook(runner, "--campaign", "4p1000", "--url", receiver.url())
    mail = sign_and_confirm(app, client, site, inbox, "contact@example.org", contact_consent="y")
    deliver(app)
    client.post(path_of(links(mail, "withdraw")[0]))
    deliver(app)
    [(_, confirmed), (_, withdrawn)] = receiver.verified(hook["secret"])
    assert confirmed["data"]["email"] == "contact@example.org" and confirmed["data"]["name"] == "Amina Diallo"
    assert withdrawn["type"] == "signon.withdrawn" and withdrawn["data"]["id"] == confirmed["data"]["id"]


def test_a_500_is_retried_later_with_the_same_webhook_id(app, client, site, inbox, runner, receiver):
    hook = add_hook(runner, "--site", site.key, "--url", receiver.url())
    receiver.answers = [500]
    sign_and_confirm(app, client, site, inbox, "retry@example.org")
    deliver(app)
    deliver(app)  # not due again yet: no second request
    assert len(receiver.requests) == 1
    store = state(app).store
    assert store.list_webhooks()[0].failing_since is not None
    run_sql(store, "UPDATE webhook_deliveries SET next_attempt_at = 0")  # the clock moves past the back-off
    deliver(app)
    [(first, body1), (second, body2)] = receiver.verified(hook["secret"])
    assert first["webhook-id"] == second["webhook-id"] and body1 == body2
    assert store.list_webhooks()[0].failing_since is None
    listed = json.loads(runner.invoke(args=["pledge", "webhook", "list", "--json"]).output)
    assert listed[0]["status"] == "active" and listed[0]["last_delivery"]["status"] == 200


def test_a_redirect_is_not_followed_and_counts_as_a_failure(app, client, site, inbox, runner, receiver):
    add_hook(runner, "--site", site.key, "--url", receiver.url())
    receiver.answers = [302]
    sign_and_confirm(app, client, site, inbox, "redirect@example.org")
    deliver(app)
    assert [path for _h, _b, path in receiver.requests] == ["/hook"]  # /elsewhere never asked
    status, error, delivered = state(app).store.query(
        "SELECT last_status, last_error, delivered_at FROM webhook_deliveries")[0]
    assert status == 302 and "redirect" in error and delivered is None


@pytest.mark.parametrize("url", ["https://127.0.0.1/hook", "https://localhost/hook", "https://10.1.2.3/",
                                 "https://169.254.169.254/latest/meta-data", "https://[::1]/", "https://[fd00:ec2::254]/",
                                 "https://0.0.0.0/", "https://[::ffff:127.0.0.1]/", "http://crm.example.org/", "ftp://x/"])
def test_private_and_metadata_urls_are_refused_at_registration(make_app, site_key_of, url):
    app = make_app()  # PLEDGE_WEBHOOKS_ALLOW_PRIVATE off
    runner = app.test_cli_runner()
    result = runner.invoke(args=["pledge", "webhook", "add", "--site", site_key_of(app), "--url", url])
    assert result.exit_code == 2 and "--url" in result.output
    assert state(app).store.list_webhooks() == []


@pytest.fixture
def site_key_of():
    return lambda app: state(app).store.add_site("S", ["https://s.example"], "owner@s.example", "4p1000").key


def test_check_url_refuses_what_resolves_to_a_private_address():
    with pytest.raises(WebhookURLError, match="127.0.0.1"):
        check_url("https://localhost/", allow_private=False)
    assert check_url("http://localhost:8080/x", allow_private=True)[2] == 8080


def test_delivery_time_check_refuses_a_name_that_now_resolves_to_loopback(make_app, client, inbox, receiver, site_key_of):
    # Registered while the name was public (here: while private addresses were allowed); since then its DNS
    # answer changed to 127.0.0.1. The delivery is refused and no connection is made.
    app = make_app()
    client = app.test_client()
    key = site_key_of(app)
    store = state(app).store
    store.add_webhook(f"https://localhost:{receiver.port}/hook", "whsec_" + "A" * 32, site_key=key)
    site = store.get_site(key)
    sign_and_confirm(app, client, site, inbox, "rebind@example.org")
    deliver(app)
    assert receiver.requests == []
    status, error = store.query("SELECT last_status, last_error FROM webhook_deliveries")[0]
    assert status is None and error.startswith("refused:") and "127.0.0.1" in error


def test_three_days_of_failures_switch_the_endpoint_off_and_mail_its_owner(app, client, site, inbox, runner, receiver):
    add_hook(runner, "--site", site.key, "--url", receiver.url())
    receiver.answers = [503, 503]
    sign_and_confirm(app, client, site, inbox, "failing@example.org")
    deliver(app)
    store = state(app).store
    run_sql(store, "UPDATE webhook_endpoints SET failing_since = ?", [time.time() - 3 * 86400 - 60])
    run_sql(store, "UPDATE webhook_deliveries SET next_attempt_at = 0")
    deliver(app)  # the failure that makes 3 days: switched off, owner's mail queued
    deliver(app)  # ...and sent
    [endpoint] = store.list_webhooks()
    assert endpoint.disabled_at is not None and "503" in endpoint.disabled_reason
    [notice] = inbox.wait_for(site.owner_email)[-1:]
    assert "switched off" in notice["Subject"] and receiver.url() in notice.get_body(("plain",)).get_content()
    listed = runner.invoke(args=["pledge", "webhook", "list"]).output
    assert "disabled" in listed and "503" in listed
    run_sql(store, "UPDATE webhook_deliveries SET next_attempt_at = 0")
    deliver(app)
    assert len(receiver.requests) == 2  # nothing more goes to a switched-off endpoint


def test_cli_add_list_remove(app, runner, site, receiver):
    by_site = add_hook(runner, "--site", site.key, "--url", receiver.url())
    by_campaign = add_hook(runner, "--campaign", "4p1000", "--url", receiver.url("/all"))
    listed = json.loads(runner.invoke(args=["pledge", "webhook", "list", "--json"]).output)
    assert [(r["id"], r["target"], r["status"]) for r in listed] == [
        (by_site["id"], f"site:{site.key}", "active"), (by_campaign["id"], "campaign:4p1000", "active")]
    assert all("secret" not in json.dumps(r) and by_site["secret"] not in json.dumps(r) for r in listed)
    plain = runner.invoke(args=["pledge", "webhook", "add", "--site", site.key, "--url", receiver.url()])
    assert plain.exit_code == 0 and "whsec_" in plain.output
    assert runner.invoke(args=["pledge", "webhook", "add", "--url", receiver.url()]).exit_code == 2
    assert runner.invoke(args=["pledge", "webhook", "add", "--site", "nope", "--url", receiver.url()]).exit_code == 2
    assert runner.invoke(args=["pledge", "webhook", "add", "--campaign", "nope", "--url", receiver.url()]).exit_code == 2
    removed = runner.invoke(args=["pledge", "webhook", "remove", str(by_site["id"])])
    assert removed.exit_code == 0
    assert runner.invoke(args=["pledge", "webhook", "remove", str(by_site["id"])]).exit_code == 1
    assert len(json.loads(runner.invoke(args=["pledge", "webhook", "list", "--json"]).output)) == 2


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SECRET = re.compile(r'<code class="webhook-secret">(whsec_[^<]+)</code>')


def test_a_host_registers_a_webhook_on_its_dashboard_and_sees_its_deliveries(app, client, site, inbox, receiver):
    sign_in(app, client, inbox, site.owner_email)
    dashboard = client.get(f"/host/sites/{site.key}").get_data(as_text=True)
    assert f"/host/sites/{site.key}/webhooks" in dashboard
    page = client.get(f"/host/sites/{site.key}/webhooks").get_data(as_text=True)
    added = client.post(f"/host/sites/{site.key}/webhooks",
                        data={"csrf_token": CSRF.search(page).group(1), "url": receiver.url()})
    assert added.status_code == 200
    secret = SECRET.search(added.get_data(as_text=True)).group(1)
    sign_and_confirm(app, client, site, inbox, "dashboard@example.org")
    deliver(app)
    [(_, body)] = receiver.verified(secret)
    assert body["data"]["site"] == site.key
    page = client.get(f"/host/sites/{site.key}/webhooks").get_data(as_text=True)
    assert "signon.confirmed" in page and "Delivered" in page and secret not in page  # the secret: shown once
    [endpoint] = state(app).store.list_webhooks()
    assert endpoint.owner_email == site.owner_email
    removed = client.post(f"/host/sites/{site.key}/webhooks",
                          data={"csrf_token": CSRF.search(page).group(1), "remove": str(endpoint.id)})
    assert removed.status_code == 303 and state(app).store.list_webhooks() == []


def test_the_dashboard_refuses_a_private_url_and_other_hosts_get_404(make_app, inbox, site_key_of):
    app = make_app()  # private addresses not allowed
    client = app.test_client()
    site = state(app).store.get_site(site_key_of(app))
    sign_in(app, client, inbox, site.owner_email)
    page = client.get(f"/host/sites/{site.key}/webhooks").get_data(as_text=True)
    refused = client.post(f"/host/sites/{site.key}/webhooks",
                          data={"csrf_token": CSRF.search(page).group(1), "url": "https://127.0.0.1/hook"})
    assert refused.status_code == 400 and 'aria-invalid="true"' in refused.get_data(as_text=True)
    assert client.post(f"/host/sites/{site.key}/webhooks", data={"url": "https://crm.example.org/"}).status_code == 400
    assert state(app).store.list_webhooks() == []
    assert app.test_client().get(f"/host/sites/{site.key}/webhooks").status_code == 404


def test_a_receiver_that_trickles_its_answer_is_cut_off(monkeypatch):
    import socket as sockets

    from widget import webhooks

    monkeypatch.setattr(webhooks, "TOTAL_TIMEOUT", 1.0)
    listener = sockets.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def trickle():
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        while not stop.wait(0.2):  # a header byte now and then, each well within the read time-out
            try:
                conn.sendall(b"X")
            except OSError:
                return
        conn.close()

    threading.Thread(target=trickle, daemon=True).start()
    started = time.monotonic()
    try:
        with pytest.raises(webhooks.DeliveryFailed):
            webhooks.post(f"http://127.0.0.1:{listener.getsockname()[1]}/", b"{}", {}, allow_private=True)
        assert time.monotonic() - started < 3
    finally:
        stop.set()
        listener.close()
