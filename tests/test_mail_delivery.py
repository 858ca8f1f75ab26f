"""Delivering the outbox through real SMTP servers (aiosmtpd on loopback) that behave as real ones do:
internationalised addresses, permanent and temporary refusals, slow answers. Whatever one mail meets,
the others go out, a refusal for good ends its mail with the server's answer for the operator, and
a temporary one is retried."""
from __future__ import annotations

import asyncio
import json
import time
from contextlib import contextmanager
from typing import Iterator

import pytest
from aiosmtpd.controller import Controller

from conftest import Inbox, deliver, free_port, post_sign_on, run_sql

from widget import state
from widget.cli.mail import mail_failed, mail_retry
from widget.config import parse_value
from widget.store import Mail


class Picky(Inbox):
    """An SMTP server that answers RCPT or DATA for chosen addresses as told, may take its time to
    answer DATA, and records every connection (EHLO), RCPT and envelope."""

    def __init__(self, rcpt: dict[str, str] | None = None, data: dict[str, str] | None = None,
                 slow: dict[str, float] | None = None) -> None:
        super().__init__()
        self.rcpt_answers = dict(rcpt or {})
        self.data_answers = dict(data or {})
        self.slow = dict(slow or {})  # address: seconds before answering its DATA
        self.ehlos = 0
        self.rcpts: list[str] = []
        self.envelopes: list[tuple[list[str], list[str]]] = []  # (recipients, MAIL FROM options)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname  # the 5-argument hook leaves this to us
        self.ehlos += 1
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpts.append(address)
        if address in self.rcpt_answers:
            return self.rcpt_answers[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        [to] = envelope.rcpt_tos
        await asyncio.sleep(self.slow.get(to, 0))
        if to in self.data_answers:
            return self.data_answers[to]
        self.envelopes.append((list(envelope.rcpt_tos), list(envelope.mail_options)))
        return await super().handle_DATA(server, session, envelope)


@contextmanager
def smtp_server(handler: Picky, smtputf8: bool = False) -> Iterator[str]:
    """Serve ``handler`` on a free loopback port for the ``with`` block; yield its ``PLEDGE_SMTP_URL``."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=smtputf8)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{controller.port}"
    finally:
        controller.stop()


def queue(app, *addresses: str) -> None:
    """Queue one mail per address, in this order."""
    store = state(app).store
    for address in addresses:
        assert store.enqueue_mail(Mail(to=address, subject="Please confirm", text="Your link", html="<p>Your link</p>"))


def outbox(app, address: str) -> dict:
    """The outbox row of the one mail to ``address``."""
    columns = ("attempts", "last_error", "next_attempt_at", "sent_at", "failed_at")
    [row] = state(app).store.query(f"SELECT {', '.join(columns)} FROM outbox WHERE to_addr = ?", [address])
    return dict(zip(columns, row))


def back_off_passes(app) -> None:
    run_sql(state(app).store, "UPDATE outbox SET next_attempt_at = 0")


# -- 1. internationalised addresses ------------------------------------------------------------


def test_an_internationalised_domain_goes_out_in_its_ascii_form(make_app):
    """`info@école.fr` has an ASCII form every server takes: it goes out under it (envelope and To
    header) to a server without SMTPUTF8, instead of being retried for ever."""
    handler = Picky()
    with smtp_server(handler) as url:
        app = make_app(PLEDGE_SMTP_URL=url)
        store = state(app).store
        site = store.add_site("Lycée Jean Moulin", ["https://lycee.example"], "webmaster@lycee.example", "4p1000")
        assert "Check your inbox" in post_sign_on(app.test_client(), site.key, "info@école.fr").get_data(as_text=True)

        assert deliver(app) == (1, 0)
        assert store.outbox_stats() == {"queued": 0, "sent": 1, "failed": 0}
        [(recipients, options)] = handler.envelopes
        assert recipients == ["info@xn--cole-9oa.fr"]
        assert "SMTPUTF8" not in options
        assert len(handler.to("info@xn--cole-9oa.fr")) == 1


@pytest.mark.parametrize("smtputf8", [True, False], ids=["server-with-smtputf8", "server-without-smtputf8"])
def test_a_non_ascii_local_part_needs_smtputf8_or_fails_for_good(make_app, smtputf8):
    """`élise@école.fr` has no ASCII form: it goes out with SMTPUTF8 when the server offers it, and
    otherwise fails at once, for good, with a reason the operator can read (not retried for ever)."""
    handler = Picky()
    with smtp_server(handler, smtputf8=smtputf8) as url:
        app = make_app(PLEDGE_SMTP_URL=url)
        queue(app, "élise@école.fr", "amina@coop-sols.example")

        if smtputf8:
            assert deliver(app) == (2, 0)
            [(recipients, options), _] = handler.envelopes
            assert recipients == ["élise@école.fr"]
            assert "SMTPUTF8" in options
            assert len(handler.to("élise@école.fr")) == 1
            return
        assert deliver(app) == (1, 1)  # the other mail still goes out
        row = outbox(app, "élise@école.fr")
        assert row["last_error"] == "the recipient's address needs SMTPUTF8, which the SMTP server does not offer"
        assert row["failed_at"] is not None and row["sent_at"] is None
        back_off_passes(app)
        assert deliver(app) == (0, 0)
        assert handler.to("amina@coop-sols.example") and not handler.to("élise@école.fr")


# -- 2. permanent and temporary refusals -------------------------------------------------------

REFUSALS = [
    ("rcpt", "550 5.1.1 <nobody@coop-sols.example>: Recipient address rejected", "RCPT TO", True),
    ("rcpt", "451 4.7.1 Greylisted, please try again later", "RCPT TO", False),
    ("data", "554 5.7.1 Message rejected as spam", "DATA", True),
    ("data", "451 4.3.0 Temporary lookup failure", "DATA", False),
]


@pytest.mark.parametrize("stage, answer, command, permanent", REFUSALS, ids=[r[1][:3] + "-" + r[0] for r in REFUSALS])
def test_a_5xx_ends_the_mail_and_a_4xx_retries_it_and_the_others_go_out(make_app, stage, answer, command, permanent):
    refused = "nobody@coop-sols.example"
    handler = Picky(**{stage: {refused: answer}})
    with smtp_server(handler) as url:
        app = make_app(PLEDGE_SMTP_URL=url)
        queue(app, "first@coop-sols.example", refused, "last@coop-sols.example")

        assert deliver(app) == (2, 1)
        assert handler.to("first@coop-sols.example") and handler.to("last@coop-sols.example")
        row = outbox(app, refused)
        assert row["attempts"] == 1
        assert row["last_error"] == f"{answer} (answer to {command})"  # the server's own words
        assert row["sent_at"] is None
        if permanent:
            assert row["failed_at"] is not None
            assert state(app).store.outbox_stats() == {"queued": 0, "sent": 2, "failed": 1}
            back_off_passes(app)
            assert deliver(app) == (0, 0)
            return
        assert row["failed_at"] is None and row["next_attempt_at"] > time.time()  # waits for its back-off
        assert deliver(app) == (0, 0)
        handler.rcpt_answers.clear()
        handler.data_answers.clear()
        back_off_passes(app)
        assert deliver(app) == (1, 0)
        assert len(handler.to(refused)) == 1


# -- 3. a slow server, one connection per round, new mail first ----------------------------------

SLOW = 2.0  # seconds the server takes to answer DATA for one address


def test_a_mail_that_times_out_holds_up_no_other_mail(make_app):
    """With PLEDGE_SMTP_TIMEOUT=1, a server 2 s slow to answer one mail's DATA: that mail is retried
    later; the mails after it go out in the same round (over a new connection)."""
    slow = "slow@coop-sols.example"
    handler = Picky(slow={slow: SLOW})
    with smtp_server(handler) as url:
        app = make_app(PLEDGE_SMTP_URL=url, PLEDGE_SMTP_TIMEOUT=1)
        others = [f"quick{i}@coop-sols.example" for i in range(3)]
        queue(app, others[0], slow, *others[1:])

        assert deliver(app) == (3, 1)
        assert all(handler.to(address) for address in others)
        row = outbox(app, slow)
        assert row["attempts"] == 1 and row["sent_at"] is None and row["failed_at"] is None
        assert "timed out" in row["last_error"]
        assert row["next_attempt_at"] > time.time()
        assert handler.ehlos == 2  # the timed-out connection is not reused: its state is unknown


def test_a_slow_server_within_the_timeout_gets_its_mail_marked_sent(make_app):
    slow = "slow@coop-sols.example"
    handler = Picky(slow={slow: SLOW})
    with smtp_server(handler) as url:
        app = make_app(PLEDGE_SMTP_URL=url, PLEDGE_SMTP_TIMEOUT=5)
        queue(app, slow)
        assert deliver(app) == (1, 0)
        assert outbox(app, slow)["sent_at"] is not None
        assert len(handler.to(slow)) == 1


def test_the_smtp_timeout_is_a_setting_of_a_minute_by_default(make_app):
    """RFC 5321 allows a server minutes to answer DATA: the old fixed 20 s cut off slow relays."""
    assert state(make_app()).sender.transport.timeout == 60.0
    assert parse_value("PLEDGE_SMTP_TIMEOUT", "90") == 90.0


def test_a_round_sends_its_whole_batch_over_one_connection(make_app):
    handler = Picky()
    with smtp_server(handler) as url:
        app = make_app(PLEDGE_SMTP_URL=url)
        addresses = [f"member{i}@coop-sols.example" for i in range(10)]
        queue(app, *addresses)
        assert deliver(app) == (10, 0)
        assert handler.ehlos == 1
        assert sorted(str(m["To"]) for m in handler.messages) == sorted(addresses)
        assert deliver(app) == (0, 0)
        assert handler.ehlos == 1  # a round with nothing to send opens no connection


def test_new_mail_goes_out_before_mail_being_retried(make_app):
    busy = "busy@coop-sols.example"
    fresh = "fresh@coop-sols.example"
    handler = Picky(rcpt={busy: "451 4.3.2 Try again later"})
    with smtp_server(handler) as url:
        app = make_app(PLEDGE_SMTP_URL=url)
        queue(app, busy)
        assert deliver(app) == (0, 1)
        queue(app, fresh)
        back_off_passes(app)  # the failed mail is due again as the new one arrives

        assert deliver(app) == (1, 1)
        assert handler.rcpts == [busy, fresh, busy]
        assert outbox(app, busy)["attempts"] == 2


# -- 4. the operator reads failures and queues them again ----------------------------------------


def test_the_operator_lists_failed_mail_and_queues_it_again(make_app):
    refused = "nobody@coop-sols.example"
    handler = Picky(rcpt={refused: "550 5.1.1 No such user"})
    with smtp_server(handler) as url:
        app = make_app(PLEDGE_SMTP_URL=url)
        queue(app, refused)
        assert deliver(app) == (0, 1)
        runner = app.test_cli_runner()

        listed = runner.invoke(mail_failed, ["--json"])
        assert listed.exit_code == 0, listed.output
        [row] = json.loads(listed.output)
        assert row["to"] == refused and row["attempts"] == 1
        assert row["last_error"] == "550 5.1.1 No such user (answer to RCPT TO)"
        assert row["failed_at"].endswith("+00:00")
        assert refused in runner.invoke(mail_failed).output

        assert runner.invoke(mail_retry, []).exit_code == 2  # neither ids nor --all
        unknown = runner.invoke(mail_retry, [str(row["id"] + 1)])
        assert "not a failed e-mail" in unknown.output and "queued 0" in unknown.output
        handler.rcpt_answers.clear()  # the operator fixed the address's mailbox
        assert "queued 1 e-mail(s) again" in runner.invoke(mail_retry, [str(row["id"])]).output
        assert state(app).store.outbox_stats() == {"queued": 1, "sent": 0, "failed": 0}
        assert runner.invoke(mail_failed).output.strip() == "no failed e-mails"
        assert deliver(app) == (1, 0)
        assert state(app).store.retry_failed_mail() == 0  # --all, with nothing failed


def test_every_subject_in_every_language_arrives_as_written(app, smtp_server):
    """Long non-ASCII subjects are folded into several encoded words: no space may be lost between them
    (an Arabic subject once read "4 فيالألف")."""
    from widget.i18n import LANGUAGES
    from widget.mail import compose
    from widget.mail.transport import SMTPTransport

    pledge = state(app)
    campaign = pledge.campaign("4p1000")
    transport = SMTPTransport(smtp_server.url, "pledge@localhost")
    sent = []
    with app.test_request_context():
        for lang in LANGUAGES:
            address = f"subjects-{lang}@example.org"
            for mail in (
                compose.confirmation(address, lang, campaign, "Org", "https://p.example/confirm/t",
                                     "https://p.example/withdraw/t", 72),
                compose.already_signed(address, lang, campaign, "https://p.example/withdraw/t"),
                compose.host_login(address, lang, "https://p.example/host/login/t", [campaign]),
            ):
                transport.send(mail)
                sent.append(mail)
    for mail in sent:
        received = [m["Subject"] for m in smtp_server.inbox.wait_for(mail.to, 3)]
        assert mail.subject in received, (mail.subject, received)
