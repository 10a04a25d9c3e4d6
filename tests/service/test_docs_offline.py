"""/docs works offline: the page loads Swagger UI from the service itself (the fastapi-offline
package), never from a CDN, and every file it names is served (issue 21, item 8).
tests/service/web/test_page_in_chromium.py renders it."""

import re

from fastapi.testclient import TestClient


def test_the_api_page_names_only_files_the_service_serves(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    named = sorted(
        {u for pair in re.findall(r"""(?:src|href)=["']([^"']+)["']|url: ?["']([^"']+)["']""", page.text) for u in pair}
        - {""}
    )
    assert named, page.text
    assert not [u for u in named if "://" in u or u.startswith("//")], named  # nothing from another host
    assert "/openapi.json" in named or "/openapi.json" in page.text
    for url in named:
        assert client.get(url).status_code == 200, url
    assert client.get("/redoc").status_code == 404  # ReDoc fetches its logo from a CDN: not offered
