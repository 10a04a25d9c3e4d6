"""How a device reaches the service: its URL, its token (never in a config file) and timeouts.
Shared by the scale agent's and the model updater's configs."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, model_validator


class ServiceLink(BaseModel):
    model_config = ConfigDict(extra="forbid")

    server_url: str = Field(pattern=r"^https?://", description="the zerowaste service, e.g. https://zerowaste.example")
    token_file: Path | None = Field(default=None, description="file holding the device token")
    request_timeout_s: float = Field(default=20.0, gt=0)
    allow_plain_http: bool = Field(
        default=False, description="accept http:// to a host other than this machine (a lab network only)"
    )

    @model_validator(mode="after")
    def _tls_beyond_this_machine(self) -> ServiceLink:
        # Over plain HTTP the device token travels readable, and whoever sits on the path can replay an
        # older signed model answer (signatures prove where a file came from, not that it is current).
        url = urlsplit(self.server_url)
        if url.scheme == "http" and not self.allow_plain_http and not _loopback(url.hostname or ""):
            raise ValueError(
                f"{self.server_url}: use https:// for a service on another machine "
                "(or set allow_plain_http: true on a closed lab network)"
            )
        return self

    def token(self) -> str:
        token = os.environ.get("ZEROWASTE_EDGE_TOKEN", "")
        if not token and self.token_file is not None:
            token = self.token_file.read_text(encoding="utf-8").strip()
        if not token:
            raise ValueError("no device token: set token_file in the config or ZEROWASTE_EDGE_TOKEN")
        return token

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.server_url,
            timeout=self.request_timeout_s,
            headers={"Authorization": f"Bearer {self.token()}"},
        )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
