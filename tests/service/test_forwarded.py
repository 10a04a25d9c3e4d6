"""X-Forwarded-For is believed only from configured proxies (issue 21, low): a client on the service's
own machine forged it past the rate limit and into the logs. `zerowaste serve` as the README runs it,
with three requests a minute per client."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.utils.server import Server


def five_searches(srv: Server) -> list[int]:
    return [
        httpx.get(
            f"{srv.base}/v1/search", params={"q": "dose"}, headers={"X-Forwarded-For": f"203.0.113.{i}"}
        ).status_code
        for i in range(5)
    ]


@pytest.mark.parametrize(("trusted", "expected"), [("", [200, 200, 200, 429, 429]), ("127.0.0.1", [200] * 5)])
def test_a_forged_forwarded_for_does_not_make_a_new_client(tmp_path: Path, trusted: str, expected: list[int]) -> None:
    srv = Server(
        f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, cli=True, rate_limit="3/minute", trusted_proxies=trusted
    )
    srv.env["ZEROWASTE_RATE_LIMIT"] = "3/minute"  # Server's own default would allow a million
    srv.start()
    try:
        # Untrusted: one client (the peer) whatever the header says. Behind a trusted proxy: five clients.
        assert five_searches(srv) == expected
    finally:
        srv.stop()
