"""Project commands: validate, graph, run, schema, init."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import click

from engine.cli.common import fail, open_project, project_option, telemetry_on, user_errors
from engine.cli.group import main
from engine.errors import TenantflowError, render_problems
from engine.project import find_root


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: {ok, pairs, problems, warnings}, each problem with file, line, col, location, "
              "message, hint and code (for editors and CI).")
@project_option
def validate(paths: tuple[Path, ...], fmt: str, project_dir: Path) -> None:
    """Check every file of the project and compile every workflow for every tenant.

    A workflow no tenant runs is compiled against each tier's defaults, with a
    warning. With PATHs inside the project, only problems in those files are shown.
    """
    from engine.review.validate import validate_project

    with user_errors():
        start = paths[0] if paths else project_dir
        root = find_root(start if start.is_dir() else start.parent)
        result = validate_project(root)
        files = {p.resolve() for p in paths if p.is_file()}
        if files:
            result.problems = [p for p in result.problems if (root / p.file).resolve() in files]
            result.warnings = [p for p in result.warnings if (root / p.file).resolve() in files]
        if fmt == "json":
            click.echo(json.dumps(result.to_json(), indent=2))
            if result.problems:
                sys.exit(1)
            return
        for warning in result.warnings:
            click.echo(f"warning: {warning}", err=True)
        if result.problems:
            count = len(result.problems)
            fail(f"{render_problems(result.problems)}\n{count} problem{'s' if count != 1 else ''} found")
        click.echo(f"ok: {result.pairs} workflow x tenant pairs compiled, no problems")


@main.command()
@click.argument("workflow")
@click.option("--tenant", "-t", required=True, help="Tenant id.")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "json"]), default="mermaid", show_default=True)
@project_option
def graph(workflow: str, tenant: str, fmt: str, project_dir: Path) -> None:
    """Print the compiled graph of WORKFLOW for a tenant (canonical, byte-identical across runs)."""
    from engine.compile.render import describe, to_json, to_mermaid
    from engine.engine import Engine

    with user_errors():
        engine = Engine(open_project(project_dir))
        compiled = engine.compile(workflow, tenant)
        description = describe(compiled.ir, engine.settings(tenant), engine.project.registry, compiled.digest)
        click.echo(to_json(description) if fmt == "json" else to_mermaid(description), nl=False)


@main.command()
@click.argument("workflow")
@click.option("--tenant", "-t", help="Tenant id (with a development context; not with --token).")
@click.option("--user", "-u", default="dev-user", show_default=True, help="User id (development context).")
@click.option("--session", "-s", default="dev-session", show_default=True, help="Session id.")
@click.option("--token", "token_text", help="Run as the caller of this JWT (or @file): tenant and user come "
              "from the verified token, and tools get tokens exchanged from it.")
@click.option("--input", "-i", "input_text", help="Input as JSON, or @file.json.")
@click.option("--resume", is_flag=True, help="Go on with the session's unfinished run (no --input).")
@click.option("--answer", "answer_text", help="Answer (JSON or @file) the question the session's run waits on.")
@click.option("--requester", help="With --answer: the user whose run waits (default: the caller).")
@click.option("--stream", "stream_tokens", is_flag=True, help="Print the text of llm steps with stream: true as "
              "it is written (checked sentence by sentence), then the output JSON.")
@click.option("--full", is_flag=True, help="Print usage, guardrail records and errors too.")
@click.option("--trace", is_flag=True, help="Also print, on stderr, each step that ran: its time, route, "
              "handled failures, the model it resolved to and its output (redacted by the tenant's rules).")
@project_option
def run(workflow: str, tenant: str | None, user: str, session: str, token_text: str | None, input_text: str | None,
        resume: bool, answer_text: str | None, requester: str | None, stream_tokens: bool, full: bool, trace: bool,
        project_dir: Path) -> None:
    """Run WORKFLOW for a tenant offline and print the output JSON.

    Without --token the run uses a development context for --tenant and --user.
    """
    with user_errors():
        if (tenant is None) == (token_text is None):
            fail("error: give either --tenant (development context) or --token (a verified caller)")
        if sum((input_text is not None, resume, answer_text is not None)) != 1:
            fail("error: give --input (a new run), --resume (the session's unfinished run) or --answer (the "
                 "question it waits on)")
        if requester is not None and answer_text is None:
            fail("error: --requester goes with --answer")
        token = _read_token(token_text) if token_text is not None else None
        payload = _read_input(input_text if input_text is not None else answer_text or "null")
        mode = "answer" if answer_text is not None else "resume" if resume else "stream" if stream_tokens else "run"
        if stream_tokens and mode != "stream":
            fail("error: --stream goes with --input")
        if trace and mode != "run":
            fail("error: --trace goes with --input (without --stream)")
        result = asyncio.run(_run(project_dir, workflow, tenant, user, session, token, payload, mode, requester,
                                  trace))
        data = result.to_json()
        click.echo(json.dumps(data if full else {"output": data["output"], "blocked": data["blocked"],
                                                  "usage": {k: data["usage"][k] for k in
                                                            ("input_tokens", "output_tokens", "cost_usd", "models")},
                                                  "guardrails": data["guardrails"], "errors": data["errors"]}
                              | {k: data[k] for k in ("status", "pending") if k in data},
                              indent=2, sort_keys=True))
        if result.blocked:
            sys.exit(3)


def _read_input(text: str) -> Any:
    source = "--input"
    if text.startswith("@"):
        source = text[1:]
        try:
            text = Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise InputFileError(f"cannot read input file {source}: {exc.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{source}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None


def _read_token(text: str) -> str:
    if text.startswith("@"):
        try:
            return Path(text[1:]).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise InputFileError(f"cannot read token file {text[1:]}: {exc.strerror}") from None
    return text.strip()


class InputFileError(TenantflowError):
    code = "input"


async def _run(project_dir: Path, workflow: str, tenant: str | None, user: str, session: str, token: str | None,
               payload: Any, mode: str = "run", requester: str | None = None, trace: bool = False) -> Any:
    from engine.engine import Engine
    from engine.telemetry import logs

    root = find_root(project_dir)
    async with Engine.open(root) as engine:
        logs.configure(engine.project.spec.telemetry.log_level)
        with telemetry_on(engine.project):
            return await _run_on(engine, workflow, tenant, user, session, token, payload, mode, requester, trace)


async def _run_on(engine: Any, workflow: str, tenant: str | None, user: str, session: str, token: str | None,
                  payload: Any, mode: str, requester: str | None, trace: bool) -> Any:
    from engine.review.trace import render_trace, traced_run

    credential = None
    if token is not None:
        caller = engine.authenticate(token, session_id=session)
        ctx, credential = caller.context, caller.credential
    else:
        assert tenant is not None
        ctx, credential = engine.dev_context(tenant, user, session), None
    if mode == "answer":
        return await engine.answer(workflow, ctx, requester or ctx.user_id, payload, credential=credential)
    if mode == "resume":
        return await engine.resume(workflow, ctx, credential=credential)
    if mode == "stream":
        from engine.engine import RunResult, TokenEvent

        result = None
        async for event in engine.stream(workflow, ctx, payload, credential=credential):
            if isinstance(event, TokenEvent):
                click.echo(event.text, nl=False)
            elif isinstance(event, RunResult):
                result = event  # the stream's last event
        click.echo()
        return result
    if not trace:
        return await engine.run(workflow, ctx, payload, credential=credential)
    steps, traced = await traced_run(engine, workflow, ctx, payload, credential)
    click.echo(render_trace(engine, steps, traced), err=True)
    return traced


@main.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
def schema(output: Path | None) -> None:
    """Print the JSON Schema of tenantflow's YAML files (for editors)."""
    from engine.kinds.registry import step_kinds
    from engine.spec.schema import json_schema

    text = json.dumps(json_schema(step_kinds().workflow_model), indent=2, sort_keys=True) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Create a working project in DIRECTORY: one workflow with its test case and snapshots, two tenants,
    shared skills and bridges, and a .gitignore for the local data folder."""
    scaffold = Path(__file__).resolve().parent.parent / "scaffold"
    if directory.exists() and any(directory.iterdir()):
        fail(f"error: {directory} exists and is not empty")
    shutil.copytree(scaffold, directory, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    from engine.kinds.registry import step_kinds
    from engine.spec.schema import json_schema

    schema_file = directory / "schema" / "tenantflow.schema.json"
    schema_file.parent.mkdir(parents=True, exist_ok=True)
    schema = json_schema(step_kinds().workflow_model)
    schema_file.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    # Dot files are not package data: the scaffold holds it as `gitignore`.
    (directory / "gitignore").rename(directory / ".gitignore")
    with user_errors():
        from engine.review.snapshot import SNAPSHOT_DIR, project_snapshots, write_snapshots

        expected, _ = project_snapshots(open_project(directory))
        write_snapshots(expected, directory / SNAPSHOT_DIR)
    click.echo(f"created a tenantflow project in {directory}\n"
               f"next: cd {directory} && tenantflow validate && "
               "tenantflow run hello --tenant alpha --input '{\"question\": \"hi\"}'")
