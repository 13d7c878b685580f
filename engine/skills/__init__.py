"""Skills and tools: registration, tenant -> shared resolution, the bridge chain."""
