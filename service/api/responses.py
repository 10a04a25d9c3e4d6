"""Documented error responses the routers share, typed as FastAPI's `responses=` takes them."""

from typing import Any

Responses = dict[int | str, dict[str, Any]]

# Staff and device routes: the api-key dependency answers these before a handler runs.
AUTH: Responses = {
    401: {"description": "no or unknown api key"},
    403: {"description": "the key's role may not do this"},
}
