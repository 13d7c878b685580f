"""A semantic diff as text (terminal), Markdown (pull-request comment) or JSON (tools).

All three say the same things in the same order: affected tenants with
their reasons, then per workflow the steps added, removed, renamed and
changed field by field, then the project file, tenant files and skill files,
then problems. Output depends on nothing but the diff: sorted, no times.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from engine.compile.render import to_mermaid
from engine.review.diff import (
    ABSENT,
    Diff,
    FieldChange,
    GroupedChange,
    SourceChange,
    WorkflowDiff,
    show,
)
from engine.review.views import CODE, Cause

_MARK = {"added": "+", "removed": "-", "renamed": ">", "changed": "~"}
FORM_ONLY = "Changed in form only (key order, comments, layout)"


def _cause_note(cause: Cause, workflow: str) -> str:
    if cause.scope == "workflow" and cause.name == workflow:
        return ""
    return {
        "override": f"{cause.name}'s override",
        "tenant": f"tenant {cause.name}",
        "own": f"{cause.name}'s own skill",
        "tier": f"tier {cause.name}",
        "catalog": f"model catalog: {cause.name}",
        "skill": f"shared skill {cause.name}",
        "project": f"project {cause.name}".rstrip(),
        "workflow": f"workflow {cause.name}",
        "engine": cause.name,
    }[cause.scope]


def _edge(edge: tuple[str, str]) -> str:
    label, target = edge
    return f"{label} -> {target}" if label else f"-> {target}"


def _text_diff(before: Any, after: Any) -> list[str]:
    a = "" if before is ABSENT or before is None else str(before)
    b = "" if after is ABSENT or after is None else str(after)
    lines = list(difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=1))
    return lines[2:]  # drop the ---/+++ header: the field name says what it is


def _field_lines(change: FieldChange, workflow: str) -> list[str]:
    """A field change as lines; the first is the headline, the rest a text diff."""
    note = _cause_note(change.cause, workflow)
    suffix = f"  ({note})" if note else ""
    if change.field == CODE:
        return [f"{change.field}: changed{suffix}"]
    if change.text:
        return [f"{change.field}:{suffix}", *_text_diff(change.before, change.after)]
    return [f"{change.field}: {show(change.before)} -> {show(change.after)}{suffix}"]


def _who(tenants: list[str], running: list[str]) -> str:
    listed = ", ".join(tenants)
    return f"all tenants running it: {listed}" if tenants == running and len(tenants) > 1 else f"tenants: {listed}"


def _headline(change: GroupedChange) -> str:
    what = f"{change.node} ({change.kind.replace('_', ' ')})"
    if change.status == "renamed":
        return f"{what} renamed from {change.renamed_from}"
    return f"{what} {change.status}"


def _affected_line(diff: Diff) -> str:
    total = len(diff.affected) + len(diff.unaffected)
    line = f"{len(diff.affected)} of {total} tenant{'s' if total != 1 else ''}"
    if diff.unaffected:
        line += f"; not affected: {', '.join(diff.unaffected)}"
    return f"Affected tenants: {', '.join(diff.affected)} ({line})"


def _source_line(change: SourceChange) -> str:
    if change.before is ABSENT:
        return f"+ {change.path}: {show(change.after)}"
    if change.after is ABSENT:
        return f"- {change.path}: {show(change.before)}"
    return f"~ {change.path}: {show(change.before)} -> {show(change.after)}"


def _no_change(diff: Diff) -> str:
    return (f"No semantic change: {diff.pairs} workflow x tenant pair{'s' if diff.pairs != 1 else ''} compile "
            "to the same graphs; tenants, tiers, the model catalog and skills are unchanged.")


# -- text ----------------------------------------------------------------------------------------


def to_text(diff: Diff) -> str:
    out = [f"Semantic diff: {diff.before} -> {diff.after}" + (f", tenant {diff.tenant}" if diff.tenant else ""), ""]
    if not diff.semantic:
        out.append(_no_change(diff))
    else:
        if diff.affected:
            out.append(_affected_line(diff))
            out += [f"  {group}" for group in diff.reasons]
        else:
            out.append("Affected tenants: none")
        for wd in diff.workflows:
            out += ["", *_workflow_text(wd)]
        if diff.project:
            out += ["", "Project tenantflow.yaml", *[f"  {_source_line(c)}" for c in diff.project]]
        for tenant, changes in diff.tenants.items():
            out += ["", f"Tenant {tenant} ({changes[0].file})", *[f"  {_source_line(c)}" for c in changes]]
        if diff.tenants_added:
            out += ["", f"Tenants added: {', '.join(diff.tenants_added)}"]
        if diff.tenants_removed:
            out += ["", f"Tenants removed: {', '.join(diff.tenants_removed)}"]
        if diff.skills:
            out += ["", "Skill files", *[f"  {_MARK[f.status]} {f.path}" for f in diff.skills]]
    out += _problems_text(diff)
    if diff.form_only:
        out += ["", f"{FORM_ONLY}: {', '.join(diff.form_only)}"]
    return "\n".join(out) + "\n"


def _workflow_text(wd: WorkflowDiff) -> list[str]:
    title = f"Workflow {wd.name}" + (f" ({wd.status})" if wd.status != "changed" else "")
    out = [title]
    for fc, tenants in wd.header:
        lines = _field_lines(fc, wd.name)
        out.append(f"  ~ {lines[0]}  [{_who(tenants, wd.running)}]")
        out += [f"      {line}" for line in lines[1:]]
    for group in wd.changes:
        out += _change_text(group, wd)
    if wd.now_runs:
        out.append(f"  now runs for: {', '.join(wd.now_runs)}")
    if wd.no_longer_runs:
        out.append(f"  no longer runs for: {', '.join(wd.no_longer_runs)}")
    return out


def _only(tenants: list[str], of: list[str]) -> str:
    """A field's tenants, when they are not all the node's."""
    return f"  [{', '.join(tenants)}]" if tenants != of else ""


def _change_text(group: GroupedChange, wd: WorkflowDiff) -> list[str]:
    out = [f"  {_MARK[group.status]} {_headline(group)}  [{_who(group.tenants, wd.running)}]"]
    for fc, tenants in group.fields:
        lines = _field_lines(fc, wd.name)
        out.append(f"      {lines[0]}{_only(tenants, group.tenants)}")
        out += [f"        {line}" for line in lines[1:]]
    for sign, edge, tenants in group.edges:
        out.append(f"      edge {sign} {_edge(edge)}{_only(tenants, group.tenants)}")
    return out


def _problems_text(diff: Diff) -> list[str]:
    out: list[str] = []
    for label, problems in ((diff.before, diff.problems_before), (diff.after, diff.problems_after)):
        if problems:
            out += ["", f"Problems in {label} (tenantflow validate fails there):",
                    *[f"  {p}" for p in problems]]
    return out


# -- markdown ------------------------------------------------------------------------------------


def _code(value: str) -> str:
    fence = "``" if "`" in value else "`"
    pad = " " if "`" in value else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def to_markdown(diff: Diff) -> str:
    title = f"### tenantflow semantic diff: {_code(diff.before)} → {_code(diff.after)}"
    out = [title + (f", tenant {_code(diff.tenant)}" if diff.tenant else ""), ""]
    if not diff.semantic:
        out.append(_no_change(diff))
    else:
        if diff.affected:
            out += [f"**{_affected_line(diff)}**", ""]
            out += [f"- **{g.who}**: {g.reason.text}" for g in diff.reasons]
        else:
            out.append("**Affected tenants: none**")
        for wd in diff.workflows:
            out += ["", *_workflow_markdown(wd)]
        if diff.project:
            out += ["", f"#### Project {_code('tenantflow.yaml')}", "",
                    *[f"- {_code(_source_line(c))}" for c in diff.project]]
        for tenant, changes in diff.tenants.items():
            out += ["", f"#### Tenant {_code(tenant)} ({_code(changes[0].file)})", "",
                    *[f"- {_code(_source_line(c))}" for c in changes]]
        if diff.tenants_added:
            out += ["", f"**Tenants added:** {', '.join(diff.tenants_added)}"]
        if diff.tenants_removed:
            out += ["", f"**Tenants removed:** {', '.join(diff.tenants_removed)}"]
        if diff.skills:
            out += ["", "#### Skill files", "", *[f"- {f.status} {_code(f.path)}" for f in diff.skills]]
    for label, problems in ((diff.before, diff.problems_before), (diff.after, diff.problems_after)):
        if problems:
            out += ["", f"#### Problems in {_code(label)} (`tenantflow validate` fails there)", "", "```",
                    *[str(p) for p in problems], "```"]
    if diff.form_only:
        out += ["", f"_{FORM_ONLY}: {', '.join(_code(f) for f in diff.form_only)}_"]
    return "\n".join(out) + "\n"


def _workflow_markdown(wd: WorkflowDiff) -> list[str]:
    out = [f"#### Workflow {_code(wd.name)}" + (f" ({wd.status})" if wd.status != "changed" else ""), ""]
    for fc, tenants in wd.header:
        lines = _field_lines(fc, wd.name)
        out.append(f"- **changed** {_code(lines[0])} ({_who(tenants, wd.running)})")
        out += _diff_block(lines[1:], "  ")
    for group in wd.changes:
        headline = f"{_code(group.node)} ({group.kind.replace('_', ' ')})"
        if group.status == "renamed":
            headline += f" from {_code(group.renamed_from)}"
        out.append(f"- **{group.status}** {headline} ({_who(group.tenants, wd.running)})")
        for fc, tenants in group.fields:
            lines = _field_lines(fc, wd.name)
            out.append(f"  - {_code(lines[0])}{_only(tenants, group.tenants)}")
            out += _diff_block(lines[1:], "    ")
        for sign, edge, tenants in group.edges:
            out.append(f"  - edge {_code(f'{sign} {_edge(edge)}')}{_only(tenants, group.tenants)}")
    if wd.now_runs:
        out.append(f"- now runs for: {', '.join(wd.now_runs)}")
    if wd.no_longer_runs:
        out.append(f"- no longer runs for: {', '.join(wd.no_longer_runs)}")
    for tenants, highlight, description in wd.graphs:
        out += ["", f"<details><summary>Graph of {_code(wd.name)} for {', '.join(tenants)} after the change "
                    "(changed nodes in red)</summary>", "", "```mermaid",
                *to_mermaid(description, highlight=highlight).splitlines(), "```", "", "</details>"]
    return out


def _diff_block(lines: list[str], indent: str) -> list[str]:
    if not lines:
        return []
    return [f"{indent}```diff", *[f"{indent}{line}" for line in lines], f"{indent}```"]


# -- json ----------------------------------------------------------------------------------------


def _value(value: Any) -> Any:
    return None if value is ABSENT else value


def _field_json(fc: FieldChange) -> dict[str, Any]:
    out: dict[str, Any] = {"field": fc.field, "before": _value(fc.before), "after": _value(fc.after),
                           "added": fc.before is ABSENT, "removed": fc.after is ABSENT,
                           "cause": {"scope": fc.cause.scope, "name": fc.cause.name}}
    if fc.text:
        out["diff"] = _text_diff(fc.before, fc.after)
    return out


def to_dict(diff: Diff) -> dict[str, Any]:
    return {
        "before": diff.before,
        "after": diff.after,
        "tenant": diff.tenant,
        "semantic_change": diff.semantic,
        "pairs_compared": diff.pairs,
        "affected_tenants": diff.affected,
        "unaffected_tenants": diff.unaffected,
        "reasons": [{"tenants": g.tenants, "who": g.who, "scope": g.reason.scope, "name": g.reason.name,
                     "text": g.reason.text} for g in diff.reasons],
        "workflows": [{
            "name": wd.name,
            "status": wd.status,
            "tenants_running": wd.running,
            "workflow_fields": [{**_field_json(fc), "tenants": tenants} for fc, tenants in wd.header],
            "steps": [{
                "node": g.node, "kind": g.kind, "status": g.status, "renamed_from": g.renamed_from or None,
                "tenants": g.tenants,
                "fields": [{**_field_json(fc), "tenants": tenants} for fc, tenants in g.fields],
                "edges": [{"edge": _edge(edge), "change": "added" if sign == "+" else "removed", "tenants": tenants}
                          for sign, edge, tenants in g.edges],
            } for g in wd.changes],
            "now_runs_for": wd.now_runs,
            "no_longer_runs_for": wd.no_longer_runs,
        } for wd in diff.workflows],
        "project": [_source_json(c) for c in diff.project],
        "tenants": {t: [_source_json(c) for c in changes] for t, changes in diff.tenants.items()},
        "tenants_added": diff.tenants_added,
        "tenants_removed": diff.tenants_removed,
        "skill_files": [{"path": f.path, "status": f.status} for f in diff.skills],
        "problems": {"before": [str(p) for p in diff.problems_before], "after": [str(p) for p in diff.problems_after]},
        "form_only": diff.form_only,
    }


def _source_json(change: SourceChange) -> dict[str, Any]:
    return {"file": change.file, "path": change.path, "before": _value(change.before), "after": _value(change.after)}


def to_json(diff: Diff) -> str:
    return json.dumps(to_dict(diff), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


RENDERERS = {"text": to_text, "markdown": to_markdown, "json": to_json}
