"""Server configuration: one validated object, passed explicitly to :func:`create_app`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

if TYPE_CHECKING:
    from argon2 import PasswordHasher

#: Upload size limit when none is configured: 20 GiB (the seed's largest samples are ~20 GB).
DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024**3
#: Limit of every other request body (JSON) when none is configured: 16 MiB, room for the
#: ``ictal predict`` output of about 3 days of 2 s windows.
DEFAULT_MAX_JSON_BYTES = 16 * 1024**2


class ServerSettings(BaseModel):
    """Everything the back-end needs; built by ``ictal serve`` (or a test) and never global.

    ``database_url`` defaults to an SQLite file under ``data_dir``; ``storage_root`` (raw
    recordings, uploads land in ``storage_root/uploads``) defaults to ``data_dir/storage``;
    previews are written to ``data_dir/previews``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    data_dir: Path
    database_url: str | None = None
    storage_root: Path | None = None
    static_dir: Path | None = None  # built front-end; default: the package's static/ folder
    max_upload_bytes: Annotated[int, Field(gt=0)] = DEFAULT_MAX_UPLOAD_BYTES
    max_json_bytes: Annotated[int, Field(gt=0)] = DEFAULT_MAX_JSON_BYTES
    cookie_secure: bool = False  # set True behind HTTPS (production)
    session_hours: Annotated[float, Field(gt=0)] = 12.0
    login_max_failures: Annotated[int, Field(ge=1)] = 5
    login_window_s: Annotated[float, Field(gt=0)] = 300.0
    transcode_workers: Annotated[int, Field(ge=1, le=16)] = 1
    preview_crf: Annotated[int, Field(ge=0, le=51)] = 23
    preview_gop: Annotated[int, Field(ge=1, le=600)] = 30
    migrate_on_start: bool = True
    # argon2id cost of password hashes (defaults: RFC 9106 low-memory profile); lower them only
    # for tests
    argon2_time_cost: Annotated[int, Field(ge=1, le=20)] = 3
    argon2_memory_kib: Annotated[int, Field(ge=1024, le=4 * 1024**2)] = 65536

    @field_validator("data_dir", "storage_root", "static_dir")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return None if value is None else Path(value).expanduser().resolve()

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("sqlite://", "sqlite+pysqlite://", "postgresql+psycopg://")):
            raise ValueError(
                f"unsupported database URL {value.split('://')[0]!r}://...: use "
                "'postgresql+psycopg://user:password@host:port/db' (psycopg 3) or 'sqlite:///FILE'"
            )
        return value

    @model_validator(mode="after")
    def _fill_defaults(self) -> ServerSettings:
        if self.database_url is None:
            object.__setattr__(self, "database_url", f"sqlite:///{self.data_dir / 'ictal.db'}")
        if self.storage_root is None:
            object.__setattr__(self, "storage_root", self.data_dir / "storage")
        if self.static_dir is None:
            object.__setattr__(self, "static_dir", Path(__file__).resolve().parent / "static")
        return self

    @property
    def db_url(self) -> str:
        """The database URL (always set after validation)."""
        assert self.database_url is not None  # filled by _fill_defaults
        return self.database_url

    @property
    def storage(self) -> Path:
        """Root of raw recordings; no route serves or registers a file outside it."""
        assert self.storage_root is not None
        return self.storage_root

    @property
    def preview_root(self) -> Path:
        return self.data_dir / "previews"

    @property
    def upload_root(self) -> Path:
        return self.storage / "uploads"

    @property
    def private_roots(self) -> tuple[Path, ...]:
        """The server's folders, which no text sent to a client may show."""
        return (self.storage, self.preview_root, self.data_dir)

    def make_hasher(self) -> PasswordHasher:
        """The password hasher these settings ask for."""
        from ictal.server.security import make_hasher

        return make_hasher(self.argon2_time_cost, self.argon2_memory_kib)

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")
