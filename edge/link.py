"""How a device reaches the service: its URL, its token (never in a config file) and timeouts.
Shared by the scale agent's and the model updater's configs."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
from pydantic import BaseModel, ConfigDict, Field


class ServiceLink(BaseModel):
    model_config = ConfigDict(extra="forbid")

    server_url: str = Field(pattern=r"^https?://", description="the zerowaste service, e.g. https://zerowaste.example")
    token_file: Path | None = Field(default=None, description="file holding the device token")
    request_timeout_s: float = Field(default=20.0, gt=0)

    def token(self) -> str:
        token = os.environ.get("ZEROWASTE_EDGE_TOKEN", "")
        if not token and self.token_file is not None:
            token = self.token_file.read_text(encoding="utf-8").strip()
        if not token:
            raise ValueError("no device token: set token_file in the config or ZEROWASTE_EDGE_TOKEN")
        return token

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.server_url, timeout=self.request_timeout_s,
                            headers={"Authorization": f"Bearer {self.token()}"})
