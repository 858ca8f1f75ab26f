"""The loader on host pages as they are built: widgets hidden at load (a closed <details>, a tab, an
accordion), a React app that changes route, a page isolated by Cross-Origin-Embedder-Policy."""
from __future__ import annotations

import itertools
import json
import subprocess
from pathlib import Path

import pytest

from conftest import VALID_ANSWERS, fill_by_ids, form_token
from test_loader import _frame_fits_its_content
from widget import state

NPM_DIR = Path(__file__).resolve().parent / "js"

#: The host page's own record of what the widget told it (the loader's listener runs in the same dispatch).
HEARD = ("<script>addEventListener('message', e => { if (e.data && 'pledgeHeight' in e.data) "
         "(window.heard = window.heard || []).push(e.data.pledgeHeight) })</script>")

#: Where school and council sites hide a widget until the visitor asks, and how the visitor asks.
HIDDEN = {
    "details": ("<details><summary>Sign on</summary>{}</details>", "document.querySelector('summary').click()"),
    "tab": ('<div role="tabpanel" id="tab-2" hidden>{}</div>', "document.getElementById('tab-2').hidden = false"),
    "accordion": ('<div class="collapse" id="panel" style="display:none">{}</div>',
                  "document.getElementById('panel').style.display = 'block'"),
}


@pytest.mark.parametrize("kind", HIDDEN)
def test_widget_hidden_at_load_stays_a_widget_and_fits_once_shown(live, page, kind):
    """A hidden widget has no height to report: that is no failure. It stays a widget however long the
    visitor takes to open it, then takes its content's height."""
    body, show = HIDDEN[kind]
    page.clock.install()
    page.goto(live.host.add(f"hidden-{kind}", body.format(live.snippet()), head=HEARD))  # the frame has loaded
    page.wait_for_function("window.heard")  # the hidden widget said hello
    page.clock.run_for(60_000)  # far past the loader's 3 s for a frame that loaded without a word
    assert page.locator("iframe").count() == 1
    assert page.locator("a.pledge-widget").is_hidden()
    page.evaluate(show)
    page.wait_for_function("window.heard.some(h => h > 0)")
    assert _frame_fits_its_content(page)
    assert page.frame_locator("iframe").get_by_role("button", name="Sign").is_visible()


# -- a React app ---------------------------------------------------------------------------------

#: A single-page app with two routes; the snippet's link is React's, rendered on the "pledge" route only.
REACT_APP = """
const e = React.createElement;
function App() {
  const [route, go] = React.useState("pledge");
  return e(React.Fragment, null,
    e("nav", null,
      e("button", {type: "button", onClick: () => go("home")}, "Home"),
      e("button", {type: "button", onClick: () => go("pledge")}, "Our pledge")),
    e("main", null, route === "pledge"
      ? [e("h2", {key: "title"}, "We signed"), e("a", {key: "widget", className: "pledge-widget", href: HREF}, "Sign the 4 per 1000 Declaration")]
      : e("p", null, "Welcome to our school")));
}
ReactDOM.createRoot(document.getElementById("root")).render(e(App));
"""


@pytest.fixture(scope="session")
def npm_packages() -> Path:
    """The test's packages from the npm registry (tests/js/package.json), installed once (not committed)."""
    if not (NPM_DIR / "node_modules" / ".package-lock.json").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NPM_DIR, check=True, capture_output=True)
    return NPM_DIR / "node_modules"


@pytest.fixture(scope="session")
def react_scripts(npm_packages) -> str:
    """React 18's production UMD builds (React 19 ships none), inlined in the host page that the tests'
    own loopback server serves: no CDN."""
    return "".join(f"<script>{(npm_packages / path).read_text(encoding='utf-8')}</script>"
                   for path in ("react/umd/react.production.min.js", "react-dom/umd/react-dom.production.min.js"))


def test_react_app_changes_route_and_back_with_its_widget(live, page, react_scripts):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    href = f"{live.url}/w/{live.site_key}"
    app = f"<script>const HREF = {json.dumps(href)};{REACT_APP}</script>"
    page.goto(live.host.add("react", f'<div id="root"></div>{react_scripts}{app}<script async src="{live.url}/embed.js"></script>'))
    page.frame_locator("iframe").locator("#signon").wait_for()

    page.get_by_role("button", name="Home").click()
    page.get_by_text("Welcome to our school").wait_for()
    assert page.locator("iframe").count() == 0  # the frame went with its link
    page.get_by_role("button", name="Our pledge").click()
    page.frame_locator("iframe").locator("#signon").wait_for()  # the new link is framed again

    assert errors == []
    assert page.locator("iframe").count() == 1
    # React's own nodes are where React put them: its link (hidden), then our frame beside it.
    assert page.eval_on_selector("main", "m => [...m.children].map(c => c.tagName)") == ["H2", "A", "IFRAME"]
    assert page.locator("main a.pledge-widget").is_hidden()


# -- a host page isolated by Cross-Origin-Embedder-Policy ----------------------------------------------

_numbers = itertools.count(1)


@pytest.mark.parametrize("policy", ["require-corp", "credentialless"])
def test_host_page_with_coep_frames_the_widget_and_a_visitor_signs(live, page, inbox, policy):
    """Pages that use SharedArrayBuffer or WebAssembly threads must send COEP: the loader (a no-cors
    script) and the widget (a cross-origin frame) must both be allowed in such a page."""
    url = live.host.add(f"coep-{policy}", live.snippet(), headers={"Cross-Origin-Embedder-Policy": policy})
    page.goto(url)
    frame = page.frame_locator("iframe")
    frame.locator("#signon").wait_for(timeout=5_000)

    address = f"coep{next(_numbers)}@lycee.example"
    fill_by_ids(frame, address, "Lycée Jean Moulin", "research", "FR", "Teach soil carbon to every pupil.")
    frame.locator("#signon > button[type=submit]").click()
    frame.get_by_role("heading", name="Check your inbox").wait_for()
    assert inbox.wait_for(address)


def test_every_page_of_the_widgets_frame_may_be_framed_by_a_coep_page(make_app):
    """The widget's page (rendered, then from the page cache), the redirect after a sign-on and the page it
    leads to; the loader too. Other pages keep the default: no cross-origin embedding."""
    app = make_app(PLEDGE_CACHE_SECONDS=60)
    site = state(app).store.add_site("Lycée", ["https://lycee.example"], "w@lycee.example", "4p1000")
    client = app.test_client()
    answers = [client.get(f"/w/{site.key}?hl=en&mode={mode}") for mode in ("form", "form", "button", "list")]
    data = dict(VALID_ANSWERS, email="coep@lycee.example", form_token=form_token(client, site.key))
    redirect = client.post(f"/w/{site.key}?hl=en", data=data)
    assert redirect.status_code == 303
    answers += [redirect, client.get(redirect.headers["Location"])]
    for answer in answers:
        assert answer.status_code in (200, 303)
        assert answer.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
        assert answer.headers["Cross-Origin-Embedder-Policy"] == "require-corp"
    assert client.get("/embed.js").headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "Cross-Origin-Resource-Policy" not in client.get("/host/").headers
