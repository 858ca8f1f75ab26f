"""Nothing people typed reaches the operator's terminal unescaped: escape sequences, other C0 and C1 controls,
bidirectional overrides and line separators in site names, origins, organisations, addresses, webhook URLs
and servers' answers are printed as \\u001b... by every command (and its JSON stays JSON); webhook URLs that
hold such characters are refused when registered."""
from __future__ import annotations

import json
import time
import unicodedata

import pytest
from conftest import run_sql
from test_admin_pages import confirmed
from test_host import sign_in
from test_webhooks import CSRF

from widget.appstate import state
from widget.store import Mail

#: Sets the terminal's title, clears the screen, colours in C1's CSI, reverses what follows, isolates, a C1
#: next line and a line separator.
HOSTILE = "ACME\x1b]0;owned\x07\x1b[2J\x9b31m\u202eevil\u2066x\u2069\x85\u2028end\x7f"
ESCAPED = "ACME\\u001b]0;owned\\u0007\\u001b[2J\\u009b31m\\u202eevil\\u2066x\\u2069"


def unsafe(text: str) -> list[str]:
    """The characters of ``text`` that a terminal would act on or that would reorder what it shows."""
    return [c for c in text if c not in "\t\n" and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")
            and c not in "\u200c\u200d"]


@pytest.fixture
def app(make_app):
    return make_app(PLEDGE_LIST_MODERATION="pre", PLEDGE_WEBHOOKS_ALLOW_PRIVATE=True)


@pytest.fixture
def hostile(app):
    """Stored as an older version, a database edit or a remote server could have stored it."""
    store = state(app).store
    site = store.add_site(HOSTILE, [f"https://{HOSTILE}.example"], "owner@s.example", "4p1000")
    signon = confirmed(app, site, f"{HOSTILE}@coop.example", HOSTILE)
    store.create_host(f"{HOSTILE}@host.example")
    store.add_webhook(f"https://crm.example/{HOSTILE}", "whsec_" + "A" * 32, site_key=site.key)
    store.enqueue_mail(Mail(to=f"{HOSTILE}@mail.example", subject="s", text="t", html="h"))
    run_sql(store, "UPDATE outbox SET failed_at = ?, attempts = 1, last_error = ? WHERE to_addr LIKE 'ACME%'",
            [time.time(), f"550 {HOSTILE}"])
    return site, signon


COMMANDS = [["site", "list"], ["site", "list", "--json"], ["host", "list"], ["host", "list", "--json"],
            ["list", "pending"], ["list", "pending", "--json"], ["webhook", "list"], ["webhook", "list", "--json"],
            ["mail", "failed"], ["mail", "failed", "--json"], ["export"], ["export", "--format", "json"],
            ["export", "--email", f"{HOSTILE}@coop.example", "--format", "json"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_listing_prints_user_data_escaped(app, hostile, command):
    result = app.test_cli_runner().invoke(args=["pledge", *command])
    assert result.exit_code == 0, result.output
    assert not unsafe(result.output), unsafe(result.output)
    assert "acme\\u001b]0;owned" in result.output.lower()
    if "--json" in command or "json" in command:
        assert HOSTILE.lower() in strings(json.loads(result.output)).lower()  # the data, as typed (hosts: lower case)


def strings(value) -> str:
    """Every string in a JSON value, one a line."""
    if isinstance(value, dict):
        return "\n".join(strings(v) for v in value.values())
    if isinstance(value, list):
        return "\n".join(strings(v) for v in value)
    return value if isinstance(value, str) else ""


def test_what_a_command_says_of_a_site_or_an_entry_is_escaped(app, hostile):
    site, signon = hostile
    runner = app.test_cli_runner()
    entry_id = state(app).store.get_entry(signon.id).id
    outputs = [
        runner.invoke(args=["pledge", "list", "approve", entry_id]),
        runner.invoke(args=["pledge", "site", "remove", site.key], input="n\n"),
        runner.invoke(args=["pledge", "forget", "--email", f"{HOSTILE}@coop.example", "--yes"]),
    ]
    for result in outputs:
        assert not unsafe(result.output), (result.output, unsafe(result.output))
    assert ESCAPED in outputs[0].output and ESCAPED in outputs[1].output


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/\x1b[2Jhook", "https://crm.example/\x1b[2Jhook", "https://crm.example/\x9b31mhook",
                                 "https://crm.example/\u202ekoob", "https://crm.example/a\u2066b",
                                 "https://crm.example/a\x85b", "https://crm.example/a\tb", "https://crm.example/a b"])
def test_a_webhook_url_with_controls_is_refused_by_the_cli_and_the_hosts_page(app, inbox, url):
    store = state(app).store
    site = store.add_site("S", ["https://s.example"], "owner@s.example", "4p1000")
    result = app.test_cli_runner().invoke(args=["pledge", "webhook", "add", "--site", site.key, "--url", url])
    assert result.exit_code == 2 and "control characters" in result.output and not unsafe(result.output)
    client = app.test_client()
    sign_in(app, client, inbox, site.owner_email)
    page = client.get(f"/host/sites/{site.key}/webhooks").get_data(as_text=True)
    refused = client.post(f"/host/sites/{site.key}/webhooks", data={"csrf_token": CSRF.search(page).group(1), "url": url})
    assert refused.status_code == 400
    assert store.list_webhooks() == []
