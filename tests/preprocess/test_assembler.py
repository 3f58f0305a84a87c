"""SampleAssembler: processed frames in, finished samples out, in order, holding little."""

from fractions import Fraction

import numpy as np

from ictal.inputspec import InputSpec
from ictal.manifest import Event
from ictal.preprocess.assembler import ProcessedFrame, SampleAssembler, SampleMaker
from ictal.preprocess.plan import KeyframeCrop, RecordingPlan
from ictal.preprocess.windows import SampleWindow

SPEC = InputSpec(frames=3, size=4, value_range=(0.0, 255.0))  # normalise keeps the values
EVENT = Event(id="E1", recording="R1", t0=0.0, t1=1.0, label="FLE")


def make_plan() -> RecordingPlan:
    return RecordingPlan(
        recording="R1", patient="P1", variant="B", source="ir", streams={}, fps=Fraction(10),
        n_frames=20, width=64, height=53, depth_planes=None, apply_depth_crop=False,
        keyframes=(KeyframeCrop(0, (1, 2, 30, 40), None, None, None, True),
                   KeyframeCrop(10, (5, 6, 50, 45), None, None, None, True)),
        ir_window=None, qc_frames=(0, 19))


def frame(j: int, views: tuple[str | None, ...] = (None,), top: bool = False) -> ProcessedFrame:
    return ProcessedFrame(
        views={v: np.full((4, 4), j + 100 * n, np.float32) for n, v in enumerate(views)},
        geometry={v: {"scale": 0.5 + n} for n, v in enumerate(views)},
        top=np.full((4, 4), 2 * j, np.float32) if top else None)


def maker(index_map: np.ndarray | None = None) -> SampleMaker:
    return SampleMaker(make_plan(), SPEC, Fraction(10),
                       np.arange(20, dtype=np.int64) if index_map is None else index_map,
                       {"variant": "B"}, 3)


def test_samples_come_out_when_complete_and_frames_are_dropped() -> None:
    windows = [SampleWindow(6, 9, None, None), SampleWindow(0, 3, EVENT, "FLE"),
               SampleWindow(2, 5, EVENT, "FLE")]
    asm = SampleAssembler(windows, maker())
    assert [(w.start, w.stop) for w in asm.waiting] == [(0, 3), (2, 5), (6, 9)]
    asm.add({0: frame(0), 1: frame(1)})
    assert list(asm.finished()) == [] and asm.held == (0, 1)
    asm.add({2: frame(2)})
    (first,) = asm.finished()
    assert (first.span.start, first.span.stop, first.span.fps) == (0, 3, Fraction(10))
    assert first.event == "E1" and first.label == "FLE" and first.view is None
    assert first.frames.shape == (3, 3, 4, 4)  # (C, T, H, W), grey repeated to 3 channels
    np.testing.assert_array_equal(first.frames[:, :, 0, 0], [[0, 1, 2]] * 3)
    assert asm.held == (2,)  # frames 0 and 1 are needed by no waiting window
    asm.add({3: frame(3), 4: frame(4)})
    (second,) = asm.finished()
    np.testing.assert_array_equal(second.frames[0, :, 0, 0], [2, 3, 4])
    assert asm.held == ()  # the next window starts at 6
    asm.add({6: frame(6), 7: frame(7), 8: frame(8)})
    (third,) = asm.finished()
    assert third.event is None and third.crop_box == (1, 2, 30, 40) and third.topview is None
    assert asm.waiting == () and asm.held == ()


def test_provenance_crop_box_and_views() -> None:
    index_map = np.arange(0, 40, 2, dtype=np.int64)  # timeline frame j shows source 2 j
    asm = SampleAssembler([SampleWindow(5, 8, None, None)], maker(index_map))
    asm.add({j: frame(j, views=("bed", "face"), top=True) for j in range(5, 8)})
    bed, face = asm.finished()
    assert (bed.view, face.view) == ("bed", "face")
    np.testing.assert_array_equal(face.frames[0, :, 0, 0], [105, 106, 107])
    assert bed.crop_box == (5, 6, 50, 45)  # source frame 10: the second key frame
    assert bed.provenance == {"variant": "B", "source_frames": [10, 15],
                              "geometry": {"scale": 0.5}, "length": 3}
    assert face.provenance["geometry"] == {"scale": 1.5}
    assert bed.topview is not None and bed.topview.shape == (3, 3, 4, 4)
    np.testing.assert_array_equal(bed.topview[0, :, 0, 0], [10, 12, 14])
