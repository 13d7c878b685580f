"""Guardrails: detector throughput against a naive baseline, and the latency the guard nodes add.

Part 1, throughput, measured in ONE process with the variants interleaved
round by round (order rotated) so drift of the machine hits them alike:

* ``detectors``     the full PII and secrets detector set (``PiiDetector`` with
                    every PII type, ``SecretsDetector`` with every secret type);
* ``detectors, Python path``  the same detectors with the compiled gates
                    switched off (``engine.guardrails.compiled.disabled``): what
                    a platform without the Hyperscan wheel gets, same findings;
* ``detectors, Python run finder``  the compiled gates on, but the digit runs
                    found in Python (``engine.guardrails.digit_runs.python_only``):
                    what an install without a C compiler gets, same findings;
* ``naive-all``     one regex per type, each run with ``finditer`` over the
                    whole text (the same types; card and IBAN checksums kept
                    so the work is comparable);
* ``naive-4``       the same for email, phone, SSN and card only: the
                    reference baseline of REFERENCE.md (4.4 MB/s there).

The text is the labeled corpus (``tests/data/guardrails/corpus.jsonl``: PII,
secrets, injections, code, ids) repeated to about 1 MB, scanned once as a
whole and once as 2 KB messages (how guard nodes see it).

Part 2, the added latency of both guard nodes on a 2 KB message: the input
and output guard node functions of the demo's compiled ``support-triage``,
called directly (no graph around them) for a basic-tier tenant (default
profile) and a premium HIPAA tenant, with a 2 KB ticket holding an email
address, a phone number, an order number, dates and amounts, a 2 KB reply, and the step results a run gathers.

Each part prints the UTC time and the load average when it starts and ends:
other work on the machine moves the numbers.

    python benchmarks/bench_guardrails.py            # ~2 min
    python benchmarks/bench_guardrails.py --quick    # fewer rounds
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.runnables.config import var_child_runnable_config
from langgraph.runtime import Runtime

from engine.engine import Engine
from engine.guardrails import compiled, digit_runs
from engine.guardrails.cards import known_card_prefix, luhn_valid
from engine.guardrails.pii import PII_TYPES, PiiDetector, iban_valid
from engine.guardrails.secrets import SECRET_TYPES, SecretsDetector
from engine.ir import GUARD_INPUT, GUARD_OUTPUT
from engine.kinds.base import Build, RunContext
from engine.kinds.guard import GuardInput, GuardOutput
from engine.project import load_project

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "guardrails" / "corpus.jsonl"

# -- the naive baseline: one regex per type, finditer over the whole text -------------------------

_NAIVE: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}"),
    "phone": re.compile(r"(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]?\d{3,4}"),
    "us_ssn": re.compile(r"\b\d{3}-\d{2}-\d{4}\b"),
    "payment_card": re.compile(r"\b\d(?:[ -]?\d){11,18}\b"),
    "iban": re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b"),
    "ip_address": re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b|\b(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}\b"),
    "date_of_birth": re.compile(r"(?i)(?:dob|date of birth|born|geburtsdatum|naissance|nacimiento|nascita)"
                                r"\W{0,20}\d{1,4}[./-]\d{1,2}[./-]\d{1,4}"),
    "medical_record_number": re.compile(r"(?i)(?:mrn|medical record|patient id)\W{0,10}[A-Z0-9-]{6,16}"),
    "aws_access_key": re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
    "aws_secret_key": re.compile(r"(?i)aws_?secret\w*\W{0,5}[A-Za-z0-9/+]{40}"),
    "jwt": re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"),
    "api_key": re.compile(r"\b(?:sk-[A-Za-z0-9_-]{20,}|ghp_[A-Za-z0-9]{36}|xox[abposr]-[A-Za-z0-9-]{10,}"
                          r"|AIza[A-Za-z0-9_-]{35}|sk_live_[A-Za-z0-9]{20,})"),
    "private_key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
}
_CHECKS: dict[str, Callable[[str], bool]] = {
    "payment_card": lambda m: (d := re.sub(r"\D", "", m)) != "" and known_card_prefix(d) and luhn_valid(d),
    "iban": lambda m: iban_valid(m.replace(" ", "")),
}
_NAIVE_4 = ("email", "phone", "us_ssn", "payment_card")


def naive_scan(text: str, types: tuple[str, ...]) -> int:
    found = 0
    for name in types:
        check = _CHECKS.get(name)
        for match in _NAIVE[name].finditer(text):
            if check is None or check(match.group()):
                found += 1
    return found


# -- part 1: throughput -----------------------------------------------------------------------------

def corpus_cases() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()[1:]]


def corpus_text(size: int) -> str:
    """The whole corpus (one PII or secret every 100 bytes or so: a worst case), repeated to ``size``."""
    block = "\n\n".join(case["text"] for case in corpus_cases())
    return (block * (size // len(block) + 1))[:size]


def typical_messages(size: int) -> list[str]:
    """2 KB messages as support traffic looks: the benign and injection texts of the corpus (tickets,
    code, logs, medical questions, ids) joined into 2 KB, each with one PII or secret case in the middle."""
    cases = corpus_cases()
    plain = [c["text"] for c in cases if c["kind"] in ("benign", "injection")]
    sensitive = [c["text"] for c in cases if c["kind"] in ("pii", "secret")]
    messages: list[str] = []
    total = index = 0
    while total < size:
        body = ""
        while len(body) < 2048:
            body += plain[index % len(plain)] + "\n\n"
            index += 1
        middle = body.find("\n\n", 900) + 2
        message = (body[:middle] + sensitive[len(messages) % len(sensitive)] + "\n\n" + body[middle:])[:2048]
        messages.append(message)
        total += len(message.encode("utf-8"))
    return messages


def messages(text: str, size: int = 2048) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def throughput(rounds: int, size: int) -> None:
    text = corpus_text(size)
    chunks = messages(text)
    typical = typical_messages(size)
    pii, secrets = PiiDetector(PII_TYPES), SecretsDetector(SECRET_TYPES)
    every_type = tuple(_NAIVE)

    def scan_all(texts: list[str]) -> int:
        return sum(len(pii.scan(t)) + len(secrets.scan(t)) for t in texts)

    def scan_all_python(texts: list[str]) -> int:
        with compiled.disabled():
            return scan_all(texts)

    def scan_all_python_runs(texts: list[str]) -> int:
        with digit_runs.python_only():
            return scan_all(texts)

    variants: dict[str, Callable[[], int]] = {
        "typical 2 KB msgs: detectors": lambda: scan_all(typical),
        "typical 2 KB msgs: detectors, Python path": lambda: scan_all_python(typical),
        "typical 2 KB msgs: detectors, Python run finder": lambda: scan_all_python_runs(typical),
        "typical 2 KB msgs: naive-all": lambda: sum(naive_scan(t, every_type) for t in typical),
        "typical 2 KB msgs: naive-4": lambda: sum(naive_scan(t, _NAIVE_4) for t in typical),
        "dense corpus, 2 KB msgs: detectors": lambda: scan_all(chunks),
        "dense corpus, 2 KB msgs: detectors, Python path": lambda: scan_all_python(chunks),
        "dense corpus, 2 KB msgs: naive-all": lambda: sum(naive_scan(c, every_type) for c in chunks),
        "dense corpus, 1 text: detectors": lambda: scan_all([text]),
        "dense corpus, 1 text: naive-all": lambda: naive_scan(text, every_type),
        "dense corpus, 1 text: naive-4": lambda: naive_scan(text, _NAIVE_4),
    }
    sizes = {name: sum(len(t.encode("utf-8")) for t in typical) if name.startswith("typical")
             else len(text.encode("utf-8")) for name in variants}
    times: dict[str, list[float]] = {name: [] for name in variants}
    found = {name: fn() for name, fn in variants.items()}  # warm up, and what each finds
    order = list(variants)
    for round_ in range(rounds):
        for name in order[round_ % len(order):] + order[: round_ % len(order)]:
            gc.collect()
            start = time.process_time()
            variants[name]()
            times[name].append(time.process_time() - start)
    print(f"\n## Throughput: about {size / 1e6:.1f} MB per variant, {rounds} rounds, median process CPU time\n")
    print(f"(compiled gates: {'Hyperscan ' + compiled.hyperscan.__version__ if compiled.enabled() else 'off'}; "
          f"digit runs found in {'C' if digit_runs.ACCELERATED else 'Python'})\n")
    print("| variant | median ms | MB/s | findings |")
    print("|---|---:|---:|---:|")
    for name in variants:
        median = statistics.median(times[name])
        print(f"| {name} | {median * 1000:.1f} | {sizes[name] / 1e6 / median:.1f} | {found[name]} |")


# -- part 2: latency of both guard nodes -------------------------------------------------------------

# A 2 KB support ticket as customers write them: one email address, one phone number,
# an order number, dates and amounts (the numbers the detectors must look at and let pass).
TICKET = (
    "Hello support team,\n\n"
    "I have been a customer for three years and this is the first time I have had to write to you about "
    "billing. On March 3rd I was charged 49.99 for my monthly subscription, which is expected, but on March "
    "5th the same amount was charged again. Both charges show the same reference on my bank statement, so I "
    "assume the second one is a duplicate created when your payment page timed out. I tried to cancel the "
    "second payment in the app, but the button was greyed out and the page showed error 502 twice.\n\n"
    "Last week I contacted your billing team through the chat widget (ticket 48213) and was promised a reply "
    "within two business days, but nobody got back to me. My order number is 2024-0315-7781 in case that "
    "helps you find the payments. I also noticed that my plan renewed on the 1st instead of the 15th, which "
    "may be related to the problem, since the renewal date changed after I updated my card last month.\n\n"
    "Could you please refund the duplicate charge and confirm the correct renewal date for my account? If "
    "the refund takes more than a few days, I would appreciate a short note so I can tell my accountant. I "
    "also want to make sure this does not happen again next month: is there a setting that prevents a "
    "second charge when the page is reloaded? I use the desktop app version 3.14.2 on Windows and the mobile "
    "app on Android, and the problem happened on the desktop app.\n\n"
    "You can reach me at dana.lee@example.com, or call me on +1 415 555 0142 between 9am and 5pm Pacific "
    "time. I am travelling next week, so email is the better option after Friday. Thank you in advance for "
    "sorting this out; apart from this issue I am very happy with the service and would like to keep using "
    "it for my small team of 12 people.\n\n"
    "P.S. The invoice PDF for March also lists the wrong company address; it should be 200 Market Street, "
    "Suite 4, not Suite 40. Could you fix that on future invoices as well?\n\n"
    "Kind regards,\nDana Lee\nOperations Manager\n"
)
REPLY = (
    "Hi Dana,\n\nThank you for the detailed description, and sorry for the trouble. I checked your account: "
    "the second charge of 49.99 on March 5th is indeed a duplicate created when the payment page timed out. "
    "I have refunded it today; depending on your bank it will show on your statement within 3 to 5 business "
    "days. Your renewal date is back on the 15th of each month, and the next charge will be on April 15th. "
) * 4


def two_kb(text: str) -> str:
    return (text * (2048 // len(text) + 1))[:2048]


def guard_latency(calls: int) -> None:
    engine = Engine(load_project(ROOT))
    ticket = TICKET
    reply = (REPLY * 2)[:2048]
    print(f"\n(ticket {len(ticket.encode())} bytes, reply {len(reply.encode())} bytes)")
    print(f"\n## Both guard nodes on a 2 KB message ({calls} calls each; process CPU time per call, median "
          f"unless said; µs)\n")
    print("| tenant (profile) | input guard | output guard | both | both p95 | both, quietest 200 | both, wall |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for tenant, profile in (("globex", "default"), ("initech", "default + pci tier"), ("acme", "hipaa")):
        compiled = engine.compile("support-triage", tenant)
        build = Build(compiled.ir, lambda path: None)  # type: ignore[arg-type,return-value]
        node_in = GuardInput().build(compiled.ir.nodes[GUARD_INPUT], build)
        node_out = GuardOutput().build(compiled.ir.nodes[GUARD_OUTPUT], build)
        ctx = engine.dev_context(tenant, "u1", "s1")
        runtime = Runtime(context=RunContext(ctx, engine.services))
        token = var_child_runnable_config.set({"configurable": {"thread_id": ctx.thread_id,
                                                                "checkpoint_ns": "guard.input:1"}})
        state_in: dict[str, Any] = {"input": {"ticket": ticket, "customer_id": "cus_1001"}}
        state_out: dict[str, Any] = {
            "input": {"ticket": ticket, "customer_id": "cus_1001"},
            "output": {"reply": reply, "category": "billing"},
            "steps": {"classify": {"category": "billing", "confidence": 0.92},
                      "lookup": {"invoices": [{"id": "inv_1", "status": "open", "amount": 42.0}]},
                      "draft": {"reply": reply}},
            "memory": {"user": [{"ticket": "Earlier: password reset"}]},
        }

        async def both() -> tuple[list[float], list[float], list[float]]:
            cpu_in, cpu_out, wall = [], [], []
            for _ in range(calls):
                wall_start, start = time.perf_counter(), time.process_time()
                await node_in(state_in, runtime)  # type: ignore[arg-type]
                middle = time.process_time()
                await node_out(state_out, runtime)  # type: ignore[arg-type]
                cpu_in.append(middle - start)
                cpu_out.append(time.process_time() - middle)
                wall.append(time.perf_counter() - wall_start)
            return cpu_in, cpu_out, wall

        asyncio.run(both())  # warm up
        gc.collect()
        cpu_in, cpu_out, wall = asyncio.run(both())
        var_child_runnable_config.reset(token)
        both = [a + b for a, b in zip(cpu_in, cpu_out, strict=True)]
        total, wall = sorted(both), sorted(wall)
        # Other processes share the two cores: the quietest block of 200 calls shows the cost
        # without them, the overall median and p95 with them.
        quiet = min(statistics.median(both[i : i + 200]) for i in range(0, len(both) - 199, 200))
        print(f"| {tenant} ({profile}) | {statistics.median(cpu_in) * 1e6:.0f} "
              f"| {statistics.median(cpu_out) * 1e6:.0f} "
              f"| {statistics.median(total) * 1e6:.0f} | {total[int(len(total) * 0.95)] * 1e6:.0f} "
              f"| {quiet * 1e6:.0f} | {statistics.median(wall) * 1e6:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer rounds and calls")
    parser.add_argument("--size", type=int, default=1_000_000, help="bytes of text for the throughput part")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}")
    stamp("throughput starts")
    throughput(rounds=5 if args.quick else 15, size=args.size)
    stamp("throughput ends, latency starts")
    guard_latency(calls=300 if args.quick else 2000)
    stamp("latency ends")


def stamp(event: str) -> None:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\n[{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC] {event}; load average {load}")


if __name__ == "__main__":
    main()
