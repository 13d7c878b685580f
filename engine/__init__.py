"""tenantflow: multi-tenant AI agent workflows in YAML, compiled to LangGraph graphs."""
