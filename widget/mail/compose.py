"""Composing the e-mails we send, from templates, in the language of the request (or a forced one)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any, Callable

from flask import current_app, render_template
from flask_babel import format_date, format_decimal, get_translations
from flask_babel import gettext as _

from ..campaigns import Campaign
from ..i18n import direction, speaking
from ..store import Mail
from ..text import unlinkable
from ..urls import public_base_url


def _compose(to: str, lang: str, template: str, subject: Callable[[], str], **context: Any) -> Mail:
    """Render ``mail/<template>.txt`` and ``.html``, and call ``subject`` (a gettext call), all in ``lang``."""
    # unlinkable: what people typed (an organisation's, a site's name) never becomes a link in our mails.
    context.update(lang=lang, dir=direction(lang), privacy_url=current_app.config["PLEDGE_PRIVACY_URL"],
                   service_url=public_base_url(), unlinkable=unlinkable)
    with speaking(lang):
        context["service"] = service_name()
        # In the service's own words, beside what people typed: which links to trust.
        context["only_ours"] = _("Only the links in this e-mail that start with %(url)s come from us: never open an "
                                 "address written in what was typed in the form or in a web site’s name.",
                                 url=context["service_url"] + "/")  # the slash: pledge.example.evil.example is not ours
        return Mail(
            to=to,
            subject=subject(),
            text=render_template(f"mail/{template}.txt", **context),
            html=render_template(f"mail/{template}.html", **context),
            kind=template,
        )


def service_name() -> str:
    """How e-mails name the service: PLEDGE_SERVICE_NAME, else "Pledge widget" in the current language."""
    return current_app.config["PLEDGE_SERVICE_NAME"] or _("Pledge widget")


def confirmation(
    to: str, lang: str, campaign: Campaign, organization: str, confirm_url: str, withdraw_url: str, max_age_hours: int,
    site_name: str = "",
    leave_url: str = "",
) -> Mail:
    """The e-mail with the one link that confirms a sign-on (``site_name``: the host site it came through,
    whose view of the data the mail states; ``leave_url``: the link that takes the organisation off the
    public list of signatories, for a sign-on that will be on it)."""
    return _compose(
        to, lang, "confirm", lambda: _("Please confirm your signature: %(title)s", title=campaign.text("title")),
        campaign=campaign, organization=organization, confirm_url=confirm_url, withdraw_url=withdraw_url,
        max_age_hours=max_age_hours, signatory=True, site_name=site_name, leave_url=leave_url,
    )


def already_signed(to: str, lang: str, campaign: Campaign, withdraw_url: str, site_name: str = "") -> Mail:
    """Sent instead of a confirmation link when the address has already signed: nothing to confirm."""
    return _compose(
        to, lang, "already_signed", lambda: _("You have already signed: %(title)s", title=campaign.text("title")),
        campaign=campaign, withdraw_url=withdraw_url, signatory=True, site_name=site_name,
    )


def host_login(to: str, lang: str, login_url: str, campaigns: list[Campaign]) -> Mail:
    """The one-time link that signs a host in to the dashboard; it names the service and the campaigns
    of the host's sites, so the mail is recognisable among others."""
    return _compose(
        to, lang, "host_login", lambda: _("Your sign-in link: %(service)s", service=service_name()),
        login_url=login_url, campaign_titles=[c.text("title") for c in campaigns],
    )


def admin_login(to: str, lang: str, login_url: str) -> Mail:
    """The one-time link that starts an admin's sign-in to the operator's desk (a TOTP code follows)."""
    return _compose(
        to, lang, "admin_login", lambda: _("Sign in to the operator desk: %(service)s", service=service_name()),
        login_url=login_url,
    )


def unsubscribe_headers(unsubscribe_url: str) -> dict[str, str]:
    """One-click unsubscribe (RFC 8058): mail clients POST ``List-Unsubscribe=One-Click`` to the URL."""
    return {"List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def milestone(to: str, lang: str, site_name: str, campaign: Campaign, threshold: int, count: int,
              dashboard_url: str, unsubscribe_url: str, settings_url: str) -> Mail:
    """Tells a host that one of its sites has passed ``threshold`` confirmed signatures (``count`` now)."""

    def subject() -> str:
        return get_translations().ungettext(
            "%(site)s has passed %(num)s signature for %(title)s",
            "%(site)s has passed %(num)s signatures for %(title)s", threshold,
        ) % {"site": site_name, "num": format_decimal(threshold), "title": campaign.text("title")}

    mail = _compose(
        to, lang, "milestone", subject, site_name=site_name, campaign=campaign, threshold=threshold, count=count,
        dashboard_url=dashboard_url, unsubscribe_url=unsubscribe_url, settings_url=settings_url,
    )
    return replace(mail, headers=unsubscribe_headers(unsubscribe_url))


def widget_problem(to: str, lang: str, site_name: str, dashboard_url: str, unsubscribe_url: str,
                   settings_url: str) -> Mail:
    """Tells a host that visitors' browsers reported its site's widget could not show on a page. Names no
    page: reports are anyone's word, and the dashboard (``dashboard_url``) says where, why and the fix."""

    def subject() -> str:
        return _("The widget of %(site)s could not show on a page", site=site_name)

    mail = _compose(to, lang, "widget_problem", subject, site_name=site_name, dashboard_url=dashboard_url,
                    unsubscribe_url=unsubscribe_url, settings_url=settings_url)
    return replace(mail, headers=unsubscribe_headers(unsubscribe_url))


def digest(to: str, lang: str, day: date, sites: list[dict[str, Any]], unsubscribe_url: str, settings_url: str) -> Mail:
    """A host's daily digest: per site (``{"site", "campaign", "count", "rows", "more", "dashboard_url"}``),
    the sign-ons confirmed on ``day`` (UTC); each row holds only what the host may see (see
    :func:`widget.notifications.digest_row`)."""
    total = sum(entry["count"] for entry in sites)

    def subject() -> str:
        return get_translations().ungettext(
            "%(num)s new signature through your web sites on %(day)s",
            "%(num)s new signatures through your web sites on %(day)s", total,
        ) % {"num": format_decimal(total), "day": format_date(day, format="medium")}

    mail = _compose(
        to, lang, "digest", subject, day=day, sites=sites, total=total,
        unsubscribe_url=unsubscribe_url, settings_url=settings_url,
    )
    return replace(mail, headers=unsubscribe_headers(unsubscribe_url))


def checkin(to: str, lang: str, campaign: Campaign, answers: dict[str, str], progress_url: str, stop_url: str,
            withdraw_url: str, fresh_link: bool = False) -> Mail:
    """A check-in: recalls the signatory's own goal and actions and asks, through ``progress_url``, how the
    commitment goes; ``stop_url`` stops check-ins in one click (RFC 8058). ``fresh_link``: a new link the
    signatory asked for on the page of a used or expired one."""
    mail = _compose(
        to, lang, "checkin", lambda: _("How is your commitment going? %(title)s", title=campaign.text("title")),
        campaign=campaign, organization=answers.get("organization", ""), goal=answers.get("goal", ""),
        actions=answers.get("actions", ""), timetable=answers.get("timetable", ""), progress_url=progress_url,
        stop_url=stop_url, withdraw_url=withdraw_url, fresh_link=fresh_link,
    )
    return replace(mail, headers=unsubscribe_headers(stop_url))
def alert(to: str, lang: str, what: Any, count: int, usual: float, since: str, desk_url: str) -> Mail:
    """Tells an admin of a surge: ``count`` sign-ons from ``what`` (a lazy text naming the client, domain or
    site) in the hour from ``since`` (UTC, as text), where ``usual`` an hour is the rate of the week before."""
    return _compose(
        to, lang, "alert", lambda: _("Sign-on alert: %(what)s", what=str(what)),
        what=what, count=format_decimal(count), usual=format_decimal(round(usual, 1)), since=since, desk_url=desk_url,
    )



def news(to: str, lang: str, campaign: Campaign, subject: str, body: str, text_lang: str, stop_url: str,
         withdraw_url: str, test: bool = False) -> Mail:
    """A campaign's news, written on the desk in ``text_lang`` (the signatory's ``lang``, or the campaign's
    default language when the update has no text in theirs: the mail says so); ``stop_url`` stops news in one
    click (RFC 8058). ``test``: the copy an admin sends to themself before the real thing."""
    mail = _compose(
        to, lang, "news", lambda: subject, campaign=campaign, news_subject=subject, body=body, text_lang=text_lang,
        text_dir=direction(text_lang), stop_url=stop_url, withdraw_url=withdraw_url, test=test,
    )
    return replace(mail, headers=unsubscribe_headers(stop_url))
