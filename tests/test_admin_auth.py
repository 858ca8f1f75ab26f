"""Who gets in to the operator's desk (/admin/): PLEDGE_ADMINS only, by an e-mailed link (real SMTP) and
then a TOTP code (computed with pyotp from the secret the enrolment page shows); sessions, fresh sign-ins,
CSRF, private headers, and the append-only audit log."""
from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from pathlib import Path

import pyotp
import pytest

from conftest import deliver, path_of
from test_accessibility import axe_source  # noqa: F401  (a fixture)
from widget import audit
from widget.admin import access, auth
from widget.admin.access import admin_required
from widget.appstate import state

ADMIN = "boss@example.org"
OTHER_ADMIN = "deputy@example.org"
ADMINS = "Boss@Example.org, deputy@example.org"
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
ADMIN_LINK = re.compile(r"https?://[^\s\"<>]+/admin/login/[A-Za-z0-9_.\-]+")
SECRET = re.compile(r'id="totp-secret">([A-Z2-7]+)<')
RECOVERY = re.compile(r"<li><code>([a-z0-9-]+)</code></li>")


@pytest.fixture
def desk(make_app):
    return make_app(PLEDGE_ADMINS=ADMINS)


def csrf(client, path: str = "/admin/login") -> str:
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def ask_link(app, client, inbox, email: str = ADMIN) -> str:
    """Ask for a sign-in link on the sign-in page; return the path of the link that arrives by mail."""
    before = len(inbox.to(email))
    answer = client.post("/admin/login", data={"email": email, "csrf_token": csrf(client)})
    assert answer.status_code == 200
    deliver(app)
    text = inbox.wait_for(email, before + 1)[-1].get_body(("plain",)).get_content()
    return path_of(ADMIN_LINK.search(text).group(0))


def open_link(client, path: str) -> str:
    """Press the button of the link's page; return where it leads."""
    page = client.get(path)
    assert page.status_code == 200
    answer = client.post(path, data={"csrf_token": CSRF.search(page.get_data(as_text=True)).group(1)})
    assert answer.status_code == 303, answer.get_data(as_text=True)
    return answer.location


def enrol(app, client, inbox, email: str = ADMIN) -> tuple[str, list[str]]:
    """A first sign-in: link, authenticator set up; return the secret and the recovery codes shown."""
    assert open_link(client, ask_link(app, client, inbox, email)) == "/admin/totp/enrol"
    page = client.get("/admin/totp/enrol").get_data(as_text=True)
    secret = SECRET.search(page).group(1)
    answer = client.post("/admin/totp/enrol",
                         data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf(client, "/admin/totp/enrol")})
    assert answer.status_code == 200
    codes = RECOVERY.findall(answer.get_data(as_text=True))
    return secret, codes


def enter_code(client, code: str):
    return client.post("/admin/totp", data={"code": code, "csrf_token": csrf(client, "/admin/totp")})


def sign_in(app, client, inbox, code: str, email: str = ADMIN):
    """A later sign-in: link, then ``code``; return the answer to the code."""
    assert open_link(client, ask_link(app, client, inbox, email)) == "/admin/totp"
    return enter_code(client, code)


def sign_out(client) -> None:
    assert client.post("/admin/logout", data={"csrf_token": csrf(client, "/admin/sessions")}).status_code == 303


def next_code(secret: str) -> str:
    """The code of the next time step (accepted: one step of drift either way), unused so far."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def signed_in(client) -> bool:
    return client.get("/admin/sessions").status_code == 200


def audited(app, action: str) -> list[audit.Entry]:
    return audit.entries(state(app).store, action=action)


# -- who gets a link --------------------------------------------------------------------------------


def test_without_admins_there_is_no_desk(app, client):
    for path in ("/admin/login", "/admin/sessions", "/admin/audit", "/admin/totp"):
        assert client.get(path).status_code == 404
    assert client.post("/admin/login", data={"email": ADMIN}).status_code == 404


@pytest.mark.sign_in_floor
def test_a_stranger_gets_the_same_answer_and_no_mail(desk, inbox):
    client = desk.test_client()
    answers = {}
    for email in ("stranger@example.org", "BOSS@example.org"):
        started = time.monotonic()
        answer = client.post("/admin/login", data={"email": email, "csrf_token": csrf(client)})
        answers[email] = (answer.status_code, answer.get_data(as_text=True), time.monotonic() - started)
    deliver(desk)
    assert inbox.wait_for(ADMIN)  # the admin's address, in any spelling, gets its link
    assert inbox.to("stranger@example.org") == []
    (status_a, body_a, took_a), (status_b, body_b, took_b) = answers.values()
    assert status_a == status_b == 200
    strip = re.compile(r'value="[^"]+"')  # (the CSRF token of the sign-out form is none: no menu here)
    assert strip.sub("", body_a) == strip.sub("", body_b)
    assert "Check your inbox" in body_a
    # Both answers wait for the same floor, so the time tells nothing either.
    assert took_a >= auth.ANSWER_SECONDS and took_b >= auth.ANSWER_SECONDS


def test_a_link_without_the_code_opens_nothing(desk, inbox):
    client = desk.test_client()
    assert client.get("/admin/sessions").location == "/admin/login"  # no session at all
    assert open_link(client, ask_link(desk, client, inbox)) == "/admin/totp/enrol"
    for path in ("/admin/", "/admin/sessions", "/admin/audit", "/admin/audit.csv"):
        answer = client.get(path)
        assert answer.status_code == 303 and answer.location == "/admin/totp", path
    # The link works once.
    link = ask_link(desk, client, inbox)
    open_link(client, link)
    assert client.post(link, data={"csrf_token": csrf(client)}).status_code == 400


@pytest.mark.both_engines
def test_enrol_then_sign_in_with_a_code(desk, inbox):
    client = desk.test_client()
    assert open_link(client, ask_link(desk, client, inbox)) == "/admin/totp/enrol"
    page = client.get("/admin/totp/enrol").get_data(as_text=True)
    secret = SECRET.search(page).group(1)
    assert re.search(r'<svg role="img" aria-label="[^"]+"', page)  # the QR code, inline
    assert "<img" not in page
    assert f"otpauth://totp/" in page and f"secret={secret}" in page
    # A reload shows the same secret (the app may have scanned it already).
    assert SECRET.search(client.get("/admin/totp/enrol").get_data(as_text=True)).group(1) == secret
    wrong = client.post("/admin/totp/enrol", data={"code": "000000", "csrf_token": csrf(client, "/admin/totp/enrol")})
    assert wrong.status_code == 400 and "This code is not right" in wrong.get_data(as_text=True)
    assert not signed_in(client)
    done = client.post("/admin/totp/enrol",
                       data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf(client, "/admin/totp/enrol")})
    codes = RECOVERY.findall(done.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert signed_in(client)
    # Stored hashed: no code is in the database as it was shown.
    stored = [h for _, h in state(desk).store.admin_recovery_codes(ADMIN)]
    assert len(stored) == 10 and not set(codes) & set(stored) and all(h.startswith("scrypt$") for h in stored)
    # The enrolment page never shows the secret again.
    assert client.get("/admin/totp/enrol").location == "/admin/totp"
    sign_out(client)
    assert not signed_in(client)
    answer = sign_in(desk, client, inbox, next_code(secret))
    assert answer.status_code == 303
    assert signed_in(client)
    assert [e.actor for e in audited(desk, "admin.enrol")] == [ADMIN]
    assert len(audited(desk, "admin.sign_in")) == 2
    assert len(audited(desk, "admin.sign_out")) == 1


@pytest.mark.both_engines
def test_a_code_works_once(desk, inbox):
    client = desk.test_client()
    secret, _codes = enrol(desk, client, inbox)
    sign_out(client)
    code = next_code(secret)
    assert sign_in(desk, client, inbox, code).status_code == 303
    sign_out(client)
    again = sign_in(desk, client, inbox, code)
    assert again.status_code == 400
    assert "was used already" in again.get_data(as_text=True)
    assert not signed_in(client)
    assert [e.after for e in audited(desk, "admin.code_failed")] == [{"reason": "reused"}]


@pytest.mark.both_engines
def test_wrong_codes_are_limited_per_address_across_processes(make_app, inbox):
    # Flask-Limiter (per client IP, per process) off: what is tested is the limit kept in the database.
    first = make_app(PLEDGE_ADMINS=ADMINS, PLEDGE_RATELIMIT_ENABLED=False)
    client = first.test_client()
    secret, _codes = enrol(first, client, inbox)
    sign_out(client)
    assert open_link(client, ask_link(first, client, inbox)) == "/admin/totp"
    right = next_code(secret)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert enter_code(client, wrong).status_code == 400
    limited = enter_code(client, right)  # even the right code, while the limit holds
    assert limited.status_code == 429
    assert "Too many wrong codes" in limited.get_data(as_text=True)
    assert not signed_in(client)
    # Another process (another app on the same database) keeps the same count.
    second = make_app(PLEDGE_ADMINS=ADMINS, PLEDGE_RATELIMIT_ENABLED=False)
    other = second.test_client()
    assert open_link(other, ask_link(second, other, inbox)) == "/admin/totp"
    assert enter_code(other, right).status_code == 429
    assert len(audited(first, "admin.code_failed")) == 5
    # Five minutes later, the right code works (and only once).
    later = time.time() + 301
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(access, "clock", lambda: later)
        answer = enter_code(client, pyotp.TOTP(secret).at(later))
        assert answer.status_code == 303
        assert signed_in(client)


@pytest.mark.both_engines
def test_a_recovery_code_works_once(desk, inbox):
    client = desk.test_client()
    _secret, codes = enrol(desk, client, inbox)
    sign_out(client)
    assert sign_in(desk, client, inbox, codes[3].upper()).status_code == 303  # as typed from paper
    page = client.get("/admin/sessions").get_data(as_text=True)
    assert "9 codes are left" in page
    sign_out(client)
    refused = sign_in(desk, client, inbox, codes[3])
    assert refused.status_code == 400
    assert not signed_in(client)
    assert [e.after for e in audited(desk, "admin.sign_in")] == [{"recovery_code": True}, {"recovery_code": False}]


def test_an_address_removed_from_the_admins_loses_access_at_once(desk, inbox):
    client = desk.test_client()
    enrol(desk, client, inbox)
    assert signed_in(client)
    desk.config["PLEDGE_ADMINS"] = OTHER_ADMIN
    answer = client.get("/admin/audit")
    assert answer.status_code == 303 and answer.location == "/admin/login"
    # Put back, the address must sign in again: that session is over.
    desk.config["PLEDGE_ADMINS"] = ADMINS
    assert not signed_in(client)


def test_a_session_ends_after_30_idle_minutes(desk, inbox, monkeypatch):
    client = desk.test_client()
    enrol(desk, client, inbox)
    start = time.time()
    monkeypatch.setattr(access, "clock", lambda: start + 29 * 60)
    assert signed_in(client)  # used: the idle time starts again
    monkeypatch.setattr(access, "clock", lambda: start + 29 * 60 + 31 * 60)
    answer = client.get("/admin/sessions")
    assert answer.status_code == 303 and answer.location == "/admin/login"
    monkeypatch.setattr(access, "clock", lambda: start + 29 * 60 + 32 * 60)
    assert not signed_in(client)


def test_revoke_one_session_or_all_others(desk, inbox):
    laptop, phone, tablet = desk.test_client(), desk.test_client(), desk.test_client()
    secret, codes = enrol(desk, laptop, inbox)
    assert sign_in(desk, phone, inbox, next_code(secret)).status_code == 303
    assert sign_in(desk, tablet, inbox, codes[0]).status_code == 303
    page = laptop.get("/admin/sessions").get_data(as_text=True)
    handles = re.findall(r'name="session" value="([0-9a-f]{64})"', page)
    assert len(handles) == 2  # the two others (this browser's own has no button: it signs out)
    seen_by_tablet = tablet.get("/admin/sessions").get_data(as_text=True)
    phone_handle = re.findall(r'name="session" value="([0-9a-f]{64})"', seen_by_tablet)
    token = csrf(laptop, "/admin/sessions")
    # The phone's session is the one both the laptop and the tablet list.
    target = (set(handles) & set(phone_handle)).pop()
    assert laptop.post("/admin/sessions/revoke", data={"session": target, "csrf_token": token}).status_code == 303
    assert not signed_in(phone)
    assert signed_in(tablet) and signed_in(laptop)
    assert laptop.post("/admin/sessions/revoke", data={"all": "1", "csrf_token": token}).status_code == 303
    assert not signed_in(tablet)
    assert signed_in(laptop)
    assert [e.after for e in audited(desk, "admin.session_revoke")] == [
        {"sessions": 1, "others": True}, {"session": target[:12]}]
    # Another admin's session, or a made-up handle: 400, nothing ends.
    assert laptop.post("/admin/sessions/revoke", data={"session": "0" * 64, "csrf_token": token}).status_code == 400


def test_a_post_without_its_csrf_token_changes_nothing(desk, inbox):
    laptop, phone = desk.test_client(), desk.test_client()
    secret, _codes = enrol(desk, laptop, inbox)
    assert sign_in(desk, phone, inbox, next_code(secret)).status_code == 303
    assert laptop.post("/admin/sessions/revoke", data={"all": "1"}).status_code == 400
    assert laptop.post("/admin/logout").status_code == 400
    assert signed_in(phone) and signed_in(laptop)
    before = len(inbox.to(ADMIN))
    assert laptop.post("/admin/login", data={"email": ADMIN}).status_code == 400
    assert laptop.post("/admin/login", data={"email": ADMIN, "csrf_token": "forged"}).status_code == 400
    deliver(desk)
    time.sleep(0.2)
    assert len(inbox.to(ADMIN)) == before
    assert audited(desk, "admin.session_revoke") == [] and audited(desk, "admin.sign_out") == []


def test_every_desk_answer_is_private_and_unframed(desk, inbox):
    client = desk.test_client()
    pages = ["/admin/login", "/admin/login/not-a-token", "/admin/totp", "/admin/no-such-page"]
    secret, _codes = enrol(desk, client, inbox)
    pages += ["/admin/sessions", "/admin/audit", "/admin/audit.csv", "/admin/audit?from=yesterday",
              "/admin/reauth", "/admin/totp/enrol", "/admin/login"]
    # ...and every other page of the desk's blueprint (the desk's pages too), with made-up arguments.
    for rule in desk.url_map.iter_rules():
        if rule.endpoint.startswith("admin.") and "GET" in rule.methods:
            pages.append(rule.build({name: "x1" for name in rule.arguments}, append_unknown=False)[1])
    assert len(pages) > 15
    for path in pages:
        answer = client.get(path)
        assert answer.headers["Cache-Control"] == "no-store", path
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"], path
        assert answer.headers["X-Frame-Options"] == "DENY", path
    for rtl in ("ar", "fa"):
        page = client.get(f"/admin/sessions?lang={rtl}").get_data(as_text=True)
        assert f'<html lang="{rtl}" dir="rtl"' in page


def test_the_key_to_type_reads_left_to_right_in_a_right_to_left_page(desk, inbox):
    """In Arabic or Persian, the key and the otpauth URI (Latin text that wraps on a phone) start at the
    left, so that their wrapped lines are typed in the right order."""
    client = desk.test_client()
    assert open_link(client, ask_link(desk, client, inbox)) == "/admin/totp/enrol"
    page = client.get("/admin/totp/enrol?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl"' in page
    assert '<dd dir="ltr"><code class="secret" id="totp-secret">' in page
    assert '<dd dir="ltr"><code class="secret" id="totp-uri">otpauth://' in page


def test_routing_answers_under_the_desk_are_private_and_unframed_too(desk):
    """A wrong method (405) and the slash Flask adds (308) are answered before any view of the desk: they
    too must be neither kept nor framed. The public pages keep their own headers."""
    client = desk.test_client()
    for answer in (client.put("/admin/logout"), client.delete("/admin/"), client.get("/admin")):
        assert answer.status_code in (308, 405)
        assert answer.headers["Cache-Control"] == "no-store", answer.request.path
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"], answer.request.path
        assert answer.headers["X-Frame-Options"] == "DENY", answer.request.path
    assert client.get("/").headers.get("X-Robots-Tag") != "noindex"


def test_the_session_cookie(desk, inbox):
    client = desk.test_client()
    path = ask_link(desk, client, inbox)
    page = client.get(path)
    answer = client.post(path, data={"csrf_token": CSRF.search(page.get_data(as_text=True)).group(1)},
                         base_url="https://localhost")
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("pledge_admin=")
    for part in ("HttpOnly", "Path=/admin", "SameSite=Strict", "Secure"):
        assert part in cookie
    raw = cookie.split(";", 1)[0].split("=", 1)[1]
    # Only its hash is stored.
    assert state(desk).store.get_admin_session(raw) is None
    assert state(desk).store.get_admin_session(access.hash_session_id(raw)).email == ADMIN


def test_destructive_actions_want_a_fresh_sign_in(make_app, inbox, monkeypatch):
    desk = make_app(PLEDGE_ADMINS=ADMINS)
    # A view of the desk's kind, guarded as destructive ones are.
    desk.add_url_rule("/admin/test-destroy", "test_destroy", admin_required(fresh=True)(lambda: "destroyed"))
    client = desk.test_client()
    secret, _codes = enrol(desk, client, inbox)
    assert client.get("/admin/test-destroy").get_data(as_text=True) == "destroyed"
    later = time.time() + 11 * 60
    monkeypatch.setattr(access, "clock", lambda: later)
    answer = client.get("/admin/test-destroy?x=1")
    assert answer.status_code == 303 and answer.location == "/admin/reauth"
    assert signed_in(client)  # the other pages go on working
    before = len(inbox.to(ADMIN))
    assert client.post("/admin/reauth", data={"csrf_token": csrf(client, "/admin/reauth")}).status_code == 200
    deliver(desk)
    text = inbox.wait_for(ADMIN, before + 1)[-1].get_body(("plain",)).get_content()
    assert open_link(client, path_of(ADMIN_LINK.search(text).group(0))) == "/admin/totp"
    done = enter_code(client, pyotp.TOTP(secret).at(later))
    assert done.status_code == 303 and done.location == "/admin/test-destroy?x=1"
    assert client.get(done.location).get_data(as_text=True) == "destroyed"


def test_next_never_leads_off_the_desk(desk):
    with desk.test_request_context("/admin/login"):
        for target in ("https://evil.example/admin/x", "//evil.example/admin/", "/host/", "/admin\\..\\x", None,
                       "/\t/evil.example/admin/", "/admin/x\r\nSet-Cookie: a=1"):
            assert access.safe_next(target) is None
        assert access.safe_next("/admin/held?page=2") == "/admin/held?page=2"


# -- the audit log -------------------------------------------------------------------------------------


def test_the_audit_log_filters_and_exports(desk, inbox):
    client = desk.test_client()
    enrol(desk, client, inbox)
    store = state(desk).store
    day = 86400
    base = datetime(2026, 3, 10, 12, tzinfo=timezone.utc).timestamp()
    store.append_audit("cli:ops", "site.approve", "abc123", '{"status": "pending"}', '{"status": "active"}', now=base)
    store.append_audit(ADMIN, "site.disable", "def456", '{"status": "active"}', '{"status": "disabled"}', now=base + day)
    audit.record(store, OTHER_ADMIN, "list.hide", "=HYPERLINK(\"x\")", None, {"reason": "spam"})
    def rows(query: str = "") -> str:
        page = client.get("/admin/audit" + query).get_data(as_text=True)
        return page[page.index("<table"):] if "<table" in page else ""

    everything = rows()
    assert "abc123" in everything and "def456" in everything and "HYPERLINK" in everything
    only = rows("?actor=cli:ops")
    assert "abc123" in only and "def456" not in only
    only = rows("?action=site.disable")
    assert "def456" in only and "abc123" not in only
    dated = rows("?from=2026-03-10&to=2026-03-10")
    assert "abc123" in dated and "def456" not in dated and "HYPERLINK" not in dated
    assert rows("?actor=nobody") == ""
    export = client.get("/admin/audit.csv?from=2026-03-10&to=2026-03-11")
    assert export.headers["Cache-Control"] == "no-store"
    assert export.mimetype == "text/csv"
    lines = export.get_data(as_text=True).splitlines()
    assert lines[0] == "id,at,actor,action,target,before,after"
    assert [line.split(",")[3] for line in lines[1:]] == ["site.disable", "site.approve"]
    assert "2026-03-10T12:00:00+00:00" in lines[2]
    everything = client.get("/admin/audit.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in everything  # a formula is written as text
    bad = client.get("/admin/audit?from=10/03/2026")
    assert bad.status_code == 400
    assert "Please enter a date such as 2026-11-25." in bad.get_data(as_text=True)


def test_the_audit_log_is_append_only_in_the_code():
    """No UPDATE or DELETE of audit_log anywhere in the code (the table has INSERT and SELECT only)."""
    root = Path(__file__).resolve().parent.parent / "widget"
    writes = re.compile(r"\b(UPDATE\s+audit_log|DELETE\s+FROM\s+audit_log|DROP\s+TABLE\s+audit_log|"
                        r"TRUNCATE\s+(TABLE\s+)?audit_log)\b", re.IGNORECASE)
    sources = {path: path.read_text(encoding="utf-8") for path in root.rglob("*.py")}
    assert any("INSERT INTO audit_log" in text for text in sources.values())  # the grep looks at the right code
    offenders = [str(path) for path, text in sources.items() if writes.search(text)]
    assert offenders == []


# -- the command line --------------------------------------------------------------------------------------


def test_reset_totp_from_the_command_line(desk, inbox):
    client = desk.test_client()
    enrol(desk, client, inbox)
    result = desk.test_cli_runner().invoke(args=["pledge", "admin", "reset-totp", "Boss@Example.org"])
    assert result.exit_code == 0, result.output
    assert not signed_in(client)  # its sessions ended
    entry = audited(desk, "admin.reset_totp")[0]
    assert entry.actor.startswith("cli:") and entry.target == ADMIN
    # The next sign-in sets up an app again.
    assert open_link(client, ask_link(desk, client, inbox)) == "/admin/totp/enrol"
    again = desk.test_cli_runner().invoke(args=["pledge", "admin", "reset-totp", "nobody@example.org"])
    assert again.exit_code != 0 and "no authenticator" in again.output


def test_signing_an_admin_out_everywhere_from_the_command_line(desk, inbox):
    client = desk.test_client()
    enrol(desk, client, inbox)
    assert signed_in(client)
    result = desk.test_cli_runner().invoke(args=["pledge", "admin", "sign-out", "Boss@Example.org"])
    assert result.exit_code == 0 and "1 desk session(s) ended" in result.output
    assert not signed_in(client)  # the lost laptop is out
    entry = audited(desk, "admin.session_revoke")[0]
    assert entry.actor.startswith("cli:") and entry.target == ADMIN and entry.after == {"sessions": 1, "others": False}
    # The authenticator stays: the next sign-in asks for a code, not for a new app.
    assert open_link(client, ask_link(desk, client, inbox)) == "/admin/totp"


# -- accessibility ------------------------------------------------------------------------------------------


@pytest.fixture
def desk_in_browser(browser, desk):
    """A browser page whose every request to http://desk.test is answered by ``desk``'s test client (the
    client keeps the desk's cookies): real pages, styles and all, without another server."""
    from urllib.parse import urlsplit

    client = desk.test_client()
    context = browser.new_context(bypass_csp=True)  # our CSP would (rightly) refuse the injected axe script

    def answer(route) -> None:
        request = route.request
        url = urlsplit(request.url)
        reply = client.open(url.path + (f"?{url.query}" if url.query else ""), method=request.method,
                            data=request.post_data_buffer,
                            headers={"Content-Type": request.headers.get("content-type", "")})
        headers = {k: v for k, v in reply.headers.items() if k.lower() not in ("content-length", "set-cookie")}
        route.fulfill(status=reply.status_code, headers=headers, body=reply.get_data())

    context.route("http://desk.test/**", answer)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield client, page
    context.close()


def test_sign_in_and_enrol_pages_pass_axe(desk, inbox, desk_in_browser, axe_source):
    from test_accessibility import WCAG_TAGS

    client, page = desk_in_browser

    def check(path: str, scheme: str = "light") -> None:
        page.emulate_media(color_scheme=scheme)
        page.goto("http://desk.test" + path)
        page.evaluate(axe_source)
        result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
        violations = [{"id": v["id"], "nodes": [n["html"][:120] for n in v["nodes"][:3]]} for v in result["violations"]]
        assert violations == [], f"{path} ({scheme}): {violations}"

    for lang in ("en", "ar", "fa"):
        check(f"/admin/login?lang={lang}")
    # A wrong answer shows its error at the top of the form and beside the field.
    for rtl in ("ar", "fa"):
        page.goto(f"http://desk.test/admin/login?lang={rtl}")
        page.fill("#email", "not an address")
        page.locator("main button[type=submit]").click()
        page.locator("#error-summary").wait_for()
        assert page.locator("html").get_attribute("dir") == "rtl"
    assert open_link(client, ask_link(desk, client, inbox)) == "/admin/totp/enrol"
    for lang in ("en", "ar", "fa"):
        for scheme in ("light", "dark"):
            check(f"/admin/totp/enrol?lang={lang}", scheme)
    assert page.locator("svg[role=img]").count() == 1
    # A phone's width: nothing wider than the screen.
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("http://desk.test/admin/totp/enrol?lang=en")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.set_viewport_size({"width": 1280, "height": 800})
    # Signed in, the desk's own pages of this part: sessions and the audit log.
    secret = SECRET.search(client.get("/admin/totp/enrol").get_data(as_text=True)).group(1)
    assert client.post("/admin/totp/enrol", data={"code": pyotp.TOTP(secret).now(),
                                                  "csrf_token": csrf(client, "/admin/totp/enrol")}).status_code == 200
    for lang in ("en", "ar", "fa"):
        check(f"/admin/sessions?lang={lang}")
        page.set_viewport_size({"width": 360, "height": 740})
        assert page.evaluate("document.documentElement.scrollWidth") <= 360  # the table scrolls in its box
        page.set_viewport_size({"width": 1280, "height": 800})
        check(f"/admin/audit?lang={lang}")
        check(f"/admin/audit?lang={lang}&from=nonsense")
    assert page.locator("#error-summary").count() == 1


@pytest.mark.both_engines
def test_codes_sent_at_once_cannot_all_slip_under_the_limit(desk):
    """Two codes checked at the same moment (two requests, two processes) when one failure is left: the
    second must wait its turn, not be checked too because the first has not been counted yet."""
    import threading

    from widget.admin import signin, totp

    store = state(desk).store
    secret = pyotp.random_base32()
    now = time.time()
    with desk.app_context():
        store.start_admin_totp(ADMIN, secret, now)
        store.confirm_admin_totp(ADMIN, 0, [], now)
        for _ in range(signin.MAX_FAILURES - 1):
            assert signin.check_code(ADMIN, "000000" if totp.matching_step(secret, "000000", now) is None
                                     else "999999", "no-session", now).outcome == "wrong"
    first_inside, let_first_go = threading.Event(), threading.Event()
    checked = []
    real_matching_step = totp.matching_step

    def slow_first_check(secret_: str, code: str, at: float):
        checked.append(code)
        if len(checked) == 1:  # the first request is being checked, not yet answered
            first_inside.set()
            let_first_go.wait(10)
        return real_matching_step(secret_, code, at)

    results = {}

    def first_request():
        with desk.app_context():
            results["first"] = signin.check_code(ADMIN, "111111", "no-session", now).outcome

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(totp, "matching_step", slow_first_check)
        thread = threading.Thread(target=first_request)
        thread.start()
        assert first_inside.wait(10)
        with desk.app_context():
            results["second"] = signin.check_code(ADMIN, "222222", "no-session", now).outcome
        let_first_go.set()
        thread.join(10)
    assert results["second"] == "limited" and checked == ["111111"]
    assert results["first"] == "wrong" or real_matching_step(secret, "111111", now) is not None
