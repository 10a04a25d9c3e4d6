"""Request ids, one JSON log line per request, Prometheus metrics, and per-client rate limits."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from zerowaste.service.security import require_role

log = logging.getLogger("zerowaste.access")

# On every answer, pages and API alike. The pages carry their own script and style inline and load
# nothing from another host; a photo's preview is a blob: URL, Swagger UI's icons are data: URLs.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' blob: data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
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


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "zerowaste_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "zerowaste_http_request_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.classifications = Counter(
            "zerowaste_classifications_total",
            "Classifications by label and decision",
            ["label", "decided"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "zerowaste_rate_limited_total", "Requests refused by the rate limit", registry=self.registry
        )


def client_key(request: Request) -> str:
    # Behind a configured proxy (ZEROWASTE_TRUSTED_PROXIES) uvicorn has put the forwarded address here;
    # otherwise it is the peer's, whatever X-Forwarded-For says.
    return request.client.host if request.client else "unknown"


def route_template(request: Request) -> str:
    """The path with its parameters as placeholders (/v1/staff/offers/{key}): bounded label values."""
    if request.scope.get("route") is None:
        return "unmatched"
    path = request.url.path
    for name, value in request.path_params.items():
        path = path.replace(f"/{value}", f"/{{{name}}}", 1)
    return path


def install(
    app: FastAPI,
    *,
    rate_limit: str,
    rate_limit_storage: str,
) -> Metrics:
    """Request bodies are bounded by `zerowaste.service.body_limit`, inside this middleware."""
    metrics = Metrics()
    limiter = MovingWindowRateLimiter(storage_from_string(rate_limit_storage))
    limit = parse(rate_limit)
    exempt = {"/v1/health", "/v1/ready", "/metrics"}

    @app.middleware("http")
    async def observe(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex
        request.state.request_id = rid
        start = time.perf_counter()
        response: Response
        if request.url.path not in exempt and not limiter.hit(limit, client_key(request)):
            metrics.rate_limited.inc()
            response = JSONResponse(
                {"detail": f"rate limit exceeded: {rate_limit} per client"},
                status_code=429,
                headers={"Retry-After": "60"},
            )
        else:
            response = await call_next(request)
        elapsed = time.perf_counter() - start
        template = route_template(request)
        metrics.requests.labels(request.method, template, str(response.status_code)).inc()
        metrics.latency.labels(request.method, template).observe(elapsed)
        response.headers["X-Request-ID"] = rid
        response.headers.update(SECURITY_HEADERS)
        log.info(
            "request",
            extra={
                "fields": {
                    "request_id": rid,
                    "method": request.method,
                    "path": template,
                    "status": response.status_code,
                    "ms": round(elapsed * 1000, 1),
                    "client": client_key(request),
                }
            },
        )
        return response

    # Counts per route and label say how the service is used: a scraper's key (role metrics) or staff's.
    @app.get("/metrics", include_in_schema=False, dependencies=[Depends(require_role("metrics"))])
    def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return metrics
