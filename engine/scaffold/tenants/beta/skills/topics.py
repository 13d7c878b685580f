"""Beta's own implementation of pick_topic: same name, its own rules."""

from engine.skills.bridge import SkillContext
from engine.skills.decorators import skill


@skill("pick_topic")
def pick_topic(*, text: str, ctx: SkillContext) -> dict[str, str]:
    return {"topic": "clinical" if "doctor" in text.lower() else "general"}
