"""LangGraph Platform: the engine's compiled graphs served by LangGraph's own server (``langgraph dev``,
LangGraph Server) and opened in LangGraph Studio.

- :mod:`engine.platform.graphs`: the graph factory ``make_graph`` every workflow of ``langgraph.json`` names;
- :mod:`engine.platform.auth`: the server's custom auth (``langgraph_sdk.Auth``), verifying tokens with the
  project's issuers and owning threads per tenant and user;
- :mod:`engine.platform.export`: ``tenantflow export langgraph`` (``langgraph.json``).

Needs the ``[platform]`` extra. docs/deployment.md, "LangGraph Platform".
"""
