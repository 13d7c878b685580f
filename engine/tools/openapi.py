"""Tools from an OpenAPI 3 document: one tool per allow-listed operation, called over HTTP.

Path and query parameters become arguments of the same name; a JSON request
body becomes the argument ``body``. The operation's OAuth2 scopes (its
``security`` requirement, else the document's) are what the tool needs: with
the source's ``audience`` they make the tool act on behalf of the user
through an exchanged token, sent as ``Authorization: Bearer``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import yaml

from engine.errors import Problem, SkillError
from engine.spec.hints import did_you_mean
from engine.spec.project import OpenAPISource, ToolAccess
from engine.spec.source import DocPath, Document, YAMLLimitError, load_plain
from engine.telemetry.tracing import outgoing
from engine.tools.catalog import ToolCatalog, ToolEntry

METHODS = ("get", "put", "post", "delete", "patch")
ToolFn = Callable[..., Awaitable[Any]]


def _resolve(document: dict[str, Any], node: Any, depth: int = 0) -> Any:
    """Follow local ``$ref``s (``#/components/...``)."""
    if depth > 20 or not isinstance(node, dict) or "$ref" not in node:
        return node
    ref = node["$ref"]
    if not isinstance(ref, str) or not ref.startswith("#/"):
        raise ValueError(f"only local $ref are supported, got {ref!r}")
    target: Any = document
    for part in ref[2:].split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    return _resolve(document, target, depth + 1)


def openapi_tools(root: Path, source: OpenAPISource, doc: Document, where: DocPath,
                  catalog: ToolCatalog) -> tuple[list[tuple[ToolEntry, ToolFn]], list[Problem]]:
    path = root / source.spec
    try:
        # A vendor's API description may be large; still bounded, so an alias bomb cannot stall loading.
        document = load_plain(path.read_text(encoding="utf-8"), source.spec, max_bytes=64 * 1024 * 1024,
                              max_values=5_000_000)
    except YAMLLimitError as exc:
        return [], [doc.problem((*where, "spec"), f"cannot read OpenAPI document '{source.spec}': {exc}",
                                code="openapi")]
    except (OSError, yaml.YAMLError) as exc:
        return [], [doc.problem((*where, "spec"), f"cannot read OpenAPI document '{source.spec}': "
                                f"{exc.__class__.__name__}", code="openapi")]
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        return [], [doc.problem((*where, "spec"), f"'{source.spec}' is not an OpenAPI 3 document (no paths)",
                                code="openapi")]
    operations: dict[str, tuple[str, str, dict[str, Any], list[Any]]] = {}
    for route, item in document["paths"].items():
        item = _resolve(document, item)
        shared = item.get("parameters", []) if isinstance(item, dict) else []
        for method in METHODS:
            op = item.get(method) if isinstance(item, dict) else None
            if isinstance(op, dict) and isinstance(op.get("operationId"), str):
                operations[op["operationId"]] = (method, route, op, shared)
    found: list[tuple[ToolEntry, ToolFn]] = []
    problems: list[Problem] = []
    for i, op_id in enumerate(source.operations):
        if op_id not in operations:
            problems.append(doc.problem((*where, "operations", i), f"operation '{op_id}' is not in {source.spec}",
                                        hint=did_you_mean(op_id, operations), code="openapi"))
            continue
        method, route, op, shared = operations[op_id]
        try:
            schema, params, has_body = _input_schema(document, op, shared)
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(doc.problem((*where, "operations", i), f"operation '{op_id}': {exc}", code="openapi"))
            continue
        scopes = _scopes(document, op)
        if scopes and source.audience is None:
            problems.append(doc.problem((*where, "operations", i), f"operation '{op_id}' needs OAuth scopes "
                                        f"({', '.join(scopes)}) but the source has no audience",
                                        hint="set audience: the API's resource server", code="openapi"))
            continue
        access = ToolAccess(audience=source.audience, scopes=scopes) if source.audience else None
        name = f"{source.name}.{op_id}"
        entry = ToolEntry(name, "openapi", schema, str(op.get("summary") or op.get("description") or name), access)
        found.append((entry, _caller(name, source, method, route, params, has_body, catalog)))
    return found, problems


def _input_schema(document: dict[str, Any], op: dict[str, Any],
                  shared: list[Any]) -> tuple[dict[str, Any], dict[str, str], bool]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    params: dict[str, str] = {}
    for raw in [*shared, *op.get("parameters", [])]:
        param = _resolve(document, raw)
        where = param.get("in")
        if where not in ("path", "query"):
            continue  # headers and cookies are the gateway's, not the model's
        name = str(param["name"])
        params[name] = where
        properties[name] = _resolve(document, param.get("schema") or {"type": "string"})
        if param.get("description"):
            properties[name] = {**properties[name], "description": param["description"]}
        if param.get("required") or where == "path":
            required.append(name)
    body = _resolve(document, op.get("requestBody"))
    has_body = False
    if isinstance(body, dict):
        content = body.get("content", {}).get("application/json")
        if content is not None:
            has_body = True
            properties["body"] = _resolve(document, content.get("schema") or {"type": "object"})
            if body.get("required"):
                required.append("body")
    schema = {"type": "object", "properties": properties, "required": required, "additionalProperties": False}
    return schema, params, has_body


def _scopes(document: dict[str, Any], op: dict[str, Any]) -> list[str]:
    requirements = op.get("security", document.get("security", []))
    scopes: set[str] = set()
    for requirement in requirements or []:
        if isinstance(requirement, dict):
            for values in requirement.values():
                scopes.update(str(v) for v in values or [])
        break  # the first requirement is the one the gateway satisfies
    return sorted(scopes)


def _caller(name: str, source: OpenAPISource, method: str, route: str, params: dict[str, str],
            has_body: bool, catalog: ToolCatalog) -> ToolFn:
    async def call(*, ctx: Any, **arguments: Any) -> Any:
        base_url = catalog.deployment(name, source.name, source.base_url, ctx)
        url = route
        query: dict[str, Any] = {}
        for key, where in params.items():
            if key not in arguments:
                continue
            if where == "path":
                url = url.replace("{" + key + "}", quote(str(arguments[key]), safe=""))
            else:
                query[key] = arguments[key]
        headers = {"Accept": "application/json", **outgoing()}  # the run's trace, while traces are on
        token = getattr(ctx, "token", None)
        if token is not None:
            headers["Authorization"] = token.authorization
        try:
            async with httpx.AsyncClient(base_url=base_url, timeout=source.timeout_s,
                                         follow_redirects=False) as client:
                response = await client.request(method.upper(), url, params=query, headers=headers,
                                                json=arguments.get("body") if has_body else None)
        except httpx.HTTPError as exc:
            raise SkillError(name, f"{name}: {exc.__class__.__name__}", retryable=True) from None
        if response.status_code >= 400:
            raise SkillError(name, f"{name}: HTTP {response.status_code}",
                             retryable=response.status_code >= 500 or response.status_code == 429)
        if "json" in response.headers.get("content-type", ""):
            try:
                return response.json()
            except json.JSONDecodeError:
                raise SkillError(name, f"{name}: the API answered invalid JSON") from None
        return {"text": response.text}

    return call
