"""What a newcomer saw in Chromium (issue 18, item 22): the mails' plain link paragraph wider than a phone, the
desk's pages wider than their menu bar, and the audit log's before/after cut in the middle of words."""
from __future__ import annotations

import pytest

from test_admin_auth import desk, desk_in_browser  # noqa: F401  (fixtures)
from test_admin_pages import sign_in
from widget import audit, i18n, state
from widget.mail import compose

PHONE = 360
#: Common screen widths: phones, tablets, laptops, desktops.
WIDTHS = (360, 412, 768, 1024, 1280, 1440, 1920)


def test_every_mail_with_a_plain_link_fits_a_phone_in_every_language(app, browser):
    pledge = state(app)
    campaign = pledge.campaign("4p1000")
    # Links as long as the real ones: a signed token in the path.
    url = "http://localhost/{}/" + pledge.tokens.dumps("confirm", "Xq3bV9mK2pLr8sTa")
    context = browser.new_context(viewport={"width": PHONE, "height": 740})
    page = context.new_page()
    try:
        with app.test_request_context("/"):
            for lang in i18n.LANGUAGES:
                mails = {
                    "confirm": compose.confirmation("a@example.org", lang, campaign, "Coopérative", url.format("confirm"),
                                                    url.format("withdraw"), 72, site_name="Lycée Jean Moulin"),
                    "host_login": compose.host_login("a@example.org", lang, url.format("host/login"), [campaign]),
                    "admin_login": compose.admin_login("a@example.org", lang, url.format("admin/login")),
                }
                for name, mail in mails.items():
                    page.set_content(mail.html)
                    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE, f"{name} in {lang}"
    finally:
        context.close()


OVERFLOW = """() => {
  const box = e => { const r = e.getBoundingClientRect(); return [Math.round(r.left), Math.round(r.right)]; };
  const main = document.querySelector('main');
  return {bar: box(document.querySelector('.admin-bar')), main: box(main),
          wide: document.documentElement.scrollWidth > window.innerWidth,
          out: [...main.querySelectorAll('*')].filter(e => !e.closest('.table-scroll'))
                 .filter(e => e.getBoundingClientRect().right > main.getBoundingClientRect().right + 1)
                 .map(e => e.tagName + '.' + e.className)};
}"""


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_the_desks_pages_are_as_wide_as_their_menu_bar_and_nothing_overflows(desk, desk_in_browser, lang):
    client, page = desk_in_browser
    sign_in(desk, client)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for path in ("/admin/", "/admin/sites", "/admin/audit", "/admin/sessions"):
            page.goto(f"http://desk.test{path}?lang={lang}")
            found = page.evaluate(OVERFLOW)
            assert found["bar"] == found["main"], (width, path, found)
            assert not found["wide"] and found["out"] == [], (width, path, found)


#: Breaks of each line of the log's JSON: the two characters around each, "<end of a line>|<start of the next>".
LINE_BREAKS = """pre => {
  const text = pre.firstChild, range = document.createRange(), breaks = [];
  let top = null;
  for (let i = 0; i < text.length; i++) {
    range.setStart(text, i); range.setEnd(text, i + 1);
    const rects = range.getClientRects();
    if (!rects.length) continue;
    if (top !== null && rects[0].top > top + 1) breaks.push(text.data.slice(i - 1, i) + '|' + text.data[i]);
    top = rects[0].top;
  }
  return breaks;
}"""


def test_the_audit_logs_before_and_after_wrap_between_words(desk, desk_in_browser):
    client, page = desk_in_browser
    sign_in(desk, client)
    store = state(desk).store
    audit.record(store, "boss@example.org", "mail.retry", "mail:42",
                 {"attempts": 7, "last_error": "550 5.1.1 The e-mail account that you tried to reach does not exist",
                  "status": "failed"}, {"status": "queued"})
    audit.record(store, "boss@example.org", "list.hide", "entry:Xq3bV9mK2pLr8sTa", {"reason": None, "state": "shown"},
                 {"reason": "Demandé par téléphone : l’organisation préfère ne pas figurer sur la liste publique",
                  "state": "hidden"})
    for width in (1024, 1280, 1920):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto("http://desk.test/admin/audit?lang=en")
        for pre in page.locator("pre.json").all():
            breaks = pre.evaluate(LINE_BREAKS)
            assert all(around.startswith(" |") for around in breaks), (width, pre.inner_text(), breaks)
        assert "téléphone" in page.locator("table.audit").inner_text()  # letters as they are, not \\u00e9
