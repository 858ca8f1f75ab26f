"""What every view shares: the page renderer, public URLs and the security headers."""
from __future__ import annotations

from datetime import date as date_type
from datetime import datetime, timezone
from typing import Any

from flask import current_app, g, render_template, request
from flask_babel import (format_date, format_datetime, format_decimal, format_percent, format_time, get_locale,
                         get_translations)
from markupsafe import Markup
from werkzeug.wrappers import Response

from .. import countries, i18n
from ..body_limit import limit_body
from ..campaigns import Campaign
from ..forms import aria_attributes
from ..appstate import state
from .blueprint import blueprint

def content_security_policy(frame_ancestors: str = "'none'", frame_src: str | None = None,
                            style_hash: str | None = None) -> str:
    """Our pages load only our own files, run no inline script, and may not be framed, except the
    widget, which the caller widens to its site's origins (and whose inlined stylesheet it allows by hash)."""
    style = "'self'" + (f" 'sha256-{style_hash}'" if style_hash else "")
    policy = (
        f"default-src 'none'; style-src {style}; script-src 'self'; img-src 'self' data:; connect-src 'self'; "
        f"form-action 'self'; base-uri 'none'; frame-ancestors {frame_ancestors}"
    )
    return policy + (f"; frame-src {frame_src}" if frame_src else "")


DEFAULT_CSP = content_security_policy()
#: What every answer of ours carries unless it says otherwise (the widget's CSP names who may frame it).
SECURITY_HEADERS = (("Content-Security-Policy", DEFAULT_CSP), ("X-Content-Type-Options", "nosniff"),
                    ("Referrer-Policy", "strict-origin-when-cross-origin"))
#: Strict-Transport-Security, on answers over HTTPS (over plain HTTP it would mean nothing).
HSTS = "max-age=31536000"


def current_language(campaign: Campaign | None = None) -> str:
    """The language of this request (see :func:`widget.i18n.request_language`), among those of
    ``campaign`` when a page belongs to one."""
    if campaign is None:
        default = state().campaign(current_app.config["PLEDGE_DEFAULT_CAMPAIGN"]).default_lang
        return i18n.request_language(default)
    return i18n.request_language(campaign.default_lang, campaign.available_languages)


def render_page(template: str, lang: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """Render in ``lang`` whatever locale selector the host app has."""
    g.pledge_lang = lang
    context.setdefault("languages", i18n.LANGUAGES)
    with i18n.speaking(lang):
        body = render_template(template, lang=lang, dir=i18n.direction(lang), autonym=i18n.autonym, **context)
    return body, status


def private_page(template: str, lang: str, status: int = 200, **context: Any) -> Response:
    """A page that must not be cached nor leak its URL (a token, a dashboard) through the Referer header."""
    body, status = render_page(template, lang, status, **context)
    response = current_app.make_response((body, status))
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def number(value: int) -> str:
    """A count written for the current locale: 12,345 in English, 12 345 in French."""
    return format_decimal(value)


def signatures(n: int) -> str:
    """"12,345 signatures", with the plural form and the number written for the current language."""
    return get_translations().ungettext("%(num)s signature", "%(num)s signatures", n) % {"num": number(n)}


def date(timestamp: float) -> str:
    """A day written for the current locale: 25 November 2026, 25 novembre 2026."""
    return format_date(datetime.fromtimestamp(timestamp, tz=timezone.utc), format="long")


@blueprint.app_template_global("pledge_date")
def _date_global(timestamp: float) -> str:
    return date(timestamp)


def pledge_day_of(day: date_type) -> str:
    """A day written for the current locale, short: 25 Nov 2026."""
    return format_date(day, format="medium")


@blueprint.app_template_global("pledge_day")
def _day_global(day: str | date_type) -> str:
    """A "YYYY-MM-DD" day from SQLite (or a date), written for the current locale."""
    return pledge_day_of(day if isinstance(day, date_type) else datetime.strptime(day, "%Y-%m-%d").date())


@blueprint.app_template_filter("pledge_utc_day")
def _utc_day_filter(timestamp: float) -> date_type:
    """The UTC day of a moment (the days of the charts and exports are UTC days)."""
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).date()


@blueprint.app_template_global("pledge_moment")
def _moment_global(timestamp: float) -> str:
    """A moment written for the current locale, to the minute, in UTC: 25 Nov 2026, 14:05 UTC."""
    return format_datetime(datetime.fromtimestamp(timestamp, tz=timezone.utc), format="medium", rebase=False) + " UTC"


def day_and_time(timestamp: float) -> tuple[str, str]:
    """A moment for the current locale, in UTC: its day written out (1 March 2027) and its time with the
    time zone named in that language (09:00 UTC, 09:00 TU)."""
    moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    return (format_date(moment, format="long"),
            f"{format_time(moment, format='short', rebase=False)} {format_time(moment, format='zzz', rebase=False)}")


@blueprint.app_template_global("pledge_day_and_time")
def _day_and_time_global(timestamp: float) -> tuple[str, str]:
    return day_and_time(timestamp)


@blueprint.app_template_global("pledge_percent")
def _percent_global(value: float) -> str:
    return format_percent(value, format="#,##0.#%")


@blueprint.app_template_global("pledge_country")
def _country_global(code: str) -> str:
    return countries.name(code, str(get_locale()))


@blueprint.app_template_global("pledge_aria")
def _aria_global(field: Any, required: bool) -> dict[str, str]:
    return aria_attributes(field, required)


@blueprint.app_template_filter("bdi")
def _bdi_filter(value: Any) -> Markup:
    """Text of unknown direction (a site's name, an address) inside a sentence: isolated, so a Latin
    name in an Arabic sentence, or the reverse, keeps the sentence's punctuation where it belongs."""
    return Markup("<bdi>%s</bdi>") % value


@blueprint.app_template_global("pledge_number")
def _number_global(value: int) -> str:
    return number(value)


def before_page() -> None:
    """What every request to a page of ours needs first (the visitor's pages and the host pages)."""
    limit_body()
    pledge = state()
    # Our catalogues for everything this request translates (see widget.i18n.speaking).
    pledge.domain.as_default()
    pledge.ensure_sender()


def security_headers(response: Response) -> Response:
    """Our security headers on ``response``, where it has not set its own: for every answer of our
    blueprints, and of the whole standalone app (its 404s, 405s, robots.txt)."""
    for name, value in SECURITY_HEADERS:
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def page_headers(response: Response) -> Response:
    """The headers of every answer of our pages: ours, and ``no-store`` on an answer to a POST (one visitor's)."""
    if request.method not in ("GET", "HEAD"):
        response.headers.setdefault("Cache-Control", "no-store")
    return security_headers(response)


blueprint.before_request(before_page)
blueprint.after_request(page_headers)
