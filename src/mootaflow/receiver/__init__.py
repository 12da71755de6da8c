"""The Starlette receiver: verifies, persists and acknowledges; never runs business steps."""
