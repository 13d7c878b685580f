"""Secrets: keys and tokens by their published shapes, without the values in findings."""

from __future__ import annotations

import pytest

from engine.guardrails.base import Finding
from engine.guardrails.secrets import SECRET_TYPES, SecretsDetector, shannon_entropy

ALL = SecretsDetector(SECRET_TYPES)
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0."
       "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7bq9\nAbCdEf0123+/==\n-----END RSA PRIVATE KEY-----"


def found(text: str) -> list[tuple[str, str]]:
    return [(f.type, text[f.start : f.end]) for f in ALL.scan(text)]


def test_finding_fields() -> None:
    assert ALL.scan("key AKIAIOSFODNN7EXAMPLE") == [Finding("secret", "aws_access_key", 4, 24, 0.95)]


@pytest.mark.parametrize(
    ("text", "kind", "match"),
    [
        ("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "aws_access_key", "AKIAIOSFODNN7EXAMPLE"),
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_key",
         "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        (f"Authorization: Bearer {JWT}", "jwt", JWT),
        ("OPENAI_API_KEY=sk-proj-Abc123Def456Ghi789Jkl012Mno345", "api_key", "sk-proj-Abc123Def456Ghi789Jkl012Mno345"),
        ("token ghp_16C7e42F292c6912E7710c838347Ae178B4a now", "api_key", "ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
        ("xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "api_key",
         "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"),
        ("key=AIzaSyA-1234567890abcdefghijklmnopqrstu", "api_key", "AIzaSyA-1234567890abcdefghijklmnopqrstu"),
        ("stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc", "api_key", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
        ('config = {"api_key": "Zx81kQ2mN7pL4vB9tR3wY6cJ"}', "api_key", "Zx81kQ2mN7pL4vB9tR3wY6cJ"),
        (f"key file:\n{PEM}\nthanks", "private_key", PEM),
    ],
)
def test_secret_found(text: str, kind: str, match: str) -> None:
    assert found(text) == [(kind, match)]


def test_a_truncated_private_key_is_still_found() -> None:
    text = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC"
    assert found(text) == [("private_key", text)]


def test_two_private_keys_are_two_findings_and_a_wall_of_begin_lines_is_read_once() -> None:
    assert found(f"one {PEM} two {PEM}") == [("private_key", PEM), ("private_key", PEM)]
    # Each BEGIN without an END used to read to the end of the text: 400 KB of them took 9 s.
    # A block (or a truncated one) is at most 16 KB, and the next is looked for after it.
    wall = "-----BEGIN PRIVATE KEY-----" * 15_000
    findings = ALL.scan(wall)
    assert findings[0].start == 0 and all(b.start >= a.end for a, b in zip(findings, findings[1:], strict=False))
    assert findings[-1].end == len(wall) and len(wall) // 16_411 <= len(findings) <= len(wall) // 16_384 + 1


@pytest.mark.parametrize(
    "text",
    [
        "password = 'changeme'",  # too short
        "token: aaaaaaaaaaaaaaaaaaaaaaaaa",  # no entropy
        "the key to success is patience and persistence",
        "AKIA is a prefix we document",
        "xAKIAIOSFODNN7EXAMPLE",  # inside a longer token
        "task-1234 sk-short",
        "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ],
)
def test_not_a_secret(text: str) -> None:
    assert found(text) == []


def test_only_configured_types() -> None:
    assert SecretsDetector(["jwt"]).scan("AKIAIOSFODNN7EXAMPLE") == []
    with pytest.raises(ValueError, match=r"unknown secret type\(s\) aws; known: aws_access_key"):
        SecretsDetector(["aws"])


def test_entropy() -> None:
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("Zx81kQ2mN7pL4vB9tR3wY6cJ") > 4


SECRET_KEY = "q8Yk2Vd0Jf5nTzR7mW1xLs9Bc3Hp6Ge4Aa/Ru+No"


@pytest.mark.parametrize(
    "written",
    [
        "export AWS_SECRET_ACCESS_KEY={v}",  # environment
        "[prod]\nsecret_access_key = {v}",  # INI (rclone, the AWS CLI)
        '{{"Aws": {{"SecretKey": "{v}"}}}}',  # JSON (appsettings)
        "credentials:\n  secretAccessKey: {v}",  # YAML
        "aws configure set aws_secret_access_key {v} --profile ci",  # CLI
        "s3.secret-key={v}",  # Java properties
        "the new AWS password is {v}",  # prose
        "token {v} for the uploader",
        "{v} <- that credential expired",  # the cue after it
    ],
)
def test_aws_secret_keys_with_any_credential_cue(written: str) -> None:
    text = written.format(v=SECRET_KEY)
    assert found(text) == [("aws_secret_key", SECRET_KEY)]


@pytest.mark.parametrize(
    "text",
    [
        f"the value {SECRET_KEY} in the report",  # no credential cue near it
        "secret scanner flagged commit 3f786850e387550fdab836ed7e6dc881de23001b",  # a hex digest
        "secret key rotation: s3://backups-east/2024/daily/dbdump/part1/x.gz",  # a path
        "key ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCD",  # one case, little entropy
        "the access key is " + "a" * 40,
    ],
)
def test_forty_base64_characters_are_not_a_secret_key_alone(text: str) -> None:
    assert [kind for kind, _ in found(text) if kind == "aws_secret_key"] == []


def test_forty_base64_finder_agrees_with_its_regex() -> None:
    import random
    import re

    from engine.guardrails.secrets import _forty_base64

    regex = re.compile(r"(?<![A-Za-z0-9/+_.-])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=_-])", re.ASCII)
    rng = random.Random(17)
    base64 = "aZ9/+"
    for _ in range(300):
        # Runs of 38 to 42 base64 characters between the separators that matter, and others.
        text = "".join("".join(rng.choice(base64) for _ in range(rng.randint(38, 42))) + rng.choice(" ._-=é\U0001f600\n")
                       for _ in range(rng.randint(1, 5)))
        assert list(_forty_base64(text)) == [m.span() for m in regex.finditer(text)], text


# Shapes from gitleaks' rules that the first table did not have; built here from their documented form.
_HEX, _B62 = "0123456789abcdef" * 8, ("aZ3kQ9mW2xR7tY5uI1oP4sD6fG8hJ0lK" * 8)


@pytest.mark.parametrize("token", [
    "xapp-1-A0123ABCDE-1234567890123-" + _HEX[:64],
    "https://hooks.slack.com/services/T0ABCDEFG/B0HIJKLMN/" + _B62[:24],
    "sq0atp-" + _B62[:22],
    "sq0csp-" + _B62[:43],
    "ATATT3xFfGF0" + _B62[:180],
    "PMAK-" + _HEX[:24] + "-" + _HEX[:34],
    "dapi" + _HEX[:32],
    "hvs." + _B62[:95],
    "DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=" + _B62[:86] + "==;EndpointSuffix=core.windows.net",
    "NRAK-" + _B62[:27].upper(),
    "glptt-" + _HEX[:40],
    "sntrys_" + _B62[:60],
    "whsec_" + _B62[:32],
    "dckr_pat_" + _B62[:27],
    "ya29." + _B62[:60],
    "rubygems_" + _HEX[:48],
    "figd_" + _B62[:40],
    "pscale_tkn_" + _B62[:40],
    "glc_" + _B62[:40],
])
def test_more_provider_shapes_are_api_keys(token: str) -> None:
    text = f"the config has {token} in it"
    findings = SecretsDetector(["api_key"]).scan(text)
    assert [f.type for f in findings] == ["api_key"], findings
    assert text[findings[0].start:findings[0].end] in token


@pytest.mark.parametrize("text", [
    "dapi is short for data API in our docs",
    "hvs. means high voltage system in the manual",
    "the NRAK-47 part is back in stock",
    "see https://hooks.slack.com/services/ for how to set one up",
])
def test_the_prefixes_alone_are_not_keys(text: str) -> None:
    assert SecretsDetector(["api_key"]).scan(text) == []
