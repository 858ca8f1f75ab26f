"""The words of an ask: the e-mail, the letter and the council resolution a person uses to ask an
organisation to sign, per kind of organisation, and the ``mailto:`` link that opens the e-mail in their
own mail program.

Ours are gettext texts (English msgids): for the built-in "4 per 1000" campaign, one paragraph per kind of
organisation on what signing means for it; for any other campaign, a plainer ask that names the campaign.
A campaign's texts may replace them, per kind and per language (``ask.<code>.email_subject``,
``ask.<code>.email_body``, ``ask.<code>.letter``, ``ask.resolution``; docs/campaigns.md). A replacement is
taken only in the letter's own language: a letter never mixes two. Texts hold two placeholders,
``%(title)s`` (the campaign's title) and ``%(url)s`` (the sign-on page); anything else is left as written.

Everything here speaks the language of the caller's :func:`widget.i18n.speaking`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from flask_babel import gettext

from .builtin_campaign import CAMPAIGN as BUILTIN, N_
from .campaigns import Campaign

#: Mail programs refuse or cut longer links (Outlook on Windows near 2,048 characters): the draft is
#: shortened to stay under this, and the page offers the full text to copy.
MAILTO_MAX = 1800
#: The kind of organisation that gets a model council resolution (the contract's code for states, local
#: authorities and international organisations).
RESOLUTION_KIND = "public_authority"
#: Where a resolution leaves a blank to fill by hand.
BLANK = "________________"
#: The commitment fields of the sign-on form, in plain words (the letter lists those a campaign asks).
COMMITMENTS = {
    "goal": N_("A goal: what the organisation aims to achieve."),
    "actions": N_("The types of action it will take."),
    "timetable": N_("A timetable."),
    "resources": N_("The resources it dedicates: people, money, land or equipment."),
}

# -- ours, for the 4 per 1000 Declaration of Intent --------------------------------------------------

#: Per kind: the e-mail's subject (also the letter's), a paragraph for the e-mail, one for the letter.
KINDS = {
    "public_authority": (
        N_("Will your council sign the 4 per 1000 Declaration for soils?"),
        N_("Councils that sign say in public what they will do for the soils they manage or influence: parks and "
           "school grounds, farmland they own or rent out, compost from green waste, meals in their canteens, "
           "advice to local farmers."),
        N_("A council can start with what it already runs: parks, school grounds and cemeteries, the farmland it "
           "owns or rents out, compost from green waste, meals in its canteens, its planning rules and its advice "
           "to local farmers. By signing, and by passing a resolution to do so, it shows the schools, farms and "
           "businesses of the area the way."),
    ),
    "funding_body": (
        N_("Will you support healthy soils by signing the 4 per 1000 Declaration?"),
        N_("Funders that sign say in public how they will support healthy soils: a programme of their own, soil "
           "criteria for the projects they fund, or help for farmers and foresters who change their practices."),
        N_("A funder can make a difference far beyond its own grounds: a programme for soil health, soil criteria "
           "in the projects it already supports, or help for farmers and foresters during the years it takes to "
           "change their practices. Your commitment tells the people you fund that soils matter to you."),
    ),
    "civil_society": (
        N_("Will your association sign the 4 per 1000 Declaration for soils?"),
        N_("Associations that sign say in public what they will do for soils: a community garden or a compost "
           "scheme, workshops, a campaign in their town, or care for the land they look after."),
        N_("An association needs no land of its own to act. It can start a community garden or a compost scheme, "
           "run workshops, bring farmers and townspeople together, or speak up for soils in its town. Signing "
           "puts its name on the public list beside the organisations that have made the same commitment."),
    ),
    "producers_group": (
        N_("Will your group sign the 4 per 1000 Declaration for soils?"),
        N_("Farmers' and foresters' groups that sign say in public what they will do on their members' land: "
           "cover crops, hedges and trees, less tillage, compost and manure, training and visits between members."),
        N_("Farmers and foresters know their soils better than anyone. Your group can set a goal for its members' "
           "land and choose the practices that suit it: cover crops, hedges and trees, less tillage, compost and "
           "manure, grazing that lets the grass grow back, training and visits between members. Soils richer in "
           "carbon hold more water and give steadier harvests."),
    ),
    "company": (
        N_("Will your company sign the 4 per 1000 Declaration for soils?"),
        N_("Companies that sign say in public what they will do for soils: on their own sites, with the farmers "
           "who supply them, through their products or with their staff."),
        N_("Every company depends on soils, through its food, its raw materials or its land. Yours can act on its "
           "own sites, with the farmers who supply it, in its products and with its staff. Signing is a public "
           "commitment that the company words itself, with a goal and a timetable it can keep."),
    ),
    "research": (
        N_("Will your school or institute sign the 4 per 1000 Declaration for soils?"),
        N_("Schools, universities and research bodies that sign say in public what they will do for soils: "
           "teaching and training, research on soil carbon, or care for the soil of their own grounds."),
        N_("Schools, universities and research institutes shape what the next generation knows about soils. "
           "Yours can teach and train, take part in research on soil carbon, measure and look after the soil of "
           "its own grounds with its pupils or students, and share what it learns."),
    ),
}
OUR_EMAIL_INTRO = N_(
    "I am writing to ask you to sign the 4 per 1000 Declaration of Intent for soils, food security and the "
    "climate. Those who sign recognise that soils need to be regenerated, and commit to act: they state their "
    "goal, the types of action they will take, a timetable and the resources they dedicate."
)
OUR_LETTER_INTRO = N_(
    "Soils feed us, hold water, shelter life and store carbon, yet in many places they are worn out. The "
    "4 per 1000 initiative asks organisations of every kind to recognise that soils need to be regenerated, "
    "to commit to act, and to say how. I am writing to ask you to sign its Declaration of Intent."
)
OUR_RESOLUTION = N_(
    "The council of %(blank)s, meeting on %(blank)s,\n\n"
    "noting that soils are degraded in many places and need to be regenerated; that healthy soils feed people, "
    "hold water and shelter life; and that storing more carbon in soils helps to limit climate change;\n\n"
    "noting that the 4 per 1000 initiative invites public authorities, companies, associations, farmers' and "
    "foresters' groups, research bodies and funders to sign its Declaration of Intent and to state how they "
    "will act;\n\n"
    "resolves:\n\n"
    "1. to sign the Declaration of Intent of the 4 per 1000 initiative;\n\n"
    "2. to state, by %(blank)s, its goal for the soils it manages or influences, the types of action it will "
    "take, its timetable and the resources it dedicates;\n\n"
    "3. to ask %(blank)s to prepare these commitments and to report to the council on their progress every "
    "%(blank)s.\n\n"
    "Adopted by %(blank)s votes for, %(blank)s against and %(blank)s abstentions.\n\n"
    "Signed: %(blank)s"
)

# -- ours, for any other campaign ---------------------------------------------------------------------

ANY_SUBJECT = N_("Will you sign %(title)s?")
ANY_ASK = N_("I am writing to ask you to sign %(title)s.")
ANY_RESOLUTION = N_(
    "The council of %(blank)s, meeting on %(blank)s,\n\n"
    "having considered %(title)s,\n\n"
    "resolves:\n\n"
    "1. to sign %(title)s;\n\n"
    "2. to state, by %(blank)s, what it commits to do, by when and with what resources;\n\n"
    "3. to ask %(blank)s to prepare these commitments and to report to the council on their progress every "
    "%(blank)s.\n\n"
    "Adopted by %(blank)s votes for, %(blank)s against and %(blank)s abstentions.\n\n"
    "Signed: %(blank)s"
)

# -- shared -------------------------------------------------------------------------------------------

GREETING = N_("Hello,")
SALUTATION = N_("Dear Madam or Sir,")
SIGN_HERE = N_("Signing takes a few minutes, on this page:\n%(url)s")
THANKS = N_("With thanks,")


@dataclass(frozen=True)
class Ask:
    """The words of one ask, in one language."""

    subject: str
    #: The e-mail's paragraphs (one of them holds the sign-on address).
    email: tuple[str, ...]
    #: The letter's paragraphs, from its salutation to before its closing.
    letter: tuple[str, ...]
    #: What signing commits to, in plain words (the campaign's commitment fields).
    commitments: tuple[str, ...]
    #: The model council resolution's paragraphs (blanks to fill), for the kind that gets one; else empty.
    resolution: tuple[str, ...]

    @property
    def body(self) -> str:
        """The e-mail's text, as it is copied or put into the mail program."""
        return "\n\n".join(self.email)


_PLACEHOLDER = re.compile(r"%%|%\((\w+)\)s")


def fill(text: str, **values: str) -> str:
    """``text`` with its ``%(name)s`` placeholders replaced by ``values``; an unknown one, or a stray ``%``,
    stays as written (a campaign's text or a translation can never break a page)."""
    return _PLACEHOLDER.sub(lambda m: "%" if m.group(0) == "%%" else values.get(m.group(1), m.group(0)), text)


def paragraphs(text: str) -> tuple[str, ...]:
    """A text's paragraphs (blank-line separated), trimmed."""
    return tuple(p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip())


def kind_of(campaign: Campaign, value: str | None) -> str | None:
    """``value`` if it is one of the campaign's organisation types, else its first (None: it has none)."""
    if value in campaign.org_types:
        return value
    return campaign.org_types[0] if campaign.org_types else None


def campaign_text(campaign: Campaign, lang: str, key: str) -> str:
    """A campaign's own text ``key`` in ``lang`` exactly ("" when it has none in that language)."""
    if campaign.translate is not None:  # texts in our catalogues: every language has them
        return campaign.text(key)
    return campaign.texts.get(lang, {}).get(key, "")


def compose(campaign: Campaign, lang: str, kind: str | None, url: str) -> Ask:
    """The ask to an organisation of ``kind``, in ``lang`` (the caller speaks it), pointing at ``url``."""
    title = campaign.text("title")
    values = {"title": title, "url": url, "blank": BLANK}
    ours = KINDS.get(kind or "") if campaign.slug == BUILTIN.slug else None

    def own(name: str) -> str:
        return campaign_text(campaign, lang, f"ask.{kind}.{name}") if kind else ""

    subject = own("email_subject") or gettext(ours[0] if ours else ANY_SUBJECT)
    email = paragraphs(own("email_body"))
    if not email:
        intro = (gettext(OUR_EMAIL_INTRO), gettext(ours[1])) if ours else (gettext(ANY_ASK), campaign.text("summary"))
        email = paragraphs("\n\n".join((gettext(GREETING), *intro, gettext(SIGN_HERE), gettext(THANKS))))
    email = tuple(fill(p, **values) for p in email)
    if not any(url in p for p in email):  # a campaign's own e-mail without its address: add it
        email = (*email, fill(gettext(SIGN_HERE), **values))
    letter = paragraphs(own("letter"))
    if not letter:
        intro = (gettext(OUR_LETTER_INTRO), gettext(ours[2])) if ours else (gettext(ANY_ASK), campaign.text("summary"))
        letter = paragraphs("\n\n".join((gettext(SALUTATION), *intro)))
    resolution = ""
    if kind == RESOLUTION_KIND:
        resolution = (campaign_text(campaign, lang, "ask.resolution")
                      or gettext(OUR_RESOLUTION if campaign.slug == BUILTIN.slug else ANY_RESOLUTION))
    return Ask(
        subject=" ".join(fill(subject, **values).split()),  # one line: a subject is a header
        email=email,
        letter=tuple(fill(p, **values) for p in letter),
        commitments=tuple(gettext(COMMITMENTS[name]) for name in COMMITMENTS if name in campaign.fields),
        resolution=tuple(fill(p, **values) for p in paragraphs(resolution)),
    )


def mailto_url(subject: str, email: tuple[str, ...], keep: str, limit: int = MAILTO_MAX) -> tuple[str, bool]:
    """A ``mailto:`` URL with no recipient (RFC 6068: every character but the unreserved ones
    percent-encoded as UTF-8, line breaks as ``%0D%0A``), and whether the e-mail had to be shortened to
    stay under ``limit`` characters: the longest paragraphs go first, never the one holding ``keep``
    (the sign-on address), which at worst stands alone."""

    def url(parts: tuple[str, ...]) -> str:
        body = "\r\n\r\n".join(parts).replace("\r\n", "\n").replace("\n", "\r\n")
        return f"mailto:?subject={quote(subject, safe='')}&body={quote(body, safe='')}"

    parts = email
    while len(url(parts)) > limit:
        droppable = [p for p in parts if keep not in p]
        if not droppable:
            parts = (keep,)
            break
        longest = max(droppable, key=len)
        parts = tuple(p for i, p in enumerate(parts) if i != parts.index(longest))
    return url(parts), parts != email
