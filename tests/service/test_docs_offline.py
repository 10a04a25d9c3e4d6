"""/docs works offline: the page loads Swagger UI from the service itself, never from a CDN, and every
file it names is served (issue 21, item 8)."""

import re

from fastapi.testclient import TestClient


def test_the_api_page_names_only_files_the_service_serves(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']|url: ?["']([^"']+)["']""", page.text)
    named = sorted({u for pair in urls for u in pair if u})
    assert named, page.text
    assert not [u for u in named if "://" in u or u.startswith("//")], named  # nothing from another host
    assert "/openapi.json" in named
    for url in named:
        r = client.get(url)
        assert r.status_code == 200, url
    js = client.get("/docs-assets/swagger-ui-bundle.js")
    assert "javascript" in js.headers["content-type"] and len(js.content) > 500_000
    assert client.get("/redoc").status_code == 404  # ReDoc would load from a CDN: not offered
