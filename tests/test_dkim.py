"""Signed mail: with PLEDGE_DKIM_* set, every e-mail reaches the SMTP server with a DKIM signature that dkimpy
verifies against the record `mail dkim-record` prints (looked up by a function of the test, no DNS); a key
that does not parse stops the service at start, with a message saying what to do."""
from __future__ import annotations

import re
import subprocess
import sys
import threading
from dataclasses import dataclass, field

import dkim
import pytest
from aiosmtpd.controller import Controller

from conftest import deliver, free_port, post_sign_on
from widget import create_app, state

SELECTOR, DOMAIN = "pledge2026", "pledge.example"


@dataclass
class RawInbox:
    """What an SMTP server on loopback received, byte for byte, with each envelope's sender."""

    received: list[tuple[str, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.append((envelope.mail_from, envelope.original_content or envelope.content))
        return "250 Message accepted"


@pytest.fixture
def raw_smtp():
    inbox = RawInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield f"smtp://127.0.0.1:{controller.port}", inbox
    controller.stop()


def rsa_key(path, *options: str) -> str:
    subprocess.run(["openssl", "genrsa", *options, "-out", str(path), "2048"], check=True, capture_output=True)
    return str(path)


def published(app) -> str:
    """The TXT record's text, as `mail dkim-record` prints it for the zone file."""
    printed = app.test_cli_runner().invoke(args=["pledge", "mail", "dkim-record"])
    assert printed.exit_code == 0, printed.output
    name, strings = printed.output.split(" IN TXT ")
    assert name == f"{SELECTOR}._domainkey.{DOMAIN}."
    return "".join(re.findall(r'"([^"]*)"', strings))


@pytest.mark.parametrize("openssl_options", [(), ("-traditional",)], ids=["pkcs8", "pkcs1"])
def test_every_mail_is_signed_and_verifies_against_the_published_record(make_app, raw_smtp, tmp_path,
                                                                        openssl_options):
    url, inbox = raw_smtp
    app = make_app(PLEDGE_SMTP_URL=url, PLEDGE_DKIM_KEY_FILE=rsa_key(tmp_path / "dkim.pem", *openssl_options),
                   PLEDGE_DKIM_SELECTOR=SELECTOR, PLEDGE_DKIM_DOMAIN=DOMAIN, PLEDGE_MAIL_FROM=f"pledge@{DOMAIN}")
    store = state(app).store
    store.add_site("Lycée Jean Moulin", ["https://lycee.example"], "webmaster@lycee.example", "4p1000", key="lycee")
    post_sign_on(app.test_client(), "lycee", "élise.martin@mairie.example")  # UTF-8 in the address and the body
    assert deliver(app) == (1, 0)
    [(_sender, raw)] = inbox.received
    record = published(app)
    assert record.startswith("v=DKIM1; k=rsa; p=")
    lookups = []

    def dnsfunc(name, timeout=5):
        lookups.append(name)
        return record.encode()

    assert raw.startswith(b"DKIM-Signature:")
    assert dkim.verify(raw, dnsfunc=dnsfunc)
    assert lookups == [f"{SELECTOR}._domainkey.{DOMAIN}.".encode()]
    signature = raw.split(b"\r\n\r\n", 1)[0].decode()
    assert f"d={DOMAIN}" in signature and f"s={SELECTOR}" in signature and "c=relaxed/relaxed" in signature
    tampered = raw.replace(b"Subject: Please confirm", b"Subject: Please ignore")
    assert tampered != raw and not dkim.verify(tampered, dnsfunc=dnsfunc)


def test_a_dkim_key_that_does_not_parse_stops_the_start(tmp_path):
    bad = tmp_path / "dkim.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
    config = {"PLEDGE_DATABASE": f"sqlite:///{tmp_path / 'pledge.db'}", "PLEDGE_SECRET_KEY": "k",
              "PLEDGE_DKIM_KEY_FILE": str(bad), "PLEDGE_DKIM_SELECTOR": SELECTOR, "PLEDGE_DKIM_DOMAIN": DOMAIN}
    with pytest.raises(ValueError, match="is not an RSA private key in PEM"):
        create_app(config)
    env = {f"{k}": v for k, v in config.items()}
    started = subprocess.run([sys.executable, "-c", "from widget.console import main; main()", "mail", "status"],
                             env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True, timeout=60)
    assert started.returncode == 1
    assert f"PLEDGE_DKIM_KEY_FILE {bad} is not an RSA private key" in started.stderr
    assert "openssl genrsa" in started.stderr and "Traceback" not in started.stderr
    for missing, message in (({"PLEDGE_DKIM_SELECTOR": None}, "PLEDGE_DKIM_SELECTOR is not set"),
                             ({"PLEDGE_DKIM_KEY_FILE": str(tmp_path / "none.pem")}, "cannot read it")):
        with pytest.raises(ValueError, match=message):
            create_app({**config, **missing})
