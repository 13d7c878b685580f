"""The YAML files as pydantic models, the loader that keeps their line:col marks, and the problems they report."""
