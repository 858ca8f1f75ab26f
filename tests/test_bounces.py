"""Bounces: each e-mail goes out with a VERP envelope sender naming it (signed), and `mail bounces` reads the
delivery reports that come back, from a real Maildir, an mbox or standard input, as Postfix writes them
(multipart/report). A hard bounce ends the pending sign-on and stops mail to the mailbox (a new sign-on's
confirmation excepted after 30 days); soft bounces act on the third; other mail is ignored and counted."""
from __future__ import annotations

import json
import mailbox
import re
import time
from pathlib import Path

import pytest

from conftest import deliver, links, path_of, post_sign_on, run_sql
from test_admin_pages import ADMIN, sign_in
from test_dkim import RawInbox, raw_smtp  # noqa: F401 (a fixture)
from widget import state
from widget.store import Mail

BOUNCE = "bounces+{id}@mail.example.org"
VERP = re.compile(r"bounces\+[0-9a-f]+-[0-9a-f]{16}@mail\.example\.org")
BOUNDARY = "4AB12C0D.1796611200/mail.example.org"


def dsn(verp: str, recipient: str, action: str = "failed", status: str = "5.1.1",
        diagnostic: str = "550 5.1.1 <{r}>: Recipient address rejected: User unknown in virtual mailbox table") -> bytes:
    """A delivery status notification as Postfix writes it into the bounce mailbox (RFC 3464)."""
    subject = "Undelivered Mail Returned to Sender" if action == "failed" else "Delayed Mail (still being retried)"
    diagnostic = diagnostic.format(r=recipient)
    return f"""Return-Path: <>
Delivered-To: {verp}
Received: by mail.example.org (Postfix)
\tid 4AB12C0D; Mon,  7 Dec 2026 02:40:00 +0000 (UTC)
Date: Mon,  7 Dec 2026 02:40:00 +0000 (UTC)
From: MAILER-DAEMON@mail.example.org (Mail Delivery System)
Subject: {subject}
To: {verp}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="{BOUNDARY}"
Content-Transfer-Encoding: 8bit
Message-Id: <20261207024000.4AB12C0D@mail.example.org>

This is a MIME-encapsulated message.

--{BOUNDARY}
Content-Description: Notification
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

This is the mail system at host mail.example.org.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

                   The mail system

<{recipient}>: host mx.coop.example[192.0.2.25] said: {diagnostic}
    (in reply to RCPT TO command)

--{BOUNDARY}
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.example.org
X-Postfix-Queue-ID: 4AB12C0D
X-Postfix-Sender: rfc822; {verp}
Arrival-Date: Mon,  7 Dec 2026 02:39:58 +0000 (UTC)

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Remote-MTA: dns; mx.coop.example
Diagnostic-Code: smtp; {diagnostic}

--{BOUNDARY}
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers
Content-Transfer-Encoding: 8bit

Return-Path: <{verp}>
From: pledge@pledge.example
To: {recipient}
Subject: Please confirm your signature

--{BOUNDARY}--
""".replace("\n", "\r\n").encode()


def plain_mail(to: str, subject: str, body: str) -> bytes:
    return (f"Return-Path: <someone@elsewhere.example>\r\nDelivered-To: {to}\r\nFrom: someone@elsewhere.example\r\n"
            f"To: {to}\r\nSubject: {subject}\r\nAuto-Submitted: auto-replied\r\n\r\n{body}\r\n").encode()


def drop(folder: Path, name: str, message: bytes) -> None:
    """Deliver a message into a Maildir as an MTA does: written in tmp/, then renamed into new/."""
    (folder / "tmp" / name).write_bytes(message)
    (folder / "tmp" / name).rename(folder / "new" / name)


def envelopes(inbox: RawInbox) -> dict[str, str]:
    """Each recipient's envelope sender (the latest mail to it), from what the SMTP server received."""
    found = {}
    for sender, raw in inbox.received:
        to = re.search(rb"^To: (.+?)\r\n", raw, re.M).group(1).decode()
        found[to] = sender
    return found


def read(app, *args: str, input: bytes | None = None):
    result = app.test_cli_runner().invoke(args=["pledge", "mail", "bounces", *args, "--json"], input=input)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture
def app(make_app, raw_smtp):  # noqa: F811
    url, _inbox = raw_smtp
    app = make_app(PLEDGE_SMTP_URL=url, PLEDGE_BOUNCE_ADDRESS=BOUNCE, PLEDGE_MAIL_FROM="pledge@pledge.example",
                   PLEDGE_ADMINS=ADMIN)
    state(app).store.add_site("Lycée", ["https://lycee.example"], "webmaster@lycee.example", "4p1000", key="lycee")
    return app


def test_a_hard_bounce_read_from_a_maildir_ends_the_sign_on_and_stops_mail(app, raw_smtp, tmp_path):  # noqa: F811
    _url, inbox = raw_smtp
    client = app.test_client()
    store = state(app).store
    for address in ("nobody@coop.example", "amina@coop.example"):
        post_sign_on(client, "lycee", address)
    assert deliver(app) == (2, 0)
    senders = envelopes(inbox)
    assert all(VERP.fullmatch(sender) for sender in senders.values()) and len(set(senders.values())) == 2
    assert all(re.search(rb"^From: pledge@pledge.example\r$", raw, re.M) for _sender, raw in inbox.received)

    folder = tmp_path / "Maildir"
    mailbox.Maildir(folder, create=True)
    verp = senders["nobody@coop.example"]
    drop(folder, "1.hard", dsn(verp, "nobody@coop.example"))
    drop(folder, "2.away", plain_mail(verp, "Out of office", "I am away until Monday."))  # an auto-reply
    drop(folder, "3.spam", plain_mail("bounces@mail.example.org", "Cheap watches", "Buy now"))
    forged = re.sub(r"-[0-9a-f]{16}@", "-0123456789abcdef@", senders["amina@coop.example"])
    drop(folder, "4.forged", dsn(forged, "amina@coop.example"))  # nobody may bounce another's mail
    assert read(app, "--maildir", str(folder)) == {"read": 4, "hard": 1, "soft": 0, "repeat": 0, "unknown": 0,
                                                    "unverified": 1, "ignored": 2}
    assert sorted(path.name.split(":")[0] for path in (folder / "cur").iterdir()) == ["1.hard", "2.away", "3.spam",
                                                                                     "4.forged"]
    assert not list((folder / "new").iterdir())
    assert read(app, "--maildir", str(folder))["read"] == 0  # read messages are marked: not read twice

    # The pending sign-on ended: its link confirms nothing, nothing is counted; amina's is untouched.
    statuses = dict(store.query("SELECT email, status FROM signons"))
    assert statuses == {"nobody@coop.example": "bounced", "amina@coop.example": "pending"}
    [message] = [raw for sender, raw in inbox.received if sender == verp]
    confirm = re.search(rb"https?://\S+/confirm/[A-Za-z0-9_.\-]+", message).group(0).decode()
    client.post(path_of(confirm))
    assert store.counts("4p1000", "lycee").total == 0
    # No more mail to that mailbox (whatever its spelling), not even a new sign-on's confirmation for 30 days.
    post_sign_on(client, "lycee", "Nobody+again@coop.example")
    assert deliver(app) == (0, 0)
    [failed] = store.failed_mail()
    assert failed["to"] == "nobody+again@coop.example"
    assert failed["last_error"].startswith("not sent: this mailbox bounced for good on ")
    # The desk's mail page says so.
    desk = app.test_client()
    sign_in(app, desk)
    page = desk.get("/admin/mail").get_data(as_text=True)
    assert "Addresses that bounced" in page and "nobody@coop.example" in page and "5.1.1" in page

    # 31 days later a new sign-on gets its confirmation again; confirming it shows the mailbox works.
    run_sql(store, "UPDATE mailbox_bounces SET hard_at = hard_at - ?", [31 * 86400])
    run_sql(store, "UPDATE signons SET created_at = created_at - ?", [86400])  # the day's limit per address
    run_sql(store, "UPDATE outbox SET created_at = created_at - ?", [86400])
    post_sign_on(client, "lycee", "nobody@coop.example")
    assert deliver(app) == (1, 0)
    store.purge_pending(time.time() - 3600)  # the ended sign-on goes as unconfirmed ones do
    assert "bounced" not in {status for (status,) in store.query("SELECT status FROM signons")}


def test_soft_bounces_act_on_the_third_and_reports_are_counted_once(app, raw_smtp, tmp_path):  # noqa: F811
    _url, inbox = raw_smtp
    store = state(app).store
    for n in range(3):
        store.enqueue_mail(Mail(to="full@coop.example", subject=f"News {n}", text="t", html="h", kind="digest"))
        deliver(app)
    verps = [sender for sender, _raw in inbox.received]
    assert len(set(verps)) == 3
    delayed = [dsn(verp, "full@coop.example", action="delayed", status="4.2.2",
                   diagnostic="452 4.2.2 <{r}>: Mailbox full") for verp in verps]
    box = tmp_path / "bounces.mbox"
    mbox = mailbox.mbox(box)
    for message in delayed[:2]:
        mbox.add(message)
    mbox.flush()
    assert read(app, "--mbox", str(box))["soft"] == 2
    assert read(app, "--mbox", str(box))["repeat"] == 2  # an mbox read again counts nothing twice
    [bounced] = store.bounced_mailboxes()
    assert (bounced.hard_at, bounced.soft_count, bounced.last_status) == (None, 2, "4.2.2")
    store.enqueue_mail(Mail(to="full@coop.example", subject="Still mailed", text="t", html="h", kind="digest"))
    assert deliver(app) == (1, 0)  # two soft bounces: still mailed

    assert read(app, "-", input=delayed[2]) == {"read": 1, "hard": 1, "soft": 0, "repeat": 0, "unknown": 0,
                                                "unverified": 0, "ignored": 0}  # the third: mail stops
    store.enqueue_mail(Mail(to="full@coop.example", subject="Not mailed", text="t", html="h", kind="digest"))
    assert deliver(app) == (0, 0)


def test_bounces_need_the_bounce_address_and_one_source(make_app, tmp_path):
    runner = make_app().test_cli_runner()
    result = runner.invoke(args=["pledge", "mail", "bounces", "-"], input=b"")
    assert result.exit_code == 1 and "PLEDGE_BOUNCE_ADDRESS is not set" in result.output
    configured = make_app(PLEDGE_BOUNCE_ADDRESS=BOUNCE).test_cli_runner()
    for args in ([], ["--mbox", str(tmp_path / "x.mbox"), "-"]):
        (tmp_path / "x.mbox").write_text("")
        assert configured.invoke(args=["pledge", "mail", "bounces", *args]).exit_code == 2
    with pytest.raises(ValueError, match="PLEDGE_BOUNCE_ADDRESS must be an address with {id} once"):
        make_app(PLEDGE_BOUNCE_ADDRESS="bounces@mail.example.org")
