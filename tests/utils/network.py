"""A device's connection that a test can watch and break."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import httpx


@dataclass
class Wire(httpx.HTTPTransport):
    """The device's connection, recording what leaves it; it can be cut, and it can lose answers after
    the service acted on a request."""

    rng: random.Random = field(default_factory=lambda: random.Random(25))
    down: bool = False
    lose_answers: float = 0.0
    sent: list[tuple[str, str, bytes]] = field(default_factory=list)  # method, path, body
    lost: int = 0

    def __post_init__(self) -> None:
        super().__init__()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        self.sent.append((request.method, request.url.path, body))
        if self.down:
            raise httpx.ConnectError("network outage")
        response = super().handle_request(request)
        if self.rng.random() < self.lose_answers:
            response.read()
            response.close()
            self.lost += 1
            raise httpx.ReadError("answer lost on the way back")
        return response
