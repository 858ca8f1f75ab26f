"""The public list in a real browser, on the session's live service: a just-confirmed organisation shows
up, a hidden one disappears, the widget's list mode shows it; axe-core finds no violation on the list page
and the list widget, in English and Arabic."""
from __future__ import annotations

import itertools
import json

import pytest
from conftest import fill_by_ids, links
from test_accessibility import axe_page, axe_source  # noqa: F401  (fixtures)

from test_list import sign

from widget import listing
from widget.appstate import state
from widget.store.listing import Filters

_numbers = itertools.count(1)


def sign_and_confirm(live, page, context, inbox, organization: str) -> None:
    """Sign on in the widget page with a browser, and confirm from the mail's link."""
    address = f"list{next(_numbers)}@liste.example"
    page.goto(f"{live.url}/w/{live.site_key}?lang=en")
    fill_by_ids(page, address, organization, "research", "KE", "Yes")
    page.locator("#signon > button[type=submit]").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    [mail] = inbox.wait_for(address)
    confirm = context.new_page()
    confirm.goto(links(mail)[0])
    confirm.get_by_role("button", name="Confirm my signature").click()
    confirm.get_by_text("your signature is confirmed").wait_for()
    confirm.close()


def test_the_list_shows_a_confirmed_organisation_and_drops_a_hidden_one(live, page, context, inbox):
    shown, hidden = f"Browser Lab {next(_numbers)}", f"<b>Hidden</b> Lab {next(_numbers)}"
    sign_and_confirm(live, page, context, inbox, shown)
    sign_and_confirm(live, page, context, inbox, hidden)

    page.goto(f"{live.url}/c/4p1000/signatories?lang=en")
    table = page.get_by_role("table")
    assert table.get_by_role("cell", name=shown, exact=True).is_visible()
    assert table.get_by_role("cell", name=hidden, exact=True).is_visible()  # as typed: text, not markup
    row = table.get_by_role("row").filter(has_text=shown)
    assert "Kenya" in row.inner_text() and "Research organisation" in row.inner_text()

    # Search by a part of the name, with the form as a visitor uses it.
    page.get_by_label("Organisation name").fill(shown.split()[-1])
    page.get_by_role("button", name="Search").click()
    assert page.get_by_role("table").get_by_role("row").count() == 2  # the header and the one match

    # The operator hides one: it disappears from the page and from the widget's list mode.
    store = state(live.app).store
    [entry] = [e for e in store.list_entries(Filters(campaign="4p1000", q=hidden))[0]]
    listing.hide(store, entry.id, "Test entry", actor="test")
    state(live.app).pages.clear()
    page.goto(f"{live.url}/c/4p1000/signatories?lang=en")
    page.get_by_role("table").wait_for()
    assert page.get_by_role("cell", name=shown, exact=True).is_visible()
    assert page.get_by_role("cell", name=hidden, exact=True).count() == 0

    page.goto(f"{live.url}/w/{live.site_key}?mode=list&lang=en")
    page.get_by_role("heading", name="Latest signatories through this site").wait_for()
    assert page.get_by_role("list").get_by_text(shown).is_visible()
    assert page.get_by_text(hidden).count() == 0
    listing.show(store, entry.id, actor="test")


def test_pre_moderation_holds_a_confirmed_organisation_back_until_approved(live, page, context, inbox):
    held = f"Held Back Lab {next(_numbers)}"
    live.app.config["PLEDGE_LIST_MODERATION"] = "pre"  # read at each request: no restart needed
    try:
        sign_and_confirm(live, page, context, inbox, held)
        state(live.app).pages.clear()
        page.goto(f"{live.url}/c/4p1000/signatories?lang=en&q={held}")
        page.get_by_text("No signatory matches this search.").wait_for()
        assert page.get_by_text(held).count() == 0
        page.goto(f"{live.url}/w/{live.site_key}?mode=list&lang=en")
        assert page.get_by_text(held).count() == 0

        # The operator's command line: the entry waits, and once approved the visitor sees it.
        runner = live.app.test_cli_runner()
        waiting = [row for row in json.loads(runner.invoke(args=["pledge", "list", "pending", "--json"]).output)
                   if row["organization"] == held]
        assert len(waiting) == 1
        assert runner.invoke(args=["pledge", "list", "approve", waiting[0]["id"]]).exit_code == 0
        state(live.app).pages.clear()
        page.goto(f"{live.url}/c/4p1000/signatories?lang=en&q={held}")
        assert page.get_by_role("table").get_by_role("cell", name=held, exact=True).is_visible()
    finally:
        live.app.config["PLEDGE_LIST_MODERATION"] = "post"
        state(live.app).pages.clear()


@pytest.mark.parametrize("lang", ["en", "ar", "fa"])
def test_the_list_page_and_the_list_widget_have_no_violations(live, axe_page, lang):  # noqa: F811
    sign(state(live.app).store, f"axe-{lang}-{next(_numbers)}", "Société <Sols> & Cie", site_key=live.site_key,
         country="SN", org_type="civil_society")
    axe_page(f"{live.url}/c/4p1000/signatories?lang={lang}")
    axe_page(f"{live.url}/c/4p1000/signatories?lang={lang}&country=ZZ", "dark")  # with its message
    axe_page(f"{live.url}/w/{live.site_key}?mode=list&lang={lang}")
    axe_page(f"{live.url}/w/{live.site_key}?mode=list&scope=campaign&lang={lang}", "dark")
