"""The runtime's OpenAPI document is true: its routes are the app's, and the runtime answers only what it documents.

The document is checked in (engine/runtime/openapi.json) and served at
``GET /openapi.json``. schemathesis generates requests from it, valid and
invalid (bodies, headers, with and without the token), sends them over real
HTTP to the runtime under uvicorn, and checks every answer: never a 500,
always a documented status, content type and schema, and a request without
a valid token is refused. CI runs a few examples per operation (seconds);
``TENANTFLOW_FUZZ_EXAMPLES=2000 pytest tests/runtime/test_openapi.py -s``
runs a bigger campaign and prints how many cases were sent.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance
from starlette.routing import Route

from engine.runtime.app import create_app
from engine.runtime.config import RuntimeConfig
from engine.runtime.openapi import document
from tests.runtime.support import Tokens, dev_secret, running, sse_events, write_project

EXAMPLES = int(os.environ.get("TENANTFLOW_FUZZ_EXAMPLES", "25"))
#: The status of every request sent, by generation mode.
SENT: dict[str, Counter[int]] = {"positive": Counter(), "negative": Counter(), "runs": Counter()}


def test_the_documents_paths_and_methods_are_the_apps_routes(tmp_path: Path) -> None:
    app = create_app(RuntimeConfig(root=tmp_path))
    routes = {(r.path, m) for r in app.routes if isinstance(r, Route) for m in (r.methods or ()) if m != "HEAD"}
    documented = {(path, method.upper()) for path, item in document()["paths"].items() for method in item}
    assert routes == documented


def test_the_document_is_served(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj")
    with dev_secret(), running(RuntimeConfig(root=root, watch_interval_s=0, access_log=False)) as base:
        served = httpx.get(f"{base}/openapi.json", timeout=10)
    assert served.status_code == 200 and served.json() == document()


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    root = write_project(tmp_path_factory.mktemp("openapi") / "proj")
    with dev_secret():
        token = Tokens(root)("alpha")
        with running(RuntimeConfig(root=root, watch_interval_s=0, access_log=False)) as base:
            yield base, token
    print(f"\nschemathesis: requests sent, by mode and status: {SENT}")


#: A valid body may name a workflow the project lacks (404), or resume a session with no run waiting (400):
#: schemathesis' check that valid data is accepted does not apply.
EXCLUDED = [positive_data_acceptance]


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_the_runtime_answers_only_what_its_document_says(runtime: tuple[str, str], mode: str) -> None:
    base, token = runtime
    api = schemathesis.openapi.from_url(f"{base}/openapi.json")
    generation = schemathesis.GenerationMode.POSITIVE if mode == "positive" else schemathesis.GenerationMode.NEGATIVE
    for result in api.get_all_operations():
        operation = result.ok()
        if mode == "negative" and operation.method.upper() != "POST":
            continue  # GET /ping and /openapi.json take nothing that could be invalid

        @given(case=operation.as_strategy(generation_mode=generation))
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def check(case: schemathesis.Case) -> None:
            # A valid body may name a workflow the project lacks (404): a 2xx is not required of it.
            response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, timeout=30,
                                              excluded_checks=EXCLUDED)
            SENT[mode][response.status_code] += 1

        check()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20)
#: Inputs that fit the workflows (a text of any characters, a short nap) as often as inputs that do not.
inputs = st.one_of(
    st.dictionaries(st.sampled_from(["text", "seconds", "n", "ticket"]) | st.text(max_size=8), json_values,
                    max_size=4),
    st.fixed_dictionaries({"text": st.text(max_size=300)}),
    st.fixed_dictionaries({"seconds": st.floats(0, 0.05)}))


def test_runs_of_the_projects_workflows_with_any_input_answer_only_documented_statuses(
        runtime: tuple[str, str]) -> None:
    """schemathesis names workflows at random (404): here the project's own workflows, any input, over HTTP,
    as JSON and as a stream, so the input checks and the runs themselves are fuzzed too."""
    base, token = runtime
    documented = {int(code) for code in document()["paths"]["/invocations"]["post"]["responses"]}

    @given(workflow=st.sampled_from(["hello", "chat", "slow", "boom"]), payload=inputs, stream=st.booleans())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)
    def check(workflow: str, payload: dict[str, object], stream: bool) -> None:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                   **({"Accept": "text/event-stream"} if stream else {})}
        answer = httpx.post(f"{base}/invocations", json={"workflow": workflow, "input": payload}, headers=headers,
                            timeout=30)
        SENT["runs"][answer.status_code] += 1
        assert answer.status_code in documented, answer.text
        # The boom workflow's skill raises: a 500 that says nothing but the request id (tests/runtime/test_agentcore.py).
        assert answer.status_code != 500 or workflow == "boom", answer.text
        if stream and answer.status_code == 200:
            events = sse_events(answer)
            assert events[-1]["type"] in ("result", "error")

    check()
