"""LangGraph Platform: the engine's compiled graphs served by LangGraph's own server (``langgraph dev``,
LangGraph Server) and opened in LangGraph Studio.

- :mod:`engine.platform.graphs`: the graph factories (one per workflow) ``langgraph.json`` names;
- :mod:`engine.platform.auth`: the server's custom auth (``langgraph_sdk.Auth``), verifying tokens with the
  project's issuers and owning threads per tenant and user;
- :mod:`engine.platform.export`: ``tenantflow export langgraph`` (``langgraph.json``, ``langgraph_graphs.py``).

Needs the ``[platform]`` extra. docs/deployment.md, "LangGraph Platform".
"""
