"""The loader in Firefox ESR too (Debian's firefox-esr, driven by npm's puppeteer-core over WebDriver BiDi,
tests/js/firefox.mjs): the widget fits its content, stays a widget while hidden, lives through a React
route change and shows on a page isolated by Cross-Origin-Embedder-Policy. One Firefox for the module."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from test_loader_host_pages import HEARD, NPM_DIR, REACT_APP, npm_packages, react_scripts  # noqa: F401  (fixtures)

FIREFOX = shutil.which("firefox-esr") or "/usr/bin/firefox-esr"


@pytest.fixture(scope="module")
def firefox(live, npm_packages, react_scripts):  # noqa: F811
    """What each host page showed in Firefox."""
    if not os.access(FIREFOX, os.X_OK):
        message = f"Firefox ESR is not installed ({FIREFOX}; Debian's package firefox-esr, as .ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must run these tests)")
        pytest.skip(message)
    href = f"{live.url}/w/{live.site_key}"
    app = f"<script>const HREF = {json.dumps(href)};{REACT_APP}</script>"
    pages = {
        "plain": live.host.add("firefox-plain", live.snippet(), head=HEARD),
        # Firefox lays out a closed <details>' frame (it has a height): a tab hidden by display:none has none.
        "hidden": live.host.add("firefox-hidden", f'<div role="tabpanel" id="tab" style="display:none">{live.snippet()}</div>',
                                head=HEARD),
        "react": live.host.add("firefox-react", f'<div id="root"></div>{react_scripts}{app}'
                               f'<script async src="{live.url}/embed.js"></script>', head=HEARD),
        "coep": live.host.add("firefox-coep", live.snippet(), head=HEARD,
                              headers={"Cross-Origin-Embedder-Policy": "require-corp"}),
    }
    run = subprocess.run(["node", str(NPM_DIR / "firefox.mjs"), FIREFOX, json.dumps(pages)],
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def fits(shown: dict, content: int) -> bool:
    return shown["frames"] == 1 and not shown["linkShown"] and abs(shown["height"] - content) <= 1


def test_widget_fits_its_content(firefox):
    result = firefox["plain"]
    assert "failed" not in result, result
    assert fits(result, result["content"]), result


def test_hidden_widget_stays_a_widget_and_fits_once_shown(firefox):
    result = firefox["hidden"]
    assert "failed" not in result, result
    assert result["whileHidden"]["frames"] == 1 and not result["whileHidden"]["linkShown"], result
    assert fits(result["shown"], result["content"]), result


def test_react_route_change_and_back(firefox):
    result = firefox["react"]
    assert "failed" not in result, result
    assert result["errors"] == []
    assert result["home"]["frames"] == 0  # the frame went with its link
    assert fits(result["back"], result["content"]), result


def test_coep_host_page_frames_the_widget(firefox):
    result = firefox["coep"]
    assert "failed" not in result, result
    assert fits(result, result["content"]), result
