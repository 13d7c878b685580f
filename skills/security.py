"""Security enrichment for the security-alert workflow.

IP reputation is threat intelligence shared by every tenant. Assets and
authentication logs are each tenant's own: they are looked up in the calling
tenant's partition only.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import Field
from typing_extensions import TypedDict  # pydantic needs this one on Python 3.11

from engine.skills.bridge import SkillContext
from engine.skills.decorators import skill, tool

Verdict = Literal["internal", "benign", "suspicious", "malicious"]


class Reputation(TypedDict):
    ip: str
    verdict: Verdict
    risk_score: int
    tags: list[str]


#: A threat feed in miniature (documentation address ranges, RFC 5737).
THREAT_FEED: dict[str, tuple[int, Verdict, list[str]]] = {
    "203.0.113.66": (92, "malicious", ["tor-exit", "credential-stuffing"]),
    "203.0.113.140": (88, "malicious", ["botnet-c2"]),
    "198.51.100.23": (61, "suspicious", ["mass-scanner"]),
}


#: The tenant networks' address space (RFC 1918, loopback, IPv6 unique-local).
INTERNAL_NETWORKS = [ipaddress.ip_network(n) for n in
                     ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "::1/128", "fc00::/7")]


@tool("security.ip_reputation")
async def ip_reputation(*, ip: str, ctx: SkillContext) -> Reputation:
    """Risk score (0-100), verdict and tags of an IP address from the threat feed."""
    address = ipaddress.ip_address(ip)  # ValueError for anything that is not an address
    if any(address in network for network in INTERNAL_NETWORKS):
        return Reputation(ip=ip, verdict="internal", risk_score=0, tags=["internal-network"])
    score, verdict, tags = THREAT_FEED.get(str(address), (5, "benign", []))
    return Reputation(ip=ip, verdict=verdict, risk_score=score, tags=list(tags))


class Asset(TypedDict):
    host: str
    owner: str
    criticality: Literal["low", "medium", "high", "unknown"]
    data_classes: list[str]


#: tenant id -> host -> (owner, criticality, data classes).
ASSETS: dict[str, dict[str, tuple[str, Literal["low", "medium", "high"], list[str]]]] = {
    "acme": {
        "ehr-db-02": ("Clinical Systems", "high", ["phi", "pii"]),
        "portal-web-01": ("Digital Front Door", "medium", ["pii"]),
        "build-runner-07": ("Platform Engineering", "low", []),
    },
    "initech": {
        "tps-app-01": ("Finance IT", "medium", ["financial"]),
    },
}


@skill("lookup_asset", version="1")
async def lookup_asset(*, host: str, ctx: SkillContext) -> Asset:
    """Owner, criticality and data classes of one of the calling tenant's hosts."""
    found = ASSETS.get(ctx.tenant.tenant_id, {}).get(host.lower())
    if found is None:
        return Asset(host=host, owner="unknown", criticality="unknown", data_classes=[])
    owner, criticality, data_classes = found
    return Asset(host=host, owner=owner, criticality=criticality, data_classes=list(data_classes))


class AuthEvents(TypedDict):
    host: str
    ip: str
    window_hours: int
    failed_logins: int
    successful_logins: int
    accounts: list[str]


#: tenant id -> (host, source ip) -> sign-in events as (hours ago, succeeded, account).
SIGN_INS: dict[str, dict[tuple[str, str], list[tuple[int, bool, str]]]] = {
    "acme": {
        # A slow credential-stuffing run that finally got into a service account.
        ("ehr-db-02", "203.0.113.66"): [
            *[(h, False, "dbadmin") for h in (2, 3, 5, 8, 11, 13, 17, 20)],
            *[(h, False, "svc-backup") for h in (26, 28, 31, 34, 39, 44)],
            (30, True, "svc-backup"),
        ],
        ("build-runner-07", "198.51.100.23"): [(h, False, "ci") for h in (1, 9)],
    },
}


@tool("security.auth_events")
async def auth_events(*, host: str, ip: str, window_hours: Annotated[int, Field(ge=1, le=720)],
                ctx: SkillContext) -> AuthEvents:
    """Sign-in attempts from ``ip`` on ``host`` in the last ``window_hours`` hours."""
    events = [e for e in SIGN_INS.get(ctx.tenant.tenant_id, {}).get((host.lower(), ip), []) if e[0] <= window_hours]
    return AuthEvents(host=host, ip=ip, window_hours=window_hours,
                      failed_logins=sum(1 for _, ok, _ in events if not ok),
                      successful_logins=sum(1 for _, ok, _ in events if ok),
                      accounts=sorted({account for _, ok, account in events if ok}))
