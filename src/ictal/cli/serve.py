"""``ictal serve``: run the web platform; ``ictal server create-user``: add a user."""

from __future__ import annotations

from pathlib import Path

import typer

from ictal.cli.options import out_folder

DEFAULT_DATA_DIR = Path("ictal-data")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    group = typer.Typer(help="Administration of the web platform's database.",
                        no_args_is_help=True)
    group.command("create-user")(create_user)
    app.add_typer(group, name="server")


def _settings(data_dir: Path, database_url: str | None, storage_root: Path | None,
              **extra: object):  # -> ServerSettings
    from pydantic import ValidationError

    from ictal.errors import ConfigError
    from ictal.server.config import ServerSettings

    try:
        return ServerSettings(data_dir=data_dir, database_url=database_url,
                              storage_root=storage_root, **extra)  # type: ignore[arg-type]
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        raise ConfigError(f"invalid server settings: {problems}") from err


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (keep 127.0.0.1 behind a "
                             "reverse proxy / VPN)."),
    port: int = typer.Option(8000, help="TCP port."),
    data_dir: Path = out_folder(DEFAULT_DATA_DIR, "--data-dir",
                                help="Holds the SQLite database, previews, storage."),
    database_url: str | None = typer.Option(
        None, "--database-url", envvar="ICTAL_DATABASE_URL",
        help="PostgreSQL: postgresql+psycopg://user:password@host:5432/ictal (default: SQLite "
             "in --data-dir)."),
    storage_root: Path | None = typer.Option(
        None, "--storage-root", help="Folder of raw recordings (default: DATA_DIR/storage; "
        "with --seed-demo: the manifest's folder)."),
    seed_demo: Path | None = typer.Option(
        None, "--seed-demo", help="Register the recordings, events and MOIs of this (phantom) "
        "manifest for a quick look."),
    cookie_secure: bool = typer.Option(False, "--cookie-secure/--no-cookie-secure",
                                       help="Mark cookies Secure (when served over HTTPS)."),
    max_upload_mb: int = typer.Option(20 * 1024, help="Upload size limit in MiB."),
    workers: int = typer.Option(1, "--transcode-workers", help="Parallel preview transcodes."),
    access_log: bool = typer.Option(
        False, "--access-log/--no-access-log",
        help="Log one line per request (off by default: it costs throughput; the audit log "
             "records every change anyway)."),
) -> None:
    """Start the clinician platform (FastAPI + uvicorn); migrates the database first.

    uvicorn uses uvloop and httptools when they are installed (``pip install uvloop
    httptools``): a request of the annotation API then costs 10-40 % less CPU.
    """
    import uvicorn

    from ictal.server.app import create_app
    from ictal.server.bootstrap import FIRST_ADMIN, ensure_first_admin
    from ictal.server.bootstrap import seed_demo as do_seed
    from ictal.server.db import Database
    from ictal.server.migrate import upgrade_head

    if seed_demo is not None and storage_root is None:
        storage_root = seed_demo.resolve().parent
    settings = _settings(data_dir, database_url, storage_root, cookie_secure=cookie_secure,
                         max_upload_bytes=max_upload_mb * 1024**2, transcode_workers=workers)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_head(settings.db_url)
    database = Database.from_url(settings.db_url)
    try:
        password = ensure_first_admin(database, settings.make_hasher())
        if password is not None:
            typer.secho(
                f"Created the first admin. Log in as '{FIRST_ADMIN}' with password:\n\n"
                f"    {password}\n\nIt is shown only this once (stored as an argon2 hash); change "
                "it after logging in.", fg=typer.colors.YELLOW)
        if seed_demo is not None:
            ids = do_seed(database, settings, seed_demo)
            typer.echo(f"demo: registered {len(ids)} recording(s) from {seed_demo}")
    finally:
        database.dispose()
    app = create_app(settings.model_copy(update={"migrate_on_start": False}))
    typer.echo(f"ictal server on http://{host}:{port}/ (database: "
               f"{settings.db_url.split('://')[0]}, storage: {settings.storage}, "
               f"{server_stack()})")
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False,
                access_log=access_log)


def server_stack() -> str:
    """Which event loop and HTTP parser uvicorn's ``auto`` settings will pick here."""
    import importlib.util

    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    hint = "" if loop == "uvloop" and http == "httptools" else (
        "; pip install uvloop httptools for more requests per second")
    return f"event loop: {loop}, HTTP parser: {http}{hint}"


def create_user(
    username: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option("clinician", help="clinician, data_scientist or admin."),
    clinic: str = typer.Option("Default clinic", help="Clinic name (created if missing)."),
    data_dir: Path = out_folder(DEFAULT_DATA_DIR, "--data-dir",
                                help="Holds the SQLite database (see `ictal serve`)."),
    database_url: str | None = typer.Option(None, "--database-url", envvar="ICTAL_DATABASE_URL"),
    password: str | None = typer.Option(
        None, "--password", envvar="ICTAL_NEW_PASSWORD",
        help="At least 12 characters; default: a random one, printed once."),
) -> None:
    """Add a user to the platform's database (e.g. when the admin password is lost)."""
    from pydantic import ValidationError

    from ictal.errors import ConfigError
    from ictal.server import schemas
    from ictal.server.db import Database
    from ictal.server.errors import ServerError
    from ictal.server.migrate import upgrade_head
    from ictal.server.repositories import clinics, users
    from ictal.server.security import random_password

    settings = _settings(data_dir, database_url, None)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_head(settings.db_url)
    secret = password or random_password()
    try:
        body = schemas.UserCreate.model_validate(
            {"username": username, "password": secret, "role": role, "clinic_ids": [1]})
    except ValidationError as err:
        raise ConfigError(f"invalid user: {err.errors()[0]['msg']}") from err
    database = Database.from_url(settings.db_url)
    try:
        with database.writes() as db:
            clinic_row = clinics.get_or_create_clinic(db, clinic)
            body = body.model_copy(update={"clinic_ids": [clinic_row.id]})
            try:
                users.create_user(db, None, body, settings.make_hasher().hash(secret),
                                  allowed_clinics=None)
            except ServerError as err:
                raise ConfigError(err.message) from err
            db.commit()
    finally:
        database.dispose()
    typer.echo(f"created {role} '{username}' in clinic '{clinic}'")
    if password is None:
        typer.echo(f"password (shown once): {secret}")
