"""The run layer: what the Engine is made of (tenant directory, dispatch, graph cache, runs)."""
