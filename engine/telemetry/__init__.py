"""OpenTelemetry tracing and structured JSON logs, tagged with the tenant."""
