"""Request ids, one JSON log line per request, Prometheus metrics, and per-client rate limits."""

from __future__ import annotations

import json
import logging
import time
import uuid

from fastapi import Depends, FastAPI, Response
from fastapi.responses import JSONResponse
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zerowaste.service.api.security import require_role
from zerowaste.service.metrics import Metrics

log = logging.getLogger("zerowaste.access")
EXEMPT = frozenset({"/v1/health", "/v1/ready", "/metrics"})  # probes and scrapers are not rate limited


def security_headers(img_sources: tuple[str, ...] = ()) -> dict[str, str]:
    """On every answer, pages and API alike. The pages carry their own script and style inline and
    load nothing from another host but the offers map's tiles (`img_sources`, ZEROWASTE_MAP_TILES); a
    photo's preview is a blob: URL, Swagger UI's icons are data: URLs."""
    images = " ".join(("'self'", "blob:", "data:", *img_sources))
    return {
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            f"img-src {images}; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    }


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update(getattr(record, "fields", {}))
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def client_key(scope: Scope) -> str:
    # Behind a configured proxy (ZEROWASTE_TRUSTED_PROXIES) uvicorn has put the forwarded address here;
    # otherwise it is the peer's, whatever X-Forwarded-For says.
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def route_template(scope: Scope) -> str:
    """The matched route's path with its parameters as placeholders (/v1/staff/offers/{key}): bounded
    label values, whatever the path held. The router leaves the route in the scope as it was declared
    (FastAPI: relative to the routers it was included under, "/offers/{key}"); the prefixes are the part
    of the path before what its pattern matched."""
    route = scope.get("route")
    if route is None:
        return "unmatched"
    template = str(getattr(route, "path_format", None) or getattr(route, "path", ""))
    pattern = getattr(route, "path_regex", None)
    path = str(scope["path"])
    if pattern is not None:
        for i, char in enumerate(path):
            if char == "/" and pattern.fullmatch(path[i:]):
                return path[:i] + template
    return template


class Observe:
    """Request id, security headers, rate limit, one log line and the request metrics, for every
    answer. Pure ASGI: Starlette's BaseHTTPMiddleware (`@app.middleware`) costs a task and a stream
    per request, and this runs on every photo."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        rate_limit: str,
        rate_limit_storage: str,
        img_sources: tuple[str, ...] = (),
    ) -> None:
        self.app, self.metrics, self.rate_limit = app, metrics, rate_limit
        self.headers = security_headers(img_sources)
        self.limiter = MovingWindowRateLimiter(storage_from_string(rate_limit_storage))
        self.limit = parse(rate_limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = Headers(scope=scope).get("x-request-id") or uuid.uuid4().hex
        client = client_key(scope)
        scope.setdefault("state", {})["request_id"] = rid
        start = time.perf_counter()
        status = 500  # what the server answers when the app raises before it starts a response

        async def stamped(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = rid
                for name, value in self.headers.items():
                    headers[name] = value
            await send(message)

        try:
            if scope["path"] not in EXEMPT and not self.limiter.hit(self.limit, client):
                self.metrics.rate_limited.inc()
                refused = JSONResponse(
                    {"detail": f"rate limit exceeded: {self.rate_limit} per client"},
                    status_code=429,
                    headers={"Retry-After": "60"},
                )
                await refused(scope, receive, stamped)
            else:
                await self.app(scope, receive, stamped)
        finally:
            elapsed = time.perf_counter() - start
            template = route_template(scope)
            self.metrics.requests.labels(scope["method"], template, str(status)).inc()
            self.metrics.latency.labels(scope["method"], template).observe(elapsed)
            log.info(
                "request",
                extra={
                    "fields": {
                        "request_id": rid,
                        "method": scope["method"],
                        "path": template,
                        "status": status,
                        "ms": round(elapsed * 1000, 1),
                        "client": client,
                    }
                },
            )


def install(app: FastAPI, *, rate_limit: str, rate_limit_storage: str, img_sources: tuple[str, ...] = ()) -> Metrics:
    """Request bodies are bounded by `zerowaste.service.api.body_limit`, inside this middleware."""
    metrics = Metrics()
    app.add_middleware(
        Observe,
        metrics=metrics,
        rate_limit=rate_limit,
        rate_limit_storage=rate_limit_storage,
        img_sources=img_sources,
    )

    # Counts per route and label say how the service is used: a scraper's key (role metrics) or staff's.
    @app.get("/metrics", include_in_schema=False, dependencies=[Depends(require_role("metrics"))])
    def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return metrics
