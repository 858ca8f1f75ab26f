"""The front page (what this is, a live demo and its snippet) and the loader script."""
from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache

from flask import current_app
from werkzeug.wrappers import Response

from ..assets import Asset, prepare
from ..caching import public_control
from ..appstate import state
from ..resources import embed_dir
from ..snippet import snippet
from ..store import DEMO_SITE_KEY
from .blueprint import blueprint
from ..urls import public_base_url
from .common import content_security_policy, current_language, render_page
from .static import IMMUTABLE, send_asset



@blueprint.get("/")
def front() -> Response:
    lang = current_language()
    store = state().store
    demo = store.get_site(DEMO_SITE_KEY)
    if demo is not None and (not demo.active or demo.campaign not in state().campaigns):
        demo = None  # disabled by the operator, or its campaign is gone: no live demo to show
    base = public_base_url()
    demo_snippet = None
    if demo is not None:
        campaign = state().campaign(demo.campaign)
        demo_snippet = snippet(base, demo.key, campaign.text("title"))
    body, status = render_page("front.html", lang, demo=demo, demo_snippet=demo_snippet, base_url=base,
                               command=state().command)
    response = current_app.make_response((body, status))
    # The page frames its own demo widget, and may not be framed itself.
    response.headers["Content-Security-Policy"] = content_security_policy(frame_src="'self'")
    return response


STRING = re.compile(r'("[^"\\\n]*")')
SPACE_AROUND_PUNCTUATION = re.compile(r"\s*([=,;{}()<>&|+*?:!])\s*")


#: Seconds a browser or proxy keeps /embed.js before it asks again.
EMBED_MAX_AGE = 300


@lru_cache(maxsize=1)
def minified_loader() -> bytes:
    """``embed/loader.js`` without comments and needless spaces: every host page downloads it.

    The source keeps one statement per line, each ending in ``;`` or a brace, comments on lines of
    their own, and plain double-quoted strings, so this small squeeze is safe (the browser tests run
    the squeezed loader).
    """
    source = (embed_dir() / "loader.js").read_text(encoding="utf-8")
    lines = [line.strip() for line in source.splitlines()]
    code = "".join(line for line in lines if line and not line.startswith(("/*", "//")))
    parts = STRING.split(code)  # odd items are string literals: left as they are
    return "".join(part if i % 2 else SPACE_AROUND_PUNCTUATION.sub(r"\1", part) for i, part in enumerate(parts)).encode()


@lru_cache(maxsize=1)
def loader_asset() -> Asset:
    return prepare(minified_loader())


#: Any page may load the loader (CORS: a pinned snippet's ``crossorigin`` fetch needs it for its integrity
#: check); it sets no cookie and reads nothing from the host page but <html lang>.
LOADER_HEADERS = (("Access-Control-Allow-Origin", "*"), ("Cross-Origin-Resource-Policy", "cross-origin"))


@blueprint.get("/embed.js")
def embed_js() -> Response:
    # Every host page asks for it: a few minutes' max-age so that a release reaches every page soon,
    # then a 304 (or nothing, while stale-while-revalidate lets the browser use its copy).
    return send_asset(("embed",), loader_asset(), "text/javascript", public_control(EMBED_MAX_AGE), *LOADER_HEADERS)


@blueprint.get("/embed/v1.js")
def embed_v1_js() -> Response:
    """The loader at a versioned address: the same bytes as /embed.js, kept by browsers and proxies for a
    year without asking again. A snippet pins it with its integrity (see :func:`loader_integrity`); a later
    loader that changes them is published at /embed/v2.js, and this address keeps serving these."""
    return send_asset(("embed", "v1"), loader_asset(), "text/javascript", IMMUTABLE, *LOADER_HEADERS)


@lru_cache(maxsize=1)
def loader_integrity() -> str:
    """The Subresource Integrity of /embed/v1.js (``sha384-...``), computed from the bytes served."""
    return "sha384-" + base64.b64encode(hashlib.sha384(loader_asset().raw).digest()).decode()

