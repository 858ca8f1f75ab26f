"""A host enters signed paper declarations for one of its sites: one by one, or as a CSV file.

They wait for the operator's approval (``pledge-widget paper approve``) and count only then.
"""
from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.wrappers import Response

from .. import paper
from ..appstate import state
from ..store import Counts
from .blueprint import bp
from ..views.common import current_language
from .access import check_csrf, host_page, own_site
from ..whole_numbers import whole_number


class PaperFileForm(FlaskForm):
    """A CSV file of paper sign-ons; Flask-WTF's session CSRF protects it (a first-party page)."""

    file = FileField(_l("CSV file"), validators=[FileRequired(message=_l("Please choose a file."))],
                     render_kw={"accept": ".csv,text/csv"})


@bp.app_template_global("pledge_paper_counts")
def paper_counts(campaign: str, site_key: str) -> Counts:
    """Approved paper sign-ons of a site and of its campaign (the host's dashboard shows them)."""
    return state().store.paper_counts(campaign, site_key)


@bp.route("/sites/<site_key>/paper", methods=["GET", "POST"], endpoint="paper")
def host_paper(site_key: str) -> Response:
    email, site, campaign = own_site(site_key)
    lang = current_language()
    kind = request.form.get("kind") if request.method == "POST" else None
    if request.method == "POST":
        check_csrf()
        if kind not in ("one", "csv"):
            abort(400)
    one = paper.build_paper_form(campaign, lang, request.form if kind == "one" else None)
    upload = PaperFileForm(formdata=CombinedMultiDict((request.files, request.form)) if kind == "csv" else None)
    csv_result = None
    if kind == "one" and one.validate():
        entry = paper.entry_of(one)
        if entry is not None:
            paper.add(site, campaign, lang, [entry])
            return redirect(url_for("host.paper", site_key=site.key, added=1), code=303)
    elif kind == "csv" and upload.validate():
        csv_result = paper.add_csv(site, campaign, lang, upload.file.data.read(paper.max_csv_bytes() + 1))
        if not csv_result.errors:
            return redirect(url_for("host.paper", site_key=site.key, added=len(csv_result.entries)), code=303)
    failed = kind is not None
    added = request.args.get("added", "")
    store = state().store
    return host_page(
        "host/paper.html", 400 if failed else 200,
        email=email, site=site, campaign=campaign, one=one, upload=upload, csv_result=csv_result,
        required=paper.required_fields(campaign), csv_fields=paper.paper_fields(campaign),
        max_kb=paper.max_csv_bytes() // 1024, max_rows=paper.MAX_CSV_ROWS,
        added=0 if failed else whole_number(added, high=10**6) or 0,
        waiting=store.paper_signons(site.key), approved=store.paper_counts(campaign.slug, site.key),
    )
