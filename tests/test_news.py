"""Campaign news from the desk (issue 24): written per language, previewed, tried on the admin's address,
sent through the outbox and a real SMTP server to the signatories who agreed to news, each once, with a
one-click unsubscribe; one update a week unless overridden."""
from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest

from conftest import deliver, path_of, run_sql
from test_admin_pages import ADMIN, post
from test_admin_pages import sign_in as admin_sign_in
from test_checkins import campaigns_file, signed
from widget import audit, state
from widget.addresses import mailbox
from widget.checkins import send_checkins
from widget.news import send_news
from widget.store import Mail

SUBJECT = "Ten thousand hectares"
BODY = "Together you cover ten thousand hectares.\nThank you."
FRENCH = """default_lang = "en"

[campaigns.soils.texts.fr]
title = "Sols vivants"
declaration = "Nous régénérons les sols."
consent = "Je signe."
"""


def new_update(client, **fields) -> str:
    """Write an update on the desk; the path of its preview."""
    response = post(client, "/admin/updates", "/admin/updates", campaign="soils", **fields)
    assert response.status_code == 303, response.get_data(as_text=True)
    return urlsplit(response.headers["Location"]).path


def test_news_reach_only_consenting_signatories_once_and_unsubscribe_in_one_click(make_app, tmp_path, inbox):
    app = make_app(PLEDGE_CAMPAIGNS_FILE=campaigns_file(tmp_path, extra=FRENCH), PLEDGE_ADMINS=ADMIN)
    client = app.test_client()
    store = state(app).store
    yes = signed(client, app, "yes@farm.example", news_consent="y")
    french = signed(client, app, "fr@farm.example", news_consent="y")
    run_sql(store, "UPDATE signons SET lang = 'fr' WHERE id = ?", [french.id])
    signed(client, app, "no@farm.example", checkin_consent="y")
    other = signed(client, app, "other@farm.example", news_consent="y")
    signed(client, app, "gone@farm.example", news_consent="y")
    run_sql(store, "UPDATE signons SET lang = 'de' WHERE id = ?", [other.id])  # no German text: the English one
    run_sql(store, "INSERT INTO mailbox_bounces (mailbox, address, hard_at, soft_count, last_at, last_kind) "
                   "VALUES (?, ?, ?, 0, ?, 'confirm')", [mailbox("gone@farm.example"), "gone@farm.example",
                                                         time.time(), time.time()])
    deliver(app)
    inbox.messages.clear()
    admin_sign_in(app, client)
    page = client.get("/admin/updates?campaign=soils").get_data(as_text=True)
    assert "3 signatories agreed to receive news." in page  # the bounced mailbox is left out

    # Links and overlong bodies are refused, as in a signatory's update; nothing is kept.
    refused = post(client, "/admin/updates", "/admin/updates", campaign="soils",
                   **{"subject-en": SUBJECT, "body-en": "Read more at https://evil.example/"})
    assert refused.status_code == 400 and "Please leave out web and e-mail addresses" in refused.get_data(as_text=True)
    refused = post(client, "/admin/updates", "/admin/updates", campaign="soils",
                   **{"subject-en": SUBJECT, "body-en": "x" * 501})
    assert refused.status_code == 400 and "at most 500 characters" in refused.get_data(as_text=True)
    assert store.list_news() == []

    preview = new_update(client, **{"subject-en": SUBJECT, "body-en": BODY, "subject-fr": "Dix mille hectares",
                                    "body-fr": "Ensemble, vous couvrez dix mille hectares."})
    assert SUBJECT in client.get(preview).get_data(as_text=True)
    assert post(client, preview, preview + "/test", lang="en").status_code == 303
    deliver(app)
    test = inbox.wait_for(ADMIN)[0]
    assert test["Subject"] == SUBJECT and "[Test]" in test.get_body(("plain",)).get_content()
    assert store.count_news_recipients("soils") == 3 and store.list_news()[0].state == "draft"

    # Sending is a mass action: it wants the token of the page, and a fresh sign-in.
    assert client.post(preview + "/send").status_code == 400
    admin_sign_in(app, client, fresh=False)
    stale = post(client, preview, preview + "/send")
    assert stale.status_code == 303 and "/admin/reauth" in stale.headers["Location"]
    assert store.list_news()[0].state == "draft"
    admin_sign_in(app, client)
    assert post(client, preview, preview + "/send").status_code == 303
    assert send_news(app=app) == 0  # a second sender, or the same one again, finds nobody left
    deliver(app)
    mail = inbox.wait_for("yes@farm.example")[0]
    german = inbox.wait_for("other@farm.example")[0]
    assert mail["Subject"] == SUBJECT and "ten thousand hectares" in mail.get_body(("plain",)).get_content()
    assert inbox.wait_for("fr@farm.example")[0]["Subject"] == "Dix mille hectares"
    assert german["Subject"] == SUBJECT
    assert "Diese Neuigkeiten wurden nicht in Ihrer Sprache verfasst." in german.get_body(("plain",)).get_content()
    assert "not written in your language" not in mail.get_body(("plain",)).get_content()
    assert inbox.to("no@farm.example") == inbox.to("gone@farm.example") == []
    assert store.list_news()[0].state == "sent" and store.list_news()[0].recipients == 3

    # RFC 8058: the mail client posts List-Unsubscribe=One-Click to the header's address.
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.fullmatch(r"<(.+)>", mail["List-Unsubscribe"].strip()).group(1)
    assert client.post(path_of(unsubscribe), data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert store.get_signon(yes.id).news_consent is None and store.get_signon(yes.id).status == "confirmed"

    # A second update within the week wants the override, which the audit log keeps.
    second = new_update(client, **{"subject-en": "Second", "body-en": "Again."})
    refused = post(client, second, second + "/send")
    assert refused.status_code == 400 and "less than a week ago" in refused.get_data(as_text=True)
    assert post(client, second, second + "/send", override="y").status_code == 303
    deliver(app)
    inbox.wait_for("other@farm.example", 2)
    assert [m["Subject"] for m in inbox.to("yes@farm.example")] == [SUBJECT]  # unsubscribed
    sends = audit.entries(store, action="news.send")
    assert [e.actor for e in sends] == [ADMIN, ADMIN] and sorted(e.after["override"] for e in sends) == [False, True]
    assert [e.action for e in audit.entries(store, action="news.test")] == ["news.test"]


@pytest.mark.both_engines  # the claims' SQL on each engine
def test_sending_resumes_where_a_sender_stopped_and_claims_each_recipient_once(make_app, tmp_path, inbox):
    app = make_app(PLEDGE_CAMPAIGNS_FILE=campaigns_file(tmp_path), PLEDGE_ADMINS=ADMIN)
    client = app.test_client()
    store = state(app).store
    ids = [signed(client, app, f"r{n}@farm.example", news_consent="y").id for n in range(3)]
    update_id = store.add_news("soils", {"en": {"subject": "Hello", "body": "News."}}, ADMIN)
    assert store.start_news(update_id, None)
    assert not store.start_news(update_id, None)  # one click starts it
    assert send_news(app=app, batch=1) == 1  # a sender that died after one batch
    assert store.get_news(update_id).state == "sending"
    assert send_news(app=app, batch=1) + send_news(app=app, batch=1) == 2
    assert send_news(app=app, batch=1) == 0 and store.get_news(update_id).state == "sent"
    # The unique row decides: a sender late with its list of recipients queues nothing twice.
    assert not store.claim_news(update_id, ids[0], Mail(to="r0@farm.example", subject="s", text="t", html="h"))
    assert sorted(row[0] for row in store.query("SELECT signon_id FROM news_sent")) == sorted(ids)
    assert store.query("SELECT COUNT(*) FROM outbox WHERE kind = 'news'")[0][0] == 3


def test_check_ins_and_news_wait_while_a_mailbox_had_its_share_of_mail_today(make_app, tmp_path, inbox):
    app = make_app(PLEDGE_CAMPAIGNS_FILE=campaigns_file(tmp_path), PLEDGE_ADMINS=ADMIN,
                   PLEDGE_MAILS_PER_ADDRESS_PER_DAY=2)
    client = app.test_client()
    store = state(app).store
    busy = signed(client, app, "busy@farm.example", checkin_consent="y", news_consent="y")  # 1 mail: confirmation
    calm = signed(client, app, "calm@farm.example", news_consent="y")
    assert send_checkins(app=app) == 1  # the busy mailbox's second mail of the day
    # Its share is gone: a further check-in is held back, nothing claimed (it stays due for a later run).
    held = Mail(to=busy.email, subject="s", text="t", html="h", kind="checkin")
    assert store.claim_checkin(busy.id, 1, "held-link", held, state(app).limits) is None
    assert store.checkins_claimed(busy.id) == [0] and store.get_progress_link("held-link") is None
    update_id = store.add_news("soils", {"en": {"subject": "Hello", "body": "News."}}, ADMIN)
    assert store.start_news(update_id, None)
    assert send_news(app=app) == 1  # the calm one's; the busy one's waits, claimed by no one
    assert store.get_news(update_id).state == "sending"
    assert [row[0] for row in store.query("SELECT signon_id FROM news_sent")] == [calm.id]
    # A day later the busy mailbox has room again: it gets the update, once, and the update is done.
    run_sql(store, "UPDATE outbox SET created_at = created_at - 86400 WHERE mailbox = ?", [mailbox(busy.email)])
    assert send_news(app=app) == 1 and send_news(app=app) == 0
    assert store.get_news(update_id).state == "sent"
    assert store.query("SELECT COUNT(*) FROM outbox WHERE kind = 'news' AND mailbox = ?", [mailbox(busy.email)])[0][0] == 1
