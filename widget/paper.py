"""Paper sign-ons: signed paper declarations a host collected and enters, one by one or as a CSV file.

They wait (status ``paper``), counted in nothing, until the operator approves them (``pledge-widget
paper approve``): then they are confirmed sign-ons like the others, and counted apart too, so totals
read "1,234 signatures, 56 of them on paper". A rejected one is deleted. The host view and the command
line both call these functions.

A paper declaration may carry no e-mail address: such a sign-on gets a stand-in address of its own
(see :data:`widget.store.NO_EMAIL_DOMAIN`), never mailed, never exported.
"""
from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import EmailField
from wtforms.validators import Email, Length, Optional

from . import disposable
from .addresses import InvalidAddress, mailbox, normalise_email
from .campaigns import Campaign
from .appstate import state
from .forms import DISPOSABLE_MESSAGE, LABELS, MAX_LENGTHS, _field
from .store import NO_EMAIL_DOMAIN, SignOn, Site, new_id
from .store.admin import Audit
from .text import clean_text

#: The columns a CSV file may have (the contract's field names), in the order the template shows them.
CSV_FIELDS = ("name", "email", "organization", "org_type", "country", "goal", "actions", "timetable", "resources")
#: The largest CSV file accepted, whatever PLEDGE_MAX_REQUEST_BYTES (see :func:`max_csv_bytes`).
MAX_CSV_BYTES = 1024 * 1024
#: The most sign-ons one file may hold.
MAX_CSV_ROWS = 500
#: The most row errors shown for one file (the rest are counted).
MAX_ERRORS_SHOWN = 50

#: Labels that speak of the signatory, not to them (the widget's say "Your name", "Our goal").
PAPER_LABELS = {
    "name": _l("Name of the signatory"),
    "email": _l("E-mail address of the signatory (optional)"),
    "goal": _l("Goal"),
}


def max_csv_bytes() -> int:
    """The largest CSV file accepted: every request, a file included, must keep under PLEDGE_MAX_REQUEST_BYTES
    (64 KiB by default, so 60 KiB here), whose other 4 KiB leave room for the form around the file."""
    return max(1024, min(MAX_CSV_BYTES, current_app.config["PLEDGE_MAX_REQUEST_BYTES"] - 4096))


def paper_fields(campaign: Campaign) -> tuple[str, ...]:
    """The fields of a paper sign-on of ``campaign``: those of its form but the consents (the paper is signed)."""
    return tuple(name for name in campaign.fields if name in CSV_FIELDS)


def required_fields(campaign: Campaign) -> tuple[str, ...]:
    """The fields a paper sign-on must fill in: the campaign's required ones but the e-mail address."""
    return tuple(name for name in paper_fields(campaign) if campaign.is_required(name) and name != "email")


def build_paper_form(campaign: Campaign, lang: str, formdata: Any, csrf: bool = True) -> FlaskForm:
    """The form of one paper sign-on: the widget's fields, validators and limits, the e-mail address optional.

    ``csrf``: Flask-WTF's session token (the host's page); False to check a row of a CSV file.
    """

    class Meta:
        pass

    if not csrf:
        Meta.csrf = False  # type: ignore[attr-defined]
    attrs: dict[str, Any] = {"Meta": Meta}
    for name in paper_fields(campaign):
        attrs[name] = _email_field() if name == "email" else _field(campaign, name, lang)
    form = type("PaperForm", (FlaskForm,), attrs)(formdata=formdata)
    for name in paper_fields(campaign):
        if name in PAPER_LABELS and not campaign.text(f"label.{name}"):
            form[name].label.text = PAPER_LABELS[name]
        # The host types someone else's declaration: its browser must not fill in the host's own name.
        form[name].render_kw = dict(form[name].render_kw or {}, autocomplete="off")
        form[name].description = ""  # the widget's hints speak to the signatory ("your organisation")
    return form


def _email_field() -> EmailField:
    return EmailField(
        LABELS["email"],
        filters=[clean_text],
        validators=[
            Optional(),
            Length(max=MAX_LENGTHS["email"], message=_l("Please use at most %(max)d characters.")),
            Email(message=_l("Please enter a valid e-mail address, such as name@example.org."), check_deliverability=False),
        ],
        render_kw={"autocomplete": "off", "inputmode": "email", "spellcheck": "false", "dir": "ltr"},
    )


@dataclass
class Entry:
    """One paper sign-on ready to store: its answers and its address (normalised), or None."""

    answers: dict[str, str]
    email: str | None = None
    row: int | None = None  # its row in a CSV file


def entry_of(form: FlaskForm) -> Entry | None:
    """The answers of a validated paper form; None (and an error on its e-mail field) for an address
    that cannot be stored."""
    names = [name for name in form._fields if name not in ("email", "csrf_token")]
    email = form.email.data if "email" in form and form.email.data else None
    if email:
        try:
            email = normalise_email(email)
        except InvalidAddress:
            form.email.errors = [_("Please enter a valid e-mail address, such as name@example.org.")]
            return None
        if disposable.refused(email):
            form.email.errors = [str(DISPOSABLE_MESSAGE)]
            return None
    return Entry({name: form[name].data for name in names if form[name].data}, email)


def add(site: Site, campaign: Campaign, lang: str, entries: list[Entry]) -> None:
    """Store paper sign-ons for ``site``, waiting for the operator, all together.

    Whether an address has signed already is not checked here: a host is another organisation, and any
    organisation may become a host, so its pages must not tell which addresses signed (nor which wait on
    paper elsewhere). The operator's ``paper approve`` finds it out and counts such an entry nothing.
    """
    now = time.time()
    signons = []
    for entry in entries:
        signon_id = new_id(18)
        signons.append(SignOn(
            id=signon_id, campaign=campaign.slug, site_key=site.key,
            email=entry.email or f"paper-{signon_id.lower()}@{NO_EMAIL_DOMAIN}",
            lang=lang, status="paper", created_at=now, confirmed_at=None, consent_at=now,
            consent_version=f"{campaign.consent_version}/paper", answers=entry.answers, source="paper",
        ))
    state().store.add_paper_signons(signons)


# -- CSV files --------------------------------------------------------------------------------------


@dataclass
class CSVResult:
    """What reading a CSV file gave: the entries, or the errors (one text per problem, naming row and column)."""

    entries: list[Entry] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    more_errors: int = 0  # errors not listed (over MAX_ERRORS_SHOWN)

    def error(self, message: str) -> None:
        if len(self.errors) < MAX_ERRORS_SHOWN:
            self.errors.append(message)
        else:
            self.more_errors += 1


def row_error(row: int, column: str, message: str) -> str:
    return _("Row %(row)s, column “%(column)s”: %(message)s", row=row, column=column, message=message)


def read_csv(data: bytes, campaign: Campaign, lang: str) -> CSVResult:
    """Check a whole CSV file of paper sign-ons (a header row of field names, UTF-8 with or without BOM):
    every bad row is named, with its column; entries only when there is no error at all."""
    result = CSVResult()
    if len(data) > max_csv_bytes():
        result.error(_("The file is too large: at most %(kb)s KB, or %(rows)s rows, per file.",
                       kb=max_csv_bytes() // 1024, rows=MAX_CSV_ROWS))
        return result
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.error(_("The file is not UTF-8 text: save it as “CSV UTF-8” and send it again."))
        return result
    if "\x00" in text:
        result.error(_("The file is not a CSV file."))
        return result
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line and "," not in first_line else ","  # spreadsheets set to French, German...
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = list(enumerate(reader, start=1))
    except csv.Error:  # a cell longer than the csv module takes, a stray quote in strict mode, ...
        result.error(_("Row %(row)s cannot be read as CSV: please check its quotes.", row=reader.line_num))
        return result
    if not records or not any(cell.strip() for cell in records[0][1]):
        result.error(_("The file is empty: its first row must name the columns, such as %(columns)s.",
                       columns=",".join(paper_fields(campaign))))
        return result
    columns = _header(records[0][1], campaign, result)
    if result.errors:
        return result
    rows = [(number, cells) for number, cells in records[1:] if any(cell.strip() for cell in cells)]
    if not rows:
        result.error(_("The file has no signatures under its header row."))
        return result
    if len(rows) > MAX_CSV_ROWS:
        result.error(_("The file has %(count)s rows: at most %(rows)s per file, please split it.",
                       count=len(rows), rows=MAX_CSV_ROWS))
        return result
    seen: dict[str, int] = {}
    for number, cells in rows:
        if len(cells) != len(columns):
            result.error(_("Row %(row)s: %(found)s cells where the header has %(expected)s columns.",
                           row=number, found=len(cells), expected=len(columns)))
            continue
        written = {name: cell.strip() for name, cell in zip(columns, cells)}
        values = dict(written)
        if values.get("country"):
            values["country"] = values["country"].upper()
        form = build_paper_form(campaign, lang, MultiDict(values), csrf=False)
        if not form.validate():
            for name in columns:
                if form[name].errors:  # the cell quoted as the user wrote it ("France", not "FRANCE")
                    result.error(row_error(number, name, _cell_message(campaign, name, written[name], form[name].errors[0])))
            continue
        entry = entry_of(form)
        if entry is None:
            result.error(row_error(number, "email", form.email.errors[0]))
            continue
        entry.row = number
        if entry.email:
            box = mailbox(entry.email)  # a+1@ and a@ are one signatory: one of them signs
            if box in seen:
                result.error(row_error(number, "email", _("This address is on row %(row)s already.", row=seen[box])))
                continue
            seen[box] = number
        result.entries.append(entry)
    if result.errors:
        result.entries = []
    return result


def _header(cells: list[str], campaign: Campaign, result: CSVResult) -> list[str]:
    """The column names of a header row; each problem with it is an error of row 1."""
    allowed = paper_fields(campaign)
    columns = [cell.strip().lower() for cell in cells]
    for name in dict.fromkeys(columns):
        if name not in allowed:
            result.error(_("Row 1: “%(column)s” is not a column of this campaign's sign-ons; the columns are: %(columns)s.",
                           column=name[:40], columns=", ".join(allowed)))
        elif columns.count(name) > 1:
            result.error(_("Row 1: the column “%(column)s” is there twice.", column=name))
    for name in required_fields(campaign):
        if name not in columns:
            result.error(_("Row 1: the column “%(column)s” is missing (required).", column=name))
    return columns


def _cell_message(campaign: Campaign, name: str, value: str, message: str) -> str:
    """A form's error, said for a cell of a file: a code no select box offers gets a message of its own."""
    if name == "country" and value:
        return _("“%(value)s” is not a country code (ISO 3166-1, two letters, such as FR).", value=value[:40])
    if name == "org_type" and value:
        return _("“%(value)s” is not a type of organisation; the types are: %(codes)s.",
                 value=value[:40], codes=", ".join(campaign.org_types))
    if name in ("country", "org_type"):
        return _("Please fill in this field.")
    return str(message)


def add_csv(site: Site, campaign: Campaign, lang: str, data: bytes) -> CSVResult:
    """Read a CSV file and store all its sign-ons, or none of them when any row has an error."""
    result = read_csv(data, campaign, lang)
    if result.errors:
        return result
    add(site, campaign, lang, result.entries)
    return result


# -- the operator -------------------------------------------------------------------------------------


def approve(signon_ids: list[str] | None = None, audit: Audit | None = None) -> dict[str, str]:
    """Approve waiting paper sign-ons (all of them when ``signon_ids`` is None), with the audit entries
    ``audit`` makes: see :meth:`widget.store.paper.PaperTables.approve_paper`."""
    store = state().store
    if signon_ids is None:
        signon_ids = [signon.id for signon in store.paper_signons()]
    return store.approve_paper(signon_ids, audit=audit)


def reject(signon_ids: list[str], audit: Audit | None = None) -> tuple[list[str], list[str]]:
    """Delete waiting paper sign-ons, each with the audit entry ``audit`` makes of its id:
    ``(rejected, not waiting)``."""
    store = state().store
    rejected, unknown = [], []
    for signon_id in signon_ids:
        (rejected if store.reject_paper(signon_id, audit=audit) else unknown).append(signon_id)
    return rejected, unknown

