import numpy as np
import pytest

from ictal.inputspec import InputSpec
from ictal.preprocess.frames import (
    backbone_frames,
    fit_square,
    gestures_square,
    normalise,
    pad_to_square,
    resized_shape,
    square_frames,
)

I3D = InputSpec(frames=60, size=224)


def test_resized_shape_keeps_aspect() -> None:
    assert resized_shape(424, 512, 224) == (186, 224)
    assert resized_shape(512, 424, 224) == (224, 186)
    assert resized_shape(10, 10, 224) == (224, 224)


def test_kinect_frame_to_i3d_input() -> None:
    frames = np.full((3, 424, 512), 255, np.uint8)
    out, geo = backbone_frames(frames, I3D)
    assert out.shape == (3, 3, 224, 224) and out.dtype == np.float32
    assert geo["resized"] == [186, 224] and geo["pad"] == [19, 0]
    # content rows are +1 (255), padding rows are -1 (0), exactly
    assert np.all(out[:, :, 19:19 + 186] == 1.0)
    assert np.all(out[:, :, :19] == -1.0) and np.all(out[:, :, 19 + 186:] == -1.0)


def test_normalise_ranges() -> None:
    grey = np.array([0.0, 127.5, 255.0], np.float32).reshape(3, 1, 1)
    np.testing.assert_allclose(normalise(grey, I3D)[0, :, 0, 0], [-1, 0, 1])
    spec = InputSpec(frames=8, size=112, value_range=None, mean=(0.5, 0.25, 0.0),
                     std=(0.5, 0.25, 1.0))
    out = normalise(grey, spec)
    np.testing.assert_allclose(out[:, 2, 0, 0], [1.0, 3.0, 1.0])


def test_bilinear_resize_of_a_ramp_is_a_ramp() -> None:
    ramp = np.tile(np.linspace(0, 255, 64, dtype=np.float32), (1, 32, 1))  # (1, 32, 64)
    out, geo = fit_square(ramp, 32)
    content = out[0, geo["pad"][0]:geo["pad"][0] + geo["resized"][0]]
    assert content.shape == (16, 32)
    assert np.all(np.diff(content[0]) > 0)


def test_pad_to_square_centres() -> None:
    out, (top, left) = pad_to_square(np.ones((1, 3, 6), np.float32))
    assert out.shape == (1, 6, 6) and (top, left) == (1, 0)
    assert out[0, :, 0].tolist() == [0, 1, 1, 1, 0, 0]


def test_gestures_geometry() -> None:
    frames = np.full((2, 424, 512), 200, np.uint8)
    out, geo = gestures_square(frames, 112)
    assert out.shape == (2, 112, 112)
    assert geo["dropped_columns"] == 16 and geo["square"] == 288
    assert geo["pad"] == [54, 0]  # 180 rows centred in 288
    assert out[0, 56, 56] == pytest.approx(200, abs=1e-3) and out[0, 0, 56] == 0


def test_rgb_frames_keep_their_channels() -> None:
    frames = np.zeros((2, 20, 40, 3), np.uint8)
    frames[..., 1] = 255
    out, _ = square_frames(frames, 32)
    assert out.shape == (3, 2, 32, 32)
    assert out[1, :, 16, 16].min() == pytest.approx(255) and out[0].max() == 0


def test_resize_in_groups_gives_the_same_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """Frames are resized a few at a time (memory); the grouping changes no value."""
    import ictal.preprocess.frames as frames_module

    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (7, 45, 61), dtype=np.uint8)
    whole = frames_module.resize(frames, 20, 27)
    monkeypatch.setattr(frames_module, "RESIZE_PIXELS", 2 * 45 * 61)  # groups of 2, then 1
    grouped = frames_module.resize(frames, 20, 27)
    assert grouped.shape == (7, 20, 27) and grouped.dtype == np.float32
    assert np.array_equal(grouped, whole)
    assert not np.array_equal(grouped[0], grouped[1])  # each frame its own
