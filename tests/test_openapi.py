"""docs/openapi.yaml describes every /api/v1 route, is served as /api/v1/openapi.json, and Schemathesis,
driven against the app by the spec, finds no server error and no answer that breaks the schema (the
same checks as ``schemathesis run`` in CI)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import schemathesis
from conftest import free_port, wait_until_up
from hypothesis import HealthCheck, given, settings
from test_opendata import populate

from widget.appstate import state
from widget.views import blueprint


def api_rules(app) -> set[str]:
    """Every /api/v1 route of the blueprint, and oEmbed's, written as OpenAPI paths."""
    rules = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(blueprint.name + ".") and (rule.rule.startswith("/api/v1/") or rule.rule == "/oembed"):
            path = rule.rule
            for argument in rule.arguments:
                path = path.replace(f"<{argument}>", "{%s}" % argument)
            if "<any(json, csv):fmt>" in path:
                rules |= {path.replace("<any(json, csv):fmt>", fmt) for fmt in ("json", "csv")}
            else:
                rules.add(path)
    return rules


def test_the_document_names_every_api_route_and_is_served_as_json(client, app):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == api_rules(app)


def test_the_document_follows_the_mount_point(make_app):
    app = make_app(PLEDGE_URL_PREFIX="/pledge")
    document = app.test_client().get("/pledge/api/v1/openapi.json").get_json()
    assert document["servers"] == [{"url": "/pledge"}]


@pytest.fixture
def api_schema(make_app):
    app = make_app()
    store = state(app).store
    one = store.add_site("One", ["https://one.example"], "w@one.example", "4p1000")
    two = store.add_site("Two", ["https://two.example"], "w@two.example", "4p1000")
    populate(store, one.key, two.key)
    store.add_site("Off", ["https://off.example"], "w@off.example", "4p1000", key="off", status="disabled")
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def test_the_api_keeps_to_its_schema(api_schema):
    # Each operation in turn, with Schemathesis's default checks (no 5xx, status codes, content types,
    # headers and bodies as the document says). Driven by hand: its pytest plugin is not ready for pytest 9.
    operations = [result.ok() for result in api_schema.get_all_operations()]
    # (Schemathesis leaves out the document's own address; the first test reads it.)
    assert {operation.label for operation in operations} == {
        f"GET {path}" for path in api_rules(api_schema.app) - {"/api/v1/openapi.json"}}
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            # In-process calls get no decoding of a gzipped body (HTTP clients, and `schemathesis run`, do).
            case.call_and_validate(headers={"Accept-Encoding": "identity"})

        check()
        # Generated keys are unknown ones: the known ones too, so that every answer of the document is met.
        known = {"site_key": [site.key for site in state(api_schema.app).store.list_sites()],
                 "campaign": ["4p1000", "nope"]}
        names = [parameter.name for parameter in operation.path_parameters]
        for value in known[names[0]] if names else [None]:
            response = operation.Case(path_parameters={names[0]: value} if names else {}).call_and_validate(headers={"Accept-Encoding": "identity"})
            assert response.status_code in (200, 404)


def test_the_installed_wheel_serves_the_document(installed):  # noqa: F811
    work, venv = installed
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGE_") and k != "PYTHONPATH"}
    env.update({"PLEDGE_DATABASE": f"sqlite:///{work / 'openapi.db'}", "PLEDGE_SECRET_KEY": "k"})
    script = ("import json, widget; client = widget.create_app().test_client(); "
              "answer = client.get('/api/v1/openapi.json'); "
              "print(json.dumps([widget.__file__, answer.status_code, sorted(answer.get_json()['paths'])]))")
    run = subprocess.run([str(venv / "bin" / "python"), "-c", script], check=True, cwd=work, env=env,
                         capture_output=True, text=True)
    module, status, paths = json.loads(run.stdout.splitlines()[-1])
    assert str(venv) in module and status == 200
    assert "/api/v1/campaigns/{campaign}/daily.csv" in paths


def test_schemathesis_run_against_a_running_service(tmp_path):
    """The command CI would type: ``schemathesis run`` on the live document of ``pledge-widget run``
    (whose demo site, key ``demo``, the document's example uses)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGE_")}
    env.update({"PLEDGE_DATABASE": f"sqlite:///{tmp_path / 'pledge.db'}", "PLEDGE_SECRET_KEY": "k"})
    log = (tmp_path / "stderr.log").open("w+")
    process = subprocess.Popen([sys.executable, "-c", "from widget.console import main; main()", "run", "--port", str(port)],
                               env=env, stdout=subprocess.DEVNULL, stderr=log, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/api/v1/openapi.json", process)
        run = subprocess.run([str(Path(sys.executable).parent / "schemathesis"),
                              "--config-file", str(Path(__file__).with_name("schemathesis.toml")),
                              "run", base + "/api/v1/openapi.json",
                              "--checks", "all", "--max-examples", "20", "--no-color"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_405_and_options_list_only_the_routes_own_methods(client):
    refused = client.put("/api/v1/campaigns/4p1000/daily.json")
    assert refused.status_code == 405 and refused.get_json()["error"] == "method_not_allowed"
    assert refused.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert client.options("/api/v1/sites/x/count").headers["Allow"] == "GET, HEAD, OPTIONS"
    assert "Allow" not in client.put("/api/v1/nothing").headers
