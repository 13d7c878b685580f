"""Canonical renderings of a compiled workflow: JSON and Mermaid, byte-identical across runs.

Both come from the IR (not from dict or set iteration order), with the
tenant's run-time bindings (model, skill implementation) spelled out so a
reviewer sees what this tenant actually gets.
"""

from __future__ import annotations

import json
from typing import Any

from engine.compile.ir import END, START, IRNode, WorkflowIR
from engine.compile.resolve import TenantSettings
from engine.skills.registry import SkillRegistry


def describe(ir: WorkflowIR, tenant: TenantSettings, registry: SkillRegistry, digest: str) -> dict[str, Any]:
    nodes = [_node(node, tenant, registry) for node in ir.nodes.values()]
    edges = sorted(({"source": e.source, "target": e.target, "label": e.label} for e in ir.edges),
                   key=lambda e: (e["source"], e["label"], e["target"]))
    return {
        "workflow": ir.name,
        "tenant": tenant.tenant_id,
        "tier": tenant.tier,
        "structure_digest": digest,
        "nodes": nodes,
        "edges": edges,
    }


def _node(node: IRNode, tenant: TenantSettings, registry: SkillRegistry) -> dict[str, Any]:
    out: dict[str, Any] = {"id": node.id, "kind": node.kind}
    step = node.step
    if step is None or node.kind in ("loop_next", "join"):
        return out
    if step.skill is not None or step.tool is not None:
        kind = "skill" if step.skill is not None else "tool"
        name = step.skill or step.tool or ""
        base, _, version = name.partition("@")
        impl = registry.resolve(kind, base, tenant.tenant_id, version or None)  # type: ignore[arg-type]
        out[kind] = name
        if impl is not None:
            out["implementation"] = {"scope": impl.scope, "version": impl.version, "source": impl.source}
    if step.llm is not None:
        alias = tenant.default_model if step.llm.model == "tier" else step.llm.model
        entry = tenant.catalog.get(alias)
        out["model"] = {"requested": step.llm.model, "alias": alias,
                        "model_id": entry.model_id if entry else None, "provider": entry.provider if entry else None}
        out["prompt"] = step.llm.prompt
        if step.llm.tools:
            out["tools"] = list(step.llm.tools)
    if step.call is not None:
        out["call"] = step.call
    if step.loop is not None:
        out["max_iterations"] = step.loop.max_iterations
    if step.retry is not None:
        out["retry"] = step.retry.model_dump()
    if step.timeout_s is not None:
        out["timeout_s"] = step.timeout_s
    if step.on_error is not None:
        out["on_error"] = step.on_error
    return out


def to_json(description: dict[str, Any]) -> str:
    return json.dumps(description, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


_SHAPES = {
    "guard_input": ("{{", "}}"), "guard_output": ("{{", "}}"), "switch": ("{", "}"),
    "llm": ("[/", "/]"), "memory_load": ("[(", ")]"), "remember": ("[(", ")]"), "recall": ("[(", ")]"),
    "call": ("[[", "]]"), "return": ("([", "])"),
}


def to_mermaid(description: dict[str, Any], highlight: frozenset[str] = frozenset()) -> str:
    """A Mermaid flowchart; nodes in ``highlight`` get the ``changed`` class."""
    ids = {START: "start", END: "stop"}
    for i, node in enumerate(description["nodes"]):
        ids[node["id"]] = f"n{i}"
    lines = ["flowchart TD", "  start([START])", "  stop([END])"]
    for node in description["nodes"]:
        left, right = _SHAPES.get(node["kind"], ("[", "]"))
        label = f"{node['id']}<br/>{_detail(node)}"
        lines.append(f'  {ids[node["id"]]}{left}"{label}"{right}')
    for edge in description["edges"]:
        arrow = f' -- "{edge["label"]}" --> ' if edge["label"] else " --> "
        lines.append(f"  {ids[edge['source']]}{arrow}{ids[edge['target']]}")
    lines.append("  classDef guard fill:#fde68a,stroke:#b45309")
    guards = [ids[n["id"]] for n in description["nodes"] if n["kind"] in ("guard_input", "guard_output")]
    if guards:
        lines.append(f"  class {','.join(guards)} guard")
    if highlight:
        lines.append("  classDef changed fill:#fecaca,stroke:#b91c1c,stroke-width:2px")
        changed = [ids[n["id"]] for n in description["nodes"] if n["id"] in highlight]
        if changed:
            lines.append(f"  class {','.join(changed)} changed")
    return "\n".join(lines) + "\n"


def _detail(node: dict[str, Any]) -> str:
    kind = str(node["kind"])
    if "model" in node:
        return f"llm: {node['model']['alias']}"
    for key in ("skill", "tool", "call"):
        if key in node:
            scope = node.get("implementation", {}).get("scope")
            return f"{key}: {node[key]}" + (f" ({scope})" if scope and scope != "shared" else "")
    return kind.replace("_", " ")
