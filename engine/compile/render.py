"""Canonical renderings of a compiled workflow: JSON and Mermaid, byte-identical across runs.

Both come from the IR (not from dict or set iteration order), with the
tenant's run-time bindings (model, skill implementation) spelled out so a
reviewer sees what this tenant actually gets. Each node kind says what it
adds (:meth:`engine.kinds.base.StepKind.describe`) and how it is drawn.
"""

from __future__ import annotations

import json
from typing import Any

from engine.ir import END, START, IRNode, WorkflowIR
from engine.kinds.registry import StepKinds, step_kinds
from engine.skills.registry import SkillRegistry
from engine.tenancy import TenantSettings


def describe(ir: WorkflowIR, tenant: TenantSettings, registry: SkillRegistry, digest: str,
             kinds: StepKinds | None = None) -> dict[str, Any]:
    kinds = kinds or step_kinds()
    nodes = [_node(node, tenant, registry, kinds) for node in ir.nodes.values()]
    edges = sorted((_edge(ir, e.source, e.target, e.label, kinds) for e in ir.edges),
                   key=lambda e: (e["source"], e["label"], e["target"]))
    return {
        "workflow": ir.name,
        "tenant": tenant.tenant_id,
        "tier": tenant.tier,
        "structure_digest": digest,
        "nodes": nodes,
        "edges": edges,
    }


def _edge(ir: WorkflowIR, source: str, target: str, label: str, kinds: StepKinds) -> dict[str, Any]:
    """An edge; one whose label stands for something else (a switch's ``case0``) says what, as ``condition``."""
    out = {"source": source, "target": target, "label": label}
    node = ir.nodes.get(source)
    kind = kinds.nodes.get(node.kind) if node is not None else None
    if node is not None and kind is not None and label:
        text = kind.edge_text(node, label)
        if text != label:
            out["condition"] = text
    return out


def _node(node: IRNode, tenant: TenantSettings, registry: SkillRegistry, kinds: StepKinds) -> dict[str, Any]:
    out: dict[str, Any] = {"id": node.id, "kind": node.kind}
    step = node.step
    if step is None or node.kind != step.kind:
        return out
    out.update(kinds.of(step).describe(node, step.body, tenant, registry))
    if step.retry is not None:
        out["retry"] = step.retry.model_dump()
    if step.timeout_s is not None:
        out["timeout_s"] = step.timeout_s
    if step.on_error is not None:
        out["on_error"] = step.on_error
    return out


def to_json(description: dict[str, Any]) -> str:
    return json.dumps(description, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def to_mermaid(description: dict[str, Any], highlight: frozenset[str] = frozenset(),
               kinds: StepKinds | None = None) -> str:
    """A Mermaid flowchart; nodes in ``highlight`` get the ``changed`` class."""
    kinds = kinds or step_kinds()
    ids = {START: "start", END: "stop"}
    for i, node in enumerate(description["nodes"]):
        ids[node["id"]] = f"n{i}"
    lines = ["flowchart TD", "  start([START])", "  stop([END])"]
    for node in description["nodes"]:
        kind = kinds.nodes.get(node["kind"])
        left, right = kind.shape if kind is not None else ("[", "]")
        detail = kind.label(node) if kind is not None else str(node["kind"]).replace("_", " ")
        lines.append(f'  {ids[node["id"]]}{left}"{node["id"]}<br/>{detail}"{right}')
    for edge in description["edges"]:
        text = str(edge.get("condition", edge["label"])).replace('"', "#quot;")
        arrow = f' -- "{text}" --> ' if text else " --> "
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
