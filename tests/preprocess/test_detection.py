import numpy as np
import pytest

from ictal.errors import ShapeError
from ictal.preprocess.detection import (
    DepthMaskDetector,
    Detections,
    Detector,
    detection_crop_box,
)


def dets(*rows: tuple[str, float, tuple[float, float, float, float]]) -> Detections:
    return Detections(np.asarray([r[2] for r in rows], np.float32).reshape(-1, 4),
                      np.asarray([r[1] for r in rows], np.float32), tuple(r[0] for r in rows))


def test_best_bed_and_person_are_merged_expanded_and_clipped() -> None:
    found = dets(("person", 0.6, (0, 0, 5, 5)), ("person", 0.9, (20, 10, 30, 30)),
                 ("bed", 0.8, (10, 20, 50, 40)), ("bed", 0.5, (0, 0, 64, 53)),
                 ("chair", 0.99, (0, 0, 64, 53)))
    decision = detection_crop_box(found, 64, 53, margin=0.2)
    assert decision.detection_box == (10, 10, 50, 40)
    # width 40 -> +8 each side, height 30 -> +6 each side, clipped at x1 = 64
    assert decision.crop_box == (2, 4, 58, 46)
    assert decision.found == ("bed", "person") and decision.ok
    wide = detection_crop_box(found, 64, 53, margin=0.3)
    assert wide.crop_box == (0, 1, 62, 49)


def test_one_class_alone_and_nothing_found() -> None:
    only_person = detection_crop_box(dets(("person", 0.9, (20, 10, 30, 30))), 64, 53, margin=0)
    assert only_person.crop_box == (20, 10, 30, 30) and only_person.found == ("person",)
    none = detection_crop_box(Detections.empty(), 64, 53, margin=0.2)
    assert none.crop_box is None and not none.ok
    low = detection_crop_box(dets(("bed", 0.1, (1, 1, 9, 9))), 64, 53, margin=0,
                             min_score=0.5)
    assert not low.ok


def test_depth_mask_detector_finds_the_largest_volume() -> None:
    depth = np.zeros((53, 64), np.uint16)
    depth[10:40, 5:50] = 2000  # bed + patient
    depth[2:6, 55:60] = 1500  # a small object
    detector = DepthMaskDetector()
    assert isinstance(detector, Detector)
    found = detector.detect(np.zeros((53, 64, 3), np.uint8), depth=depth)
    assert found.classes == ("bed",)
    np.testing.assert_array_equal(found.boxes[0], [5, 10, 50, 40])
    assert 0.9 < found.scores[0] <= 1.0
    assert detector.detect(np.zeros((53, 64, 3), np.uint8),
                           depth=np.zeros((53, 64), np.uint16)).classes == ()
    with pytest.raises(ShapeError):
        detector.detect(np.zeros((53, 64, 3), np.uint8))
