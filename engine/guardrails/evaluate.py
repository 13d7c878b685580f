"""Precision and recall of the detectors on a labeled corpus.

The corpus is JSON lines (see ``tests/data/guardrails/build_corpus.py``):
one case per line with its text and labeled spans. PII and secrets are
scored per span: a found span counts if a labeled span of the same type
overlaps it; every other found span (including any in benign or injection
texts) is a false positive. Injection is scored per case: a case is
flagged if the detector reports it; the false-positive rate is the share
of benign cases flagged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.guardrails.injection import DEFAULT_THRESHOLD, InjectionDetector
from engine.guardrails.pii import PII_TYPES, PiiDetector
from engine.guardrails.secrets import SECRET_TYPES, SecretsDetector


@dataclass
class Tally:
    """Counts for one category or type."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def add(self, other: Tally) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn


@dataclass
class Report:
    """Results per category (``pii``, ``secret``, ``injection``) and per type."""

    cases: int
    categories: dict[str, Tally]
    types: dict[str, Tally]
    #: Benign cases, and how many the injection detector flagged.
    benign: int = 0
    benign_flagged: int = 0
    threshold: float = DEFAULT_THRESHOLD
    #: The same for the held-out cases only (never used to tune the detectors).
    heldout_injection: Tally = field(default_factory=Tally)
    heldout_benign: int = 0
    heldout_benign_flagged: int = 0
    #: Ids of the cases each type missed or wrongly found, for reading the corpus.
    misses: dict[str, list[str]] = field(default_factory=dict)
    #: Injection recall per language of the injection cases that name one.
    languages: dict[str, Tally] = field(default_factory=dict)

    @property
    def benign_false_positive_rate(self) -> float:
        return self.benign_flagged / self.benign if self.benign else 0.0

    def to_json(self) -> dict[str, Any]:
        def row(tally: Tally) -> dict[str, Any]:
            return {"tp": tally.tp, "fp": tally.fp, "fn": tally.fn, "precision": round(tally.precision, 4),
                    "recall": round(tally.recall, 4)}

        return {
            "cases": self.cases,
            "injection_threshold": self.threshold,
            "categories": {name: row(t) for name, t in self.categories.items()},
            "types": {name: row(t) for name, t in sorted(self.types.items())},
            "benign_cases": self.benign,
            "benign_flagged_as_injection": self.benign_flagged,
            "benign_false_positive_rate": round(self.benign_false_positive_rate, 4),
            "injection_languages": {name: row(t) for name, t in sorted(self.languages.items())},
            "heldout": {"injection_recall": round(self.heldout_injection.recall, 4),
                        "injections": self.heldout_injection.tp + self.heldout_injection.fn,
                        "benign_cases": self.heldout_benign, "benign_flagged": self.heldout_benign_flagged},
        }


def load_corpus(path: Path) -> list[dict[str, Any]]:
    """The cases in a corpus file (its ``_meta`` line left out); ValueError names a bad line."""
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}:{number}: not a JSON object ({error.msg})") from None
        if isinstance(case, dict) and case.get("kind") == "meta":
            continue
        if not isinstance(case, dict) or not isinstance(case.get("text"), str) or "kind" not in case:
            raise ValueError(f"{path}:{number}: a case needs 'kind' and 'text'")
        cases.append(case)
    return cases


def evaluate(cases: Iterable[dict[str, Any]], *, threshold: float = DEFAULT_THRESHOLD) -> Report:
    """Run every PII, secret and injection detector over ``cases`` and count hits and misses."""
    pii, secrets, injection = PiiDetector(PII_TYPES), SecretsDetector(SECRET_TYPES), InjectionDetector(threshold)
    types: dict[str, Tally] = {t: Tally() for t in (*PII_TYPES, *SECRET_TYPES)}
    flagged = Tally()
    misses: dict[str, list[str]] = {}
    benign = benign_flagged = count = heldout_benign = heldout_flagged = 0
    heldout = Tally()
    languages: dict[str, Tally] = {}
    for case in cases:
        count += 1
        text, case_id = case["text"], str(case.get("id", count))
        labels = [label for label in case.get("labels", []) if label["category"] in ("pii", "secret")]
        found = pii.scan(text) + secrets.scan(text)
        matched: set[int] = set()
        for finding in found:
            hit = next((i for i, label in enumerate(labels) if label["type"] == finding.type and i not in matched
                        and finding.start < label["end"] and label["start"] < finding.end), None)
            if hit is None:
                types[finding.type].fp += 1
                misses.setdefault(f"{finding.type}:fp", []).append(case_id)
            else:
                matched.add(hit)
                types[finding.type].tp += 1
        for i, label in enumerate(labels):
            if i not in matched:
                types[label["type"]].fn += 1
                misses.setdefault(f"{label['type']}:fn", []).append(case_id)
        is_injection = case["kind"] == "injection"
        reported = bool(injection.scan(text))
        if case["kind"] == "benign":
            benign += 1
            benign_flagged += reported
        if case.get("split") == "heldout":
            if case["kind"] == "benign":
                heldout_benign += 1
                heldout_flagged += reported
            elif is_injection:
                heldout.tp += reported
                heldout.fn += not reported
        if is_injection and "language" in case:
            language = languages.setdefault(str(case["language"]), Tally())
            language.tp += reported
            language.fn += not reported
        if is_injection and reported:
            flagged.tp += 1
        elif is_injection:
            flagged.fn += 1
            misses.setdefault("injection:fn", []).append(case_id)
        elif reported:
            flagged.fp += 1
            misses.setdefault("injection:fp", []).append(case_id)
    categories = {"pii": Tally(), "secret": Tally(), "injection": flagged}
    for name, tally in types.items():
        categories["pii" if name in PII_TYPES else "secret"].add(tally)
    return Report(count, categories, types, benign=benign, benign_flagged=benign_flagged, threshold=threshold,
                  misses=misses, languages=languages, heldout_injection=heldout, heldout_benign=heldout_benign,
                  heldout_benign_flagged=heldout_flagged)


def render(report: Report) -> str:
    """The report as a table for a terminal."""
    lines = [f"{report.cases} cases; injection threshold {report.threshold:g}", "",
             f"{'category / type':<28} {'tp':>5} {'fp':>5} {'fn':>5} {'precision':>10} {'recall':>8}"]
    for name, tally in report.categories.items():
        lines.append(_row(name, tally))
        if name in ("pii", "secret"):
            for type_name in (PII_TYPES if name == "pii" else SECRET_TYPES):
                lines.append(_row(f"  {type_name}", report.types[type_name]))
    lines += ["", f"benign cases flagged as injection: {report.benign_flagged}/{report.benign} "
                  f"({report.benign_false_positive_rate:.1%})"]
    held = report.heldout_injection
    if held.tp + held.fn or report.heldout_benign:
        lines.append(f"held-out (never used for tuning): injection recall {held.recall:.3f} "
                     f"({held.tp}/{held.tp + held.fn}), benign flagged {report.heldout_benign_flagged}/"
                     f"{report.heldout_benign}")
    return "\n".join(lines)


def render_splits(reports: dict[str, Report]) -> str:
    """Several reports (one per split of a corpus) side by side, per category and type.

    Each split gets precision and recall columns; the counts of each are in ``--json``.
    """
    names = list(reports)
    head = f"{'category / type':<28}" + "".join(f" {name[:17]:>17}" for name in names)
    sub = f"{'':<28}" + "".join(f" {'precision':>9} {'recall':>7}" for _ in names)
    lines = [", ".join(f"{name}: {report.cases} cases" for name, report in reports.items())
             + f"; injection threshold {next(iter(reports.values())).threshold:g}", "", head, sub]

    def row(label: str, tallies: list[Tally]) -> str:
        cells = "".join(f" {t.precision:>9.3f} {t.recall:>7.3f}" if t.tp + t.fp + t.fn else f" {'-':>9} {'-':>7}"
                        for t in tallies)
        return f"{label:<28}{cells}"

    def labelled(report: Report, category: str) -> bool:
        # A corpus that labels none of a category (an injection set holding attackers' addresses) is not
        # scored for it: every finding would count as a false positive of a category it never set out to label.
        tally = report.categories[category]
        return category == "injection" or tally.tp + tally.fn > 0

    first = next(iter(reports.values()))
    for category in first.categories:
        lines.append(row(category, [r.categories[category] if labelled(r, category) else Tally()
                                    for r in reports.values()]))
        if category in ("pii", "secret"):
            for type_name in (PII_TYPES if category == "pii" else SECRET_TYPES):
                lines.append(row(f"  {type_name}", [r.types[type_name] if labelled(r, category) else Tally()
                                                    for r in reports.values()]))
    languages = sorted({language for r in reports.values() for language in r.languages})
    if languages:
        lines += ["", "injection recall by language"]
        for language in languages:
            lines.append(row(f"  {language}", [r.languages.get(language, Tally()) for r in reports.values()]))
    lines.append("")
    lines.append("(-: the corpus labels nothing of that category or type)")
    lines.append(f"{'benign flagged as injection':<28}" + "".join(
        f" {f'{r.benign_flagged}/{r.benign} ({r.benign_false_positive_rate:.1%})':>17}" for r in reports.values()))
    return "\n".join(lines)


def _row(name: str, tally: Tally) -> str:
    return f"{name:<28} {tally.tp:>5} {tally.fp:>5} {tally.fn:>5} {tally.precision:>10.3f} {tally.recall:>8.3f}"
