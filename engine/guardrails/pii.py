"""PII detectors: contact details, government and financial ids, network and medical identifiers.

Text is scanned in its normal form (:mod:`engine.guardrails.normalize`:
full-width digits, no-break and zero-width spaces, Unicode dashes), and
findings are mapped back to the original characters.

Speed matters because guard nodes run on every request. Python's regex
engine scans a 2 KB string at roughly 10 ns per character per pass on the
slow machines we target, so the detector avoids whole-text regex passes:

* emails are looked for only around each ``@`` (found with ``str.find``);
* numbers are looked for only in *digit runs* (7 characters or more of
  digits, spaces and ``.()/-``), and each check only in the runs whose
  shape it could match (:mod:`engine.guardrails.digit_runs`, one pass in C where
  the package was built with a compiler): most runs of a text are dates,
  amounts and ids that no check has to look at;
* IPv6 addresses are looked for only around pairs of colons;
* dates of birth and medical record numbers are looked for only after a
  cue word (``date of birth``, ``MRN``, ...), found with ``str.find`` on the
  lower-cased text;
* on the compiled path (Hyperscan, see :mod:`engine.guardrails.compiled`)
  one pass over the text's bytes (:data:`_LOCATOR`) finds the cue words and
  phrases it holds and where IBANs, IPv6 addresses and phone cues can be:
  the IBAN check then runs only in the runs near such a place, the
  phone-cue check only after a cue, and the date-of-birth and
  medical-record checks only after the cues that occur. Without it those
  checks run wherever a run's shape allows, with the same findings.

Formats recognised, and what is deliberately left out:

* phone: numbers of every region that libphonenumber's metadata says are
  valid (:mod:`engine.guardrails.phones`): international ones (``+44 20 7946
  0958``, ``0044 ...``), national ones with a trunk prefix (``030 12345678``,
  ``(0121) 496 0075``), North American ones with separators, numbers in the
  groups their region writes, and any valid number after a phone word
  (``phone``, ``Tel.``, ``Handy``, ``number``, ``номер``, ...) or alone on its
  line with a trunk prefix; extensions (``x874``, ``ext. 12``, ``#12``) are
  part of the number. A number an id word introduces ("Order #", "Invoice
  no.") is not a phone, and digits alone without a trunk prefix or a phone
  word are not either: they look too much like order numbers.
* us_ssn: ``###-##-####`` with a valid area (not 000, 666, 9xx), group (not
  00) and serial (not 0000); ``### ## ####`` and ``#########`` (the latter
  after an SSN word) valid by python-stdnum's rules.
* payment_card: 12-19 digits, optionally grouped by spaces or dashes, with the
  range and length of an issuer of the ISO/IEC 7812 IIN table
  (:data:`engine.guardrails.cards.ISSUERS`; its weak historic ranges only when
  grouped like a card or after a payment word) and a valid Luhn checksum; not
  a window of a longer grouped number.
* iban: country code, check digits and BBAN, optionally grouped by spaces,
  with the country's length and a valid ISO 7064 mod-97 checksum.
* ip_address: IPv4 and IPv6 addresses, except the ones that identify no
  one (unspecified, loopback, broadcast, netmasks) and dotted numbers after a
  version or id word (``firmware 2.4.10.3``, ``order 10.17.23.7``).
* date_of_birth: a date (numeric, ISO, or with a month name in English,
  German, French, Spanish, Italian, Dutch or Portuguese) within 40
  characters after a birth cue in one of those languages or Polish,
  Russian, Swedish, Japanese, Chinese, Hindi, Arabic, Bengali, Urdu, Turkish. A cue is a word
  of its own where it stands: no letter before it, no ASCII letter after it
  (``born``, not ``stubborn`` or ``Borneo``).
* medical_record_number: an id of 6 to 16 letters, digits and dashes (at
  least 4 digits) after an MRN cue (``MRN``, ``medical record``, ``patient
  id``, ...), and anything the tenant's ``mrn_pattern`` matches.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from typing import Literal

import stdnum
from stdnum.us import ssn as us_ssn

from engine.guardrails.base import Finding
from engine.guardrails.cards import FIRST_DIGITS, card_issuer, luhn_valid
from engine.guardrails.conditions import NOT_A_LETTER, caseless
from engine.guardrails.digit_runs import ALONE, CARD, CUE, DOTS, IBAN, PHONE, SSN, find_runs
from engine.guardrails.literals import required_prefixes
from engine.guardrails.normalize import scan_normalized
from engine.guardrails.phones import CUE as CUED
from engine.guardrails.phones import ID as AN_ID
from engine.guardrails.phones import find_phones
from engine.guardrails.prefilter import Located, Locator
from engine.guardrails.text import words_of

PiiType = Literal[
    "email", "phone", "us_ssn", "payment_card", "iban", "ip_address", "date_of_birth", "medical_record_number"
]
PII_TYPES: tuple[PiiType, ...] = (
    "email", "phone", "us_ssn", "payment_card", "iban", "ip_address", "date_of_birth", "medical_record_number"
)

#: Fixed per type: a match that passes the format checks is this likely to be real.
CONFIDENCE: dict[PiiType, float] = {
    "email": 0.95, "phone": 0.75, "us_ssn": 0.85, "payment_card": 0.95, "iban": 0.95, "ip_address": 0.8,
    "date_of_birth": 0.8, "medical_record_number": 0.8,
}

_RUN_TYPES: frozenset[PiiType] = frozenset({"phone", "us_ssn", "payment_card", "iban", "ip_address"})

_LOCAL_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-"
# RFC 5321 bounds: local part <= 64 characters, domain <= 253.
_MAX_LOCAL, _MAX_DOMAIN = 64, 253

_EMAIL = re.compile(
    r"""
    (?<![A-Za-z0-9._%+-])                      # start of the local part, not inside one
    [A-Za-z0-9._%+-]{1,64}
    @
    (?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+
    [A-Za-z]{2,63}
    (?![A-Za-z0-9-])
    """,
    re.VERBOSE,
)

# The precise patterns use re.ASCII: the pre-filter counts ASCII digits, and
# the formats recognised are written with them. Their edges keep a match from
# continuing an id (``ORDER-415-555-0100``), a decimal or a longer number.
#: Every cue above as the text's words hold it (see engine.guardrails.vocabulary).
_PHONE_CUE_WORDS = frozenset(
    "phone tel telephone call calling mobile cell cellphone fax ring text sms whatsapp reach contact dial hotline "
    "my meine telefon telefonnummer handy mobil rufnummer ruf rufen anrufen téléphone portable appelez appeler "
    "appelle joindre teléfono telefono móvil movil llámame llame llamar cellulare chiamami chiamare telefoon mobiel "
    "bel bellen celular telefone ligue ligar 電話 携帯 "
    "nummer numéro número numero numer номер телефон телефона мобильный reachable reach "
    "erreichbar bereikbaar joignable raggiungibile kontakt contacto contato contatto komórka komórkowy telefonu "
    "signal telegram viber voicemail landline 番号 号码 电话 手机 連絡先".split()
)

# Words that say the number after them is an id, not a phone or an address ("order 12345678"), and
# the words that may stand between ("order number:", "invoice no.").
_ID_WORDS = frozenset(
    "order invoice ticket account acct ref reference tracking case id customer booking policy serial sku item "
    "transaction confirmation mrn record patient bestellung rechnung commande facture pedido factura ordine po inv "
    "parcel package shipment claim coupon voucher device build version release firmware isbn meter reading code "
    "error commit request qty quantity total amount price due date bestellnummer kundennummer sendungsnummer sendung "
    "paket auftrag zamówienie zamówienia faktura paczka заказ счёт счет посылка 注文番号 伝票番号 订单 订单号 "
    "快递单号 reorder part model lot batch asset imei mpn upc ean gtin artikel artikelnummer référence".split()
) | {"gift card", "numéro de commande", "p/n", "s/n"}
_NUMBER_WORDS = frozenset("number numbers no nr num nummer numéro número numero id ref code".split())
_ID_STRIP = " \t\n:#.=-"
_WORD_SEPARATORS = str.maketrans(".,:;()!?/-", "          ")
_PHONE_CUE_WINDOW = 40
# In the order the alternation tries them; "_" stands for a space.
_PHONE_CUE_PHRASES = tuple(phrase.replace("_", " ") for phrase in (
    "phone tel telephone call calling mobile cell cellphone fax ring text sms whatsapp reach contact dial hotline "
    "my_number meine_nummer telefon telefonnummer handy mobil rufnummer ruf anrufen téléphone telephone portable "
    "appelez appeler appelle joindre teléfono telefono móvil movil llámame llame llamar rufen telefone cellulare "
    "chiamami chiamare telefoon mobiel bel bellen celular ligue ligar 電話 携帯 "
    "nummer numéro número numero numer номер телефон телефона мобильный reachable reach "
    "erreichbar bereikbaar joignable raggiungibile kontakt contacto contato contatto komórka komórkowy telefonu "
    "signal telegram viber voicemail landline 番号 号码 电话 手机 連絡先"
).split())
_PHONE_CUES = re.compile(r"(?<![^\W\d_])(?:" + "|".join(map(re.escape, _PHONE_CUE_PHRASES)) + r")(?![^\W\d_])")

_SSN = re.compile(
    r"(?<![\w.-])(?!000|666|9)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-]|\.\d)",
    re.ASCII,
)

# Loose on purpose: spaces may glue a card to a neighbouring number
# ("qty 2 4111 1111 1111 1111 12/25"); _card_spans picks the card out. A
# leading "+" marks a phone number, never a card.
_CARD = re.compile(r"(?<![\w.+-])\d(?:[ -]?\d){11,}(?!\d)", re.ASCII)

_STRIP_SEPARATORS = str.maketrans("", "", " ().+-")

_IBAN_CLASSES = {"n": "[0-9]", "a": "[A-Z]", "c": "[A-Za-z0-9]"}


def _iban_registry() -> dict[str, tuple[int, re.Pattern[str]]]:
    """Country code -> (IBAN length, BBAN format) from python-stdnum's copy of SWIFT's IBAN registry.

    stdnum's own ``iban.is_valid`` compiles the format on every call (about 200 µs); this reads its
    registry once.
    """
    registry = {}
    for line in resources.files(stdnum).joinpath("iban.dat").read_text(encoding="utf-8").splitlines():
        code, _, rest = line.partition(" ")
        structure = re.search(r'bban="([^"]*)"', rest)
        if len(code) != 2 or not code.isupper() or structure is None:
            continue
        parts = re.findall(r"(\d+)!([nac])", structure.group(1))
        pattern = "".join(f"{_IBAN_CLASSES[kind]}{{{size}}}" for size, kind in parts)
        registry[code] = (4 + sum(int(size) for size, _ in parts), re.compile(pattern))
    return registry


_IBANS = _iban_registry()
#: Country code -> IBAN length (ISO 13616 registry, as python-stdnum ships it).
IBAN_LENGTHS: dict[str, int] = {code: length for code, (length, _) in _IBANS.items()}
# The rest of an IBAN of each length after its first character, spaces allowed between characters.
_IBAN_REST = {
    length: re.compile(rf"(?:[ ]?[A-Z0-9]){{{length - 1}}}", re.ASCII) for length in set(IBAN_LENGTHS.values())
}
_IBAN_LETTERS = {ord(c): str(10 + i) for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
_IBAN_HEAD = re.compile(r"[A-Z]{2}\d\d", re.ASCII)
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}", re.ASCII)
# An IBAN's digits can start up to this far after its first character ("GB82 WEST 1234").
_IBAN_LOOKBACK = 12

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.])(?:{_OCTET}\.){{3}}{_OCTET}(?!\w|\.\d)", re.ASCII)
_NETMASK_OCTETS = frozenset({"0", "128", "192", "224", "240", "248", "252", "254", "255"})
_VERSION_WORDS = frozenset({"version", "ver", "ver.", "v", "v.", "release", "build", "firmware", "fw", "update",
                            "patch", "kernel", "sdk", "app", "ios", "android", "os", "bios", "driver", "rev", "rev.",
                            "revision", "versión", "versione", "versão", "wersja", "версия", "バージョン", "版本"})
_COLON_PAIR = re.compile(r":[0-9A-Fa-f]{0,4}:", re.ASCII)
_IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f:]{2,39}(?:(?<=:)|(?<=[0-9A-Fa-f]))(?:\.\d{1,3}){0,3}(?![\w:])", re.ASCII)

_MONTHS = (
    "jan|january|feb|february|mar|march|apr|april|may|jun|june|jul|july|aug|august|sep|sept|september|oct|"
    "october|nov|november|dec|december|januar|februar|märz|maerz|mai|juni|juli|oktober|dezember|janvier|"
    "février|fevrier|mars|avril|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre|enero|"
    "febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|gennaio|"
    "febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|januari|februari|maart|mei|augustus|"
    "janeiro|fevereiro|março|marco|maio|junho|julho|setembro|outubro|novembro|dezembro"
)
_DATE = re.compile(
    rf"""
    (?<![\w/.-])
    (?:
        (?:19|20)\d\d[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])
      | (?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|[12]\d|3[01])[-/.](?:(?:19|20)\d\d|\d\d)
      | (?:0?[1-9]|[12]\d|3[01])\.?(?:[ ]de)?[ ](?:{_MONTHS})\.?(?:[ ]de)?,?[ ](?:19|20)\d\d
      | (?:{_MONTHS})\.?[ ](?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?,?[ ](?:19|20)\d\d
      | (?:19|20)\d\d年\d{{1,2}}月\d{{1,2}}日
    )
    (?![\w/-]|\.\d)
    """,
    re.VERBOSE,  # run on the lower-cased text
)
# Cues stand on their own: no letter before them, no ASCII letter after them (letters beyond ASCII
# may follow, as text without spaces glues words: "生年月日は").
_DOB_CUES = (
    "dob", "d.o.b", "date of birth", "birth date", "birthdate", "birthday", "born", "geburtsdatum", "geboren", "geb.",
    "né le", "née le", "date de naissance", "fecha de nacimiento", "nacido el", "nacida el", "data di nascita",
    "nato il", "nata il", "geboortedatum", "data de nascimento", "nascido em", "nascida em", "生年月日",
    "data urodzenia", "urodzony", "urodzona", "urodził się", "urodziła się", "дата рождения", "родился", "родилась",
    "födelsedatum", "född", "出生日期", "出生年月日", "生日", "जन्म तिथि", "जन्मतिथि", "تاريخ الميلاد", "জন্ম তারিখ",
    "تاریخ پیدائش", "doğum tarihi", "fødselsdato", "født", "syntymäaika", "syntynyt", "datum narození", "narozen",
    "narozena", "생년월일", "fecha nac", "f. nac", "data nasc",
)
_DOB_WINDOW = 40
_CueScan = Callable[[str, int], "Finding | None"]

_MRN_CUES = (
    "mrn", "medical record", "patient id", "patient number", "patient no", "chart number", "health record",
    "patientennummer", "dossier médical", "historia clínica", "cartella clinica",
)
_MRN_AFTER_CUE = re.compile(
    r"[^A-Za-z0-9\n]{0,4}(?:(?:is|ist|est|es|é|number|num|no|nr|id|#)\.?[^A-Za-z0-9\n]{0,3}){0,2}"
    r"(?P<id>[A-Za-z0-9](?:[A-Za-z0-9-]{4,14})[A-Za-z0-9])(?![\w-])",
    re.ASCII,  # run on the lower-cased text
)
_MRN_MIN_DIGITS = 4


def iban_valid(compact: str) -> bool:
    """Whether an IBAN without spaces has its country's length and format and a valid mod-97 checksum.

    >>> iban_valid("DE89370400440532013000"), iban_valid("DE89370400440532013001")
    (True, False)
    """
    length, bban = _IBANS.get(compact[:2], (0, None))
    if length != len(compact) or bban is None or bban.fullmatch(compact, 4) is None:
        return False
    # Letters count as 10..35; int() on the digit string does the mod-97 arithmetic.
    number = (compact[4:] + compact[:4]).translate(_IBAN_LETTERS)
    return number.isdigit() and int(number) % 97 == 1


# Where IBANs, IPv6 addresses and phone cues can be, and which date-of-birth and medical-record cues
# occur: the IBAN check runs only in the digit runs near such a place, the phone-cue check only
# after a cue (see engine.guardrails.digit_runs), the IPv6 and cue checks only if their condition occurs.
# The other number checks are gated by the runs' shapes, which engine.guardrails.digit_runs reads faster
# than a compiled pass would report them.
_LOCATOR = Locator(
    {
        "iban": r"[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){4}",
        # IPv6Address accepts "::" or six colons at least (with a dotted IPv4 address at the end).
        "ipv6": r"::|(?:[0-9A-Fa-f]{1,4}:){6}",
        # A phone cue with no ASCII letter on either side; its match ends a character after the cue.
        "cue": NOT_A_LETTER + "(?:" + "|".join(map(caseless, _PHONE_CUE_PHRASES)) + ")" + NOT_A_LETTER,
    },
    whether={  # the date-of-birth and medical-record cues
        cue: caseless(cue) for cue in (*_DOB_CUES, *_MRN_CUES)
    },
    caseless={"cue", *_DOB_CUES, *_MRN_CUES},
)


class PiiDetector:
    """Finds the configured PII types in a string.

    One instance scans for several types in one go, so the numeric
    pre-filter and candidate pass are shared by phone, SSN, card, IBAN and IP.
    ``mrn_pattern`` adds a tenant's own medical record number format.

    >>> PiiDetector(["email"]).scan("write to ann@example.com")
    [Finding(category='pii', type='email', start=9, end=24, confidence=0.95)]
    """

    name = "pii"

    def __init__(self, types: Iterable[str], *, mrn_pattern: str | None = None):
        wanted = frozenset(types)
        unknown = sorted(wanted.difference(PII_TYPES))
        if unknown:
            raise ValueError(f"unknown PII type(s) {', '.join(unknown)}; known: {', '.join(PII_TYPES)}")
        self.types: frozenset[PiiType] = frozenset(t for t in PII_TYPES if t in wanted)
        self._runs = self.types & _RUN_TYPES
        self._mrn_pattern = re.compile(mrn_pattern) if mrn_pattern and "medical_record_number" in wanted else None
        # What every match of the tenant's pattern starts with: a string holding none of it is not searched.
        self._mrn_gate = required_prefixes(self._mrn_pattern) if self._mrn_pattern is not None else None
        self._cued = not self.types.isdisjoint(("phone", "date_of_birth", "medical_record_number"))

    def __repr__(self) -> str:
        return f"PiiDetector({sorted(self.types)!r})"

    def scan(self, text: str) -> list[Finding]:
        """Findings in ``text``, looked for in its normal form (engine.guardrails.normalize), spans in ``text``."""
        return scan_normalized(self._scan, text)

    def _scan(self, text: str) -> list[Finding]:
        findings: list[Finding] = []
        types = self.types
        located = _LOCATOR.locate(text) if self._runs or self._cued else None
        phone_cued, dob_cues, mrn_cues = _cues(text, located) if self._cued else _NO_CUES
        if "email" in types and "@" in text:
            findings.extend(_scan_emails(text))
        if self._runs:
            findings.extend(_scan_numbers(text, _NumberChecks(self._runs, located, phone_cued)))
        if "ip_address" in types and (located is None or located.ends["ipv6"]) and ":" in text:
            findings.extend(_scan_ipv6(text))
        dob = "date_of_birth" in types and bool(dob_cues)
        mrn = "medical_record_number" in types and bool(mrn_cues)
        if dob or mrn:
            lowered = words_of(text).lowered
            if len(lowered) == len(text):  # cue offsets in the lowered text are offsets in text
                if dob:
                    findings.extend(_scan_after_cues(lowered, dob_cues, _scan_date))
                if mrn:
                    findings.extend(_scan_after_cues(lowered, mrn_cues, _scan_mrn))
        if self._mrn_pattern is not None and (self._mrn_gate is None or any(p in text for p in self._mrn_gate)):
            findings.extend(
                Finding("pii", "medical_record_number", m.start(), m.end(), CONFIDENCE["medical_record_number"])
                for m in self._mrn_pattern.finditer(text)
                if m.end() > m.start()
            )
        if len(findings) > 1:
            findings = _dedupe(findings)
        return findings


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """Findings in text order; of two findings of one type that overlap, the first (longest) stays."""
    findings.sort(key=lambda f: (f.start, -f.end))
    kept: list[Finding] = []
    last_end: dict[str, int] = {}
    for finding in findings:
        if finding.start < last_end.get(finding.type, -1):
            continue
        kept.append(finding)
        last_end[finding.type] = finding.end
    return kept


_NO_CUES: tuple[bool, Sequence[str], Sequence[str]] = (False, (), ())


def _cues(text: str, located: Located | None) -> tuple[bool, Sequence[str], Sequence[str]]:
    """Whether a phone cue can be in ``text``, and the date-of-birth and medical-record cues to look for."""
    if located is None or not located.exact:
        return True, _DOB_CUES, _MRN_CUES
    present = located.present
    if not present:  # the usual case: no date-of-birth or medical-record cue at all
        return bool(located.ends["cue"]), (), ()
    return (bool(located.ends["cue"]), [cue for cue in _DOB_CUES if cue in present],
            [cue for cue in _MRN_CUES if cue in present])


def _scan_emails(text: str) -> list[Finding]:
    findings: list[Finding] = []
    size = len(text)
    resume = 0
    at = text.find("@")
    while at != -1:
        following = text.find("@", at + 1)
        # An address holds one '@', so its window stops at the neighbouring
        # ones: this keeps the scan linear even for text full of '@'.
        window_end = min(size if following == -1 else following, at + 1 + _MAX_DOMAIN)
        # Where the local part starts, found in C: strip local-part characters off the end.
        before = text[max(resume, at - _MAX_LOCAL) : at]
        local = len(before) - len(before.rstrip(_LOCAL_CHARS))
        match = _EMAIL.match(text, at - local, window_end) if local else None
        if match:
            findings.append(Finding("pii", "email", match.start(), match.end(), CONFIDENCE["email"]))
        resume = at + 1
        at = following
    return findings


class _NumberChecks:
    """Which checks of digit runs run on one text, and where IBANs and phone cues can be.

    ``located`` says where the conditions of :data:`_LOCATOR` match; without
    the compiled path it is None, and IBANs and cues can be anywhere.
    """

    __slots__ = ("card", "cue_ends", "cued", "iban", "iban_ends", "ip", "phone", "ssn")

    def __init__(self, types: frozenset[PiiType], located: Located | None, cued: bool):
        self.card = "payment_card" in types
        self.ssn = "us_ssn" in types
        self.ip = "ip_address" in types
        self.phone = "phone" in types
        self.iban = "iban" in types
        # Whether the text can hold a phone cue.
        self.cued = self.phone and cued
        self.iban_ends: list[int] | None = [] if not self.iban else None if located is None else located.ends["iban"]
        # Cues are all located unless a letter of the text lower-cases to ASCII (see _LOCATOR).
        self.cue_ends: list[int] | None = (
            [] if not self.cued else located.ends["cue"] if located is not None and located.exact else None)


def _scan_numbers(text: str, checks: _NumberChecks) -> list[Finding]:
    findings: list[Finding] = []
    size = len(text)
    card, ssn, iban, ip, phone, cued = checks.card, checks.ssn, checks.iban, checks.ip, checks.phone, checks.cued
    lines = _Lines(text)
    # Only the runs a check is marked for, each check only where it is marked (see engine.guardrails.digit_runs).
    for start, end, _, marks in find_runs(text, checks.iban_ends, checks.cue_ends):
        found = len(findings)
        # An IBAN starts with a country code (two capitals) shortly before its digits.
        if iban and marks & IBAN:
            head = text[max(0, start - 12) : start + 2]
            if head.lower() != head and _IBAN_HEAD.search(text, max(0, start - 12), start + 4):
                findings.extend(_scan_iban(text, start, end))
        if card and marks & CARD:
            ibans = findings[found:]
            for match in _CARD.finditer(text, start, end):
                findings.extend(
                    Finding("pii", "payment_card", s, e, CONFIDENCE["payment_card"]) for s, e in _card_spans(match)
                    # Digits of an IBAN can pass Luhn with a card prefix; they are the IBAN's.
                    if not any(s < i.end and i.start < e for i in ibans)
                )
        if ssn and marks & SSN:
            findings.extend(_numeric_finding("us_ssn", m) for m in _SSN.finditer(text, start, end))
        if ssn and marks & SSN:
            findings.extend(_other_ssns(text, start, end))
        if ip and marks & DOTS:
            findings.extend(_scan_ipv4(text, start, end))
        # A number another type claimed (a card, an SSN, an IBAN, an address) is not also a phone: a run
        # whose digits they all claimed holds none (a phone found in it would hold one of those digits).
        others = findings[found:]
        if phone and marks & (PHONE | CUE | ALONE) and not (others and _claimed(text, start, end, others)):
            run_cued = cued and bool(marks & CUE)
            alone = bool(marks & ALONE) and lines.alone(start)
            context = _PhoneContext(text, start, cued=run_cued, alone=alone)
            if not (run_cued or alone) and _national_only(text, start, end) and context() == AN_ID:
                continue  # an id word introduces it, and only an international number would count
            # A few characters more for an extension ("x1234") after the run.
            phones = [Finding("pii", "phone", s, e, confidence)
                      for s, e, confidence in find_phones(text, start, min(size, end + 12), context,
                                                          cue_possible=run_cued or alone) if s < end]
            findings.extend(p for p in phones if not any(p.start < o.end and o.start < p.end for o in others))
    return findings


def _national_only(text: str, start: int, end: int) -> bool:
    """Whether no international number (``+``, ``00``) can start in ``text[start:end]``."""
    run = text[start:end]
    return "+" not in run and "00" not in run


def _claimed(text: str, start: int, end: int, others: list[Finding]) -> bool:
    """Whether every ASCII digit of ``text[start:end]`` lies in the span of one of ``others``."""
    position = start
    for other in sorted(others, key=lambda f: f.start) if len(others) > 1 else others:
        if other.start > position and _has_digit(text, position, min(other.start, end)):
            return False
        position = max(position, other.end)
        if position >= end:
            return True
    return not _has_digit(text, position, end)


def _has_digit(text: str, start: int, end: int) -> bool:
    return any("0" <= c <= "9" for c in text[start:end])


def _introduced_as_id(text: str, start: int) -> bool:
    """Whether an id word introduces the number at ``start`` ("Order #", "Invoice no.", "Tracking number:")."""
    before = text[max(0, start - _ID_WINDOW) : start].lower()
    if before.rstrip(" ").endswith("#"):
        return True
    words = [word.strip(_ID_STRIP) for word in before.rstrip(_ID_STRIP).split()[-4:]]
    for _ in range(2):  # the id word, or the word before "number", "no." (as in "order number")
        if words and (words[-1] in _ID_WORDS or " ".join(words[-2:]) in _ID_WORDS or " ".join(words[-3:]) in _ID_WORDS):
            return True
        if not words or words[-1] not in _NUMBER_WORDS:
            return False
        words.pop()
    return False
# An id word this close before a number (no other number between) makes it an id.
_ID_WINDOW = 25


class _PhoneContext:
    """What introduces the number at ``start``: an id word (``AN_ID``), a phone cue or its own line (``CUED``).

    Worked out when the phone check first asks (only for a national number valid somewhere), once.
    """

    __slots__ = ("_alone", "_answer", "_cued", "_start", "_text")

    def __init__(self, text: str, start: int, *, cued: bool, alone: bool):
        self._text, self._start, self._cued, self._alone = text, start, cued, alone
        self._answer: str | None | bool = False

    def __call__(self) -> str | None:
        if self._answer is False:
            self._answer = self._work_out()
        return self._answer  # type: ignore[return-value]

    def _work_out(self) -> str | None:
        text, start = self._text, self._start
        if _introduced_as_id(text, start):
            return AN_ID
        if self._alone:
            return CUED
        if not self._cued:
            return None
        window = text[max(0, start - _PHONE_CUE_WINDOW) : start].lower()
        cue_end = _last_phone_cue(window)
        # The cue introduces this number: no other number stands between them.
        if cue_end is None or any(c.isdigit() for c in window[cue_end:]):
            return None
        return CUED


def _last_phone_cue(before: str) -> int | None:
    """Where the last phone cue word in ``before`` (lower-cased) ends, if there is one."""
    words = _PHONE_CUE_WORDS.intersection(before.translate(_WORD_SEPARATORS).split())
    if not words:
        return None
    # The set test is cheap; the regex confirms word edges and the two-word cues ("my number").
    cues = list(_PHONE_CUES.finditer(before))
    return cues[-1].end() if cues else None


class _Lines:
    """Whether a number fills its line, as in a signature block; worked out once per line.

    Runs come in text order, so the last line looked at is kept: a text of
    one long line with many numbers costs one pass over the line, not one per number.
    """

    __slots__ = ("_alone", "_end", "_start", "_text")

    def __init__(self, text: str):
        self._text = text
        self._start = self._end = -1
        self._alone = False

    def alone(self, position: int) -> bool:
        """Whether the line holding ``position`` is one number with a trunk prefix ("0...") and nothing else."""
        if not self._start <= position < self._end:
            text = self._text
            self._start = text.rfind("\n", 0, position) + 1
            end = text.find("\n", position)
            self._end = len(text) if end == -1 else end
            line = text[self._start : self._end].strip()
            self._alone = line.lstrip("(+").startswith("0") and line.translate(_STRIP_SEPARATORS).isdigit()
        return self._alone


# SSNs as people also write them: "123 45 6789" anywhere, "123456789" after an SSN word.
_SSN_SPACED = re.compile(r"(?<![\w.+-])(?<!\d )\d{3} \d{2} \d{4}(?![\w-]|\.\d| \d)", re.ASCII)
_SSN_BARE = re.compile(r"(?<![\w.+-])\d{9}(?![\w-]|\.\d)", re.ASCII)
_SSN_WORDS = re.compile(
    r"(?<![^\W\d_])(?:ssn|ss#|ss no|social security|social|soc sec|taxpayer id|tax id|tin|itin)(?![^\W\d_])"
    r"[^\d\n]{0,25}$"
)
_SSN_WINDOW = 40


def _other_ssns(text: str, start: int, end: int) -> list[Finding]:
    """Spaced SSNs, and undashed ones an SSN word introduces, valid by python-stdnum's rules."""
    findings = []
    for match in _SSN_SPACED.finditer(text, start, end):
        if us_ssn.is_valid(match.group().replace(" ", "")):
            findings.append(_numeric_finding("us_ssn", match))
    for match in _SSN_BARE.finditer(text, start, end):
        before = text[max(0, match.start() - _SSN_WINDOW) : match.start()].lower()
        if _SSN_WORDS.search(before) and us_ssn.is_valid(match.group()):
            findings.append(_numeric_finding("us_ssn", match))
    return findings


def _numeric_finding(pii_type: PiiType, match: re.Match[str]) -> Finding:
    return Finding("pii", pii_type, match.start(), match.end(), CONFIDENCE[pii_type])


# Words that name a payment card or a payment, in the languages tenants write: a card of a weak issuer
# range (engine.guardrails.cards) counts after one of them.
_PAYMENT_WORDS = re.compile(
    r"(?<![^\W\d_])(?:cards?|credit|debit|visa|mastercard|maestro|jcb|amex|diners|discover|unionpay|cc|payment|"
    r"pay|paid|charge|charged|refund|refunded|kreditkarte|karte|kartennummer|zahlung|carte|paiement|tarjeta|pago|"
    r"carta|pagamento|kaart|betaling|cartão|karty|karta|kartą|płatność|карта|карты|картой|оплата|カード|支払|卡|"
    r"银行卡|信用卡|بطاقة|कार्ड)(?![^\W\d_])"
)
_PAYMENT_WINDOW = 40


def _card_spans(match: re.Match[str]) -> list[tuple[int, int]]:
    """Valid cards among consecutive digit groups: leftmost first, then longest.

    A card is not a stretch of a longer number: a card written in groups is
    dropped when the groups joined to it by the same separator hold one of
    three digits or more that no card accounts for (two cards in a row are
    kept; a Luhn-valid window of a 22-digit tracking number is not).
    """
    raw, offset = match.group(), match.start()
    if "-" not in raw and " " not in raw:  # one group, the usual case: a card or not
        valid = len(raw) <= 19 and _card_valid(match.string, offset, raw, grouped=False)
        return [(offset, match.end())] if valid else []
    # _CARD puts one separator at most between digits: group i starts after i separators.
    parts = raw.replace("-", " ").split(" ")
    starts = []
    position = offset
    for part in parts:
        starts.append(position)
        position += len(part) + 1
    windows: list[tuple[int, int]] = []
    first = 0
    while first < len(parts):
        if parts[first][0] not in FIRST_DIGITS:
            first += 1
            continue
        # Cards hold at most 19 digits, which bounds the work per group.
        candidates: list[tuple[int, str]] = []
        digits = ""
        for last in range(first, len(parts)):
            digits += parts[last]
            if len(digits) > 19:
                break
            if len(digits) >= 12:
                candidates.append((last, digits))
        for last, digits in reversed(candidates):
            if _card_valid(match.string, starts[first], digits, grouped=_grouped_like_a_card(parts[first : last + 1])):
                windows.append((first, last))
                first = last
                break
        first += 1
    separators = [c for c in raw if c in " -"]
    covered = {index for first, last in windows for index in range(first, last + 1)}
    spans = []
    for first, last in windows:
        if last > first:  # written in groups: look along the groups its separator joins it to
            separator = separators[first]
            low, high = first, last
            while low > 0 and separators[low - 1] == separator:
                low -= 1
            while high + 1 < len(parts) and separators[high] == separator:
                high += 1
            if any(len(parts[i]) >= 3 and i not in covered for i in range(low, high + 1)):
                continue
        spans.append((starts[first], starts[last] + len(parts[last])))
    return spans


def _card_valid(text: str, start: int, digits: str, *, grouped: bool) -> bool:
    """Whether ``digits`` at ``start`` is a card: an issuer's range and length, Luhn, and for a weak range
    grouped like a card or after a payment word."""
    issuer = card_issuer(digits)
    if issuer is None or not luhn_valid(digits):
        return False
    if not issuer.weak:
        return True
    if _introduced_as_id(text, start):
        return False
    before = text[max(0, start - _PAYMENT_WINDOW) : start].lower()
    # The payment word speaks of this number: no other number stands between them.
    last_digit = max((i for i, c in enumerate(before) if c.isdigit()), default=-1)
    return grouped or _PAYMENT_WORDS.search(before, last_digit + 1) is not None


def _grouped_like_a_card(groups: list[str]) -> bool:
    """Whether the groups are written the way cards are printed: fours (4-4-4-4, 4-4-4-4-3), or 4-6-5 / 4-6-4."""
    sizes = [len(group) for group in groups]
    return len(sizes) >= 3 and (all(size == 4 for size in sizes[:-1]) or sizes[:2] == [4, 6])


def _scan_iban(text: str, start: int, end: int) -> list[Finding]:
    findings = []
    window_start = max(0, start - _IBAN_LOOKBACK)
    for match in _IBAN.finditer(text, window_start, min(len(text), end + 40)):
        if match.start() >= end:
            break
        span = _iban_span(text, match)
        if span is not None:
            findings.append(Finding("pii", "iban", span[0], span[1], CONFIDENCE["iban"]))
    return findings


def _iban_span(text: str, match: re.Match[str]) -> tuple[int, int] | None:
    """The IBAN at the start of ``match``: exactly its country's length, then a checksum."""
    length = IBAN_LENGTHS.get(match.group()[:2])
    if length is None:
        return None
    rest = _IBAN_REST[length].match(text, match.start() + 1, match.end())
    if rest is None:
        return None
    end = rest.end()
    if end < len(text) and text[end].isalnum():
        return None
    return (match.start(), end) if iban_valid(text[match.start() : end].replace(" ", "")) else None


def _scan_ipv4(text: str, start: int, end: int) -> list[Finding]:
    findings = []
    for match in _IPV4.finditer(text, start, end):
        octets = match.group().split(".")
        if octets[0] in ("0", "127") or (octets[0] == "255" and all(o in _NETMASK_OCTETS for o in octets)):
            continue  # unspecified, loopback, broadcast and netmasks identify no one
        before = text[max(0, match.start() - 12) : match.start()].lower().split()
        if before and before[-1].rstrip(":") in _VERSION_WORDS or _introduced_as_id(text, match.start()):
            continue  # "firmware 1.2.3.4", "order 10.17.23.7"
        findings.append(Finding("pii", "ip_address", match.start(), match.end(), CONFIDENCE["ip_address"]))
    return findings


def _scan_ipv6(text: str) -> list[Finding]:
    findings: list[Finding] = []
    resume = 0
    for pair in _COLON_PAIR.finditer(text):
        if pair.start() < resume:
            continue
        match = _IPV6.search(text, max(resume, pair.start() - 5), min(len(text), pair.end() + 40))
        if match is None or match.start() > pair.start():
            continue
        resume = match.end()
        candidate = match.group()
        hex_digits = sum(c in "0123456789abcdefABCDEF" for c in candidate)
        if candidate.count(":") < 2 or hex_digits < 4:
            continue
        try:
            address = ipaddress.IPv6Address(candidate)
        except ValueError:
            continue
        if address.is_loopback or address.is_unspecified:
            continue
        findings.append(Finding("pii", "ip_address", match.start(), match.end(), CONFIDENCE["ip_address"]))
    return findings


_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")


def _scan_after_cues(lowered: str, cues: Sequence[str], scan: _CueScan) -> list[Finding]:
    """Findings right after each cue; ``lowered`` is the lower-cased text, with the same offsets."""
    findings: list[Finding] = []
    for cue in cues:
        position = lowered.find(cue)
        while position != -1:
            # A cue is a word of its own ("born", not "stubborn" or "borneo").
            after = position + len(cue)
            if not (position and lowered[position - 1].isalpha()) and not (
                    after < len(lowered) and lowered[after] in _ASCII_LETTERS):
                finding = scan(lowered, after)
                if finding is not None:
                    findings.append(finding)
            position = lowered.find(cue, position + len(cue))
    return findings


def _scan_date(text: str, start: int) -> Finding | None:
    match = _DATE.search(text, start, min(len(text), start + _DOB_WINDOW))
    if match is None:
        return None
    return Finding("pii", "date_of_birth", match.start(), match.end(), CONFIDENCE["date_of_birth"])


def _scan_mrn(text: str, start: int) -> Finding | None:
    if start < len(text) and text[start].isalpha():
        return None  # the cue continues a longer word ("mrnas")
    match = _MRN_AFTER_CUE.match(text, start, min(len(text), start + 40))
    if match is None or sum(c.isdigit() for c in match.group("id")) < _MRN_MIN_DIGITS:
        return None
    return Finding("pii", "medical_record_number", match.start("id"), match.end("id"),
                   CONFIDENCE["medical_record_number"])
