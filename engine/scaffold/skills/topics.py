"""Shared skills: every tenant without its own implementation uses these."""

from engine.skills.bridge import SkillContext
from engine.skills.decorators import skill


@skill("pick_topic")
def pick_topic(*, text: str, ctx: SkillContext) -> dict[str, str]:
    """Pick the topic of a question."""
    lowered = text.lower()
    return {"topic": "billing" if "invoice" in lowered or "charge" in lowered else "general"}
