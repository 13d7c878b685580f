"""Secrets: credentials that must never pass a guard in either direction.

Every secret format recognised here starts with a fixed prefix or sits
after a cue word, so the detector finds candidates with ``str.find`` (far
cheaper than a regex pass over the whole text) and runs a precise pattern
only at each candidate.

* aws_access_key: ``AKIA``/``ASIA``/``ABIA``/``ACCA`` and 16 upper-case
  letters or digits.
* aws_secret_key: AWS's documented shape, 40 characters of base64 standing
  alone, random-looking (upper and lower case and digits, at least 4 bits of
  entropy a character), with a credential cue near it: an access key before
  it, or one of the cue words (``aws``, ``secret``, ``key``, ``credential``,
  ``token``, ``password``, ``access``) anywhere in the 80 characters before
  or 40 after, inside identifiers too, so every config syntax counts
  (``AWS_SECRET_ACCESS_KEY=``, ``aws_secret_access_key =``, ``"SecretKey":``,
  ``secretAccessKey:``, ``--secret-access-key``, ``aws.secretKey=``).
* jwt: three base64url segments, the first two JSON objects (``eyJ``).
* api_key: the published shapes of common providers (OpenAI ``sk-``,
  Anthropic ``sk-ant-``, Stripe ``sk_live_``/``rk_live_``, GitHub ``ghp_``
  and ``github_pat_``, Slack ``xox?-``, Google ``AIza``, GitLab ``glpat-``,
  npm ``npm_``, SendGrid ``SG.``, Hugging Face ``hf_``, DigitalOcean ``dop_v1_``, PyPI ``pypi-``,
  Mailgun ``key-``, Grafana ``glsa_``, Shopify ``shpat_``/``shpss_``/``shpca_``/``shppa_``, Doppler
  ``dp.pt.``, Linear ``lin_api_``, Twilio ``SK`` and 32 hex digits; and from gitleaks' rules Slack
  app tokens and webhooks, Square, Atlassian, Postman, Databricks, Vault, Azure storage account keys,
  New Relic, GitLab pipeline/deploy/runner tokens, Sentry, Stripe webhook secrets, Docker Hub, Google
  OAuth access tokens, RubyGems, Figma, PlanetScale, Grafana Cloud), and a quoted
  high-entropy value assigned to a key-like name (``api_key = "..."``).
* private_key: a PEM ``-----BEGIN ... PRIVATE KEY-----`` block.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Container, Iterable, Iterator
from typing import Literal

from engine.guardrails.base import Finding
from engine.guardrails.conditions import word
from engine.guardrails.normalize import scan_normalized
from engine.guardrails.prefilter import Prefilter
from engine.guardrails.text import words_of

SecretType = Literal["aws_access_key", "aws_secret_key", "jwt", "api_key", "private_key"]
SECRET_TYPES: tuple[SecretType, ...] = ("aws_access_key", "aws_secret_key", "jwt", "api_key", "private_key")

CONFIDENCE: dict[SecretType, float] = {
    "aws_access_key": 0.95, "aws_secret_key": 0.85, "jwt": 0.95, "api_key": 0.9, "private_key": 0.99,
}  # fmt: skip
_GENERIC_CONFIDENCE = 0.7

_AWS_ACCESS_PREFIXES = ("AKIA", "ASIA", "ABIA", "ACCA")
_AWS_ACCESS = re.compile(r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])", re.ASCII)
# Looked for in the lower-cased text around a candidate, as parts of words: "aws_secret_access_key",
# "SecretAccessKey", "--aws-secret", "credentials", "passwd", "apiToken" all hold one.
_AWS_SECRET_CUES = ("aws", "secret", "key", "credential", "token", "passw", "passwd", "pwd", "access")
_AWS_SECRET_SHAPE = r"[A-Za-z0-9/+]{40}"
# Base64 characters become "a", every other byte a space: 40 "a" start a run worth reading. A regex pass
# for the runs costs about 25 us on 2 KB of text that is mostly letters; translating and finding, 2.
_BASE64_CLASS = bytes(ord("a") if chr(byte) in string.ascii_letters + string.digits + "/+" else ord(" ")
                      for byte in range(256))
_FORTY = b"a" * 40
_AWS_CUE_BEFORE, _AWS_CUE_AFTER = 80, 40

_JWT_SHAPE = r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{4,}\."
_JWT = re.compile(_JWT_SHAPE + r"[A-Za-z0-9_-]*", re.ASCII)

# (prefix, the word it makes once punctuation splits the text, or "" if it is glued to the
# rest of the key, pattern of the whole token anchored at the prefix).
_API_KEYS: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (prefix, word, re.compile(pattern, re.ASCII))
    for prefix, word, pattern in (
        ("sk-ant-", "sk", r"sk-ant-[A-Za-z0-9_-]{32,}"),
        ("sk-", "sk", r"sk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{20,}"),
        ("sk_live_", "sk", r"sk_live_[A-Za-z0-9]{20,}"),
        ("sk_test_", "sk", r"sk_test_[A-Za-z0-9]{20,}"),
        ("rk_live_", "rk", r"rk_live_[A-Za-z0-9]{20,}"),
        ("ghp_", "ghp", r"ghp_[A-Za-z0-9]{36}"),
        ("gho_", "gho", r"gho_[A-Za-z0-9]{36}"),
        ("ghu_", "ghu", r"ghu_[A-Za-z0-9]{36}"),
        ("ghs_", "ghs", r"ghs_[A-Za-z0-9]{36}"),
        ("github_pat_", "github", r"github_pat_[A-Za-z0-9_]{50,}"),
        ("xox", "", r"xox[abposre]-[A-Za-z0-9-]{10,}"),
        ("xapp-", "xapp", r"xapp-\d-[A-Z0-9]{8,}-\d{8,}-[A-Za-z0-9]{32,}"),
        ("hooks.slack.com/services/", "hooks",
         r"hooks\.slack\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{20,}"),
        ("AIza", "", r"AIza[A-Za-z0-9_-]{35}"),
        ("glpat-", "glpat", r"glpat-[A-Za-z0-9_-]{20}"),
        ("npm_", "npm", r"npm_[A-Za-z0-9]{36}"),
        ("SG.", "sg", r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}"),
        ("hf_", "hf", r"hf_[A-Za-z]{34}"),
        ("ghr_", "ghr", r"ghr_[A-Za-z0-9]{36}"),
        ("dop_v1_", "dop", r"dop_v1_[a-f0-9]{64}"),
        ("pypi-AgEIcHlwaS5vcmc", "pypi", r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}"),
        ("key-", "key", r"key-[a-f0-9]{32}(?![A-Za-z0-9])"),
        ("glsa_", "glsa", r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}"),
        ("shpat_", "shpat", r"shpat_[a-fA-F0-9]{32}"),
        ("shpss_", "shpss", r"shpss_[a-fA-F0-9]{32}"),
        ("shpca_", "shpca", r"shpca_[a-fA-F0-9]{32}"),
        ("shppa_", "shppa", r"shppa_[a-fA-F0-9]{32}"),
        ("dp.pt.", "dp", r"dp\.pt\.[A-Za-z0-9]{43}"),
        ("lin_api_", "lin", r"lin_api_[A-Za-z0-9]{40}"),
        ("SK", "", r"SK[0-9a-fA-F]{32}(?![A-Za-z0-9])"),
        # More of gitleaks' documented shapes, each with a prefix of its own.
        ("sq0atp-", "sq0atp", r"sq0atp-[0-9A-Za-z_-]{22}"),
        ("sq0csp-", "sq0csp", r"sq0csp-[0-9A-Za-z_-]{43}"),
        ("ATATT3", "", r"ATATT3[A-Za-z0-9_=-]{150,}"),
        ("PMAK-", "pmak", r"PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}"),
        ("dapi", "", r"dapi[a-f0-9]{32}(?:-\d)?(?![A-Za-z0-9])"),
        ("hvs.", "hvs", r"hvs\.[A-Za-z0-9_-]{90,}"),
        ("hvb.", "hvb", r"hvb\.[A-Za-z0-9_-]{90,}"),
        ("AccountKey=", "accountkey", r"AccountKey=[A-Za-z0-9+/]{86}=="),
        ("NRAK-", "nrak", r"NRAK-[A-Z0-9]{27}"),
        ("glptt-", "glptt", r"glptt-[A-Za-z0-9_-]{40}"),
        ("gldt-", "gldt", r"gldt-[A-Za-z0-9_-]{20}"),
        ("glrt-", "glrt", r"glrt-[A-Za-z0-9_-]{20}"),
        ("sntrys_", "sntrys", r"sntrys_[A-Za-z0-9+/=_-]{50,}"),
        ("sntryu_", "sntryu", r"sntryu_[a-f0-9]{64}"),
        ("whsec_", "whsec", r"whsec_[A-Za-z0-9+/=]{32,}"),
        ("dckr_pat_", "dckr", r"dckr_pat_[A-Za-z0-9_-]{27}"),
        ("ya29.", "ya29", r"ya29\.[A-Za-z0-9_-]{30,}"),
        ("rubygems_", "rubygems", r"rubygems_[a-f0-9]{48}"),
        ("figd_", "figd", r"figd_[A-Za-z0-9_-]{40}"),
        ("pscale_tkn_", "pscale", r"pscale_tkn_[A-Za-z0-9_.-]{32,}"),
        ("pscale_pw_", "pscale", r"pscale_pw_[A-Za-z0-9_.-]{32,}"),
        ("glc_", "glc", r"glc_[A-Za-z0-9+/]{32,}={0,2}"),
    )
)
# A prefix too short to gate on alone is gated by its whole shape.
_CONDITIONS = {"SK": r"SK[0-9a-fA-F]{32}", "dapi": r"dapi[a-f0-9]{32}"}
_API_KEY_WORDS = frozenset(word for _, word, _ in _API_KEYS if word)
_GENERIC_WORDS = frozenset({"key", "apikey", "token", "secret", "password", "passwd", "credential", "credentials",
                            "auth", "bearer"})
# The words that gate the lower-case prefixes and the cues, as groups: a group is there if one of
# its words is one of the text's words.
_GATES = {"api_key words": _API_KEY_WORDS, "generic words": _GENERIC_WORDS}
_TOKEN_EDGE = re.compile(r"[A-Za-z0-9_-]")

# api_key = "...", "apiKey": '...', X-API-Key: ..., token=...
_GENERIC_CUES = ("key", "token", "secret", "passwd", "password", "bearer")
_GENERIC_NAME = (
    r"(?:api[_-]?key|apikey|access[_-]?token|auth[_-]?token|secret[_-]?key|client[_-]?secret|private[_-]?token"
    r"|bearer|token|secret|password|passwd)[\"']?\s*(?:[:=]|=>)?\s*[\"']?"
)
_GENERIC = re.compile(
    rf"{_GENERIC_NAME}(?P<value>[A-Za-z0-9_\-+/=.]{{20,120}})",
    re.ASCII,  # run on the lower-cased text; the value's span is the same in the original
)
_MIN_ENTROPY = 3.5

_PEM_BEGIN_SHAPE = r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
_PEM_BEGIN = re.compile(_PEM_BEGIN_SHAPE, re.ASCII)
_PEM_END = re.compile(r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----", re.ASCII)
_PEM_BODY = re.compile(r"[A-Za-z0-9+/=\s:,-]*", re.ASCII)
_PEM_MAX = 16384

# What each check's matches contain (the start of its pattern; short, as long bounded repeats
# make compiling slow): a check runs only if its condition occurs in the text. Typical messages
# hold none, and cost one compiled pass, which also finds the gate words.
_CHECKS = {
    "aws_access_key": r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{4}",
    "aws_secret_key": _AWS_SECRET_SHAPE,
    "jwt": _JWT_SHAPE,
    "private_key": _PEM_BEGIN_SHAPE,
    "generic": _GENERIC_NAME + r"[A-Za-z0-9_\-+/=.]{20,}",
    **{prefix: _CONDITIONS.get(prefix, re.escape(prefix)) for prefix, _, _ in _API_KEYS},
}
_PREFILTER = Prefilter(
    {**_CHECKS, **{name: word(*sorted(words)) for name, words in _GATES.items()}},
    caseless={"generic", *_GATES},
)


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value``; random keys score about 4 and up, words and ids less."""
    counts: dict[str, int] = {}
    for char in value:
        counts[char] = counts.get(char, 0) + 1
    size = len(value)
    return -sum(n / size * math.log2(n / size) for n in counts.values())


class SecretsDetector:
    """Finds the configured secret types in a string.

    >>> SecretsDetector(["aws_access_key"]).scan("key AKIAIOSFODNN7EXAMPLE")
    [Finding(category='secret', type='aws_access_key', start=4, end=24, confidence=0.95)]
    """

    name = "secrets"

    def __init__(self, types: Iterable[str]):
        wanted = frozenset(types)
        unknown = sorted(wanted.difference(SECRET_TYPES))
        if unknown:
            raise ValueError(f"unknown secret type(s) {', '.join(unknown)}; known: {', '.join(SECRET_TYPES)}")
        self.types: frozenset[SecretType] = frozenset(t for t in SECRET_TYPES if t in wanted)

    def __repr__(self) -> str:
        return f"SecretsDetector({sorted(self.types)!r})"

    def scan(self, text: str) -> list[Finding]:
        """Findings in ``text``, looked for in its normal form (engine.guardrails.normalize), spans in ``text``."""
        return scan_normalized(self._scan, text)

    def _scan(self, text: str) -> list[Finding]:
        found = _PREFILTER.possible(text)
        possible: Container[str]
        if found is None:  # the Python path: every check runs, gated by the text's words
            possible = _CHECKS
            words = words_of(text).present
            gates: Container[str] = {name for name, group in _GATES.items() if not words.isdisjoint(group)}
        elif found.isdisjoint(_CHECKS):
            return []
        else:
            possible = gates = found
        findings: list[Finding] = []
        types = self.types
        access_keys: list[Finding] = []
        if ("aws_access_key" in types or "aws_secret_key" in types) and "aws_access_key" in possible:
            access_keys = _find_at_prefixes(text, _AWS_ACCESS_PREFIXES, _AWS_ACCESS, "aws_access_key")
            if "aws_access_key" in types:
                findings.extend(access_keys)
        if "private_key" in types and "private_key" in possible and "-----BEGIN" in text:
            findings.extend(_private_keys(text))
        if "jwt" in types and "jwt" in possible and "eyJ" in text:
            findings.extend(_find_at_prefixes(text, ("eyJ",), _JWT, "jwt"))
        if "api_key" in types:
            for prefix, gate_word, pattern in _API_KEYS:
                if prefix in possible and prefix in text and (not gate_word or "api_key words" in gates):
                    findings.extend(_find_at_prefixes(text, (prefix,), pattern, "api_key"))
        if "aws_secret_key" in types and "aws_secret_key" in possible:
            findings.extend(_aws_secrets(text, access_keys))
        if "api_key" in types and "generic" in possible and "generic words" in gates:
            lowered = words_of(text).lowered
            if len(lowered) == len(text):  # offsets in the lower-cased text are offsets in the text
                findings.extend(_generic_keys(text, lowered, findings))
        if len(findings) > 1:
            findings = _dedupe(findings)
        return findings


def _find_at_prefixes(text: str, prefixes: tuple[str, ...], pattern: re.Pattern[str],
                      kind: SecretType) -> list[Finding]:
    findings = []
    for prefix in prefixes:
        position = text.find(prefix)
        while position != -1:
            # Not inside a longer token ("xAKIA..."): keys stand on their own.
            if not (position and _TOKEN_EDGE.match(text[position - 1])):
                match = pattern.match(text, position)
                if match:
                    findings.append(Finding("secret", kind, match.start(), match.end(), CONFIDENCE[kind]))
                    position = match.end()
            position = text.find(prefix, position + 1)
    return findings


def _aws_secrets(text: str, access_keys: list[Finding]) -> list[Finding]:
    findings = []
    for start, end in _forty_base64(text):
        if not _random_looking(text[start:end]):
            continue
        near = text[max(0, start - _AWS_CUE_BEFORE) : start].lower() + " " + text[end : end + _AWS_CUE_AFTER].lower()
        if any(0 <= start - key.end <= _AWS_CUE_BEFORE for key in access_keys) or any(
                cue in near for cue in _AWS_SECRET_CUES):
            findings.append(Finding("secret", "aws_secret_key", start, end, CONFIDENCE["aws_secret_key"]))
    return findings


def _forty_base64(text: str) -> Iterator[tuple[int, int]]:
    """Spans of exactly 40 base64 characters standing alone (not in "x_<40>", "<40>==", after a dot)."""
    # One byte per character (beyond ASCII "?", not base64), so offsets are the text's.
    classes = text.encode("ascii", "replace").translate(_BASE64_CLASS)
    start = classes.find(_FORTY)
    while start != -1:  # the start of a run: 40 "a" earlier would have been found first
        end = classes.find(b" ", start)
        end = len(text) if end == -1 else end
        alone = not (start and text[start - 1] in "_.-") and text[end : end + 1] not in ("=", "_", "-")
        if end - start == 40 and alone:
            yield start, end
        start = classes.find(_FORTY, end)


def _random_looking(value: str) -> bool:
    """Whether ``value`` mixes cases and digits with the entropy of a random key.

    40 random base64 characters lack a digit about once in a thousand and a case almost never; hex
    digests (commit ids, SHA-1) have one case and at most 4 bits a character, paths and prose less.
    """
    return (any(c.isupper() for c in value) and any(c.islower() for c in value)
            and any(c.isdigit() for c in value) and shannon_entropy(value) >= _MIN_ENTROPY + 0.5)


def _generic_keys(text: str, lowered: str, known: list[Finding]) -> list[Finding]:
    # The key name sits at most a few characters before its cue word ("x-api-key", "client_secret").
    starts = []
    for cue in _GENERIC_CUES:
        position = lowered.find(cue)
        while position != -1:
            starts.append(max(0, position - 16))
            position = lowered.find(cue, position + len(cue))
    findings: list[Finding] = []
    resume = 0
    for start in sorted(starts):
        match = _GENERIC.search(lowered, max(start, resume), min(len(text), start + 160))
        if match is None:
            continue
        resume = match.end()
        start, end = match.span("value")
        value = text[start:end]
        if any(f.start < end and start < f.end for f in known):
            continue  # already found with its exact shape
        has_digit = any(c.isdigit() for c in value)
        has_alpha = any(c.isalpha() for c in value)
        if has_digit and has_alpha and shannon_entropy(value) >= _MIN_ENTROPY:
            findings.append(Finding("secret", "api_key", start, end, _GENERIC_CONFIDENCE))
    return findings


def _private_keys(text: str) -> list[Finding]:
    findings = []
    begin = _PEM_BEGIN.search(text)
    while begin is not None:
        # A block is at most _PEM_MAX long; a truncated one is still a leaked key: it runs to the end
        # of its base64. Both bounded, and the next block looked for after this one, so a text full
        # of BEGIN lines is read about once.
        limit = min(len(text), begin.end() + _PEM_MAX)
        end_match = _PEM_END.search(text, begin.end(), limit)
        end = end_match.end() if end_match else _PEM_BODY.match(text, begin.end(), limit).end()  # type: ignore[union-attr]
        findings.append(Finding("secret", "private_key", begin.start(), end, CONFIDENCE["private_key"]))
        begin = _PEM_BEGIN.search(text, end)
    return findings


def _dedupe(findings: list[Finding]) -> list[Finding]:
    findings.sort(key=lambda f: (f.start, -f.end))
    kept: list[Finding] = []
    last_end = -1
    for finding in findings:
        if finding.start < last_end:
            continue
        kept.append(finding)
        last_end = finding.end
    return kept
