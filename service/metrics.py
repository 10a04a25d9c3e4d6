"""The service's Prometheus metrics, one registry per app (tests run several apps in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


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
