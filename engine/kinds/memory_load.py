"""The ``memory.load`` node: the levels a workflow declares in ``memory.read``, into state before the first step."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.ir import IRNode
from engine.kinds.base import Build, NodeFn, NodeKind, RunContext
from engine.kinds.memory import scoped

if TYPE_CHECKING:
    from langgraph.runtime import Runtime

    from engine.state import RunState


class MemoryLoad(NodeKind):
    name = "memory_load"
    shape = ("[(", ")]")

    def build(self, node: IRNode, b: Build) -> NodeFn:
        async def run(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
            store = await scoped(b.ir, runtime)
            loaded = await store.load()
            return {"memory": {level: [item["value"] | {"key": item["key"]} for item in items]
                               for level, items in loaded.items()}}

        return run
