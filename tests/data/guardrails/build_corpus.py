"""Build ``corpus.jsonl``: the labeled guardrail evaluation corpus.

    python tests/data/guardrails/build_corpus.py          # rewrite corpus.jsonl
    python tests/data/guardrails/build_corpus.py --check  # exit 1 if it would change

* PII: values from Faker with fixed seeds, in ten locales, placed in
  sentences a support ticket would hold (with the cue words people write:
  "call me on", "Telefon:", "date of birth"), one to three values per case.
  Some sentences carry no cue at all, like a signature block.
* Secrets: credentials of the published shapes, from a seeded random
  generator (none is real).
* Injections and benign look-alikes: hand-written, in ``handwritten.py``.

Each line is one case: ``{"id", "kind", "text", "labels": [{"category",
"type", "start", "end"}]}``; ``kind`` is ``pii``, ``secret``, ``injection``
or ``benign``. Faker's output depends on its version; the file records the
version it was built with, and ``--check`` compares only under that version.
"""

from __future__ import annotations

import base64
import json
import random
import string
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus.jsonl"
sys.path.insert(0, str(HERE))

from build_independent import builder_main  # noqa: E402
from handwritten import BENIGN, HELDOUT_BENIGN, HELDOUT_INJECTIONS, INJECTIONS  # noqa: E402

LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR", "en_IN", "ja_JP"]
CASES_PER_LOCALE = 26
SECRET_CASES = 50
SEED = 20261128

# Phrases with a slot; the slot's value is the PII to label. Keyed by language.
PHONE = {
    "en": ["Call me on {v} if anything changes.", "My phone: {v}", "You can reach me at {v} after 5pm.",
           "mobile {v}", "Please ring me back at {v}.", "Tel: {v}", "{name}\n{v}\n{city}"],
    "de": ["Telefon: {v}", "Rufen Sie mich unter {v} an.", "Mein Handy: {v}", "{name}\n{v}\n{city}"],
    "fr": ["Mon téléphone : {v}", "Appelez-moi au {v} svp.", "Portable : {v}", "{name}\n{v}\n{city}"],
    "es": ["Mi teléfono es {v}.", "Llámame al {v}, gracias.", "Móvil: {v}", "{name}\n{v}\n{city}"],
    "it": ["Il mio cellulare: {v}", "Telefono {v}", "Chiamami al {v}.", "{name}\n{v}\n{city}"],
    "nl": ["Bel me op {v}.", "Telefoon: {v}", "Mobiel {v}", "{name}\n{v}\n{city}"],
    "pt": ["Meu celular é {v}.", "Telefone: {v}", "Ligue para {v}.", "{name}\n{v}\n{city}"],
    "ja": ["電話: {v}", "携帯 {v} までご連絡ください。", "Phone: {v}"],
}  # fmt: skip
EMAIL = ["Contact me at {v}.", "my email is {v}", "Please reply to {v} instead.", "From: {name} <{v}>",
         "cc {v} on the next reply"]  # fmt: skip
SSN = ["SSN: {v}", "My social security number is {v}.", "ssn {v} for the tax form", "SS# {v}"]
CARD = ["My card {v} was charged twice.", "card number: {v}", "Please refund to {v}.", "I paid with {v} exp 12/27"]
IBAN = ["IBAN: {v}", "Please transfer the refund to {v}.", "Bank account {v}", "Kontoverbindung: {v}"]
IP = ["I can't log in from {v}.", "Your firewall blocked our office IP {v}.", "requests from {v} get a 403",
      "the VPN gives me {v}"]  # fmt: skip
DOB = {
    "en_US": [("DOB: {v}", "%m/%d/%Y"), ("date of birth {v}", "%m/%d/%Y"), ("I was born on {v}.", "{B} {d}, %Y")],
    "en_GB": [("Date of birth: {v}", "%d/%m/%Y"), ("born {v}", "{d} {B} %Y")],
    "en_IN": [("DOB {v}", "%d-%m-%Y"), ("Date of birth: {v}", "%d/%m/%Y")],
    "de_DE": [("Geburtsdatum: {v}", "%d.%m.%Y"), ("geboren am {v}", "{d}. {B} %Y")],
    "fr_FR": [("Date de naissance : {v}", "%d/%m/%Y"), ("née le {v}", "{d} {B} %Y")],
    "es_ES": [("Fecha de nacimiento: {v}", "%d/%m/%Y"), ("nacido el {v}", "{d} de {B} de %Y")],
    "it_IT": [("Data di nascita: {v}", "%d/%m/%Y"), ("nato il {v}", "{d} {B} %Y")],
    "nl_NL": [("Geboortedatum: {v}", "%d-%m-%Y"), ("date of birth {v}", "%Y-%m-%d")],
    "pt_BR": [("Data de nascimento: {v}", "%d/%m/%Y"), ("nascida em {v}", "{d} de {B} de %Y")],
    "ja_JP": [("生年月日: {v}", "{Y}年{m}月{d}日"), ("DOB {v}", "%Y-%m-%d")],
}
MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"],
    "it": ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
           "ottobre", "novembre", "dicembre"],
    "pt": ["janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro",
           "novembro", "dezembro"],
}  # fmt: skip
MRN = ["MRN {v}", "Medical record number: {v}", "patient ID {v}", "my MRN is {v}, please update the file"]
MRN_SHAPES = ["#######", "MRN-#######", "A########", "########", "##-####-##"]
FILLER = {
    "en": ["Hi,", "Hello support team,", "Thanks in advance.", "I need help with my account.",
           "The refund still hasn't arrived.", "Best regards,", "This is urgent.", "Please update my profile."],
    "de": ["Hallo,", "Vielen Dank.", "Meine Rechnung ist falsch.", "Mit freundlichen Grüßen"],
    "fr": ["Bonjour,", "Merci d'avance.", "Ma facture est incorrecte.", "Cordialement,"],
    "es": ["Hola,", "Gracias de antemano.", "Mi factura está mal.", "Saludos,"],
    "it": ["Ciao,", "Grazie mille.", "La mia fattura è sbagliata.", "Cordiali saluti,"],
    "nl": ["Hallo,", "Alvast bedankt.", "Mijn factuur klopt niet.", "Met vriendelijke groet,"],
    "pt": ["Olá,", "Obrigado.", "Minha fatura está errada.", "Atenciosamente,"],
    "ja": ["こんにちは。", "よろしくお願いします。", "請求書が間違っています。"],
}  # fmt: skip
# Lengths from the ISO 13616 IBAN registry, for the countries Faker's locales use.
ISO_13616_LENGTHS = {"GB": 22, "DE": 22, "FR": 27, "ES": 24, "IT": 27, "NL": 18, "BR": 29, "JP": 0, "IN": 0}
CITIES = ["Berlin", "Lyon", "Madrid", "Torino", "Utrecht", "Recife", "Pune", "Osaka", "Leeds", "Denver"]
CARD_TYPES = ["visa16", "visa13", "visa19", "mastercard", "amex", "discover", "diners", "jcb16"]


def language(locale: str) -> str:
    return locale.split("_")[0]


class Case:
    """Builds one text piece by piece, remembering where each labeled value lands."""

    def __init__(self) -> None:
        self.text = ""
        self.labels: list[dict[str, Any]] = []

    def add(self, template: str, category: str = "", kind: str = "", value: str = "", **extra: str) -> None:
        if self.text:
            self.text += "\n" if self.text.endswith((",", ":")) or "\n" in template else " "
        before, _, after = template.partition("{v}")
        self.text += before.format(**extra)
        if value:
            self.labels.append({"category": category, "type": kind, "start": len(self.text),
                                "end": len(self.text) + len(value)})
            self.text += value
            self.text += after.format(**extra)


def pii_cases(faker_cls: Any) -> list[dict[str, Any]]:
    cases = []
    fallback = faker_cls("en_GB")
    fallback.seed_instance(SEED)
    for index, locale in enumerate(LOCALES):
        fake = faker_cls(locale)
        fake.seed_instance(SEED + index)
        rng = random.Random(SEED + index)
        lang = language(locale)
        kinds = ["email", "phone", "card", "iban", "ip", "dob", "mrn"] + (["ssn"] * 3 if locale == "en_US" else [])
        for number in range(CASES_PER_LOCALE):
            case = Case()
            case.add(rng.choice(FILLER[lang]))
            chosen = list(dict.fromkeys(rng.sample(kinds, rng.choice([1, 1, 2, 2, 3]))))
            for kind in chosen:
                # Not fake.city(): the it_IT provider's choice depends on PYTHONHASHSEED.
                name, city = fake.name(), rng.choice(CITIES)
                template, pii_type, value = pii_value(kind, fake, rng, locale, fallback)
                case.add(template, "pii", pii_type, value, name=name, city=city)
            if rng.random() < 0.5:
                case.add(rng.choice(FILLER[lang]))
            cases.append({"id": f"pii-{locale}-{number:02d}", "kind": "pii", "text": case.text, "labels": case.labels})
    return cases


def pii_value(kind: str, fake: Any, rng: random.Random, locale: str, fallback: Any) -> tuple[str, str, str]:
    """(sentence template, PII type, value) for one ``kind``; the template is drawn first."""
    if kind == "email":
        return rng.choice(EMAIL), "email", fake.email()
    if kind == "phone":
        return rng.choice(PHONE[language(locale)]), "phone", fake.phone_number()
    if kind == "ssn":
        return rng.choice(SSN), "us_ssn", fake.ssn()
    if kind == "card":
        return rng.choice(CARD), "payment_card", card_number(fake, rng)
    if kind == "iban":
        return rng.choice(IBAN), "iban", iban(fake, rng, fallback)
    if kind == "ip":
        return rng.choice(IP), "ip_address", rng.choice([fake.ipv4_public, fake.ipv6])()
    if kind == "dob":
        return dob(fake, rng, locale)
    return rng.choice(MRN), "medical_record_number", fake.bothify(rng.choice(MRN_SHAPES))


def card_number(fake: Any, rng: random.Random) -> str:
    while True:
        number: str = fake.credit_card_number(card_type=rng.choice(CARD_TYPES))
        # Faker's JCB numbers may start 3500-3527, which no JCB card does.
        if not (number.startswith("35") and not 3528 <= int(number[:4]) <= 3589):
            break
    style = rng.choice(["plain", "spaced", "dashed"])
    if style == "plain":
        return number
    groups = [number[:4], number[4:10], number[10:]] if len(number) == 15 else [
        number[i : i + 4] for i in range(0, len(number), 4)]
    return (" " if style == "spaced" else "-").join(groups)


def iban(fake: Any, rng: random.Random, fallback: Any) -> str:
    value: str = fake.iban()
    # Some locales' providers build IBANs of a length no country uses (en_IN: GB with 21 characters).
    if ISO_13616_LENGTHS.get(value[:2]) != len(value):
        value = fallback.iban()
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4)) if rng.random() < 0.5 else value


def dob(fake: Any, rng: random.Random, locale: str) -> tuple[str, str, str]:
    template, shape = rng.choice(DOB[locale])
    # Not fake.date_of_birth(): it counts back from today, so the corpus would change every day.
    born: date = fake.date_between_dates(date_start=date(1930, 1, 1), date_end=date(2023, 12, 31))
    lang = language(locale)
    if "{" in shape:
        month = MONTHS.get(lang, MONTHS["en"])[born.month - 1]
        value = shape.format(B=month, d=born.day, Y=born.year, m=born.month).replace("%Y", str(born.year))
    else:
        value = born.strftime(shape)
    return template, "date_of_birth", value


def secret_cases() -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    upper = string.ascii_uppercase + string.digits
    alnum = string.ascii_letters + string.digits

    def pick(alphabet: str, size: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(size))

    def b64url(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    def jwt() -> str:
        header = b64url({"alg": rng.choice(["HS256", "RS256"]), "typ": "JWT"})
        payload = b64url({"sub": pick(string.digits, 8), "tenant": pick(string.ascii_lowercase, 6),
                          "exp": rng.randint(1_700_000_000, 1_800_000_000)})
        return f"{header}.{payload}.{pick(alnum + '-_', 43)}"

    def pem() -> str:
        kind = rng.choice(["RSA ", "EC ", "OPENSSH ", ""])
        body = "\n".join(pick(alnum + "+/", 64) for _ in range(rng.randint(3, 6)))
        return f"-----BEGIN {kind}PRIVATE KEY-----\n{body}\n-----END {kind}PRIVATE KEY-----"

    makers: list[tuple[str, str, Callable[[], str]]] = [
        ("Our deploy uses AWS_ACCESS_KEY_ID={v}", "aws_access_key", lambda: "AKIA" + pick(upper, 16)),
        ("aws_secret_access_key = {v}", "aws_secret_key", lambda: pick(alnum + "/+", 40)),
        ("The header is Authorization: Bearer {v}", "jwt", jwt),
        ("my session token {v} expired?", "jwt", jwt),
        ("OPENAI_API_KEY={v}", "api_key", lambda: "sk-proj-" + pick(alnum, 48)),
        ("I accidentally pasted my GitHub token {v} in the ticket", "api_key", lambda: "ghp_" + pick(alnum, 36)),
        ("slack bot token: {v}", "api_key", lambda: f"xoxb-{pick(string.digits, 12)}-{pick(string.digits, 13)}-"
                                                     f"{pick(alnum, 24)}"),
        ("maps key {v}", "api_key", lambda: "AIza" + pick(alnum + "_-", 35)),
        ("stripe: {v}", "api_key", lambda: "sk_live_" + pick(alnum, 24)),
        ('config = {{"api_key": "{v}"}}', "api_key", lambda: pick(alnum, 32)),
        ("Here is the key file:\n{v}", "private_key", pem),
        ("temporary creds {v}", "aws_access_key", lambda: "ASIA" + pick(upper, 16)),
    ]
    cases = []
    for number in range(SECRET_CASES):
        case = Case()
        case.add(rng.choice(["Hi,", "Debug info:", "Please help, the integration fails.", "Logs below."]))
        for template, kind, make in rng.sample(makers, rng.choice([1, 1, 2])):
            case.add(template, "secret", kind, make())
        cases.append({"id": f"secret-{number:02d}", "kind": "secret", "text": case.text, "labels": case.labels})
    return cases


def build(faker_cls: Any, version: str) -> list[dict[str, Any]]:
    header = {"id": "_meta", "kind": "meta", "faker": version, "seed": SEED, "locales": LOCALES}
    cases = pii_cases(faker_cls) + secret_cases()
    cases += [{"id": f"injection-{i:03d}", "kind": "injection", "text": text,
               "labels": [{"category": "injection", "type": "prompt_injection", "start": 0, "end": len(text)}]}
              for i, text in enumerate(INJECTIONS)]
    cases += [{"id": f"benign-{i:03d}", "kind": "benign", "text": text, "labels": []} for i, text in enumerate(BENIGN)]
    cases += [{"id": f"heldout-injection-{i:03d}", "kind": "injection", "split": "heldout", "text": text,
               "labels": [{"category": "injection", "type": "prompt_injection", "start": 0, "end": len(text)}]}
              for i, text in enumerate(HELDOUT_INJECTIONS)]
    cases += [{"id": f"heldout-benign-{i:03d}", "kind": "benign", "split": "heldout", "text": text, "labels": []}
              for i, text in enumerate(HELDOUT_BENIGN)]
    return [header, *cases]


def render(cases: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(case, ensure_ascii=False, sort_keys=True) + "\n" for case in cases)


def render_current() -> str:
    import faker

    return render(build(faker.Faker, faker.VERSION))


if __name__ == "__main__":
    sys.exit(builder_main(__doc__, CORPUS, render_current))
