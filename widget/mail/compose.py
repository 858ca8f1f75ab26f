"""Composing the e-mails we send, from templates, in the language of the request (or a forced one)."""
from __future__ import annotations

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from ..campaigns import Campaign
from ..i18n import direction
from ..store import Mail


def confirmation(
    to: str, lang: str, campaign: Campaign, organization: str, confirm_url: str, withdraw_url: str, max_age_hours: int
) -> Mail:
    """The e-mail with the one link that confirms a sign-on."""
    context = {
        "lang": lang,
        "dir": direction(lang),
        "campaign": campaign,
        "organization": organization,
        "confirm_url": confirm_url,
        "withdraw_url": withdraw_url,
        "max_age_hours": max_age_hours,
    }
    with force_locale(lang):
        return Mail(
            to=to,
            subject=_("Please confirm your signature: %(title)s", title=campaign.text("title")),
            text=render_template("mail/confirm.txt", **context),
            html=render_template("mail/confirm.html", **context),
        )


def already_signed(to: str, lang: str, campaign: Campaign, withdraw_url: str) -> Mail:
    """Sent instead of a confirmation link when the address has already signed: nothing to confirm."""
    context = {"lang": lang, "dir": direction(lang), "campaign": campaign, "withdraw_url": withdraw_url}
    with force_locale(lang):
        return Mail(
            to=to,
            subject=_("You have already signed: %(title)s", title=campaign.text("title")),
            text=render_template("mail/already_signed.txt", **context),
            html=render_template("mail/already_signed.html", **context),
        )


def host_login(to: str, lang: str, login_url: str) -> Mail:
    """The one-time link that signs a site's owner in to the host dashboard."""
    context = {"lang": lang, "dir": direction(lang), "login_url": login_url}
    with force_locale(lang):
        return Mail(
            to=to,
            subject=_("Your link to the host dashboard"),
            text=render_template("mail/host_login.txt", **context),
            html=render_template("mail/host_login.html", **context),
        )
