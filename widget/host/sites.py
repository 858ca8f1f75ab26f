"""A host's own sites: add one, its dashboard, edit it, rotate its key, delete it; notification choices."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from .. import checkins, embed_health, hosts, i18n
from ..chart import bar_chart, daily_series
from ..appstate import state
from ..forms import no_control_characters
from ..origins import InvalidOrigin, site_origin
from ..text import clean_text
from ..views.common import current_language, pledge_day_of, signatures
from .access import check_csrf, host_or_404, host_page, own_site
from .blueprint import bp
from .snippet import WIDGET_LANGUAGE_HELP, widget_language_choices
from ..urls import public_base_url
from ..utm import by_source
from ..whole_numbers import whole_number

CHART_DAYS = 30


def page_origin(address: str) -> str:
    """A webmaster may paste the address of the page where the widget goes: only its origin counts (the
    widget may then appear on every page of that site). A line without ``scheme://``, or with spaces or
    controls inside (which ``urlsplit`` would silently drop), is left for :func:`normalise_origin` to refuse."""
    if any(char.isspace() or not char.isprintable() for char in address.strip()):
        return address
    parts = urlsplit(address.strip())
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else address


def _origins(form: FlaskForm, field: Any) -> None:
    """One origin a line, each as a browser reports it, or ``*`` alone (any page); the first bad line is named."""
    origins = []
    for line in (field.data or "").splitlines():
        if not line.strip():
            continue
        try:
            origins.append(site_origin(page_origin(line)))
        except ValueError as exc:
            raise ValidationError(_origin_error(exc, line.strip()[:80]))
    if not origins:
        raise ValidationError(_("Please give at least one address, such as https://school.example"))
    if len(origins) > 20:
        raise ValidationError(_("Please give at most 20 addresses."))
    field.origins = list(dict.fromkeys(origins))


def _origin_error(exc: ValueError, line: str) -> str:
    """Why a line is no address of a web site, in the host's language."""
    reason = exc.reason if isinstance(exc, InvalidOrigin) else ""
    if reason == "host":
        return _("“%(line)s”: a web site’s name has only letters, digits, hyphens and dots (no spaces, quotes, "
                 "commas or semicolons), such as https://school.example", line=line)
    if reason == "port":
        return _("“%(line)s”: a port is a number from 1 to 65535, such as https://school.example:8443", line=line)
    if reason == "wildcard":
        return _("“%(line)s”: a * inside an address is not allowed; give each address, one a line, or * alone "
                 "for any page", line=line)
    return _("“%(line)s” is not an address such as https://school.example", line=line)


class SiteForm(FlaskForm):
    """A site's name and the origins of the pages that may show its widget."""

    name = StringField(_l("Name of the web site"), filters=[clean_text],
                       validators=[DataRequired(message=_l("Please fill in this field.")),
                                   Length(max=200, message=_l("Please use at most %(max)d characters.")),
                                   no_control_characters])
    origins = TextAreaField(
        _l("Addresses of the web site"),
        description=_l("One a line, such as https://school.example: only pages there may show the widget."),
        validators=[_origins], render_kw={"dir": "ltr", "spellcheck": "false", "autocomplete": "url"},
    )


class NewSiteForm(SiteForm):
    campaign = SelectField(_l("Campaign"), validate_choice=True)
    lang = SelectField(_l("Language of the widget"), validate_choice=True, description=WIDGET_LANGUAGE_HELP)


class SettingsForm(FlaskForm):
    notify_milestones = BooleanField(_l("E-mail me when a site passes a milestone"))
    milestones = StringField(
        _l("Milestones"), description=_l("Numbers of signatures, separated by commas, such as 10, 100, 1000."),
        filters=[clean_text],
    )
    notify_digest = BooleanField(_l("E-mail me a daily digest of new signatures"))
    notify_health = BooleanField(_l("E-mail me when my widget could not show on a page (at most once a week per site)"))

    def validate_milestones(self, field: Any) -> None:
        numbers = [whole_number(part) for part in (field.data or "").replace(" ", "").split(",") if part]
        if None in numbers:
            raise ValidationError(_("Please give whole numbers separated by commas."))
        values = sorted(set(numbers))
        if any(n <= 0 or n > 10_000_000 for n in values) or len(values) > 10:
            raise ValidationError(_("Please give at most 10 numbers, each between 1 and 10,000,000."))
        field.values = tuple(values)


def _new_site_form() -> NewSiteForm:
    pledge = state()
    form = NewSiteForm()
    # A closed campaign takes no new sites (their widgets would show nothing to sign).
    form.campaign.choices = [(slug, c.text("title")) for slug, c in pledge.campaigns.items() if c.status() != "closed"]
    # No language by default: a snippet with one (data-lang) would show it to every visitor of every page.
    form.lang.choices = widget_language_choices(i18n.LANGUAGES)
    if request.method == "GET":
        form.campaign.data = current_app.config["PLEDGE_DEFAULT_CAMPAIGN"]
        # From a signatory's thank-you page (widget.sharing.new_site_values): their campaign, their name.
        if request.args.get("campaign") in pledge.campaigns:
            form.campaign.data = request.args["campaign"]
        if request.args.get("name"):
            form.name.data = clean_text(request.args["name"])[:200]
    return form


@bp.route("/sites/new", methods=["GET", "POST"], endpoint="site_new")
def host_site_new() -> Response:
    email = host_or_404()
    form = _new_site_form()
    if request.method == "POST":
        if form.validate():
            site = hosts.add_site(email, form.name.data, form.origins.origins, form.campaign.data, form.lang.data or None)
            return redirect(url_for("host.snippet", site_key=site.key), code=303)
        return host_page("host/site_form.html", 400, email=email, form=form, site=None)
    return host_page("host/site_form.html", email=email, form=form, site=None)


@bp.route("/sites/<site_key>/edit", methods=["GET", "POST"], endpoint="site_edit")
def host_site_edit(site_key: str) -> Response:
    email, site, _campaign = own_site(site_key)
    form = SiteForm()
    if request.method == "GET":
        form.name.data, form.origins.data = site.name, "\n".join(site.origins)
    elif form.validate():
        state().store.update_site(site.key, name=form.name.data, origins=form.origins.origins)
        state().pages.clear()  # its preview shows the change at once (other processes within seconds)
        return redirect(url_for("host.site", site_key=site.key), code=303)
    return host_page("host/site_form.html", 400 if form.errors else 200, email=email, form=form, site=site)


@bp.post("/sites/<site_key>/rotate", endpoint="site_rotate")
def host_site_rotate(site_key: str) -> Response:
    _email, site, _campaign = own_site(site_key)
    check_csrf()
    new = hosts.rotate_key(site)
    return redirect(url_for("host.site", site_key=new.key), code=303)


@bp.route("/sites/<site_key>/delete", methods=["GET", "POST"], endpoint="site_delete")
def host_site_delete(site_key: str) -> Response:
    email, site, campaign = own_site(site_key)
    if request.method == "POST":
        check_csrf()
        state().store.remove_site(site.key)
        state().pages.clear()
        return redirect(url_for("host.start", done="deleted"), code=303)
    return host_page("host/site_delete.html", email=email, site=site, campaign=campaign)


@bp.route("/settings", methods=["GET", "POST"], endpoint="settings")
def host_settings() -> Response:
    email = host_or_404()
    store = state().store
    host = store.get_host(email)
    form = SettingsForm()
    saved = False
    if request.method == "GET":
        form.notify_milestones.data = host.notify_milestones
        form.milestones.data = ", ".join(str(n) for n in host.milestones)
        form.notify_digest.data = host.notify_digest
        form.notify_health.data = host.notify_health
    elif form.validate():
        store.update_host(email, notify_milestones=int(form.notify_milestones.data), milestones=form.milestones.values,
                          notify_digest=int(form.notify_digest.data), notify_health=int(form.notify_health.data),
                          lang=current_language())
        saved = True
    return host_page("host/settings.html", 400 if form.errors else 200, email=email, form=form, saved=saved)


@bp.get("/sites/<site_key>", endpoint="site")
def host_site(site_key: str) -> Response:
    """One site's dashboard: its counts, their pace, who signed, and where its widget was seen."""
    email, site, campaign = own_site(site_key)
    store = state().store
    counts = store.counts(campaign.slug, site.key)
    breakdown = store.breakdown(site.key, days=CHART_DAYS)
    today = datetime.now(timezone.utc).date()
    series = daily_series(breakdown["by_day"], CHART_DAYS, today)
    chart = bar_chart(
        series,
        _("Signatures per day through %(site)s, the last %(days)s days", site=site.name, days=CHART_DAYS),
        lambda day, n: f"{pledge_day_of(day)}: " + signatures(n),
        "chart-title",
    )
    seen = store.last_seen(site.key)
    sources, other_sources, untagged = by_source(breakdown["by_utm_source"])
    base = urlsplit(public_base_url())
    return host_page(
        "host/site.html",
        email=email, site=site, campaign=campaign, counts=counts, pending=store.pending_count(site.key),
        share=(counts.site / counts.total) if counts.total else 0.0, breakdown=breakdown, series=series, chart=chart,
        latest=store.latest_signons(site.key), seen=[(origin, seen.get(origin)) for origin in site.origins],
        old_keys=store.old_keys(site.key), now=time.time(), grace_days=current_app.config["PLEDGE_KEY_GRACE_DAYS"],
        sources=sources, other_sources=other_sources, untagged=untagged,
        # What visitors' browsers reported (the loader's beacons), each with its fix.
        problems=embed_health.problems(site), problem_text=embed_health.problem_text,
        service_origin=f"{base.scheme}://{base.netloc}",
        # How the signatories' commitments go: organisation and status, as they reported them (no update text:
        # an update is public once approved, and the host sees it there).
        progress=store.site_progress(site.key) if campaign.has_checkins else None, status_labels=checkins.STATUS_LABELS,
    )
