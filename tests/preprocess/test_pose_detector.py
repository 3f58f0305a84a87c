import importlib.util

import numpy as np
import pytest

from ictal.errors import ConfigError
from ictal.preprocess.pose_detector import MediapipePoseDetector, landmarks_box

HAS_MEDIAPIPE = importlib.util.find_spec("mediapipe") is not None


def test_landmarks_box_uses_visible_landmarks_only() -> None:
    xy = np.array([[0.25, 0.5], [0.75, 0.25], [0.9, 0.9]])
    box, score = landmarks_box(xy, np.array([0.9, 0.8, 0.1]), 64, 53)
    np.testing.assert_allclose(box, [16, 13.25, 48, 26.5])
    assert score == pytest.approx(0.85)
    assert landmarks_box(xy, np.zeros(3), 64, 53) is None


@pytest.mark.skipif(HAS_MEDIAPIPE, reason="mediapipe is installed")
def test_clear_error_without_mediapipe() -> None:
    with pytest.raises(ConfigError, match="mediapipe"):
        MediapipePoseDetector()


@pytest.mark.skipif(not HAS_MEDIAPIPE, reason="mediapipe is not installed (optional)")
def test_mediapipe_runs_on_a_blank_frame() -> None:
    found = MediapipePoseDetector().detect(np.zeros((120, 160, 3), np.uint8))
    assert found.classes in ((), ("person",))
