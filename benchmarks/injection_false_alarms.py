"""How often the injection detector flags benign technical English nobody wrote for it.

    python benchmarks/injection_false_alarms.py [--paragraphs 40000] [--against /path/to/other/checkout]
    python benchmarks/injection_false_alarms.py --catalogues [--against ...]

The sample: paragraphs of the docstrings of the packages installed next to
this one (site-packages), which are full of the attacks' words ("ignore",
"override", "system", "instructions", "developer", "prompt") in harmless
sentences. Packages that document prompts or generate attack-like test data
(langchain, langgraph, openai, anthropic, hypothesis, schemathesis, faker)
are left out. Paragraphs are shuffled with a fixed seed, so two checkouts
(``--against``, run in its own process) see the same sample. Prints the
share flagged and, for ``--against``, which paragraphs only one of them
flags.

With ``--catalogues`` the sample is instead every translated message of
the gettext catalogues installed for the fourteen other languages the
detector reads (``/usr/share/locale/<language>/LC_MESSAGES/*.mo``):
program messages full of "ignoriert", "Anweisung", "Systemmeldung",
"开发者模式", "無視", none of them written for the detector.
"""

from __future__ import annotations

import argparse
import ast
import gettext
import json
import os
import random
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = ("langchain", "langgraph", "openai", "langsmith", "anthropic", "schemathesis", "hypothesis", "_pytest", "faker",
        "jsonschema")


def paragraphs(limit: int) -> list[str]:
    site = Path(sysconfig.get_paths()["purelib"])
    found: list[str] = []
    for directory, _, files in sorted(os.walk(site)):
        if any(name in directory for name in SKIP):
            continue
        for file in sorted(files):
            if not file.endswith(".py"):
                continue
            try:
                tree = ast.parse(Path(directory, file).read_text(encoding="utf-8"))
            except (SyntaxError, UnicodeDecodeError, ValueError):
                continue
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
                    for paragraph in (ast.get_docstring(node) or "").split("\n\n"):
                        paragraph = " ".join(paragraph.split())
                        if 60 < len(paragraph) < 2000:
                            found.append(paragraph)
    random.Random(17).shuffle(found)
    return found[:limit]


#: The catalogue directories of the fourteen languages (engine.guardrails.injection_languages).
LOCALES = ("de", "fr", "es", "it", "nl", "pt", "pt_BR", "pl", "ru", "ja", "zh_CN", "hi", "ar", "bn", "bn_IN", "ur")


def catalogue_messages(limit: int) -> list[str]:
    found: set[str] = set()
    for locale in LOCALES:
        for path in sorted(Path("/usr/share/locale", locale, "LC_MESSAGES").glob("*.mo")):
            try:
                with path.open("rb") as handle:
                    catalog = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
            except (OSError, UnicodeDecodeError, ValueError):
                continue
            found.update(message for message in catalog.values() if isinstance(message, str) and len(message) > 15)
    messages = sorted(found)
    random.Random(17).shuffle(messages)
    return messages[:limit]


def flagged(sample: list[str]) -> list[int]:
    from engine.guardrails.injection import InjectionDetector

    detector = InjectionDetector()
    return [index for index, text in enumerate(sample) if detector.scan(text)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=40_000)
    parser.add_argument("--catalogues", action="store_true", help="translated gettext messages, 14 languages")
    parser.add_argument("--against", type=Path, help="another checkout, scored on the same sample")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:  # score a sample file with the engine on sys.path, print the flagged indexes
        print(json.dumps(flagged(json.loads(args.worker.read_text(encoding="utf-8")))))
        return 0
    if args.catalogues:
        sample = catalogue_messages(10**7)
        print(f"{len(sample)} translated messages from /usr/share/locale", file=sys.stderr)
    else:
        sample = paragraphs(args.paragraphs)
        print(f"{len(sample)} docstring paragraphs from {sysconfig.get_paths()['purelib']}", file=sys.stderr)
    here = flagged(sample)
    print(f"this checkout: {len(here)} flagged ({len(here) / len(sample):.2%})")
    if args.against:
        path = Path("/tmp/injection-false-alarms-sample.json")
        path.write_text(json.dumps(sample), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(args.against)}
        out = subprocess.run([sys.executable, __file__, "--worker", str(path)], env=env, cwd="/", check=True,
                             capture_output=True, text=True).stdout
        there = json.loads(out)
        print(f"{args.against}: {len(there)} flagged ({len(there) / len(sample):.2%})")
        for name, only in (("only here", set(here) - set(there)), ("only there", set(there) - set(here))):
            print(f"{name}: {len(only)}")
            for index in sorted(only):
                print(f"  {sample[index][:160]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
