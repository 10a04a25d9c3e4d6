"""The page tests' service: one SQLite app per test module, served by a real uvicorn thread, and a tile
server of its own for the offers map (the browser in the tests loads nothing from the internet)."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from tests.utils.browser import serving
from zerowaste.service.config import Settings
from zerowaste.service.main import create_app


class TileServer:
    """Serves one grey 256 px PNG for every /{z}/{x}/{y}.png and remembers what was asked."""

    def __init__(self) -> None:
        buf = io.BytesIO()
        Image.new("RGB", (256, 256), (200, 210, 200)).save(buf, "PNG")
        tile, self.asked = buf.getvalue(), []
        asked = self.asked

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                asked.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(tile)))
                self.end_headers()
                self.wfile.write(tile)

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/{{z}}/{{x}}/{{y}}.png"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def tiles() -> Iterator[TileServer]:
    server = TileServer()
    yield server
    server.server.shutdown()


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest, tiles: TileServer) -> Settings:
    tmp = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    return Settings(environment="test", database_url=f"sqlite:///{tmp / 'web.db'}", data_dir=tmp, map_tiles=tiles.url)


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[str]:
    with serving(create_app(settings)) as url:
        yield url
