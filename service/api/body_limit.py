"""Request bodies are bounded while they stream, not by what the client declares.

`Content-Length` is checked before a byte is read; a chunked body (no length) is counted as it
arrives and refused with 413 the moment it crosses the route's limit, so an 800 MB upload costs the
limit, not 800 MB of disk or memory. A body to a route that only takes keys (staff, devices,
households) is refused with 401 before it is read when the request carries no credentials at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimit:
    def __init__(
        self,
        app: ASGIApp,
        *,
        default: int,
        per_path: Mapping[str, int] | None = None,
        keyed_prefixes: Sequence[str] = (),
    ) -> None:
        self.app = app
        self.default = default
        self.per_path = dict(per_path or {})
        self.keyed_prefixes = tuple(keyed_prefixes)

    def limit_for(self, path: str) -> int:
        return self.per_path.get(path, self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        limit = self.limit_for(scope["path"])
        declared = headers.get(b"content-length")
        chunked = b"chunked" in headers.get(b"transfer-encoding", b"").lower()
        if declared is not None and not declared.isdigit():
            await _answer(scope, receive, send, 400, "invalid Content-Length")
            return
        if declared is not None and int(declared) > limit:
            await _answer(scope, receive, send, 413, f"request body over {limit} bytes")
            return
        has_body = chunked or (declared is not None and int(declared) > 0)
        if has_body and b"authorization" not in headers and scope["path"].startswith(self.keyed_prefixes):
            await _answer(
                scope, receive, send, 401, "credentials required: Authorization: Bearer <api key>", bearer=True
            )
            return

        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised inside the route's body parsing: the app answers it as a 413 and the
                    # rest of the body is never read.
                    raise HTTPException(413, f"request body over {limit} bytes")
            return message

        await self.app(scope, counted, send)


async def _answer(
    scope: Scope, receive: Receive, send: Send, status: int, detail: str, *, bearer: bool = False
) -> None:
    headers = {"WWW-Authenticate": "Bearer"} if bearer else None
    await JSONResponse({"detail": detail}, status_code=status, headers=headers)(scope, receive, send)
