"""Background transcoding: a thread pool inside the server process (no external broker).

Each job writes its progress (percent) to the recording's row, in short transactions of their
own, so clients poll ``GET /api/recordings/{id}/preview/status``. Jobs left unfinished by a
stopped server are queued again at the next start.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from ictal.errors import IctalError
from ictal.server.config import ServerSettings
from ictal.server.db import Database
from ictal.server.enums import PreviewStatus
from ictal.server.errors import ServerError, hide_paths
from ictal.server.media import TranscodeCancelledError, check_inside, transcode_preview
from ictal.server.repositories import recordings

log = logging.getLogger(__name__)


class TranscodeJobs:
    """Queue of preview jobs, ``settings.transcode_workers`` at a time."""

    def __init__(self, settings: ServerSettings, database: Database) -> None:
        self.settings = settings
        self.database = database
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._futures: dict[int, Future[None]] = {}

    def submit(self, recording_id: int) -> Future[None]:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self.settings.transcode_workers, thread_name_prefix="ictal-preview"
                )
            running = self._futures.get(recording_id)
            if running is not None and not running.done():
                return running
            future = self._executor.submit(self.run, recording_id)
            self._futures[recording_id] = future
            return future

    def resume_unfinished(self) -> int:
        """Queue every recording whose preview is pending or was interrupted; return how many."""
        with self.database.sessions() as db:
            ids = recordings.unfinished_previews(db)
        for rid in ids:
            self.submit(rid)
        return len(ids)

    def shutdown(self) -> None:
        """Stop: running jobs are cancelled at their next frame and redone at the next start."""
        self._cancel.set()
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _set(self, recording_id: int, status: PreviewStatus, progress: float, *,
             preview_path: str | None = None, error: str | None = None) -> None:
        """Write the preview's state in a short transaction of its own; an error text as
        clients may see it (paths relative to the server's folders)."""
        if error is not None:
            error = hide_paths(error, self.settings.private_roots)
        with self.database.writes() as db:
            recordings.set_preview_state(db, recording_id, status=status, progress=progress,
                                         preview_path=preview_path, error=error)
            db.commit()

    def run(self, recording_id: int) -> None:
        """Transcode one recording (called on a worker thread)."""
        with self.database.sessions() as db:
            rec = recordings.get_recording_unscoped(db, recording_id)
            if rec is None:
                return
            source = Path(rec.path)
            n_frames = rec.n_frames
            lo, hi = rec.window_lo, rec.window_hi
            window = (lo, hi) if lo is not None and hi is not None else None
        rel = f"{recording_id // 1000:04d}/{recording_id}.mp4"
        target = self.settings.preview_root / rel
        self._set(recording_id, status=PreviewStatus.RUNNING, progress=0.0)
        try:
            check_inside(self.settings.storage, source)
            transcode_preview(
                source, target, n_frames=n_frames,
                window=window,
                gop=self.settings.preview_gop, crf=self.settings.preview_crf,
                progress=lambda pct: self._set(recording_id, PreviewStatus.RUNNING, pct),
                cancel=self._cancel,
            )
        except TranscodeCancelledError:
            log.info("preview of recording %d interrupted; it resumes at the next start",
                     recording_id)
            return
        except (IctalError, ServerError, OSError, ValueError) as err:
            log.warning("preview of recording %d failed: %s", recording_id, err)
            self._set(recording_id, status=PreviewStatus.FAILED, progress=0.0, error=str(err))
            return
        except Exception as err:  # a job must always leave its row in a final state
            log.exception("preview of recording %d failed unexpectedly", recording_id)
            self._set(recording_id, status=PreviewStatus.FAILED, progress=0.0,
                      error=f"{type(err).__name__}: {err}")
            return
        self._set(recording_id, status=PreviewStatus.DONE, progress=100.0, preview_path=rel)
        log.info("preview of recording %d written to %s", recording_id, target)
