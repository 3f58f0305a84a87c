"""Exception types. Every error names the thing that failed and says what to do about it."""

from __future__ import annotations

from pathlib import Path


class IctalError(Exception):
    """Base class of every error ictal raises on purpose.

    ``hint`` tells the user what to do; the CLI prints it under the message.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base}\n  hint: {self.hint}" if self.hint else base


class ConfigError(IctalError):
    """A configuration file or option is invalid."""


class ManifestError(IctalError):
    """A dataset manifest has problems; ``problems`` lists every one of them."""

    def __init__(self, path: Path | str, problems: list[str], *,
                 hint: str | None = None, what: str = "the manifest") -> None:
        self.path = Path(path)
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"{self.path}: {len(self.problems)} problem(s) in {what}:\n{lines}",
            hint=hint or "fix the rows named above; `ictal manifest check PATH` re-checks the file",
        )


class VideoError(IctalError):
    """A video or image-sequence file cannot be read or written."""

    def __init__(self, path: Path | str, cause: str, *, hint: str | None = None) -> None:
        self.path = Path(path)
        self.cause = cause
        super().__init__(f"{self.path}: {cause}", hint=hint)


class UnsupportedVideoError(VideoError):
    """The container, codec or pixel format is not one ictal reads."""


class CorruptVideoError(VideoError):
    """The file is truncated, damaged or not what its extension claims."""


class EmptyVideoError(VideoError):
    """The file decodes to zero frames."""


class CheckpointError(IctalError):
    """A pretrained-weights file is missing, has the wrong hash or the wrong layout."""


class ShapeError(IctalError):
    """An array does not have the layout a function documents."""


class LeakageError(IctalError):
    """A split would put the same patient (or recording) on both sides."""
