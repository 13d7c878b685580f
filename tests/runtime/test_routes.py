"""`tenantflow routes`: which runtime serves each tenant, from the tenants' isolation.runtime."""

from __future__ import annotations

import json

from click.testing import CliRunner

from engine.cli import main
from engine.project import load_project
from engine.runtime.routes import routing_table
from tests.conftest import REPO, tenant_yaml


def test_the_demo_routes_acme_to_its_silo_and_the_others_to_the_pool() -> None:
    table = routing_table(load_project(REPO), "http://tenantflow-{runtime}:8080")
    assert table.routes == {"acme": "silo-acme", "globex": "pool", "initech": "pool"}
    assert table.to_json()["runtimes"] == [
        {"name": "pool", "isolation": "pool", "command": "tenantflow serve", "endpoint": "http://tenantflow-pool:8080",
         "tenants": ["globex", "initech"]},
        {"name": "silo-acme", "isolation": "silo", "command": "tenantflow serve --tenant acme",
         "endpoint": "http://tenantflow-silo-acme:8080", "tenants": ["acme"]},
    ]


def test_routes_prints_the_table_and_json(make_project) -> None:
    root = make_project(tenants={"a": tenant_yaml("a"), "b": tenant_yaml("b", extra="isolation: {runtime: silo}\n"),
                                 "c": tenant_yaml("c", extra="isolation: {runtime: silo}\n")})
    runner = CliRunner()
    text = runner.invoke(main, ["routes", "--project", str(root)])
    assert text.exit_code == 0, text.output
    assert text.output == (
        "tenant  runtime  endpoint\n"
        "a       pool     -\n"
        "b       silo-b   -\n"
        "c       silo-c   -\n"
        "\n"
        "pool: tenantflow serve  (1 tenant)\n"
        "silo-b: tenantflow serve --tenant b  (1 tenant)\n"
        "silo-c: tenantflow serve --tenant c  (1 tenant)\n")
    data = runner.invoke(main, ["routes", "--format", "json", "--endpoint", "https://{tenant}.agents.example/",
                                "--project", str(root)])
    assert json.loads(data.output)["runtimes"][1]["endpoint"] == "https://b.agents.example/"
    bad = runner.invoke(main, ["routes", "--endpoint", "http://{region}/", "--project", str(root)])
    assert bad.exit_code == 1
    assert "--endpoint: cannot fill 'http://{region}/'" in bad.output and "Traceback" not in bad.output


def test_serve_refuses_what_it_cannot_serve_before_starting(make_project) -> None:
    runner = CliRunner()
    root = make_project()
    no_identity = runner.invoke(main, ["serve", "--project", str(root)])
    assert no_identity.exit_code == 1
    assert "accepts verified tokens only" in no_identity.output
    workers = runner.invoke(main, ["serve", "--workers", "2", "--project", str(REPO)],
                            env={"TENANTFLOW_REDIS_URL": ""})
    assert workers.exit_code == 1 and "--workers > 1 needs --redis" in workers.output
    sqlite = runner.invoke(main, ["serve", "--workers", "2", "--redis", "redis://127.0.0.1:1/0", "--project", str(REPO)])
    assert sqlite.exit_code == 1 and "--workers > 1 with the SQLite stores" in sqlite.output
