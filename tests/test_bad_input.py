"""Property-based tests: well over 1,000 generated BAD requests against the sign-on, confirm,
withdraw and count routes.

Whatever a broken browser, a bot or a curious visitor sends, the service must answer with a 4xx
page that tells a person what went wrong (never a 500), and must not store, mail, count or delete
anything. Every example snapshots the whole database before and after its request(s).

Every request sent here is tallied in ``SENT`` (status code → count); the last test prints the
tally and checks that at least 1,000 bad requests went out. The ``max_examples`` below add up to
about 1,500 requests (350 sign-ons, 60 + 3 blank/unticked, 100 bodies, 120 x 3 site keys, 220 links
x 2 to 5 routes), plus those of shrinking when a property fails.
"""
from __future__ import annotations

import collections
import itertools
import os
import re
import time
from urllib.parse import quote, urlencode

import pytest
from flask_babel import gettext
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from markupsafe import escape
from werkzeug.datastructures import MultiDict
from werkzeug.test import encode_multipart

from conftest import VALID_ANSWERS, form_token

from widget.i18n import speaking
from widget import countries, create_app, state
from widget.builtin_campaign import CAMPAIGN as BUILTIN_CAMPAIGN, ORG_TYPES
from widget.forms import MAX_LENGTHS, MULTILINE
from widget.text import ALLOWED_FORMAT
from widget.tokens import SALTS

#: status code → number of bad requests that got it (all tests of this module together)
SENT: collections.Counter = collections.Counter()
#: the tests of this module that sent their requests (the summary only judges a full run)
RAN: set[str] = set()
MIN_REQUESTS = 1000

TABLES = ("sites", "signons", "counts", "outbox")
MAX_BYTES = 64 * 1024  # PLEDGE_MAX_REQUEST_BYTES, left at its default
SECRET = "bad-input-secret"

# Hypothesis settings shared by every property: no deadline (a first request compiles templates),
# no example database (every run draws afresh; a failure prints its example in full).
BASE = dict(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# -- the app, one for the module ---------------------------------------------------------------


class World:
    """The module's app, its client, two sites and two sign-ons (a plain class: short Hypothesis reports)."""

    def __init__(self, app, client, site_key: str, other_key: str) -> None:
        self.app = app
        self.client = client
        self.site_key = site_key
        self.other_key = other_key  # a second site: its form tokens must not work on the first
        self.form_token = form_token(client, site_key)  # a genuine form token of site_key
        self.other_form_token = form_token(client, other_key)
        self.pending_id = ""  # a pending sign-on and a confirmed one, so there is something to protect
        self.confirmed_id = ""
        self.emails = itertools.count()
        self._texts: dict[tuple[str, str], str] = {}

    def __repr__(self) -> str:  # keeps Hypothesis' failure reports short
        return f"World(site_key={self.site_key!r})"

    @property
    def store(self):
        return state(self.app).store

    @property
    def tokens(self):
        return state(self.app).tokens

    def valid_form(self, email: str | None = None) -> dict[str, str]:
        """A submission the widget accepts (the seeding below proves it): the starting point to corrupt."""
        email = email or f"valid{next(self.emails)}@example.org"
        return dict(VALID_ANSWERS, email=email, form_token=self.form_token)

    def text(self, msgid: str, lang: str) -> str:
        """``msgid`` as the page shows it in ``lang``: translated, then HTML-escaped."""
        key = (msgid, lang)
        if key not in self._texts:
            with self.app.test_request_context(), speaking(lang):
                self._texts[key] = str(escape(gettext(msgid)))
        return self._texts[key]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad-input")
    with pytest.MonkeyPatch.context() as mp:  # the operator's PLEDGE_* variables must not leak in
        for name in list(os.environ):
            if name.startswith("PLEDGE_"):
                mp.delenv(name)
        app = create_app(
            {
                "TESTING": True,
                "PLEDGE_DATABASE": f"sqlite:///{folder / 'pledge.db'}",
                "PLEDGE_SECRET_KEY": SECRET,
                "PLEDGE_MAIL_IN_PROCESS": False,  # nothing is mailed: the outbox only fills up
                "PLEDGE_RATELIMIT_ENABLED": False,  # a thousand requests from one test client
                "PLEDGE_MIN_FILL_SECONDS": 0,
            }
        )
    store = state(app).store
    site = store.add_site("Lycée Jean Moulin", ["https://lycee.example"], "webmaster@lycee.example", "4p1000")
    other = store.add_site("Mairie", ["https://mairie.example"], "m@mairie.example", "4p1000")
    client = app.test_client()
    w = World(app, client, site.key, other.key)
    # Two genuine sign-ons through the same form we corrupt below: the base form is valid.
    for _ in range(2):
        response = client.post(f"/w/{site.key}", data=w.valid_form(), follow_redirects=True)
        assert response.status_code == 200 and "Check your inbox" in response.get_data(as_text=True)
    first, second = [row[0] for row in store.query("SELECT id FROM signons ORDER BY created_at")]
    assert client.post(f"/confirm/{w.tokens.dumps('confirm', second)}").status_code == 200
    w.pending_id, w.confirmed_id = first, second
    assert len(snapshot(w)["outbox"]) == 2 and len(snapshot(w)["counts"]) == 2
    yield w
    store.close()


def snapshot(w: World) -> dict[str, list[tuple]]:
    """Every row of every table, read through the store's own connection."""
    return {table: sorted(w.store.query(f"SELECT * FROM {table}"), key=repr) for table in TABLES}


def send(w: World, method: str, path: str, **kwargs):
    response = w.client.open(path, method=method, **kwargs)
    SENT[response.status_code] += 1
    return response


def page_language(html: str) -> str:
    found = re.search(r'<html lang="([A-Za-z-]+)"', html)
    assert found, html[:300]
    return found.group(1)


def says(w: World, response, *msgids: str) -> bool:
    """True when the HTML page shows one of ``msgids`` in its own language."""
    html = response.get_data(as_text=True)
    lang = page_language(html)
    return any(w.text(msgid, lang) in html for msgid in msgids)


def routed(value: str) -> bool:
    """Whether a path segment made of ``value`` reaches our route at all (werkzeug decodes %2F to /)."""
    return value != "" and "/" not in value


def outside_our_routes(response, also: tuple[int, ...] = ()) -> None:
    """A path our routes do not match: werkzeug answers 404 or 405 (our routes do not merge doubled
    slashes, so "/w//KEY" is no redirect to a guess)."""
    assert response.status_code in (404, 405) + also, response.status_code


# -- strategies ----------------------------------------------------------------------------------

VISIBLE = st.characters(categories=["L", "N", "P"])  # never changed by NFC or trimmed away
FILLERS = st.sampled_from(["x", "é", "ß", "字", "ع", "🌱"])  # one code point each, stable under NFC
ANY_TEXT = st.text()  # the full Unicode alphabet, surrogates excepted (they cannot be sent)
ASCII_HEADER = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)

SPECIALS = st.sampled_from(["\x00", "\u200f", "\u202e", "\u200e\u200f", "\ufeff", "\x00" * 50, "\r\n", "%00", "'\"<>&"])
LONG = st.builds(lambda ch, n: ch * n, st.characters(exclude_categories=["Cs"]), st.integers(1_000, 40_000))
JUNK_VALUE = st.one_of(ANY_TEXT, SPECIALS, LONG, st.lists(SPECIALS | ANY_TEXT, max_size=4).map("".join))

ACCEPT_LANGUAGE = st.one_of(
    st.none(),
    st.sampled_from(["fr", "ar", "sw", "pt-BR", "de-CH, de;q=0.9, en;q=0.1", "zz", "*", ";q=", "en;q=nan"]),
    ASCII_HEADER,
)
QUERY_VALUE = st.one_of(st.sampled_from(["fr", "ar", "xx", "https://lycee.example", "https://evil.example"]), ANY_TEXT)
QUERY = st.dictionaries(st.sampled_from(["lang", "hl", "origin"]) | st.text(max_size=5), QUERY_VALUE, max_size=3)

KNOWN_FIELDS = set(VALID_ANSWERS) | {"email", "form_token", "homepage", "website"}
JUNK_FIELDS = st.lists(st.tuples(st.text(max_size=30).filter(lambda k: k not in KNOWN_FIELDS), JUNK_VALUE), max_size=5)


def too_long(name: str) -> st.SearchStrategy[str]:
    """Over the field's limit even after NFC and trimming: the filler is never composed or stripped."""
    limit = MAX_LENGTHS[name]
    return st.builds(lambda head, ch, extra, tail: head + ch * (limit + 1 + extra) + tail,
                     ANY_TEXT.filter(lambda s: len(s) <= 20), FILLERS, st.integers(0, 50), ANY_TEXT.filter(lambda s: len(s) <= 20))


def with_control_character(name: str) -> st.SearchStrategy[str]:
    """A forbidden invisible character between visible ones (so trimming cannot remove it): a control,
    a bidirectional override, a line separator, a format character that no script's names need."""
    allowed = ({"\n", "\r", "\t"} if name in MULTILINE else set()) | ALLOWED_FORMAT
    bad = st.characters(categories=["Cc", "Cf", "Zl", "Zp"]).filter(lambda c: c not in allowed)
    return st.builds(lambda a, c, b: a + c + b, st.text(VISIBLE, min_size=1, max_size=12), bad, st.text(VISIBLE, min_size=1, max_size=12))


def bad_email() -> st.SearchStrategy[str | None]:
    local = st.text(st.characters(min_codepoint=ord("a"), max_codepoint=ord("z")), min_size=1, max_size=10)
    return st.one_of(
        st.none(),  # missing
        st.text(" \t", max_size=3),  # empty or blank
        ANY_TEXT.filter(lambda s: "@" not in s),  # no @ at all
        st.builds(lambda n, d: "a" * n + "@" + d, st.integers(243, 600), st.sampled_from(["example.org", "exämple.org"])),  # > 254
        st.builds(lambda a, c, b: f"{a}{c}{b}@example.org", local, st.characters(categories=["Cc"]) | st.just(" "), local),
    )


def bad_token_shape() -> st.SearchStrategy[str]:
    """Text that looks like an itsdangerous token: base64url chunks joined with dots."""
    chunk = st.from_regex(r"[A-Za-z0-9_-]{0,40}", fullmatch=True)
    return st.lists(chunk, min_size=1, max_size=5).map(".".join)


class _SignedLongAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 10 * 365 * 24 * 3600


def sign(purpose: str, payload, *, expired: bool = False, secret: str = SECRET) -> str:
    """A token signed like the service's own (or with another secret, or ten years ago)."""
    signer = _SignedLongAgo if expired else TimestampSigner
    return URLSafeTimedSerializer([secret], salt=SALTS[purpose], signer=signer).dumps(payload)


def tampered(token: str, position: int, char: str) -> str:
    """Change one character of the signed part (not the signature's last, which may carry no bits)."""
    head, _, signature = token.rpartition(".")
    signed = head + "." + signature[:-1]
    position %= len(signed)
    if signed[position] == ".":
        position -= 1
    replacement = char if signed[position] != char else ("A" if char != "A" else "B")
    return signed[:position] + replacement + signed[position + 1 :] + signature[-1]


B64_CHAR = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
NOT_A_STRING = JSON.filter(lambda v: not isinstance(v, str))


@st.composite
def bad_form_token(draw, w: World):
    kind = draw(st.sampled_from(["missing", "garbage", "shaped", "other_site", "other_purpose", "not_a_dict",
                                 "other_secret", "expired", "tampered"]))
    if kind == "missing":
        return None
    if kind == "garbage":
        return draw(JUNK_VALUE)
    if kind == "shaped":
        return draw(bad_token_shape())
    if kind == "other_site":
        return w.other_form_token
    if kind == "other_purpose":
        purpose = draw(st.sampled_from(["confirm", "withdraw", "host-login"]))
        return sign(purpose, draw(st.sampled_from([{"s": w.site_key, "l": "en", "n": "00"}, w.pending_id])))
    if kind == "not_a_dict":
        return sign("form", draw(JSON.filter(lambda v: not isinstance(v, dict))))
    if kind == "other_secret":
        return sign("form", {"s": w.site_key, "l": "en", "n": "00"}, secret=draw(st.text(min_size=1).filter(lambda s: s != SECRET)))
    if kind == "expired":
        return sign("form", {"s": w.site_key, "l": "en", "n": "00"}, expired=True)
    return tampered(w.form_token, draw(st.integers(0, 1000)), draw(B64_CHAR))


def corruptions(w: World) -> dict[str, st.SearchStrategy]:
    """For each field, values that can never be valid there (None: the field is left out)."""
    country_codes = sorted(countries.CODES)
    out: dict[str, st.SearchStrategy] = {
        "email": bad_email(),
        "org_type": st.one_of(
            st.none(),
            ANY_TEXT.filter(lambda s: s not in ORG_TYPES),
            st.sampled_from(ORG_TYPES)
            .flatmap(lambda o: st.sampled_from([o.upper(), o + " ", " " + o, o.replace("_", "-")]))
            .filter(lambda s: s not in ORG_TYPES),  # "company" has no "_" to replace
        ),
        "country": st.one_of(
            st.none(),
            ANY_TEXT.filter(lambda s: s not in countries.CODES),
            st.sampled_from(country_codes).flatmap(lambda c: st.sampled_from([c.lower(), c + " ", c + "X", c[0]])),
            st.sampled_from(["EU", "UN", "XK", "ZZ", "QO", "SEN", "FRA", "--"]),
        ),
        "consent": st.sampled_from([None, ""]),  # left unticked
        "form_token": bad_form_token(w),
    }
    for name in MAX_LENGTHS:
        if name == "email" or name not in BUILTIN_CAMPAIGN.fields:  # a field the form does not show is ignored
            continue
        options = [too_long(name), with_control_character(name)]
        if name in ("name", "organization", "goal", "actions", "timetable"):  # required: may also be left out
            options.append(st.none())
        out[name] = st.one_of(*options)
    return out


@st.composite
def bad_sign_on(draw, w: World):
    """``(fields, corrupted names)``: the valid form with one or more fields made definitely invalid,
    plus arbitrary junk fields (which alone would change nothing)."""
    table = corruptions(w)
    chosen = draw(st.lists(st.sampled_from(sorted(table)), min_size=1, max_size=4, unique=True))
    data = w.valid_form()
    for name in chosen:
        data[name] = draw(table[name])
    pairs = [(k, v) for k, v in data.items() if v is not None]
    pairs = draw(st.permutations(pairs)) + draw(JUNK_FIELDS)
    return pairs, chosen


def encode(pairs: list[tuple[str, str]], multipart: bool) -> tuple[bytes, str]:
    if multipart:
        boundary, body = encode_multipart(MultiDict(pairs))
        return body, f"multipart/form-data; boundary={boundary}"
    return urlencode(pairs).encode(), "application/x-www-form-urlencoded"


def headers_for(accept_language: str | None) -> dict[str, str]:
    return {} if accept_language is None else {"Accept-Language": accept_language}


# -- the sign-on form ------------------------------------------------------------------------------


FORM_TOKEN_ERRORS = (
    "This form could not be checked. Please send it again.",
    "This form was open for too long. Please check your answers and send it again.",
)


@settings(max_examples=350, **BASE)
@given(data=st.data(), multipart=st.booleans(), query=QUERY, accept_language=ACCEPT_LANGUAGE)
def test_corrupted_sign_on_is_refused_with_its_errors_and_stores_nothing(world, data, multipart, query, accept_language):
    """Start from a valid sign-on and break one to four fields: the visitor gets the form back (400)
    with "Please check your answers" and an error next to each broken field; nothing is stored or mailed.
    Bodies over PLEDGE_MAX_REQUEST_BYTES get "Too much text" (413) instead."""
    RAN.add("sign_on")
    pairs, corrupted = data.draw(bad_sign_on(world))
    body, content_type = encode(pairs, multipart)
    before = snapshot(world)
    response = send(world, "POST", f"/w/{world.site_key}", data=body, content_type=content_type,
                    query_string=query, headers=headers_for(accept_language))
    html = response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    if len(body) > MAX_BYTES:
        assert response.status_code == 413
        assert says(world, response, "Too much text") and says(world, response, "Please shorten your answers and try again.")
    else:
        assert response.status_code == 400, (corrupted, html[:2000])
        assert says(world, response, "Please check your answers")
        for name in corrupted:
            if name == "form_token":
                assert says(world, response, *FORM_TOKEN_ERRORS)
            else:
                assert f'id="{name}-error"' in html, (name, dict(pairs).get(name))
    assert snapshot(world) == before


@settings(max_examples=60, **BASE)
@example(name="name", blank=" ")  # the plainest case first: a name of one space
@given(
    name=st.sampled_from(["name", "organization", "goal", "actions", "timetable"]),
    blank=st.text(st.sampled_from(" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2003\u3000"), min_size=1, max_size=5),
)
def test_required_answer_made_of_blank_characters_is_refused(world, name, blank):
    """A required answer of spaces (or of invisible characters Python counts as spaces) is no answer:
    the visitor must be asked to fill it in, and nothing may be stored."""
    RAN.add("blank")
    data = dict(world.valid_form(), **{name: blank})
    before = snapshot(world)
    response = send(world, "POST", f"/w/{world.site_key}", data=data)
    if response.status_code != 400:
        stored = world.store.query(f"SELECT {name} FROM signons WHERE email = ?", [data["email"]])
        pytest.fail(f"required {name}={blank!r} was accepted (HTTP {response.status_code}); stored {name}: {stored}")
    assert f'id="{name}-error"' in response.get_data(as_text=True)
    assert snapshot(world) == before


@settings(max_examples=20, **BASE)
@given(consent=st.sampled_from([None, "", "false"]))
def test_unticked_consent_is_refused(world, consent):
    """WTForms reads "false" (and "" or nothing) as an unticked box: no consent, no sign-on."""
    RAN.add("consent")
    data = world.valid_form()
    if consent is None:
        del data["consent"]
    else:
        data["consent"] = consent
    before = snapshot(world)
    response = send(world, "POST", f"/w/{world.site_key}", data=data)
    if response.status_code != 400:
        stored = world.store.query("SELECT status, consent_at FROM signons WHERE email = ?", [data["email"]])
        pytest.fail(f"consent={consent!r} was accepted (HTTP {response.status_code}); stored (status, consent_at): {stored}")
    assert says(world, response, "Please tick this box to sign.")
    assert snapshot(world) == before


@settings(max_examples=100, **BASE)
@given(
    data=st.data(),
    kind=st.sampled_from(["random", "truncated_multipart", "truncated_urlencoded"]),
    content_type=st.one_of(
        st.sampled_from(["application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=xyz",
                         "multipart/form-data; boundary=", "application/json", "text/plain", "application/octet-stream"]),
        ASCII_HEADER,
    ),
)
def test_malformed_body_is_refused_and_stores_nothing(world, data, kind, content_type):
    """Bytes that are not a well-formed form (random, or a valid sign-on cut short before its form token)
    get a 400 page (413 when too big), never a 500, and store nothing."""
    RAN.add("malformed")
    if kind == "random":
        body = data.draw(st.binary(max_size=2000) | st.builds(lambda b, n: b * n, st.binary(min_size=1, max_size=8), st.integers(1, 20_000)))
    else:
        # The form token comes last, so any cut breaks it (or drops it) whatever the parser keeps.
        form = world.valid_form("cut@example.org")  # a fixed length: the cut is drawn within it
        pairs = [(k, v) for k, v in form.items() if k != "form_token"] + [("form_token", form["form_token"])]
        if kind == "truncated_multipart":
            full, content_type = encode(pairs, multipart=True)
            boundary = content_type.split("boundary=")[1]
            end = len(full) - len(f"--{boundary}--\r\n")
        else:
            full, content_type = encode(pairs, multipart=False)
            end = len(full) - 1  # the last character of the token at least is gone
        body = full[: end * data.draw(st.integers(0, 10_000)) // 10_000]  # (the boundary's length varies)
    before = snapshot(world)
    response = send(world, "POST", f"/w/{world.site_key}", data=body, content_type=content_type)
    if len(body) > MAX_BYTES:
        assert response.status_code == 413
    else:
        assert response.status_code == 400, response.get_data(as_text=True)[:2000]
        assert says(world, response, *FORM_TOKEN_ERRORS, "This request could not be understood")
    assert snapshot(world) == before


# -- unknown sites -----------------------------------------------------------------------------------


@st.composite
def unknown_site_key(draw, w: World):
    key = draw(st.one_of(
        ANY_TEXT,
        st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True),  # shaped like a key
        st.sampled_from([w.site_key + "\n", w.site_key.upper(), w.site_key.lower(), w.site_key[:-1], w.site_key + "x",
                         " " + w.site_key, w.site_key + "%", "x" * 65, ".", "..", "\x00",
                         "/" + w.site_key, w.site_key + "/", "//evil.example", "/\\evil.example"]),
    ))
    assume(key not in (w.site_key, w.other_key))
    return key


@settings(max_examples=120, **BASE)
@given(data=st.data(), accept_language=ACCEPT_LANGUAGE)
def test_unknown_site_key_gets_a_not_found_page_and_json(world, data, accept_language):
    """A mistyped or made-up site key gets "Page not found" (widget, GET and POST) and a JSON
    not_found error readable from any origin (count API); a POST to it stores nothing, even with a
    form that would be valid on a real site."""
    RAN.add("site_key")
    key = data.draw(unknown_site_key(world))
    quoted = quote(key, safe="")
    headers = headers_for(accept_language)
    before = snapshot(world)
    for method in ("GET", "POST"):
        response = send(world, method, f"/w/{quoted}", data=world.valid_form() if method == "POST" else None, headers=headers)
        if routed(key):
            assert response.status_code == 404
            assert response.mimetype == "text/html"
            assert says(world, response, "Page not found")
            assert says(world, response, "There is no pledge form at this address. Please check the address, or tell the web site that showed you this link.")
        else:
            outside_our_routes(response)
    response = send(world, "GET", f"/api/v1/sites/{quoted}/count", headers=headers)
    if routed(key):
        assert response.status_code == 404
        assert response.mimetype == "application/json"
        assert response.json["error"] == "not_found"
        assert response.json["message"].startswith("No site with the key")
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    else:
        outside_our_routes(response)
    assert snapshot(world) == before


# -- confirm and withdraw links -----------------------------------------------------------------------

CONFIRM_ROUTES = [("GET", "/confirm/{}"), ("POST", "/confirm/{}"), ("POST", "/confirm/{}/renew")]
WITHDRAW_ROUTES = [("GET", "/withdraw/{}"), ("POST", "/withdraw/{}")]
LINK_TEXTS = {
    400: "This link is not valid",
    404: "We cannot find this signature",
    410: "This link has expired",
}


@st.composite
def bad_link(draw, w: World):
    """``(token, {(method, route): expected status})`` for a link that must not do anything."""
    everywhere = CONFIRM_ROUTES + WITHDRAW_ROUTES
    kind = draw(st.sampled_from(["text", "shaped", "wrong_purpose", "tampered", "not_a_string", "unknown_id",
                                 "unknown_id_expired", "other_secret", "expired_pending"]))
    if kind == "text":
        token = draw(st.one_of(ANY_TEXT.filter(bool), SPECIALS, LONG))
        return token, {route: 400 for route in everywhere}
    if kind == "shaped":
        return draw(bad_token_shape().filter(bool)), {route: 400 for route in everywhere}
    if kind == "wrong_purpose":
        # A genuine token of an existing sign-on, made for another purpose than the route's.
        signon_id = draw(st.sampled_from([w.pending_id, w.confirmed_id]))
        purpose = draw(st.sampled_from(["confirm", "withdraw", "form", "host-login"]))
        routes = {"confirm": WITHDRAW_ROUTES, "withdraw": CONFIRM_ROUTES}.get(purpose, everywhere)
        return sign(purpose, signon_id), {route: 400 for route in routes}
    if kind == "tampered":
        signon_id = draw(st.sampled_from([w.pending_id, w.confirmed_id]))
        purpose, routes = draw(st.sampled_from([("confirm", CONFIRM_ROUTES), ("withdraw", WITHDRAW_ROUTES)]))
        token = tampered(sign(purpose, signon_id), draw(st.integers(0, 1000)), draw(B64_CHAR))
        return token, {route: 400 for route in routes}
    if kind == "other_secret":
        signon_id = draw(st.sampled_from([w.pending_id, w.confirmed_id]))
        purpose, routes = draw(st.sampled_from([("confirm", CONFIRM_ROUTES), ("withdraw", WITHDRAW_ROUTES)]))
        secret = draw(st.text(min_size=1).filter(lambda s: s != SECRET))
        return sign(purpose, signon_id, secret=secret), {route: 400 for route in routes}
    if kind == "not_a_string":
        purpose, routes = draw(st.sampled_from([("confirm", CONFIRM_ROUTES), ("withdraw", WITHDRAW_ROUTES)]))
        return sign(purpose, draw(NOT_A_STRING), expired=draw(st.booleans())), {route: 400 for route in routes}
    if kind in ("unknown_id", "unknown_id_expired"):
        signon_id = draw(ANY_TEXT | st.from_regex(r"[A-Za-z0-9_-]{24}", fullmatch=True))
        assume(signon_id not in (w.pending_id, w.confirmed_id))
        purpose, routes = draw(st.sampled_from([("confirm", CONFIRM_ROUTES), ("withdraw", WITHDRAW_ROUTES)]))
        return sign(purpose, signon_id, expired=kind == "unknown_id_expired"), {route: 404 for route in routes}
    # An expired confirmation link of a pending sign-on: shown, refused (asking for a new link is legitimate).
    return sign("confirm", w.pending_id, expired=True), {("GET", "/confirm/{}"): 410, ("POST", "/confirm/{}"): 410}


@settings(max_examples=220, **BASE)
@given(data=st.data(), accept_language=ACCEPT_LANGUAGE)
def test_bad_confirm_and_withdraw_links_get_a_clear_page_and_change_nothing(world, data, accept_language):
    """Random text, token-shaped junk, tampered tokens, tokens of another purpose or secret, tokens of
    unknown sign-ons, expired links: "not valid" (400), "cannot find" (404) or "expired" (410), never a
    500, and nothing is confirmed, counted, mailed or withdrawn."""
    RAN.add("links")
    token, expected = data.draw(bad_link(world))
    quoted = quote(token, safe="")
    before = snapshot(world)
    for (method, route), status in expected.items():
        response = send(world, method, route.format(quoted), headers=headers_for(accept_language))
        assert response.mimetype == "text/html"
        if routed(token):
            assert response.status_code == status, (method, route, token)
            assert says(world, response, LINK_TEXTS[status])
            assert response.headers["Referrer-Policy"] == "no-referrer"  # the token must not leak
        else:
            # A "/" in the token may land on another of our routes (".../x/renew"): its 400 or 405.
            outside_our_routes(response, also=(400,))
    assert snapshot(world) == before


# -- summary -------------------------------------------------------------------------------------------


def test_summary_at_least_1000_bad_requests(capsys):
    """The issue asks for at least 1,000 generated bad requests: print how many went out and what they got."""
    total = sum(SENT.values())
    with capsys.disabled():
        print(f"\n[test_bad_input] {total} bad requests sent; status codes: {dict(sorted(SENT.items()))}")
    if RAN != {"sign_on", "blank", "consent", "malformed", "site_key", "links"}:
        pytest.skip(f"only part of the module ran ({sorted(RAN)}): the count is not meaningful")
    assert total >= MIN_REQUESTS
    assert all(400 <= code < 500 for code in SENT), SENT  # every bad request: a 4xx, never a 5xx (nor a redirect)
