"""Giving freed memory back to the operating system during long streaming runs.

glibc's ``malloc`` serves a large block with its own ``mmap`` (returned to the system when
freed) only while the block is above its *mmap threshold*, and it raises that threshold to the
size of the largest such block freed, up to 32 MB. After the first few 1080p frames (6 MB) and
backbone temporaries (25 MB), these blocks come from the heap arenas of the decoder thread,
torch's threads and the main thread; freed, they stay resident and fragment, and a process
streaming 10 minutes of 1080p grew from 800 MB to 1,050 MB peak RSS (flat at 450 MB between
batches with :func:`release_freed_memory` after each backbone batch, measured with
``benchmarks/bench_clinic_video.py``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or ``None`` where the C library has none (macOS, musl)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def release_freed_memory() -> bool:
    """Return the free pages of the C heap to the operating system (``malloc_trim(0)``, about
    20 ms); ``False`` where that is not possible. Values computed are never affected."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
