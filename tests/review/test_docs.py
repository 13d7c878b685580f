"""docs/errors.md lists every error code the engine emits; .pre-commit-hooks.yaml offers the review checks."""

from __future__ import annotations

import re

import yaml

from tests.conftest import REPO

_CODE = re.compile(r"""\bcode\s?=\s?["']([a-z0-9][a-z0-9_-]*)["']""")


def _emitted_codes() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted((REPO / "engine").rglob("*.py")):
        if "scaffold" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for code in _CODE.findall(line):
                found.setdefault(code, []).append(f"{path.relative_to(REPO)}:{number}")
    return found


def test_errors_doc_lists_every_code_the_engine_emits() -> None:
    documented = set(re.findall(r"^### `([a-z0-9_-]+)`$", (REPO / "docs" / "errors.md").read_text(encoding="utf-8"),
                                re.M))
    emitted = _emitted_codes()
    assert len(emitted) > 60
    missing = {code: places for code, places in emitted.items() if code not in documented}
    assert missing == {}, "document these codes in docs/errors.md (an example and the fix):\n" + "\n".join(
        f"  {code}: {', '.join(places)}" for code, places in sorted(missing.items()))


def test_pre_commit_hooks_offer_validate_snapshot_check_and_test() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [(h["id"], h["entry"], h["language"], h["pass_filenames"]) for h in hooks] == [
        ("tenantflow-validate", "tenantflow validate", "python", False),
        ("tenantflow-snapshot-check", "tenantflow snapshot --check", "python", False),
        ("tenantflow-test", "tenantflow test", "python", False),
    ]
    for hook in hooks:
        pattern = re.compile(hook["files"])
        assert pattern.search("workflows/support-triage.yaml") and pattern.search("tenants/acme/tenant.yaml")
        assert not pattern.search("README.md")
