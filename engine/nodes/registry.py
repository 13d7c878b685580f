"""Node kind -> builder. A new step kind is one module plus one line here."""

from __future__ import annotations

from engine.nodes import call, flow, guard, llm, memory, skill
from engine.nodes.base import Builder
from engine.nodes.data import build_return, build_set

BUILDERS: dict[str, Builder] = {
    "guard_input": guard.build_input,
    "guard_output": guard.build_output,
    "memory_load": memory.build_load,
    "skill": skill.build,
    "tool": skill.build,
    "llm": llm.build,
    "switch": flow.build_switch,
    "parallel": flow.build_fork,
    "join": flow.build_join,
    "loop": flow.build_loop_start,
    "loop_next": flow.build_loop_next,
    "call": call.build,
    "set": build_set,
    "return": build_return,
    "remember": memory.build_remember,
    "recall": memory.build_recall,
}
