from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.conftest import photos
from tests.utils.pilot import bearer, staff_headers_for
from zerowaste.service.config import Settings
from zerowaste.service.keys import create_key
from zerowaste.service.main import create_app


def test_request_id_is_echoed_or_made(client: TestClient) -> None:
    assert client.get("/v1/health", headers={"X-Request-ID": "abc123"}).headers["x-request-id"] == "abc123"
    assert len(client.get("/v1/health").headers["x-request-id"]) == 32


@pytest.mark.parametrize("path", ["/", "/staff", "/household", "/docs", "/v1/health", "/v1/no-such-route"])
def test_every_answer_carries_the_security_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp and "object-src 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"


def test_prometheus_metrics_count_requests_and_classifications(client: TestClient) -> None:
    f = photos("garbage12", "battery", n=1)[0]
    client.post("/v1/classify", files={"file": (f.name, f.read_bytes(), "image/jpeg")})
    with client.app.state.sessionmaker() as session:
        scraper = bearer(create_key(session, "prometheus", "metrics"))
        household = bearer(create_key(session, "a-home", "household"))
    assert client.get("/metrics").status_code == 401  # counts per route and label are not for everyone
    assert client.get("/metrics", headers=household).status_code == 403
    assert client.get("/metrics", headers=staff_headers_for(client)).status_code == 200
    text = client.get("/metrics", headers=scraper).text
    assert 'zerowaste_http_requests_total{method="POST",route="/v1/classify",status="200"}' in text
    assert 'zerowaste_classifications_total{decided="true",label="battery"}' in text
    assert "zerowaste_http_request_seconds_bucket" in text


def test_rate_limit_per_client(tmp_path: Path) -> None:
    settings = Settings(
        environment="test", database_url=f"sqlite:///{tmp_path / 'rl.db'}", data_dir=tmp_path, rate_limit="3/minute"
    )
    with TestClient(create_app(settings)) as c:
        codes = [c.get("/v1/search", params={"q": "dose"}).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        assert c.get("/v1/health").status_code == 200  # probes are never limited
        assert "rate limit" in c.get("/v1/search", params={"q": "dose"}).json()["detail"]


def test_heic_from_an_iphone_is_accepted(client: TestClient) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    image = Image.open(photos("garbage12", "battery", n=1)[0]).convert("RGB")
    heif = pillow_heif.from_pillow(image)
    buf = io.BytesIO()
    heif.save(buf, quality=90)
    r = client.post("/v1/classify", files={"file": ("IMG_0001.HEIC", buf.getvalue(), "image/heic")})
    assert r.status_code == 200, r.text
    assert r.json()["top"][0]["label"] == "battery"


def test_metrics_label_requests_by_route_template_not_by_path(client: TestClient) -> None:
    """A parameter's value never becomes a label (one series per route, whatever ids are asked for),
    and a value that spells a prefix of the path does not confuse the template."""
    for receipt in ("feedback", "v1", "no-such-receipt"):
        client.delete(f"/v1/feedback/photo/{receipt}")
    text = client.get("/metrics", headers=staff_headers_for(client)).text
    lines = [
        line
        for line in text.splitlines()
        if line.startswith('zerowaste_http_requests_total{method="DELETE"') and "photo" in line
    ]
    assert lines and all('route="/v1/feedback/photo/{receipt}"' in line for line in lines), lines
    assert sum(float(line.rsplit(" ", 1)[1]) for line in lines) >= 3  # the client is shared with other tests
