"""The loader (embed/loader.js): how it reads snippets, run in the real browser on a host page."""
from __future__ import annotations

import gzip
from urllib.parse import parse_qs, urlsplit

from widget.resources import embed_dir


def iframe_sources(page) -> list[dict]:
    page.wait_for_load_state("load")
    sources = page.eval_on_selector_all("iframe", "els => els.map(e => e.getAttribute('src'))")
    return [{"path": urlsplit(s).path, **{k: v[0] for k, v in parse_qs(urlsplit(s).query).items()}} for s in sources]


def test_snippet_becomes_iframe_with_language_and_origin(live, page):
    page.goto(live.host.add("fr-host", live.snippet(), lang="fr-FR"))
    [src] = iframe_sources(page)
    assert src == {"path": f"/w/{live.site_key}", "hl": "fr-FR", "origin": live.host.origin}


def test_data_lang_and_theme_are_passed_explicitly(live, page):
    page.goto(live.host.add("data-lang", live.snippet(lang="ar", theme="dark"), lang="en"))
    [src] = iframe_sources(page)
    assert src["lang"] == "ar" and src["hl"] == "en" and src["theme"] == "dark"
    frame = page.frame_locator("iframe")
    assert frame.locator("html").get_attribute("data-theme") == "dark"
    assert frame.locator("body").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(18, 18, 18)"


def test_widget_is_light_by_default_whatever_the_visitors_scheme(live, browser):
    context = browser.new_context(color_scheme="dark")
    try:
        page = context.new_page()
        page.goto(live.host.add("default-theme", live.snippet()))
        body = page.frame_locator("iframe").locator("body")
        assert body.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 255, 255)"
        page.goto(live.host.add("auto-theme", live.snippet(theme="auto")))
        body = page.frame_locator("iframe").locator("body")
        assert body.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(18, 18, 18)"
    finally:
        context.close()


def test_unregistered_page_gets_the_link_back(live, page):
    """A page whose origin the site did not register cannot frame the widget (CSP frame-ancestors):
    rather than an empty box, the visitor gets the plain link again, which opens the form as a page."""
    stranger = live.store.add_site("Elsewhere", ["https://not-this-host.example"], "e@example.org", "4p1000")
    page.clock.install()
    page.goto(live.host.add("unregistered", live.snippet(stranger.key)))
    assert page.locator("iframe").count() == 1
    page.clock.run_for(16_000)
    page.get_by_role("link", name="Sign the 4 per 1000 Declaration").wait_for()
    assert page.locator("iframe").count() == 0


def test_registered_page_keeps_its_widget(live, page):
    page.clock.install()
    page.goto(live.host.add("registered", live.snippet()))
    page.wait_for_function("document.querySelector('iframe').style.height.endsWith('px')")
    page.clock.run_for(30_000)
    assert page.locator("iframe").count() == 1


def test_page_without_html_lang_passes_none(live, page):
    page.goto(live.host.add("no-lang", live.snippet(), lang=""))
    [src] = iframe_sources(page)
    assert "hl" not in src and "lang" not in src


def test_several_widgets_on_one_page(live, page):
    other = live.store.add_site("Mairie", [live.host.origin], "m@mairie.example", "4p1000")
    body = live.snippet() + live.snippet(other.key)
    page.goto(live.host.add("two", body))
    paths = [s["path"] for s in iframe_sources(page)]
    assert paths == [f"/w/{live.site_key}", f"/w/{other.key}"]


def test_links_to_other_services_are_left_alone(live, page):
    body = '<a class="pledge-widget" href="https://elsewhere.example/w/abc">Elsewhere</a>' + live.snippet()
    page.goto(live.host.add("foreign", body))
    assert len(iframe_sources(page)) == 1
    assert page.get_by_role("link", name="Elsewhere").get_attribute("href") == "https://elsewhere.example/w/abc"


def test_without_javascript_the_snippet_is_a_working_link(live, browser):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live.host.add("nojs", live.snippet()))
        link = page.get_by_role("link", name="Sign the 4 per 1000 Declaration")
        assert page.locator("iframe").count() == 0
        link.click()
        page.wait_for_url(f"{live.url}/w/{live.site_key}")
        # The widget page works on its own too: the form is there, no script needed to submit it.
        assert page.get_by_role("button", name="Sign").count() == 1
    finally:
        context.close()


def test_height_messages_from_other_origins_are_ignored(live, page):
    page.goto(live.host.add("spoof", live.snippet()))
    page.wait_for_function("document.querySelector('iframe').style.height.endsWith('px')")
    before = page.eval_on_selector("iframe", "e => e.style.height")
    # The host page itself (another origin than the service) posts a fake height.
    page.evaluate("window.postMessage({pledgeHeight: 5}, '*')")
    page.wait_for_timeout(200)
    assert page.eval_on_selector("iframe", "e => e.style.height") == before


def test_loader_is_small(client):
    response = client.get("/embed.js")
    assert response.mimetype == "text/javascript"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in response.headers
    assert len(gzip.compress(response.data)) < 1024  # the budget of tests/test_sizes.py, as bench/sizes.py measures it
    # A release reaches every host page within minutes; meanwhile a repeat load costs nothing, or a 304.
    assert response.headers["Cache-Control"].startswith("public, max-age=300, stale-while-revalidate=")
    assert client.get("/embed.js", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    assert b"pledgeHeight" in response.data and len(response.data) < len((embed_dir() / "loader.js").read_bytes())


def _frame_fits_its_content(page) -> bool:
    """The iframe is exactly as tall as the widget's page inside it."""
    frame_height = page.eval_on_selector("iframe", "e => e.getBoundingClientRect().height")
    inner = page.frame_locator("iframe").locator("body").evaluate("b => Math.ceil(b.getBoundingClientRect().height)")
    return abs(frame_height - inner) <= 1


def test_widget_far_below_the_first_screen_stays_a_widget(live, page):
    """A snippet 2,000 px down a long page: the browser does not render the off-screen frame, and the
    visitor takes a minute to scroll there. The widget must still be there, at its content's height."""
    page.clock.install()
    page.goto(live.host.add("long-page", '<div style="height:2000px">Our news</div>' + live.snippet()))
    page.clock.run_for(60_000)
    assert page.locator("iframe").count() == 1
    page.locator("iframe").scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('iframe').style.height.endsWith('px')")
    assert _frame_fits_its_content(page)


def test_host_csp_that_refuses_our_frame_gives_the_link_back_at_once(live, page):
    """A host page whose own CSP allows our script but not our frame: no grey box, the link at once."""
    csp = f"default-src 'self'; script-src 'self' {live.url}; frame-src 'none'"
    page.goto(live.host.add("strict-csp", live.snippet(), headers={"Content-Security-Policy": csp}))
    page.get_by_role("link", name="Sign the 4 per 1000 Declaration").wait_for(timeout=2_000)
    assert page.locator("iframe").count() == 0


def test_host_csp_with_the_documented_lines_shows_the_widget(live, page):
    """The two sources the README tells a webmaster to add (script-src and frame-src) are enough."""
    csp = f"default-src 'self'; script-src 'self' {live.url}; frame-src {live.url}"
    page.goto(live.host.add("csp-ok", live.snippet(), headers={"Content-Security-Policy": csp}))
    page.wait_for_function("document.querySelector('iframe').style.height.endsWith('px')")
    assert page.frame_locator("iframe").get_by_role("button", name="Sign").count() == 1


def test_links_added_after_load_become_widgets_when_the_page_asks(live, page):
    """A single-page site adds the snippet's link after the loader ran, then asks it to look again."""
    page.goto(live.host.add("spa", f'<div id="app"></div><script async src="{live.url}/embed.js"></script>'))
    page.wait_for_load_state("load")
    page.evaluate(
        """href => {
            const a = document.createElement("a");
            a.className = "pledge-widget"; a.href = href; a.textContent = "Sign";
            document.getElementById("app").append(a);
            document.dispatchEvent(new Event("pledge-widget:scan"));
        }""",
        f"{live.url}/w/{live.site_key}",
    )
    page.wait_for_function("document.querySelector('iframe') && document.querySelector('iframe').style.height.endsWith('px')")
    assert page.locator("iframe").count() == 1


def test_widget_size_does_not_depend_on_the_hosts_root_font_size(live, page):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live.host.add("plain-root", live.snippet()))
    plain = page.eval_on_selector("iframe", "e => e.getBoundingClientRect().width")
    small_root = "<style>html { font-size: 62.5% }</style>"
    page.goto(live.host.add("small-root", live.snippet(), head=small_root))
    assert page.eval_on_selector("iframe", "e => e.getBoundingClientRect().width") == plain == 672
