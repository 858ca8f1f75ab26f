"""The sign-on form, built for one campaign, validated by Flask-WTF without any cookie.

Inside a cross-site iframe Safari and Firefox send no third-party cookie, so Flask-WTF's
session-based CSRF token can never work there. The form carries instead a signed, time-stamped
token of its own (``form_token``): it proves the form came from us for this site, and says when
it was handed out.
"""
from __future__ import annotations

import secrets
import time
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.csrf.core import CSRF
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import Select
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from . import countries, disposable
from .addresses import InvalidAddress, normalise_email
from .campaigns import Campaign
from .domains import MAX_WEBSITE, registrable_domain
from .text import MAX_MARKS, clean_text, stacked_marks, unsafe_character
from .tokens import TokenExpired, TokenInvalid, Tokens

#: Longest answer accepted per field (characters, after normalisation).
MAX_LENGTHS = {
    "name": 200,
    "email": 254,
    "organization": 300,
    "website": MAX_WEBSITE,
    "goal": 2000,
    "actions": 2000,
    "timetable": 200,
    "resources": 2000,
}

LABELS = {
    "name": _l("Your name"),
    "email": _l("E-mail address"),
    "organization": _l("Organisation"),
    "website": _l("Website"),
    "org_type": _l("Type of organisation"),
    "country": _l("Country"),
    "goal": _l("Our goal"),
    "actions": _l("Types of action"),
    "timetable": _l("Timetable"),
    "resources": _l("Resources dedicated"),
}
MULTILINE = {"goal", "actions", "resources"}


class FormTokenCSRF(CSRF):
    """A CSRF implementation that signs ``{site, lang, nonce}`` with the form salt instead of using a session."""

    def setup_form(self, form: FlaskForm) -> Any:
        self.context: dict[str, Any] = form.meta.csrf_context
        return super().setup_form(form)

    def generate_csrf_token(self, csrf_token_field: Any) -> str:
        # When the form was first shown, carried over when it comes back with errors: the minimum fill
        # time counts from there, not from the error page (a person who fixes one box in two seconds is
        # not a bot).
        return form_token(self.context["tokens"], self.context["site_key"], self.context["lang"],
                          self.context.get("first_shown"))

    def validate_csrf_token(self, form: FlaskForm, field: Any) -> None:
        tokens: Tokens = self.context["tokens"]
        try:
            payload, issued_at = tokens.loads("form", field.data or "")
        except TokenExpired:
            raise ValidationError(_l("This form was open for too long. Please check your answers and send it again."))
        except TokenInvalid:
            raise ValidationError(_l("This form could not be checked. Please send it again."))
        if not isinstance(payload, dict) or payload.get("s") != self.context["site_key"]:
            raise ValidationError(_l("This form could not be checked. Please send it again."))
        form.issued_at = first_shown(payload, issued_at)


def form_token(tokens: Tokens, site_key: str, lang: str, first_shown: float | None = None,
               shared_at: int | None = None) -> str:
    """A signed form token for a site's widget form, shown first at ``first_shown`` (default: now).

    ``shared_at``: the token cached widget pages carry, dated and signed at that moment with no random
    part, so that every process makes the same one; their script asks for a fresh one when the visitor
    starts filling the form in (see ``/w/<key>/token``), so the minimum fill time counts from there.
    """
    if shared_at is not None:
        return tokens.dumps("form", {"s": site_key, "l": lang, "n": "shared", "f": shared_at}, at=shared_at)
    payload = {"s": site_key, "l": lang, "n": secrets.token_hex(4), "f": int(first_shown or time.time())}
    return tokens.dumps("form", payload)


def first_shown(payload: Any, issued_at: float) -> float:
    """When the visitor first saw the form a token belongs to (its own time, or the first form's)."""
    first = payload.get("f") if isinstance(payload, dict) else None
    return min(float(first), issued_at) if isinstance(first, (int, float)) and not isinstance(first, bool) else issued_at


def _first_shown_of(tokens: Tokens, formdata: Any) -> float | None:
    """The first-shown time of the form token a visitor sent back, if it is a genuine one."""
    if not formdata or not formdata.get("form_token"):
        return None
    try:
        payload, issued_at = tokens.loads("form", formdata.get("form_token"))
    except (TokenExpired, TokenInvalid):
        return None
    return first_shown(payload, issued_at)


#: Why an address at a disposable mail service cannot sign (see widget.disposable).
DISPOSABLE_MESSAGE = _l("Please use a lasting e-mail address: addresses of disposable mail services cannot sign.")


def valid_address(form: FlaskForm, field: Any) -> None:
    """An address email-validator accepts (checked once per address: see widget.addresses), and not one of a
    disposable mail service (``PLEDGE_BLOCK_DISPOSABLE``)."""
    try:
        normalised = normalise_email(field.data or "")
    except InvalidAddress:
        raise ValidationError(_l("Please enter a valid e-mail address, such as name@example.org.")) from None
    if disposable.refused(normalised):
        raise ValidationError(DISPOSABLE_MESSAGE)


def valid_website(form: FlaskForm, field: Any) -> None:
    """A web address whose host has a registrable domain (``example.org``, ``https://www.example.org/about``)."""
    if field.data and not registrable_domain(field.data):
        raise ValidationError(_l("Please enter a web address, such as example.org.")) from None


def no_control_characters(form: FlaskForm, field: Any) -> None:
    """Refuse what can spoof, hide text or break a display (see :func:`widget.text.unsafe_character` and
    :func:`widget.text.stacked_marks`)."""
    if unsafe_character(field.data or "", multiline=field.name in MULTILINE):
        raise ValidationError(_l("Please remove the invisible control characters from this answer."))
    if stacked_marks(field.data or ""):
        raise ValidationError(_l("Please use at most %(max)d accents or other marks on one letter.", max=MAX_MARKS))


def build_form(campaign: Campaign, lang: str, site_key: str, tokens: Tokens, formdata: Any = None,
               site_name: str = "") -> FlaskForm:
    """An instance of the sign-on form of ``campaign`` in ``lang``, for the widget of ``site_key``
    (``site_name``: the host site's name, which the optional contact consent names)."""

    class Meta:
        csrf = True  # our own token, not Flask-WTF's session one: always on
        csrf_class = FormTokenCSRF
        csrf_field_name = "form_token"
        csrf_context = {"tokens": tokens, "site_key": site_key, "lang": lang,
                        "first_shown": _first_shown_of(tokens, formdata)}

    attrs: dict[str, Any] = {"Meta": Meta}
    for name in campaign.fields:
        attrs[name] = (_contact_consent(campaign, site_name) if name == "contact_consent"
                       else _optional_consent(campaign, name) if name in OPTIONAL_WORDING else _field(campaign, name, lang))
    form_class = type("SignOnForm", (FlaskForm,), attrs)
    form = form_class(formdata=formdata)
    form.issued_at = None
    return form


def _contact_consent(campaign: Campaign, site_name: str) -> BooleanField:
    """The separate, optional, unticked box that lets the host see the signatory's name and address."""
    text = campaign.text("contact_consent") or str(_l("%(site)s may contact me about this pledge (optional)."))
    label = Markup("<span%s>%s</span>") % (campaign.lang_attr("contact_consent"), text.replace("%(site)s", site_name))
    return BooleanField(label, default=False)


#: The default wording of the optional boxes that let us write again later (a campaign may word its own).
OPTIONAL_WORDING = {
    "checkin_consent": _l("Ask us later how our commitment is going (optional)."),
    "news_consent": _l("Send me news of this campaign now and then (optional)."),
}


def _optional_consent(campaign: Campaign, name: str) -> BooleanField:
    """One of the separate, optional, unticked boxes of :data:`OPTIONAL_WORDING`."""
    text = campaign.text(name) or str(OPTIONAL_WORDING[name])
    return BooleanField(Markup("<span%s>%s</span>") % (campaign.lang_attr(name), text), default=False)


def _required(campaign: Campaign, name: str) -> list[Any]:
    # DataRequired, not InputRequired: it checks the answer after trimming, so "   " is no answer.
    if campaign.is_required(name):
        return [DataRequired(message=_l("Please fill in this field."))]
    return [Optional()]


def _field(campaign: Campaign, name: str, lang: str) -> Any:
    label = campaign.text(f"label.{name}") or LABELS.get(name, name)
    description = campaign.text(f"help.{name}")
    filters = [clean_text]
    if name == "consent":
        # DataRequired: "consent=false" is a box left unticked, however non-empty the raw value is.
        validators = [DataRequired(message=_l("Please tick this box to sign."))] if campaign.is_required(name) else []
        lang = campaign.lang_attr("consent")
        text = campaign.text("consent")
        # The consent is the text a person agrees to: tag its language when it is not the page's.
        label = Markup("<span%s>%s</span>") % (lang, text) if lang else text
        return BooleanField(label, validators=validators)
    if name == "email":
        return EmailField(
            label,
            filters=filters,
            validators=[
                DataRequired(message=_l("Please enter your e-mail address.")),
                Length(max=MAX_LENGTHS["email"], message=_l("Please use at most %(max)d characters.")),
                valid_address,
            ],
            # An address reads left to right in every language (Arabic pages included).
            render_kw={"autocomplete": "email", "inputmode": "email", "spellcheck": "false", "dir": "ltr"},
        )
    if name == "website":
        return StringField(
            label,
            description=description,
            filters=filters,
            validators=_required(campaign, name) + [
                Length(max=MAX_LENGTHS[name], message=_l("Please use at most %(max)d characters.")),
                no_control_characters,
                valid_website,
            ],
            # An address reads left to right in every language.
            render_kw={"autocomplete": "url", "inputmode": "url", "spellcheck": "false", "dir": "ltr"},
        )
    if name in ("org_type", "country"):
        if name == "org_type":
            options = [(code, campaign.text(f"org_type.{code}", code)) for code in campaign.org_types]
        else:
            options = list(countries.choices(lang))
        message = _l("Please choose one of the options.")
        return _select(label, description, options, campaign.is_required(name), message)
    field_class = TextAreaField if name in MULTILINE else StringField
    render_kw = {"autocomplete": {"name": "name", "organization": "organization"}.get(name, "off")}
    return field_class(
        label,
        description=description,
        filters=filters,
        validators=_required(campaign, name)
        + [
            Length(max=MAX_LENGTHS[name], message=_l("Please use at most %(max)d characters.")),
            no_control_characters,
        ],
        render_kw=render_kw,
    )


class FastSelect(Select):
    """A select rendered once per language while nothing is chosen (the usual widget load), then reused:
    the country list alone is 249 options on every page view."""

    _cache: dict[tuple, Markup] = {}

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        if field.data:
            return super().__call__(field, **kwargs)
        key = (field.name, field.id, str(get_locale()), tuple(sorted((k, str(v)) for k, v in kwargs.items())),
               tuple((choice.value, str(choice.label)) for choice in field.choices))
        html = self._cache.get(key)
        if html is None:
            html = super().__call__(field, **kwargs)
            if len(self._cache) < 512:  # languages x campaigns x (error or not): a small, bounded set
                self._cache[key] = html
        return html


def _select(label: Any, description: str, options: list[tuple[str, str]], required: bool, message: Any) -> SelectField:
    valid = {code for code, _ in options}

    def one_of_the_options(form: FlaskForm, field: Any) -> None:
        if field.data and field.data not in valid:
            raise ValidationError(message)

    return SelectField(
        label,
        choices=[SelectChoice("", _l("Choose…"))] + [SelectChoice(code, text) for code, text in options],
        description=description,
        validators=([DataRequired(message=message)] if required else [Optional()]) + [one_of_the_options],
        validate_choice=False,
        widget=FastSelect(),
    )


def aria_attributes(field: Any, required: bool) -> dict[str, str]:
    """The ARIA attributes that tie a field to its help and error texts (only those that apply)."""
    described = [f"{field.id}-{part}" for part, present in (("help", field.description), ("error", field.errors)) if present]
    attributes = {}
    if described:
        attributes["aria-describedby"] = " ".join(described)
    if field.errors:
        attributes["aria-invalid"] = "true"
    if required and field.type != "BooleanField":
        attributes["aria-required"] = "true"
    elif required:
        attributes["required"] = True  # a checkbox takes no aria-required; "required" is its native twin
    return attributes


class SignInForm(FlaskForm):
    """The address a sign-in link is mailed to (the host's and the desk's sign-in pages, first-party pages
    that Flask-WTF's session CSRF protects)."""

    email = EmailField(
        _l("E-mail address"),
        filters=[clean_text],
        validators=[
            DataRequired(message=_l("Please enter your e-mail address.")),
            Length(max=254, message=_l("Please use at most %(max)d characters.")),
            Email(message=_l("Please enter a valid e-mail address, such as name@example.org."),
                  check_deliverability=False),
        ],
        render_kw={"autocomplete": "email"},
    )
