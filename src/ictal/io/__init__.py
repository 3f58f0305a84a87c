"""Video I/O: read clinic video and Kinect 16-bit streams, write lossless and preview video.

Frames follow the package conventions (:mod:`ictal`): grey 16-bit ``(H, W)`` ``uint16``, grey
8-bit ``(H, W)`` ``uint8``, colour ``(H, W, 3)`` ``uint8`` RGB; clips stack them on axis 0.
"""

from ictal.io.arrays import NpyReader
from ictal.io.container import ContainerReader
from ictal.io.imageseq import ImageSequenceReader, list_images, write_png_sequence
from ictal.io.montage import split_montage, split_montage_clip
from ictal.io.reader import VideoInfo, VideoReader
from ictal.io.resample import iter_resample_indices, resample_indices
from ictal.io.video import DEFAULT_STILLS_FPS, VIDEO_SUFFIXES, open_video, probe, source_kind
from ictal.io.writers import FFV1_SLICES, Ffv1Writer, H264Writer, write_video

__all__ = [
    "DEFAULT_STILLS_FPS",
    "FFV1_SLICES",
    "VIDEO_SUFFIXES",
    "ContainerReader",
    "Ffv1Writer",
    "H264Writer",
    "ImageSequenceReader",
    "NpyReader",
    "VideoInfo",
    "VideoReader",
    "iter_resample_indices",
    "list_images",
    "open_video",
    "probe",
    "resample_indices",
    "source_kind",
    "split_montage",
    "split_montage_clip",
    "write_png_sequence",
    "write_video",
]
