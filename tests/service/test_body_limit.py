"""Bodies are bounded as they stream (issue 21, item 1): a chunked upload without Content-Length is
refused the moment it crosses the route's limit, and a body to a key-only route without credentials
before it is read. A real uvicorn process and a raw socket, so that nothing buffers the body for us:
the client keeps sending 1 MB chunks until the server answers."""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator

import pytest

from tests.utils.server import Server

MB = 1 << 20
MULTIPART_START = (
    b'--zz\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("body-limit")
    srv = Server(f"sqlite:///{data / 'db.sqlite'}", data, max_upload_bytes=str(2 * MB))
    srv.start()
    yield srv
    srv.stop()


def chunked_post(srv: Server, path: str, headers: str, first: bytes, most_mb: int) -> tuple[int, int]:
    """Send chunks until the server answers (or `most_mb` went out); (status, MB sent)."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as s:
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n{headers}\r\n".encode())
        s.sendall(f"{len(first):x}\r\n".encode() + first + b"\r\n")
        sent, chunk = 0, b"x" * MB
        while sent < most_mb and not select.select([s], [], [], 0)[0]:
            try:
                s.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            except OSError:  # the server answered and closed while we were still sending
                break
            sent += 1
        answer = b""
        while b"\r\n" not in answer:
            got = s.recv(4096)
            if not got:
                break
            answer += got
    return int(answer.split(b" ", 2)[1]), sent


def test_a_chunked_photo_is_cut_off_at_the_limit(server: Server) -> None:
    status, sent = chunked_post(
        server, "/v1/classify", "Content-Type: multipart/form-data; boundary=zz\r\n", MULTIPART_START, 800
    )
    # 2 MB limit; what the kernel's socket buffers held on top is all the client got out of 800 MB.
    assert status == 413 and sent < 64, sent


def test_a_keyless_body_to_a_device_route_is_refused_before_it_is_read(server: Server) -> None:
    status, sent = chunked_post(server, "/v1/weighings/batch", "Content-Type: application/json\r\n", b"{", 300)
    assert status == 401 and sent < 64, sent


def test_a_device_batch_has_its_own_smaller_limit(server: Server) -> None:
    # A wrong key gets as far as the body: it is cut off at the batch limit, far below a photo's.
    headers = "Content-Type: application/json\r\nAuthorization: Bearer zw_wrong\r\n"
    status, sent = chunked_post(server, "/v1/weighings/batch", headers, b'{"events": [', 300)
    assert status == 413 and sent < 64, sent
