"""The agent runtime: an HTTP server speaking the Amazon Bedrock AgentCore Runtime contract.

``POST /invocations`` authenticates the caller's JWT, finds the tenant and
runs the workflow on the engine (JSON, or server-sent events); ``/ws`` does
the same for each message of a WebSocket; ``GET /ping`` reports Healthy or
HealthyBusy. One module per concern: the contract (headers, bodies,
errors), streaming, WebSocket, fair share between tenants, reload, health,
routing. Each tenant's limits are checked by the usage meter
(:mod:`engine.usage`, in process or through Redis) the engine records into.

Modules import what they need: ``tenantflow routes`` loads the project
only, without LangGraph. Entry points: :func:`engine.runtime.app.create_app`,
:func:`engine.runtime.server.serve`, :func:`engine.runtime.routes.routing_table`.
"""
