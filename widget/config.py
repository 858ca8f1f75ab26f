"""The PLEDGE_* configuration keys: their defaults, and how they are read from the environment."""
from __future__ import annotations

import os
import logging
import secrets
from pathlib import Path
from typing import Any, Mapping

import platformdirs
from flask import Flask

PREFIX = "PLEDGE_"

#: Every configuration key with its default. ``docs/configuration.md`` documents each one
#: (a test checks that), and :func:`read_environment` parses values of the same type.
DEFAULTS: dict[str, Any] = {
    "PLEDGE_DATABASE": None,  # sqlite:/// + instance/pledge.db
    "PLEDGE_SECRET_KEY": None,  # SECRET_KEY, else a generated key kept in the instance folder
    "PLEDGE_SMTP_URL": None,  # unset: mail is printed to stderr
    "PLEDGE_SMTP_TIMEOUT": 60.0,  # seconds to wait for each answer of the SMTP server (DATA may be slow)
    "PLEDGE_MAIL_FROM": "pledge@localhost",
    "PLEDGE_PUBLIC_URL": None,  # taken from the request
    # Without PLEDGE_PUBLIC_URL, the only Host names answered (comma-separated; Flask's TRUSTED_HOSTS): links in
    # e-mails are built on the request's host. Unset: the loopback names (see widget.trusted_hosts).
    "PLEDGE_TRUSTED_HOSTS": None,
    "PLEDGE_URL_PREFIX": "",
    "PLEDGE_CAMPAIGNS_FILE": None,  # the built-in 4p1000 campaign only
    # How often each worker looks whether a campaign changed (written in the desk, paused, closed,
    # extended): one read of one row, at most this often. Sign-ons read the campaign's state every time.
    "PLEDGE_CAMPAIGN_REFRESH_SECONDS": 1.0,
    "PLEDGE_RATELIMIT_STORAGE_URI": "memory://",
    "PLEDGE_DEFAULT_CAMPAIGN": "4p1000",
    "PLEDGE_CONFIRM_MAX_AGE": 3 * 24 * 3600,  # seconds a confirmation link stays valid
    "PLEDGE_FORM_MAX_AGE": 24 * 3600,  # seconds a widget form may stay open before submitting
    "PLEDGE_PENDING_DAYS": 7,  # unconfirmed sign-ons are purged after this many days
    "PLEDGE_MAIL_IN_PROCESS": True,  # deliver the outbox from a thread of the web process
    "PLEDGE_MAIL_POLL_SECONDS": 2.0,
    "PLEDGE_CHECKIN_INTERVAL": 600.0,
    "PLEDGE_SQLITE_BUSY_TIMEOUT": 10.0,  # seconds a writer waits for the lock
    "PLEDGE_SQLITE_SYNCHRONOUS": "FULL",  # FULL: a confirmed write survives a power cut
    "PLEDGE_DATABASE_POOL_SIZE": 4,  # PostgreSQL connections per worker process
    "PLEDGE_PROXY_FIX": 0,  # number of trusted reverse proxies in front of the service
    # Request rates per client IP (Flask-Limiter syntax; storage: PLEDGE_RATELIMIT_STORAGE_URI).
    "PLEDGE_RATELIMIT_ENABLED": True,
    "PLEDGE_RATELIMIT_SIGNON": "10 per minute;100 per hour",
    "PLEDGE_RATELIMIT_CONFIRM": "20 per minute",
    "PLEDGE_RATELIMIT_RESEND": "5 per minute",
    "PLEDGE_RATELIMIT_HOST_LOGIN": "5 per minute",
    "PLEDGE_RATELIMIT_SEARCH": "30 per minute",
    "PLEDGE_RATELIMIT_HEALTH": "10 per minute;60 per hour",  # the loaders' embed health reports
    # Sign-ons over these are kept aside ("held"), answered as usual, not mailed, not counted (0: no limit).
    "PLEDGE_LIMIT_EMAIL_PER_DAY": 3,
    "PLEDGE_LIMIT_SITE_PER_HOUR": 600,
    "PLEDGE_LIMIT_IP_PER_DAY": 50,
    "PLEDGE_MAILS_PER_ADDRESS_PER_DAY": 5,  # every kind of e-mail to one address, all sites together
    "PLEDGE_RESEND_COOLDOWN": 300,  # seconds between two confirmation links for one sign-on
    "PLEDGE_MIN_FILL_SECONDS": 3,  # faster than this from form to submission: a bot
    # Addresses at disposable mail services (the disposable-email-domains list) are refused on the form.
    "PLEDGE_BLOCK_DISPOSABLE": True,
    # Surge alerts: sign-ons from one client, domain or site in an hour, at least the floor and over the multiple
    # of their usual hourly rate (the week before), mail the admins once and show on the desk (floor 0: off).
    "PLEDGE_ALERT_MULTIPLE": 10.0,
    "PLEDGE_ALERT_FLOOR": 50,
    "PLEDGE_MAIL_LEASE_SECONDS": 120.0,  # a sender's claim on a batch; after it, another sender retries
    "PLEDGE_MAX_REQUEST_BYTES": 64 * 1024,
    "PLEDGE_PRIVACY_URL": None,  # the operator's privacy notice, linked from the widget and every e-mail
    "PLEDGE_SERVICE_NAME": None,  # how e-mails name the service; unset: "Pledge widget", translated
    "PLEDGE_DATA_DIR": None,  # standalone: where the database and the generated key live (user data dir)
    "PLEDGE_HOST_SIGNUP": "open",  # open: anyone may become a host at /host/; closed: only registered owners
    "PLEDGE_ADMINS": None,  # comma-separated addresses of the operator's staff who may use /admin/ (none: no desk)
    "PLEDGE_HOST_APPROVAL": "auto",  # auto: a host's new site works at once; manual: it waits for `site approve`
    "PLEDGE_LIST_MODERATION": "post",  # post: the public list shows signatories at once; pre: once approved
    # Webhook URLs on loopback, private or link-local addresses (and plain http://): refused unless this is
    # true (tests, intranets); checked when a URL is registered and again at each delivery.
    "PLEDGE_WEBHOOKS_ALLOW_PRIVATE": False,
    "PLEDGE_HOST_LINKS_PER_HOUR": 5,  # sign-in links one address may be sent per hour
    "PLEDGE_HOST_SESSION_DAYS": 30,  # a host's sign-in lasts this long, unless signed out before
    "PLEDGE_KEY_GRACE_DAYS": 30,  # after a key rotation, the old key keeps working this many days
    "PLEDGE_SEEN_INTERVAL": 300,  # seconds between two records of "widget last seen" per site and origin
    # Public reads (widget page, count API): how long browsers, proxies and each process may keep them.
    "PLEDGE_CACHE_SECONDS": 5,  # max-age, and how long a process reuses a rendered page
    "PLEDGE_CACHE_STALE_SECONDS": 30,  # stale-while-revalidate: served at once while a fresh copy is fetched
    "PLEDGE_CACHE_ERROR_SECONDS": 86400,  # stale-if-error: the last copy, while the service is down
    "PLEDGE_PAGE_CACHE_SIZE": 4096,  # rendered pages each process keeps (site x language x mode x theme)
    "PLEDGE_PAGE_CACHE_MB": 64,  # ...and at most this many megabytes of them
    # Kept public reads answered before Flask (see widget.fastpath): on for the standalone service; in a
    # host app, on only if set, since the host's own before/after-request hooks do not run for those answers.
    "PLEDGE_FAST_PATH": None,
    # Running it for years: readiness, metrics, logs, bounces, retention, signed mail.
    "PLEDGE_READY_MAIL_SECONDS": 900.0,  # /readyz answers 503 once a new e-mail waits longer (0: never)
    "PLEDGE_METRICS": False,  # GET /metrics (Prometheus), from loopback or with PLEDGE_METRICS_TOKEN
    "PLEDGE_METRICS_TOKEN": None,
    "PLEDGE_LOG_FORMAT": "text",  # text (as configured by whoever runs us) or json (one object a line)
    "PLEDGE_BOUNCE_ADDRESS": None,  # VERP envelope sender, e.g. bounces+{id}@mail.example.org (unset: MAIL_FROM)
    "PLEDGE_RETAIN_CONTACT_DAYS": "never",  # days after a campaign's close before contact details are erased
    "PLEDGE_DKIM_KEY_FILE": None,  # DKIM: the PEM private key, the selector and the signing domain
    "PLEDGE_DKIM_SELECTOR": None,
    "PLEDGE_DKIM_DOMAIN": None,
    # The count log's Ed25519 signing key (32 bytes, base64); unset: generated into the data folder (SQLite only).
    "PLEDGE_LOG_KEY": None,
}

_INT_KEYS = {key for key, value in DEFAULTS.items() if isinstance(value, int) and not isinstance(value, bool)}
_FLOAT_KEYS = {key for key, value in DEFAULTS.items() if isinstance(value, float)}
_BOOL_KEYS = {key for key, value in DEFAULTS.items() if isinstance(value, bool)} | {"PLEDGE_FAST_PATH"}


def read_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return every ``PLEDGE_*`` variable of the environment, parsed to its key's type."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(PREFIX):
            continue
        values[name] = parse_value(name, raw)
    return values


def parse_value(name: str, raw: str) -> Any:
    """Turn the text of an environment variable into the value its config key expects."""
    if name in _INT_KEYS:
        return int(raw)
    if name in _FLOAT_KEYS:
        return float(raw)
    if name in _BOOL_KEYS:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return raw


def apply_defaults(app: Flask) -> None:
    """Fill in every missing PLEDGE_* key, in one place, before anything reads them."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    if not app.config["PLEDGE_DATABASE"]:
        app.config["PLEDGE_DATABASE"] = "sqlite:///" + str(Path(app.instance_path) / "pledge.db")
    prefix = (app.config["PLEDGE_URL_PREFIX"] or "").rstrip("/")
    if prefix and not prefix.startswith("/"):
        prefix = "/" + prefix
    app.config["PLEDGE_URL_PREFIX"] = prefix


def secret_keys(app: Flask, generate: bool) -> list[str]:
    """The signing keys, newest first: PLEDGE_SECRET_KEY (a list or comma-separated), else SECRET_KEY.

    With neither and ``generate`` (standalone service), a key is generated once and kept in the
    instance folder so links in mails sent before a restart keep working.
    """
    value = app.config.get("PLEDGE_SECRET_KEY") or app.config.get("SECRET_KEY")
    if isinstance(value, str):
        keys = [k.strip() for k in value.split(",") if k.strip()]
    elif value:
        keys = [str(k) for k in value if str(k)]
    else:
        keys = []
    if keys:
        return keys
    if not generate:
        raise RuntimeError("flask-pledge-widget needs PLEDGE_SECRET_KEY or SECRET_KEY to sign its links")
    if not str(app.config["PLEDGE_DATABASE"]).startswith("sqlite:"):
        # A key generated on each node would make every link mailed by one node fail on the others.
        raise RuntimeError("PLEDGE_DATABASE is shared by several nodes: set the same PLEDGE_SECRET_KEY on every one. "
                           "Moving from SQLite? Use the key that signed the links already mailed: the contents of "
                           f"{Path(app.instance_path) / 'secret_key'} if it exists; else a new one, e.g. "
                           "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'")
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
        # A message for the operator, not a warning about our code: no file name nor line of source.
        logging.getLogger("widget").warning(
            "No PLEDGE_SECRET_KEY set: generated one and saved it in %s. Set PLEDGE_SECRET_KEY in production.", path
        )
    return [path.read_text().strip()]


def data_dir(configured: str | None = None) -> str:
    """Where the standalone service keeps its database and generated key: ``PLEDGE_DATA_DIR``, else the
    user's data folder (``~/.local/share/flask-pledge-widget`` on Linux), never inside the virtualenv,
    which is thrown away and rebuilt on upgrades."""
    return str(Path(configured or platformdirs.user_data_dir("flask-pledge-widget", appauthor=False)).resolve())
