"""Mounting into an existing Flask app: PledgeWidget(app), a URL prefix, the host app's own CSRF and CLI."""
from __future__ import annotations

import pytest
from flask import Flask
from flask_wtf import CSRFProtect

from conftest import TOKEN_INPUT, VALID_ANSWERS, run_sql

from widget import PledgeWidget, create_app, state


def make_host_app(tmp_path, smtp_url, **config):
    app = Flask("host_app")
    app.config.update(
        SECRET_KEY="host-secret",
        PLEDGE_DATABASE=f"sqlite:///{tmp_path / 'host.db'}",
        PLEDGE_SMTP_URL=smtp_url,
        PLEDGE_MAIL_IN_PROCESS=False,
        **config,
    )
    CSRFProtect(app)  # the host protects its own forms with session CSRF

    @app.get("/")
    def home():
        return "the host's own home page"

    return app


def test_init_app_under_a_prefix_beside_the_hosts_routes(tmp_path, smtp_server):
    app = make_host_app(tmp_path, smtp_server.url, PLEDGE_URL_PREFIX="/pledge")
    ext = PledgeWidget()
    ext.init_app(app)
    assert "pledge" in app.extensions
    client = app.test_client()
    assert client.get("/").get_data(as_text=True) == "the host's own home page"
    site = state(app).store.add_site("S", ["https://s.example"], "o@s.example", "4p1000")
    page = client.get(f"/pledge/w/{site.key}").get_data(as_text=True)
    assert f'action="/pledge/w/{site.key}"' in page
    assert 'src="/pledge/pledge-static/widget.js?v=' in page
    # The host's CSRFProtect does not block our cookie-less form; our own token protects it.
    data = dict(VALID_ANSWERS, email="ext@example.org", form_token=TOKEN_INPUT.search(page).group(1))
    response = client.post(f"/pledge/w/{site.key}", data=data, follow_redirects=True)
    assert response.status_code == 200 and "Check your inbox" in response.get_data(as_text=True)
    assert client.get(f"/pledge/api/v1/sites/{site.key}/count").json["site"] == 0


def test_flask_pledge_commands_in_the_host_app(tmp_path, smtp_server):
    app = make_host_app(tmp_path, smtp_server.url)
    PledgeWidget(app)
    result = app.test_cli_runner().invoke(args=["pledge", "site", "list", "--json"])
    assert result.exit_code == 0 and result.stdout.strip() == "[]"


def test_host_app_without_a_secret_is_told_what_is_missing(tmp_path):
    app = Flask("bare")
    app.config["PLEDGE_DATABASE"] = f"sqlite:///{tmp_path / 'x.db'}"
    try:
        PledgeWidget(app)
    except RuntimeError as exc:
        assert "PLEDGE_SECRET_KEY" in str(exc)
    else:
        raise AssertionError("PledgeWidget(app) without any secret key must refuse to start")


def _bare_host_app(tmp_path, smtp_url) -> Flask:
    app = Flask("host_app_in_order")
    app.config.update(SECRET_KEY="host-secret", PLEDGE_DATABASE=f"sqlite:///{tmp_path / 'order.db'}",
                      PLEDGE_SMTP_URL=smtp_url, PLEDGE_MAIL_IN_PROCESS=False, PLEDGE_MIN_FILL_SECONDS=0)
    return app


@pytest.mark.parametrize("csrf_first", [True, False], ids=["csrf-then-pledge", "pledge-then-csrf"])
@pytest.mark.parametrize("babel_first", [True, False], ids=["babel-then-pledge", "pledge-then-babel"])
def test_any_mounting_order_works(tmp_path, smtp_server, csrf_first, babel_first):
    """The host app may set up CSRFProtect and Flask-Babel before or after PledgeWidget: sign-ons are
    accepted (our form carries its own token), the host's own forms stay protected, and a French page
    is French in its words and its numbers alike."""
    from flask_babel import Babel

    app = _bare_host_app(tmp_path, smtp_server.url)
    before, after = ([CSRFProtect], []) if csrf_first else ([], [CSRFProtect])
    (before if babel_first else after).append(lambda a: Babel(a, locale_selector=lambda: "en"))
    for setup in before:
        setup(app)
    PledgeWidget(app)
    for setup in after:
        setup(app)

    @app.post("/host-form")
    def host_form():
        return "changed"

    site = state(app).store.add_site("S", ["https://s.example"], "o@s.example", "4p1000")
    run_sql(state(app).store, "INSERT INTO counts (campaign, site_key, confirmed) VALUES ('4p1000', '', 12345)")
    client = app.test_client()
    page = client.get(f"/w/{site.key}?lang=fr").get_data(as_text=True)
    assert "Signer" in page and ("12\u202f345" in page or "12\xa0345" in page)
    assert "Your name" not in page
    data = dict(VALID_ANSWERS, email="order@example.org", form_token=TOKEN_INPUT.search(page).group(1))
    response = client.post(f"/w/{site.key}?lang=fr", data=data)
    assert response.status_code == 303
    assert client.post("/host-form").status_code == 400  # the host's CSRF still guards the host's forms


def test_front_page_names_the_command_people_type(tmp_path, smtp_server, make_app):
    mounted = make_host_app(tmp_path, smtp_server.url, PLEDGE_URL_PREFIX="/pledge")
    PledgeWidget(mounted)
    assert "flask pledge site add" in mounted.test_client().get("/pledge/").get_data(as_text=True)
    standalone = make_app()
    assert "pledge-widget site add" in standalone.test_client().get("/").get_data(as_text=True)


def test_nodes_sharing_postgresql_must_share_a_secret_key(postgres_url, tmp_path):
    """A key generated on each node would make one node's links fail on the others: refuse to start."""
    with pytest.raises(RuntimeError, match="same PLEDGE_SECRET_KEY on every one"):
        create_app({"PLEDGE_DATABASE": postgres_url, "PLEDGE_DATA_DIR": str(tmp_path)})
    assert not (tmp_path / "secret_key").exists()
