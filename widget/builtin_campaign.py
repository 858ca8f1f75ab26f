"""The built-in ``4p1000`` campaign: the "4 per 1000" Declaration of Intent, in our own words.

Its texts are gettext messages, so translators find them in ``translations/`` with the rest of the
interface. ``N_`` only marks them for extraction; :meth:`Campaign.text` translates at request time.
"""
from __future__ import annotations

from flask_babel import gettext

from .campaigns import DEFAULT_FIELDS, Campaign


def N_(message: str) -> str:
    """Mark a message for extraction without translating it yet."""
    return message


ORG_TYPES = ("public_authority", "funding_body", "civil_society", "producers_group", "company", "research")

TEXTS = {
    "title": N_("4 per 1000: Declaration of Intent for soils, food security and the climate"),
    "summary": N_(
        "Organisations of every kind commit to regenerate soils and to store more carbon in them."
    ),
    "declaration": N_(
        "Our organisation recognises that soils are degraded in many parts of the world and need "
        "to be regenerated. Healthy soils feed people, hold water, shelter life and help farmers "
        "and foresters cope with a changing climate.\n\n"
        "Soils hold more carbon than the air and all plants together. Raising the carbon stored "
        "in the world's soils by a few parts per thousand each year would do much to slow the "
        "build-up of carbon dioxide in the atmosphere.\n\n"
        "We therefore commit to support and carry out policies, research and practical actions "
        "that keep carbon in soils and add to it, in ways that respect food security and the "
        "people who live from the land.\n\n"
        "Below we state our goal, the types of action we will take, our timetable and the "
        "resources we dedicate, so that our commitment can be followed."
    ),
    "consent": N_(
        "I sign this Declaration of Intent on behalf of my organisation, and I agree that its "
        "name, type and country are published among the signatories."
    ),
    "contact_consent": N_(
        "%(site)s, the site showing this form, may also see my name and e-mail address and contact me "
        "about this pledge (optional)."
    ),
    "org_type.public_authority": N_("State, local authority or international organisation"),
    "org_type.funding_body": N_("Funding body, public or private, or foundation"),
    "org_type.civil_society": N_("Association or non-governmental organisation"),
    "org_type.producers_group": N_("Farmers' or foresters' group"),
    "org_type.company": N_("Company"),
    "org_type.research": N_("Research organisation or training institute"),
    "help.goal": N_("What your organisation aims to achieve for soil carbon."),
    "help.actions": N_("For example: farming practices, research, training, funding, public policy."),
    "help.timetable": N_("For example: 2026 to 2030."),
    "help.resources": N_("People, money, land or equipment you dedicate."),
}

CAMPAIGN = Campaign(
    slug="4p1000",
    goal=100_000,
    default_lang="en",
    languages=(),  # every language of the service
    fields=DEFAULT_FIELDS,
    required=frozenset(
        {"name", "email", "organization", "org_type", "country", "goal", "actions", "timetable", "consent"}
    ),
    org_types=ORG_TYPES,
    consent_version="4p1000-declaration-2026-11",
    texts={"en": TEXTS},
    translate=gettext,
    source="builtin",
    # Six months after confirming, then yearly until the end of the year the organisation's timetable names
    # (three check-ins in all where it names none): the Declaration's own timetable is the schedule.
    checkins=("P6M",),
    checkins_repeat="P1Y",
    checkins_until="timetable",
    checkins_max=3,
)
