import numpy as np
import pytest

from ictal.preprocess.intensity import IrWindow, fit_ir_window, to_uint8


def test_window_from_percentiles_ignores_zeros() -> None:
    frames = np.zeros((2, 10, 10), np.uint16)
    frames[:, :, 5:] = np.linspace(1000, 2000, 50, dtype=np.uint16).reshape(10, 5)
    window = fit_ir_window(frames, low_percentile=0, high_percentile=100)
    assert (window.lo, window.hi) == (1000.0, 2000.0)


def test_to_uint8_maps_window_ends_and_keeps_zero() -> None:
    window = IrWindow(1000.0, 2020.0)
    raw = np.array([[0, 1000, 1510, 2020, 60000]], np.uint16)
    np.testing.assert_array_equal(to_uint8(raw, window), [[0, 0, 128, 255, 255]])


def test_one_window_for_the_whole_recording_keeps_brightness_changes() -> None:
    # a frame twice as bright must stay brighter: per-frame scaling would erase it
    dark = np.full((4, 4), 1200, np.uint16)
    bright = np.full((4, 4), 1800, np.uint16)
    window = fit_ir_window(np.stack([dark, bright]), low_percentile=0, high_percentile=100)
    out = to_uint8(np.stack([dark, bright]), window)
    assert out[0].max() < out[1].min()


def test_degenerate_inputs() -> None:
    assert fit_ir_window(np.zeros((3, 3), np.uint16)) == IrWindow(0.0, 1.0)
    assert fit_ir_window(np.full((3, 3), 7, np.uint16)) == IrWindow(7.0, 8.0)
    with pytest.raises(ValueError):
        IrWindow(5.0, 5.0)
