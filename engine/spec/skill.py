"""A prompt skill declared in YAML (skills/*.yaml or tenants/<id>/skills/*.yaml)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from engine.spec.common import FieldSpec, Ident, Strict
from engine.spec.llm import LlmSpec


class SkillMeta(Strict):
    name: str
    version: str = "1"
    description: str = ""


class SkillSpec(Strict):
    api_version: Literal["tenantflow/v1"] = Field(alias="apiVersion")
    kind: Literal["Skill"]
    metadata: SkillMeta
    input: dict[Ident, FieldSpec] = Field(default_factory=dict)
    llm: LlmSpec
