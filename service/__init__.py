"""FastAPI service (the `service` extra)."""
