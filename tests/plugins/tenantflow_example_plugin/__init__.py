"""A package outside the engine adding a step kind (``lookup``) and a model provider (``echo``).

Installed the public way: its ``.dist-info/entry_points.txt`` names them in
the ``tenantflow.step_kinds`` and ``tenantflow.providers`` groups, which
the engine reads from every distribution on ``sys.path``.
"""
