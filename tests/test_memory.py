"""Freed C-heap memory goes back to the operating system (glibc) during long runs."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from ictal.memory import release_freed_memory


@pytest.mark.skipif(not sys.platform.startswith("linux")
                    or any(k.startswith("MALLOC_") for k in os.environ),
                    reason="glibc's malloc_trim, with its dynamic mmap threshold")
def test_freed_heap_memory_is_returned() -> None:
    """Frame-sized blocks freed between smaller live ones (what a decoder and a backbone
    leave behind) stay resident until trimmed."""
    import psutil

    proc = psutil.Process()
    big = np.ones(24 << 20, np.uint8)  # mmapped; freeing it raises glibc's threshold to 24 MB
    del big
    pairs = [(np.ones(8 << 20, np.uint8), np.ones(256 << 10, np.uint8)) for _ in range(12)]
    blocks, pins = [a for a, _ in pairs], [b for _, b in pairs]
    del pairs
    held = proc.memory_info().rss
    del blocks  # 96 MB of holes between the pins: not at the heap's top, so kept
    freed = proc.memory_info().rss
    assert release_freed_memory() is True
    trimmed = proc.memory_info().rss
    assert held - freed < 16 << 20  # without the trim, hardly anything goes back
    assert freed - trimmed > 64 << 20, (freed - trimmed) / 2**20
    assert sum(int(p[0]) for p in pins) == 12
