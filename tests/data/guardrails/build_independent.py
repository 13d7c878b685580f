"""Build the independent evaluation corpus: ``independent-dev.jsonl`` and ``independent-heldout.jsonl``.

    python tests/data/guardrails/build_independent.py          # rewrite both files
    python tests/data/guardrails/build_independent.py --check  # exit 1 if either would change

Unlike ``corpus.jsonl`` (``build_corpus.py``), nothing here is taken from the
detectors: no cue list, no issuer subset, no exception list. Values come from
sources the detectors never saw:

* Faker in fourteen locales: names, emails, its own phone formats (with
  extensions such as ``x874``), IBANs, IPs, SSNs, dates, and card numbers from
  every card provider Faker has;
* phonenumbers' own example number for each region and number type
  (``phonenumbers.example_number_for_type``), written the ways people write
  them: national (trunk prefix, parentheses), international, E.164, ``00``
  prefix, digits only, with an extension;
* python-stdnum to format IBANs and check SSNs (so a label is a valid value);
* secrets in the published shapes of many providers (gitleaks' list, not the
  detector's), from a seeded generator;
* hard negatives that look like PII: order, tracking and invoice numbers,
  versions, dates, amounts, UUIDs, ISBNs, timestamps, hashes;
* injections and benign texts from phrase pools in fifteen languages.

The split: every pool of sentences and phrases is dealt into a development
half and a held-out half by :data:`SPLIT_SEED`, and each half draws its values
with its own seed (:data:`SEEDS`). The seeds were fixed once, on 2026-12-07,
before any detector was changed, and are never changed (docs/benchmarks.md,
"Independent corpus", says how the held-out half is kept honest: detectors are
tuned on development errors only; the held-out file is scored, never read).

Output depends on the versions of Faker, phonenumbers and python-stdnum; the
files record them and ``--check`` compares only under those versions.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import random
import string
import sys
import uuid
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUTPUT = {"dev": HERE / "independent-dev.jsonl", "heldout": HERE / "independent-heldout.jsonl"}
sys.path.insert(0, str(HERE))

from independent_phrases import (  # noqa: E402
    BENIGN,
    CARRIERS,
    FILLER,
    HARD_NEGATIVE_SENTENCES,
    INJECTIONS,
    SECRET_CARRIERS,
)

#: Fixed once (2026-12-07), never changed: the pools' deal and each split's value draws.
SPLIT_SEED = 170_001
SEEDS = {"dev": 170_017, "heldout": 170_071}

LOCALES = ["en_US", "en_GB", "en_CA", "en_AU", "en_IN", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR",
           "pl_PL", "ja_JP", "sv_SE"]
#: Every card provider of Faker's credit_card provider (faker.providers.credit_card).
CARD_PROVIDERS = ["amex", "diners", "discover", "jcb15", "jcb16", "maestro", "mastercard", "visa13", "visa16",
                  "visa19"]
PII_CASES, SECRET_CASES, HARD_NEGATIVE_CASES = 420, 120, 160


def deal(pool: Sequence[Any], split: str) -> list[Any]:
    """The half of ``pool`` that belongs to ``split`` (the same deal every time)."""
    order = list(range(len(pool)))
    random.Random(SPLIT_SEED + len(pool)).shuffle(order)
    half = set(order[: (len(pool) + 1) // 2])
    return [item for index, item in enumerate(pool) if (index in half) == (split == "dev")]


def deal_by_language(pool: Sequence[tuple[str, str]], split: str) -> list[tuple[str, str]]:
    """:func:`deal` within each language, so both halves hold every language."""
    dealt = []
    for language in dict.fromkeys(language for language, _ in pool):
        dealt += deal([item for item in pool if item[0] == language], split)
    return dealt


class Case:
    """Builds one text piece by piece, remembering where each labeled value lands."""

    def __init__(self) -> None:
        self.text = ""
        self.labels: list[dict[str, Any]] = []

    def add(self, template: str, category: str = "", kind: str = "", value: str = "", **extra: str) -> None:
        if self.text:
            self.text += "\n" if "\n" in template or self.text.endswith(":") else " "
        before, _, after = template.partition("{v}")
        self.text += before.format(**extra)
        if value:
            self.labels.append({"category": category, "type": kind, "start": len(self.text),
                                "end": len(self.text) + len(value)})
            self.text += value
            self.text += after.format(**extra)


# -- values ---------------------------------------------------------------------------------------------------


def phone_values(rng: random.Random) -> list[str]:
    """phonenumbers' example numbers for every region and number type a person can be called on."""
    import phonenumbers
    from phonenumbers import PhoneNumberFormat as F
    from phonenumbers import PhoneNumberType as T

    numbers = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (T.FIXED_LINE, T.MOBILE, T.FIXED_LINE_OR_MOBILE, T.VOIP):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            style = rng.choice(["national", "national", "international", "international", "e164", "00", "digits",
                                "extension"])
            if style == "national":
                value = phonenumbers.format_number(example, F.NATIONAL)
            elif style == "international":
                value = phonenumbers.format_number(example, F.INTERNATIONAL)
            elif style == "e164":
                value = phonenumbers.format_number(example, F.E164)
            elif style == "00":
                value = "00" + phonenumbers.format_number(example, F.INTERNATIONAL)[1:]
            elif style == "digits":
                value = "".join(c for c in phonenumbers.format_number(example, F.NATIONAL) if c.isdigit())
            else:
                value = phonenumbers.format_number(example, rng.choice([F.NATIONAL, F.INTERNATIONAL]))
                value += rng.choice([" x", " ext. ", " ext ", " #"]) + str(rng.randint(1, 9999))
            numbers.append(value)
    return numbers


def card_value(fake: Any, rng: random.Random) -> str:
    number: str = fake.credit_card_number(card_type=rng.choice(CARD_PROVIDERS))
    style = rng.choice(["plain", "plain", "spaced", "dashed"])
    if style == "plain":
        return number
    if len(number) == 15:
        groups = [number[:4], number[4:10], number[10:]]
    else:
        groups = [number[i : i + 4] for i in range(0, len(number), 4)]
    return (" " if style == "spaced" else "-").join(groups)


def ssn_value(fake: Any, rng: random.Random) -> str:
    """A US SSN from Faker's en_US provider (other locales' ``ssn`` are their own national ids)."""
    from stdnum.us import ssn

    while True:
        value: str = fake.ssn()
        if ssn.is_valid(value):
            break
    digits = value.replace("-", "")
    return rng.choice([value, value, digits, f"{digits[:3]} {digits[3:5]} {digits[5:]}"])


def iban_value(fake: Any, rng: random.Random, fallback: Any) -> str:
    from stdnum import iban

    value: str = fake.iban()
    if not iban.is_valid(value):  # a few locales' providers build IBANs no country uses
        value = fallback.iban()
    return iban.format(value) if rng.random() < 0.5 else iban.compact(value)


def dob_value(fake: Any, rng: random.Random) -> str:
    # Not fake.date_of_birth(): it counts back from today, so the corpus would change every day.
    born = date(rng.randint(1940, 2006), rng.randint(1, 12), rng.randint(1, 28))
    shape = rng.choice(["%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%d", "%d.%m.%Y", "%B %d, %Y", "%d %B %Y", "%d-%m-%Y"])
    return born.strftime(shape)


def pii_value(kind: str, fake: Any, rng: random.Random, phones: list[str], fallback: Any,
              fallback_us: Any) -> tuple[str, str]:
    """(PII type, value) for one kind of value."""
    if kind == "email":
        return "email", rng.choice([fake.email, fake.free_email, fake.company_email])()
    if kind == "faker_phone":
        return "phone", fake.phone_number()
    if kind == "example_phone":
        return "phone", rng.choice(phones)
    if kind == "ssn":
        return "us_ssn", ssn_value(fallback_us, rng)
    if kind == "card":
        return "payment_card", card_value(fake, rng)
    if kind == "iban":
        return "iban", iban_value(fake, rng, fallback)
    if kind == "ip":
        return "ip_address", rng.choice([fake.ipv4_public, fake.ipv4_public, fake.ipv6])()
    return "date_of_birth", dob_value(fake, rng)


# -- hard negatives --------------------------------------------------------------------------------------------


def hard_negative(rng: random.Random) -> str:
    """A value that looks like PII or a secret and is neither."""
    digits = lambda n: "".join(rng.choice(string.digits) for _ in range(n))  # noqa: E731
    upper = lambda n: "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(n))  # noqa: E731
    makers: list[Callable[[], str]] = [
        lambda: digits(rng.randint(7, 12)),                                 # order number
        lambda: "#" + digits(rng.randint(6, 10)),
        lambda: f"{upper(3)}-{digits(rng.randint(5, 9))}",
        lambda: "1Z" + upper(16),                                           # UPS
        lambda: " ".join(digits(4) for _ in range(5)) + " " + digits(2),    # USPS 22 digits
        lambda: digits(rng.choice([12, 15, 20, 22, 26])),                   # FedEx, DHL, long tracking
        lambda: f"JD{digits(18)}",
        lambda: ".".join(str(rng.randint(0, 30)) for _ in range(rng.choice([3, 4]))),  # version
        lambda: f"{rng.randint(1, 20)}.{rng.randint(0, 9)}.{rng.randint(0, 20000)}.{rng.randint(0, 9999)}",
        lambda: date(rng.randint(2000, 2030), rng.randint(1, 12), rng.randint(1, 28)).strftime(
            rng.choice(["%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y", "%d/%m/%Y"])),
        lambda: f"{rng.randint(1, 999)},{digits(3)},{digits(3)}.{digits(2)}",  # amount
        lambda: f"{rng.randint(1, 99)} {digits(3)} {digits(3)},{digits(2)}",
        lambda: str(uuid.UUID(int=rng.getrandbits(128))),
        lambda: f"978-{rng.randint(0, 9)}-{digits(2)}-{digits(6)}-{rng.randint(0, 9)}",  # ISBN shape
        lambda: str(rng.randint(1_600_000_000, 1_900_000_000)),             # Unix time
        lambda: hashlib.sha1(digits(8).encode()).hexdigest(),               # git commit
        lambda: hashlib.sha256(digits(8).encode()).hexdigest(),
        lambda: f"INV-{rng.randint(2019, 2026)}-{digits(6)}",
        lambda: f"{digits(3)}-{digits(3)}-{digits(3)}",                    # ticket id
        lambda: f"{digits(2)}-{digits(7)}",                                 # EIN-like
        lambda: f"({digits(3)}) {digits(2)}",                               # reference with a bracket
        lambda: f"{rng.randint(10, 99)}:{rng.randint(10, 59)}:{rng.randint(10, 59)}",  # time
        lambda: "SKU " + upper(4) + "-" + digits(4),
        lambda: f"{digits(4)} {digits(4)} {digits(4)}",                     # gift card
    ]
    return rng.choice(makers)()


# -- secrets ---------------------------------------------------------------------------------------------------


def secret_value(rng: random.Random) -> tuple[str, str]:
    """(secret type, value) in a provider's published shape (none is real)."""
    def chars(alphabet: str, n: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(n))

    alnum, upper_digits = string.ascii_letters + string.digits, string.ascii_uppercase + string.digits
    b64 = alnum + "+/"
    url = alnum + "-_"
    hexd = "0123456789abcdef"
    kind = rng.choice(["aws_access_key", "aws_secret_key", "jwt", "private_key", *["api_key"] * 6])
    if kind == "aws_access_key":
        return kind, rng.choice(["AKIA", "ASIA"]) + chars(upper_digits, 16)
    if kind == "aws_secret_key":
        return kind, chars(b64, 40)
    if kind == "jwt":
        header = {"alg": rng.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"}
        claims = {"sub": str(rng.randint(1, 10**9)), "iat": rng.randint(1_600_000_000, 1_800_000_000),
                  "name": chars(string.ascii_lowercase, 8)}
        parts = [base64.urlsafe_b64encode(json.dumps(p).encode()).rstrip(b"=").decode() for p in (header, claims)]
        return kind, ".".join(parts) + "." + chars(url, 43)
    if kind == "private_key":
        label = rng.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"])
        body = "\n".join(chars(b64, 64) for _ in range(rng.randint(3, 8)))
        return kind, f"-----BEGIN {label}-----\n{body}\n-----END {label}-----"
    shapes: list[Callable[[], str]] = [
        lambda: "sk-proj-" + chars(url, 48), lambda: "sk-" + chars(alnum, 48),
        lambda: "sk-ant-api03-" + chars(url, 93) + "AA",
        lambda: "sk_live_" + chars(alnum, 24), lambda: "rk_live_" + chars(alnum, 24),
        lambda: "sk_test_" + chars(alnum, 24),
        lambda: rng.choice(["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]) + chars(alnum, 36),
        lambda: "github_pat_" + chars(alnum, 22) + "_" + chars(alnum, 59),
        lambda: rng.choice(["xoxb-", "xoxp-", "xoxa-"]) + "-".join(chars(string.digits, 12) for _ in range(2))
        + "-" + chars(alnum, 24),
        lambda: "AIza" + chars(url, 35), lambda: "glpat-" + chars(url, 20), lambda: "npm_" + chars(alnum, 36),
        lambda: "SG." + chars(url, 22) + "." + chars(url, 43), lambda: "hf_" + chars(string.ascii_letters, 34),
        lambda: "SK" + chars(hexd, 32),                                    # Twilio API key
        lambda: "key-" + chars(hexd, 32),                                  # Mailgun
        lambda: rng.choice(["shpat_", "shpss_"]) + chars(hexd, 32),        # Shopify
        lambda: "dop_v1_" + chars(hexd, 64),                               # DigitalOcean
        lambda: "pypi-AgEIcHlwaS5vcmc" + chars(url, 60),                  # PyPI
        lambda: "glsa_" + chars(alnum, 32) + "_" + chars(hexd, 8),         # Grafana service account
        lambda: "lin_api_" + chars(alnum, 40),                             # Linear
        lambda: "dp.pt." + chars(alnum, 43),                               # Doppler
    ]
    return kind, rng.choice(shapes)()


# -- the cases ------------------------------------------------------------------------------------------------


def build(split: str) -> list[dict[str, Any]]:
    from faker import Faker

    seed = SEEDS[split]
    rng = random.Random(seed)
    Faker.seed(seed)
    fakers = {locale: Faker(locale) for locale in LOCALES}
    for index, fake in enumerate(fakers.values()):
        fake.seed_instance(seed + index)
    fallback = Faker("en_GB")
    fallback.seed_instance(seed - 1)
    phones = phone_values(random.Random(seed + 99))
    carriers = {kind: deal(pool, split) for kind, pool in CARRIERS.items()}
    filler, negatives = deal(FILLER, split), deal(HARD_NEGATIVE_SENTENCES, split)
    cases: list[dict[str, Any]] = []
    kinds = ["email", "faker_phone", "example_phone", "example_phone", "ssn", "card", "card", "iban", "ip", "dob"]
    for number in range(PII_CASES):
        locale = LOCALES[number % len(LOCALES)]
        fake = fakers[locale]
        case = Case()
        if rng.random() < 0.6:
            case.add(rng.choice(filler))
        for kind in rng.sample(kinds, rng.choice([1, 1, 2, 2, 3])):
            pii_type, value = pii_value(kind, fake, rng, phones, fallback, fakers["en_US"])
            case.add(rng.choice(carriers[pii_type]), "pii", pii_type, value, name=fake.name())
        if rng.random() < 0.4:  # a look-alike beside the real thing
            case.add(rng.choice(negatives).format(v=hard_negative(rng)))
        cases.append({"id": f"{split}-pii-{number:03d}", "kind": "pii", "split": split, "locale": locale,
                      "text": case.text, "labels": case.labels})
    secret_carriers = {kind: deal(pool, split) for kind, pool in SECRET_CARRIERS.items()}
    for number in range(SECRET_CASES):
        case = Case()
        secret_type, value = secret_value(rng)
        # An AWS secret key is 40 characters of base64 and nothing else: it is one only where AWS's names are.
        carriers = secret_carriers["aws_secret_key" if secret_type == "aws_secret_key" else "any"]
        case.add(rng.choice(carriers), "secret", secret_type, value)
        if rng.random() < 0.3:
            case.add(rng.choice(negatives).format(v=hard_negative(rng)))
        cases.append({"id": f"{split}-secret-{number:03d}", "kind": "secret", "split": split, "text": case.text,
                      "labels": case.labels})
    for number in range(HARD_NEGATIVE_CASES):
        case = Case()
        if rng.random() < 0.5:
            case.add(rng.choice(filler))
        for _ in range(rng.choice([1, 2, 3])):
            case.add(rng.choice(negatives).format(v=hard_negative(rng)))
        cases.append({"id": f"{split}-negative-{number:03d}", "kind": "benign", "split": split, "text": case.text,
                      "labels": []})
    for number, (language, text) in enumerate(deal_by_language(INJECTIONS, split)):
        cases.append({"id": f"{split}-injection-{number:03d}", "kind": "injection", "split": split,
                      "language": language, "text": text, "labels": []})
    for number, (language, text) in enumerate(deal_by_language(BENIGN, split)):
        cases.append({"id": f"{split}-benign-{number:03d}", "kind": "benign", "split": split, "language": language,
                      "text": text, "labels": []})
    return cases


def meta(split: str) -> dict[str, Any]:
    import faker
    import phonenumbers
    import stdnum

    return {"kind": "meta", "split": split, "split_seed": SPLIT_SEED, "seed": SEEDS[split], "locales": LOCALES,
            "faker": faker.VERSION, "phonenumbers": phonenumbers.__version__, "stdnum": stdnum.__version__}


def render(split: str) -> str:
    lines = [json.dumps(meta(split), ensure_ascii=False)]
    lines += [json.dumps(case, ensure_ascii=False) for case in build(split)]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a file would change")
    args = parser.parse_args()
    return max(write_or_check(path, render(split), check=args.check) for split, path in OUTPUT.items())


def jsonl(meta: dict[str, Any], cases: list[dict[str, Any]]) -> str:
    """A corpus file: its meta line, then one case per line."""
    lines = [json.dumps(meta, ensure_ascii=False), *(json.dumps(case, ensure_ascii=False) for case in cases)]
    return "\n".join(lines) + "\n"


def builder_main(doc: str | None, output: Path, render: Callable[[], str]) -> int:
    """The command line of a development-set builder: write ``output``, or with ``--check`` compare it."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed file differs")
    args = parser.parse_args()
    return write_or_check(output, render(), check=args.check)


def write_or_check(path: Path, text: str, *, check: bool) -> int:
    """Write ``text`` to ``path``, or with ``check`` say (exit status 1) whether the file differs."""
    if check:
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            print(f"{path.name} is not what {Path(sys.argv[0]).name} makes", file=sys.stderr)
            return 1
        return 0
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path} ({text.count(chr(10)) - 1} cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
