"""The Flask extension object: ``init_app`` reads the config and wires the app (store, blueprints, commands,
fast path). It is the top of the house: nothing in the package imports it back (the state it keeps lives in
:mod:`widget.appstate`)."""
from __future__ import annotations

import logging
import os
import time

from flask import Flask, abort, request
from flask_babel import Babel, Domain
from werkzeug.middleware.proxy_fix import ProxyFix

from . import (
    alerts, checkins, checkpoints, config, i18n, ledger, log_format, logs, metrics, news, notifications, retention,
)
from .abuse import limits_from_config
from .admin import bp as admin_blueprint
from .appstate import PledgeState, state
from .builtin_campaign import CAMPAIGN as BUILTIN_CAMPAIGN
from .caching import PageCache
from .campaign_registry import CampaignRegistry
from .campaigns import load_file
from .checkins import PROGRESS_LINK_MAX_AGE
from .cli import pledge
from .fastpath import PublicReads
from .probes import Probes
from .host import bp as host_blueprint
from .mail.bounces import VERP
from .mail.dkim import load_signer
from .mail.sender import OutboxSender
from .mail.transport import make_transport
from .ratelimit import init_rate_limits
from .resources import translations_dir
from .store import open_store, redact
from .tokens import Tokens
from .tracking import Tracking
from .trusted_hosts import LOOPBACK, is_trusted, trusted_hosts
from .views import blueprint
from .webhooks import WEBHOOK_KEEP_DAYS, WebhookSender

__all__ = ["PledgeWidget", "state"]

#: Who the senders' daily housekeeping is in the audit log (its retention erasures).
HOUSEKEEPING_ACTOR = "housekeeping"


class PledgeWidget:
    """The flask-pledge-widget extension: ``PledgeWidget(app)`` or ``PledgeWidget().init_app(app)``."""

    def __init__(self, app: Flask | None = None, *, standalone: bool = False):
        # The standalone service (create_app) generates a missing secret key and is run as `pledge-widget`.
        self.standalone = standalone
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Read and check the PLEDGE_* config, open the store, and register the blueprint and CLI."""
        config.apply_defaults(app)
        cfg = app.config
        campaigns = {BUILTIN_CAMPAIGN.slug: BUILTIN_CAMPAIGN}
        if cfg["PLEDGE_CAMPAIGNS_FILE"]:
            campaigns.update(load_file(cfg["PLEDGE_CAMPAIGNS_FILE"], i18n.LANGUAGES))
        for key, allowed in (("PLEDGE_HOST_SIGNUP", ("open", "closed")), ("PLEDGE_HOST_APPROVAL", ("auto", "manual")),
                             ("PLEDGE_LIST_MODERATION", ("post", "pre"))):
            if cfg[key] not in allowed:
                raise ValueError(f"{key} must be one of {', '.join(allowed)}, not {cfg[key]!r}")
        log_format.check(cfg["PLEDGE_LOG_FORMAT"])
        metrics.prepare()
        # Settings that cannot work stop the start with a message, not the first mail.
        dkim = load_signer(cfg["PLEDGE_DKIM_KEY_FILE"], cfg["PLEDGE_DKIM_SELECTOR"], cfg["PLEDGE_DKIM_DOMAIN"])
        retain_days = retention.retain_days(cfg["PLEDGE_RETAIN_CONTACT_DAYS"])
        store = open_store(
            cfg["PLEDGE_DATABASE"],
            busy_timeout=cfg["PLEDGE_SQLITE_BUSY_TIMEOUT"],
            synchronous=cfg["PLEDGE_SQLITE_SYNCHRONOUS"],
            pool_size=int(cfg["PLEDGE_DATABASE_POOL_SIZE"]),
        )
        try:
            store.migrate()
        except store.Unavailable as exc:
            raise RuntimeError(f"PLEDGE_DATABASE {redact(cfg['PLEDGE_DATABASE'])} is out of reach: {exc}") from exc
        pages = PageCache(cfg["PLEDGE_PAGE_CACHE_SIZE"], cfg["PLEDGE_PAGE_CACHE_MB"] * 2**20)
        # Campaigns written in the desk and every campaign's life live in the database: each worker keeps
        # them in step, and forgets its rendered pages when they change.
        registry = CampaignRegistry(campaigns, store, i18n.LANGUAGES, float(cfg["PLEDGE_CAMPAIGN_REFRESH_SECONDS"]),
                                    on_change=pages.clear)
        registry.check_conflicts()
        registry.refresh(force=True)
        if cfg["PLEDGE_DEFAULT_CAMPAIGN"] not in registry:
            raise ValueError(f"PLEDGE_DEFAULT_CAMPAIGN {cfg['PLEDGE_DEFAULT_CAMPAIGN']!r} is not a known campaign")
        store.close()  # this may run before gunicorn forks: no connection may cross the fork
        tokens = Tokens(
            keys=config.secret_keys(app, generate=self.standalone),
            max_ages={
                "form": cfg["PLEDGE_FORM_MAX_AGE"],
                "confirm": cfg["PLEDGE_CONFIRM_MAX_AGE"],
                "withdraw": 365 * 24 * 3600,
                "leave-list": 365 * 24 * 3600,  # see widget.views.leave_list
                "host-login": 15 * 60,  # see widget.hosts.LOGIN_MAX_AGE
                "admin-login": 15 * 60,  # see widget.admin.auth.LOGIN_MAX_AGE
                "unsubscribe": 365 * 24 * 3600,  # see widget.notifications
                "host-from-signon": 30 * 60,  # see widget.sharing.BECOME_HOST_MAX_AGE
                "stop-mail": 365 * 24 * 3600,  # see widget.checkins.read_stop_token
                "progress": PROGRESS_LINK_MAX_AGE,
            },
        )
        verp = VERP(cfg["PLEDGE_BOUNCE_ADDRESS"], tokens.keys) if cfg["PLEDGE_BOUNCE_ADDRESS"] else None
        transport = make_transport(cfg["PLEDGE_SMTP_URL"], cfg["PLEDGE_MAIL_FROM"], cfg["PLEDGE_SMTP_TIMEOUT"],
                                   envelope=verp.envelope if verp else None, signer=dkim.sign if dkim else None)
        pending_days = cfg["PLEDGE_PENDING_DAYS"]
        sender = OutboxSender(
            store,
            transport,
            lease=cfg["PLEDGE_MAIL_LEASE_SECONDS"],
            # Every sender also purges stale unconfirmed sign-ons once a day, queues the hosts' digests of
            # the day before and signs the count logs' checkpoints that are due (all idempotent, so several
            # senders may).
            housekeeping=lambda: (store.purge_pending(time.time() - pending_days * 86400),
                                  notifications.send_digests(time.time(), app=app),
                                  store.purge_webhook_deliveries(time.time() - WEBHOOK_KEEP_DAYS * 86400),
                                  retention.apply(store, registry, retain_days, HOUSEKEEPING_ACTOR),
                                  checkpoints.sign_due(store, lambda: ledger.load_key(
                                      cfg["PLEDGE_LOG_KEY"], app.instance_path, cfg["PLEDGE_DATABASE"]))),
            webhooks=WebhookSender(store, allow_private=cfg["PLEDGE_WEBHOOKS_ALLOW_PRIVATE"]),
            checkins=lambda: checkins.send_checkins(app=app) + news.send_news(app=app),
            checkin_interval=float(cfg["PLEDGE_CHECKIN_INTERVAL"]),
            # Every few minutes, the surge alerts (one mail per alert, whatever the number of senders).
            watch=lambda: alerts.watch(app),
            watch_seconds=alerts.WATCH_SECONDS,
        )
        app.extensions["pledge"] = PledgeState(
            store=store,
            tokens=tokens,
            campaigns=registry,
            sender=sender,
            send_in_process=cfg["PLEDGE_MAIL_IN_PROCESS"],
            poll_seconds=cfg["PLEDGE_MAIL_POLL_SECONDS"],
            limits=limits_from_config(cfg),
            command="pledge-widget" if self.standalone else "flask pledge",
            pages=pages,
            domain=Domain(translation_directories=[str(translations_dir())]),
            trusted_hosts=trusted_hosts(cfg),
        )
        refuse_untrusted_hosts(app, self.standalone)
        if "babel" not in app.extensions:
            Babel(app, locale_selector=i18n.request_language)
        prefix = (cfg["PLEDGE_URL_PREFIX"] or "").rstrip("/")
        app.register_blueprint(blueprint, url_prefix=cfg["PLEDGE_URL_PREFIX"] or None)
        # The host pages at /host/ (first-party pages: Flask's session keeps the sign-in).
        app.register_blueprint(host_blueprint, url_prefix=prefix + "/host")
        # The operator's desk (404 while PLEDGE_ADMINS is unset); its forms check Flask-WTF's CSRF token.
        app.register_blueprint(admin_blueprint, url_prefix=prefix + "/admin")
        # The host app's CSRFProtect would demand a session token no cross-site iframe can send; our
        # forms carry their own signed tokens (and the host pages' forms check Flask-WTF's themselves).
        # It may be set up before us (exempt now) or after us (exempt on the first request, before
        # its check runs: our before-request hook was registered first).
        ours = (blueprint, host_blueprint)
        exempt_from_host_csrf(app, ours)
        app.before_request_funcs.setdefault(None, []).insert(0, lambda: exempt_from_host_csrf(app, ours))
        app.cli.add_command(pledge)
        init_rate_limits(app)
        if cfg["PLEDGE_FAST_PATH"] if cfg["PLEDGE_FAST_PATH"] is not None else self.standalone:
            app.wsgi_app = PublicReads(app, app.wsgi_app)  # type: ignore[method-assign]
        # Load balancers' and Prometheus's addresses, whatever the fast path and the Host header (see widget.probes).
        app.wsgi_app = Probes(app, app.wsgi_app)  # type: ignore[method-assign]
        # In front of those: every request gets its id and its time, cached pages too; behind ProxyFix, so that a
        # request id is taken from the trusted proxy only.
        app.wsgi_app = Tracking(app.wsgi_app, prefix, trust_incoming=bool(cfg["PLEDGE_PROXY_FIX"]))  # type: ignore[method-assign]
        if cfg["PLEDGE_PROXY_FIX"]:  # outermost: the fast path sees the visitor's scheme too
            hops = int(cfg["PLEDGE_PROXY_FIX"])
            app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
        logs.install(app)
        if cfg["PLEDGE_LOG_FORMAT"] == "json":
            log_format.use_json(app.logger)
        warn_about_orphan_sites(app)
        warn_without_public_url(app)


def exempt_from_host_csrf(app: Flask, blueprints: tuple) -> None:
    """Tell a Flask-WTF ``CSRFProtect`` of the host app, if there is one, to leave our routes alone."""
    csrf = app.extensions.get("csrf")
    for bp in blueprints if csrf is not None else ():
        if bp not in getattr(csrf, "_exempt_blueprints", ()):
            csrf.exempt(bp)


def refuse_untrusted_hosts(app: Flask, standalone: bool) -> None:
    """Answer 400 to a request whose ``Host`` is not trusted (see :mod:`widget.trusted_hosts`): every
    request of the standalone service, only our own routes in a host app (its routes are its business).

    The standalone service also hands ``PLEDGE_TRUSTED_HOSTS`` to Flask's own ``TRUSTED_HOSTS``, so that
    ``request.host`` itself refuses other hosts wherever it is read.
    """
    pledge: PledgeState = app.extensions["pledge"]
    listed = app.config["PLEDGE_TRUSTED_HOSTS"]
    if standalone and listed and app.config.get("TRUSTED_HOSTS") is None and not any(
            name.startswith("[") for name in pledge.trusted_hosts or ()):  # Flask's check matches no IPv6 literal
        app.config["TRUSTED_HOSTS"] = list(pledge.trusted_hosts or ())

    def check_host() -> None:
        if not standalone and request.blueprint not in ("pledge", "host", "admin"):
            return
        if not is_trusted(request.host, pledge.trusted_hosts):
            if len(pledge.refused_hosts) < 100 and request.host not in pledge.refused_hosts:
                pledge.refused_hosts.add(request.host)  # said once per host and process, not at every request
                logging.getLogger("widget").warning(
                    "refused a request for the host %r (400): links built on it would lead elsewhere; name the "
                    "service's hosts in PLEDGE_TRUSTED_HOSTS, or set PLEDGE_PUBLIC_URL", request.host)
            abort(400)

    # First of all hooks: a request for a host of nobody's counts against no limit and touches nothing.
    app.before_request_funcs.setdefault(None, []).insert(0, check_host)


def warn_without_public_url(app: Flask) -> None:
    """Under gunicorn (production), say at start-up that PLEDGE_PUBLIC_URL is missing: links in e-mails
    then depend on the host each request names, and only trusted hosts are answered."""
    if app.config["PLEDGE_PUBLIC_URL"] or not os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn"):
        return
    hosts = app.extensions["pledge"].trusted_hosts
    logging.getLogger("widget").warning(
        "PLEDGE_PUBLIC_URL is not set: links in e-mails are built on the host each request names, so only %s "
        "are answered (any other host gets 400). Set PLEDGE_PUBLIC_URL to the address people reach the service "
        "at, e.g. https://pledge.example.org (see docs/deploy.md).",
        ", ".join(hosts or ()) if hosts != LOOPBACK else "the loopback names " + ", ".join(LOOPBACK))


def warn_about_orphan_sites(app: Flask) -> list[str]:
    """Sites whose campaign is no longer configured: their widget answers 404 until the campaign is back
    in the campaigns file. Say so at start-up rather than at the first visit."""
    pledge = app.extensions["pledge"]
    # One query, not every site loaded: each worker runs this at start, and there are thousands of sites.
    orphans = [f"{key} ({campaign})" for key, campaign in pledge.store.sites_outside(list(pledge.campaigns))]
    pledge.store.close()
    if orphans:
        logging.getLogger("widget").warning(
            "sites whose campaign is not configured (their widget answers 404): %s", ", ".join(orphans)
        )
    return orphans
