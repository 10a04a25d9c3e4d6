"""Several workers answer without Nagle's delay: the socket `zerowaste serve --workers N` listens on is
one asyncio switches TCP_NODELAY on for (service/server.py). The control shows uvicorn's own socket,
for which asyncio does not."""

from __future__ import annotations

import asyncio
import socket

import pytest
import uvicorn

from zerowaste.service.server import TcpConfig


async def nodelay_of_accepted(listening: socket.socket) -> int:
    accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def connected(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(connected, sock=listening)
    port = listening.getsockname()[1]
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        return await asyncio.wait_for(accepted, 10)
    finally:
        writer.close()
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize(("config", "nodelay"), [(TcpConfig, True), (uvicorn.Config, False)])
def test_the_workers_socket_gets_tcp_nodelay(config: type[uvicorn.Config], nodelay: bool) -> None:
    sock = config("zerowaste.service.main:create_app", factory=True, host="127.0.0.1", port=0, workers=2).bind_socket()
    assert bool(asyncio.run(nodelay_of_accepted(sock))) is nodelay
