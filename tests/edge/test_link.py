"""The device refuses to send its token (and to trust model answers) over plain HTTP to another machine."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from zerowaste.edge.link import ServiceLink


@pytest.mark.parametrize(
    "url",
    [
        "https://zerowaste.example",
        "https://10.0.0.5:8443",
        "http://127.0.0.1:8000",
        "http://localhost:8000",
        "http://[::1]:8000",
        "http://127.0.0.2",
    ],
)
def test_tls_or_this_machine_is_accepted(url: str) -> None:
    assert ServiceLink(server_url=url).server_url == url


@pytest.mark.parametrize("url", ["http://zerowaste.example", "http://192.168.1.20:8000", "http://[fe80::1]"])
def test_plain_http_to_another_machine_is_refused_with_the_way_out(url: str) -> None:
    with pytest.raises(ValidationError, match="use https:// .* allow_plain_http"):
        ServiceLink(server_url=url)
    assert ServiceLink(server_url=url, allow_plain_http=True).server_url == url


def test_other_schemes_are_refused() -> None:
    with pytest.raises(ValidationError):
        ServiceLink(server_url="ftp://zerowaste.example")
