"""Pure ASGI middleware of the app: security headers on every answer, a size limit on request
bodies."""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


class SecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` (and ``no-store`` on the API) to every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope["path"].startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in SECURITY_HEADERS.items():
                    headers.setdefault(key, value)
                if api:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuses request bodies above ``limit`` bytes with 413 before anything parses them.

    A declared ``Content-Length`` above the limit is answered at once (nothing is read); a
    body without one (chunked) is counted as it arrives and cut off as soon as it passes the
    limit. Paths in ``exempt`` (streamed media uploads, which have a limit of their own) pass
    untouched.
    """

    def __init__(self, app: ASGIApp, *, limit: int, exempt: frozenset[str]) -> None:
        self.app = app
        self.limit = limit
        self.exempt = exempt

    def _too_large(self, size: str) -> str:
        return (f"the request body ({size}) is larger than the server's limit of {self.limit} "
                "bytes")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            response = JSONResponse({"detail": self._too_large(f"{declared} bytes")},
                                    status_code=413)
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    # FastAPI passes an HTTPException raised while it reads the body on to the
                    # app's handler, which answers it
                    raise HTTPException(413, self._too_large(f"over {self.limit} bytes"))
            return message

        await self.app(scope, counted, send)
