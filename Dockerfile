# syntax=docker/dockerfile:1
# The tenantflow agent runtime: `tenantflow serve` on port 8080, speaking the
# Amazon Bedrock AgentCore Runtime contract (POST /invocations, GET /ping).
# The same image runs on AgentCore Runtime and on any container platform.
#
#   docker build -t tenantflow-runtime .                                   # this machine's architecture
#   docker buildx build --platform linux/arm64 -t tenantflow-runtime .     # AgentCore Runtime runs arm64
#
# See docs/deployment.md.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# gcc builds the PII detector's digit-run finder (engine/guardrails/_digit_runs.c, about 4x faster guardrails than
# its Python version); only this stage has a compiler.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml setup.py README.md ./
COPY engine ./engine
# engine/scaffold/skills/bridge (what `tenantflow init` writes) is a symlink to ../../../skills/bridge:
# without its target the wheel lacks the bridges and `tenantflow init` makes a project that does not load.
COPY skills/bridge ./skills/bridge
# A virtualenv with the package (not editable), the extras a scaled-out runtime uses (PostgreSQL stores, limits in
# Redis, the faster parsers and Hyperscan) and their dependencies, bytecode compiled.
# The C extension is optional for pip; the image insists on it (-I: the installed package, not ./engine).
RUN python -m venv /opt/venv && /opt/venv/bin/pip install ".[postgres,redis,mcp,accel]" && /opt/venv/bin/python -m compileall -q /opt/venv \
    && /opt/venv/bin/python -I -c "from engine.guardrails.digit_runs import ACCELERATED; assert ACCELERATED, 'no _digit_runs'"

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN groupadd --system --gid 10001 tenantflow \
    && useradd --system --uid 10001 --gid tenantflow --home-dir /app --shell /usr/sbin/nologin tenantflow
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# The project: read-only for the runtime's user.
COPY tenantflow.yaml ./
COPY workflows ./workflows
COPY tenants ./tenants
COPY skills ./skills
COPY fixtures ./fixtures
COPY policies ./policies
# The embedded stores' folder (stores.data_dir) is the only place it writes.
RUN mkdir -p /app/.tenantflow && chown tenantflow:tenantflow /app/.tenantflow
USER tenantflow:tenantflow
EXPOSE 8080
# The probe asks /ping on the port the runtime serves: 8080, or the last --port added after the image name.
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
    CMD ["python", "-c", "import sys, urllib.request; args = open('/proc/1/cmdline').read().split('\\0'); ports = [a[7:] if a.startswith('--port=') else args[i + 1] for i, a in enumerate(args[:-1]) if a == '--port' or a.startswith('--port=')]; sys.exit(urllib.request.urlopen(f'http://127.0.0.1:{ports[-1] if ports else 8080}/ping', timeout=2).status != 200)"]
# Add --tenant <id> for a silo runtime, --redis <url> (or TENANTFLOW_REDIS_URL) to share limits between replicas.
ENTRYPOINT ["tenantflow", "serve", "--host", "0.0.0.0", "--port", "8080", "--watch-interval", "0"]
