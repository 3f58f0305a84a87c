"""The application factory: ``create_app(settings)`` builds everything, nothing is global.

Run it with ``ictal serve`` or ``uvicorn --factory ictal.server.app:create_app`` (the latter
reads :class:`ServerSettings` from ``ICTAL_*`` environment variables, see
:func:`settings_from_env`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ictal import __version__
from ictal.errors import ConfigError
from ictal.server.config import ServerSettings
from ictal.server.db import Database
from ictal.server.deps import AppState
from ictal.server.errors import OutsideRootError, ServerError, StaleVersionError, hide_paths
from ictal.server.jobs import TranscodeJobs
from ictal.server.media import resolve_inside
from ictal.server.middleware import BodyLimit, SecurityHeaders
from ictal.server.migrate import upgrade_head
from ictal.server.routes import admin, auth, mlops, monitor, patients, recordings, team
from ictal.server.routes import annotations as annotation_routes
from ictal.server.routes import explain as explain_routes
from ictal.server.routes import keypoints as keypoint_routes
from ictal.server.schemas import Health
from ictal.server.security import LoginRateLimiter

log = logging.getLogger(__name__)

NOT_BUILT_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>ictal</title></head><body style="font-family: sans-serif; margin: 3em">
<h1>ictal server is running</h1>
<p><strong>front-end not built: run <code>make frontend</code></strong> (it builds
<code>frontend/</code> into <code>src/ictal/server/static/</code>), then reload this page.</p>
<p>The API is up: see <a href="/docs">/docs</a> and <a href="/openapi.json">/openapi.json</a>.</p>
</body></html>"""


def settings_from_env() -> ServerSettings:
    """Settings from ``ICTAL_DATA_DIR`` (required), ``ICTAL_DATABASE_URL``,
    ``ICTAL_STORAGE_ROOT``, ``ICTAL_COOKIE_SECURE`` (for ``uvicorn --factory``)."""
    data_dir = os.environ.get("ICTAL_DATA_DIR")
    if not data_dir:
        raise ConfigError("ICTAL_DATA_DIR is not set",
                          hint="export ICTAL_DATA_DIR=/var/lib/ictal (or use `ictal serve`)")
    return ServerSettings(
        data_dir=Path(data_dir),
        database_url=os.environ.get("ICTAL_DATABASE_URL") or None,
        storage_root=Path(os.environ["ICTAL_STORAGE_ROOT"])
        if os.environ.get("ICTAL_STORAGE_ROOT") else None,
        cookie_secure=os.environ.get("ICTAL_COOKIE_SECURE", "0").lower() in ("1", "true", "yes"),
    )


def _health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health", response_model=Health)
    def health(request: Request) -> Health:
        """Liveness (no login needed)."""
        state: AppState = request.app.state.ictal
        return Health(status="ok", version=__version__, database=state.database.bind.dialect.name)

    return router


def _static_routes(app: FastAPI, static_dir: Path) -> None:
    """The built front-end at ``/``, with SPA fallback to ``index.html``."""

    @app.get("/{full_path:path}", include_in_schema=False)
    def spa(full_path: str) -> Response:
        index = static_dir / "index.html"
        if full_path == "api" or full_path.startswith("api/"):
            return JSONResponse({"detail": "not found"}, status_code=404)
        if not index.is_file():
            return HTMLResponse(NOT_BUILT_PAGE)
        if full_path:
            try:
                target = resolve_inside(static_dir, full_path)
            except OutsideRootError:
                return JSONResponse({"detail": "not found"}, status_code=404)
            if target.is_file():
                return FileResponse(target)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})


def create_app(settings: ServerSettings | None = None, *,
               database: Database | None = None) -> FastAPI:
    """Build the application.

    ``settings`` default: :func:`settings_from_env` (``uvicorn --factory``). ``database``
    replaces the engine built from ``settings.database_url`` (tests pass sessions bound to one
    connection whose transaction they roll back); when it is given no migration is run.
    """
    settings = settings if settings is not None else settings_from_env()
    owns_db = database is None
    if database is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if settings.migrate_on_start:
            upgrade_head(settings.db_url)
        database = Database.from_url(settings.db_url)
    for directory in (settings.storage, settings.preview_root):
        directory.mkdir(parents=True, exist_ok=True)
    hasher = settings.make_hasher()
    state = AppState(
        settings=settings, database=database, hasher=hasher,
        dummy_hash=hasher.hash(secrets.token_urlsafe(16)),
        limiter=LoginRateLimiter(settings.login_max_failures, settings.login_window_s),
        jobs=TranscodeJobs(settings, database),
        write_lock=asyncio.Lock() if owns_db and settings.is_sqlite else None,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        n = state.jobs.resume_unfinished()
        if n:
            log.info("resumed %d unfinished preview(s)", n)
        try:
            yield
        finally:
            state.jobs.shutdown()
            if owns_db:
                database.dispose()

    app = FastAPI(
        title="ictal server", version=__version__, lifespan=lifespan,
        description="Clinician + data-scientist platform (seed 003). See docs/api.md.",
        # operationId = the Python function name: short, stable names in the generated client
        generate_unique_id_function=lambda route: route.name,
    )
    app.state.ictal = state

    def public(text: str) -> str:
        """An error text as a client may see it: no path of the server's folders."""
        return hide_paths(text, settings.private_roots)

    @app.exception_handler(ServerError)
    async def _server_error(_request: Request, exc: ServerError) -> JSONResponse:
        detail: str | dict[str, Any] = public(exc.message)
        if isinstance(exc, StaleVersionError):
            detail = {"message": exc.message, "current": exc.current}
        return JSONResponse({"detail": detail}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # loc / msg / type only: echoing the input could leak it back and breaks on NaN
        detail = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")),
                   "type": str(e.get("type", ""))} for e in exc.errors()]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = public(exc.detail) if isinstance(exc.detail, str) else exc.detail
        return JSONResponse({"detail": detail}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    # outermost last: security headers also on the 413s of the body limit
    app.add_middleware(BodyLimit, limit=settings.max_json_bytes,
                       exempt=frozenset({recordings.UPLOAD_PATH}))
    app.add_middleware(SecurityHeaders)

    # each area mounted directly under /api (not through an intermediate /api router): every
    # level of nesting is one more list of routes FastAPI walks to match each request
    for router in (_health_router(), auth.router, admin.router, patients.router,
                   recordings.router, annotation_routes.router, mlops.router, team.router,
                   monitor.router, keypoint_routes.router, explain_routes.router):
        app.include_router(router, prefix="/api")
    _static_routes(app, settings.static_dir or Path(__file__).resolve().parent / "static")
    return app
