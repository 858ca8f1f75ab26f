"""A host's webhooks for one of its sites: register an https:// URL (its secret shown once), remove one,
and see each endpoint's status and recent deliveries. The operator's per-campaign ones are `webhook add`."""
from __future__ import annotations

from flask import current_app, redirect, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from .. import webhooks
from ..appstate import state
from .blueprint import bp
from .access import check_csrf, host_page, own_site
from ..whole_numbers import whole_number


@bp.route("/sites/<site_key>/webhooks", methods=["GET", "POST"], endpoint="webhooks")
def host_webhooks(site_key: str) -> Response:
    email, site, campaign = own_site(site_key)
    store = state().store
    secret = refused = too_many = None
    url = ""
    if request.method == "POST":
        check_csrf()
        remove = request.form.get("remove", "")
        if remove:
            ours = {endpoint.id for endpoint in store.list_webhooks(site.key)}
            chosen = whole_number(remove)
            if chosen in ours:
                store.remove_webhook(chosen)
            return redirect(url_for("host.webhooks", site_key=site.key), code=303)
        url = request.form.get("url", "").strip()[:2000]
        try:
            _endpoint, secret = webhooks.register(store, url, current_app.config["PLEDGE_WEBHOOKS_ALLOW_PRIVATE"],
                                                  site_key=site.key, owner_email=email)
        except webhooks.WebhookURLError:
            refused = True
        except webhooks.TooManyWebhooks:
            refused = too_many = True
    endpoints = [(endpoint, [dict(delivery, outcome=_outcome(delivery))
                             for delivery in store.recent_deliveries(endpoint.id, 10)])
                 for endpoint in store.list_webhooks(site.key)]
    return host_page("host/webhooks.html", 400 if refused else 200, email=email, site=site, campaign=campaign,
                     endpoints=endpoints, secret=secret, refused=refused, too_many=too_many,
                     most=webhooks.MAX_ENDPOINTS, url=url if refused else "")


def _outcome(delivery: dict) -> str:
    """A failed delivery's outcome, in our words and the host's language (never the remote's text)."""
    if delivery["delivered_at"] or not delivery["attempts"]:
        return ""
    message, values = webhooks.for_host(delivery["last_error"], delivery["last_status"])
    return gettext(message, **values)
