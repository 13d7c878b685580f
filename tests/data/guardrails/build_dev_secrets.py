"""More development cases for the secrets detector: credentials in the config syntaxes people paste.

The independent corpus's development half held AWS secret keys only after
AWS's own names, too narrow to tell a detector that generalises from one
that knows those names (docs/benchmarks.md, "Independent corpus"). This adds
development cases only, with their own seed (:data:`SEED`), and never touches
the held-out half or its seeds:

* every secret shape of :func:`build_independent.secret_value` in carriers
  written from the documented syntaxes of the tools that hold credentials:
  AWS CLI files and flags, environment variables, boto3 and SDK keyword
  arguments, Terraform, Kubernetes and Docker Compose YAML, GitHub Actions,
  Java properties, .NET appsettings JSON, rclone, s3cmd, MinIO, connection
  strings, chat and email prose;
* look-alikes next to credential words that are not secrets: hex digests
  (commit ids, SHA-1, SHA-256), S3 paths, ARNs, request ids, image digests.

    python tests/data/guardrails/build_dev_secrets.py [--check]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import string
import sys
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "independent-dev-secrets.jsonl"
sys.path.insert(0, str(HERE))

from build_independent import Case, secret_value, write_or_check  # noqa: E402

#: Fixed once (2026-12-07): a development seed of its own, unrelated to the held-out half's.
SEED = 170_201
SECRETS, LOOK_ALIKES = 160, 80

CARRIERS = [
    "[profile prod]\naws_access_key_id = (see vault)\naws_secret_access_key = {v}\nregion = us-east-1",
    "export AWS_SECRET_ACCESS_KEY=\"{v}\"",
    "set AWS_SECRET_ACCESS_KEY={v}",
    "$Env:AWS_SECRET_ACCESS_KEY = '{v}'",
    "s3 = boto3.client(\"s3\", aws_access_key_id=key_id, aws_secret_access_key=\"{v}\")",
    "provider \"aws\" {{\n  region     = \"eu-west-1\"\n  secret_key = \"{v}\"\n}}",
    "env:\n  - name: AWS_SECRET_ACCESS_KEY\n    value: {v}",
    "environment:\n  MINIO_SECRET_KEY: {v}",
    "services:\n  app:\n    environment:\n      - SECRET_KEY={v}",
    "aws.secretKey={v}",
    "{{\"AWS\": {{\"SecretKey\": \"{v}\"}}}}",
    "{{\"credentials\": {{\"secretAccessKey\": \"{v}\"}}}}",
    "credentials:\n  secretAccessKey: {v}",
    "[s3remote]\ntype = s3\nsecret_access_key = {v}",
    "[default]\nsecret_key = {v}",
    "docker run -e AWS_SECRET_ACCESS_KEY={v} app:latest",
    "terraform apply -var secret_key={v}",
    "mc alias set local http://localhost:9000 admin {v}",
    "spring.cloud.aws.credentials.secret-key: {v}",
    "awsSecret: {v}",
    "AWS secret: {v}",
    "here's the secret for the staging bucket: {v}",
    "Can you check why this key doesn't work? {v}",
    "the access key is fine but the secret part ({v}) was rotated yesterday",
    "password: {v}",
    "db_password={v}",
    "Authorization token {v} expires tomorrow",
    "credential = {v}",
    "Login worked with pwd {v} on the second try",
    "I pasted {v} into the AWS console by mistake, is that a problem?",
    "{v}\n^ that's the new secret key, please update the vault",
    "Sent from my phone. Key: {v}",
]
LOOK_ALIKE_CARRIERS = [
    "Fixed the key rotation job in commit {v}.",
    "The secret scanner flagged commit {v}, false alarm.",
    "SHA-1 of the access log: {v}",
    "token bucket checksum {v} matches the release",
    "The aws-sdk image digest is sha256:{v}",
    "aws s3 cp s3://{v} ./ --recursive",
    "Request id {v}, please include it when you contact support about your key.",
    "arn:aws:kms:eu-west-1:123456789012:key/{v}",
    "The password reset page returns ETag {v}",
    "access denied for resource {v}",
]


def look_alike(rng: random.Random) -> str:
    """A value of the length or alphabet of a key that is none."""
    word = "".join(rng.choice(string.ascii_lowercase) for _ in range(8))
    makers = [
        lambda: hashlib.sha1(word.encode()).hexdigest(),
        lambda: hashlib.sha256(word.encode()).hexdigest(),
        lambda: hashlib.sha1(word.encode()).hexdigest().upper(),
        lambda: f"backups-{word}/{rng.randint(2019, 2026)}/{rng.randint(1, 12):02d}/daily/db.sql.gz",
        lambda: str(uuid.UUID(int=rng.getrandbits(128))),
        lambda: "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(40)),
        lambda: "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(40)),
    ]
    return rng.choice(makers)()


def build() -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    cases: list[dict[str, Any]] = []
    for number in range(SECRETS):
        case = Case()
        # Half the cases are AWS secret keys, the type the first development half was narrow on.
        if rng.random() < 0.5:
            secret_type, value = "aws_secret_key", "".join(rng.choice(string.ascii_letters + string.digits + "+/")
                                                           for _ in range(40))
        else:
            secret_type, value = secret_value(rng)
        case.add(rng.choice(CARRIERS), "secret", secret_type, value)
        cases.append({"id": f"dev-secret2-{number:03d}", "kind": "secret", "split": "dev", "text": case.text,
                      "labels": case.labels})
    for number in range(LOOK_ALIKES):
        case = Case()
        case.add(rng.choice(LOOK_ALIKE_CARRIERS).format(v=look_alike(rng)))
        cases.append({"id": f"dev-secret2-negative-{number:03d}", "kind": "benign", "split": "dev",
                      "text": case.text, "labels": []})
    return cases


def render() -> str:
    header = {"kind": "meta", "corpus": "independent-dev-secrets", "split": "dev", "seed": SEED}
    return "\n".join(json.dumps(line, ensure_ascii=False) for line in [header, *build()]) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file would change")
    return write_or_check(OUTPUT, render(), check=parser.parse_args().check)


if __name__ == "__main__":
    sys.exit(main())
