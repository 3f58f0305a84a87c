"""Running one packaged TFLite model with ai-edge-litert (LiteRT's own interpreter).

The interpreter is imported when a model is loaded, not when ``ictal`` starts (it costs
~0.15 s). A model is loaded from its verified path (:func:`~ictal.landmarks.files.model_path`)
and its tensors are checked against the registry before the first frame.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ictal.errors import CheckpointError, ShapeError
from ictal.landmarks.files import MEDIAPIPE_0_10_21, ModelFile, WheelSource, model_path


class TfliteModel:
    """One model file on the CPU: ``model(x)`` -> the output tensors in the model's order.

    Args:
        name: the model's name in the registry (``pose_detection``, ...).
        root: models directory (default ``$ICTAL_MODELS_DIR`` or ``~/.cache/ictal/models``).
        threads: CPU threads of the interpreter.
        source: the registry the name is looked up in.

    Raises:
        CheckpointError: the file is missing, differs from the published one, or its tensors
            do not have the registered shapes.
    """

    def __init__(self, name: str, root: Path | None = None, *, threads: int = 1,
                 source: WheelSource = MEDIAPIPE_0_10_21) -> None:
        from ai_edge_litert.interpreter import Interpreter  # heavy; only when a model loads

        self.spec: ModelFile = source.get(name)
        self.path = model_path(name, root, source=source)
        self.threads = threads
        try:
            self._interpreter: Any = Interpreter(model_path=str(self.path), num_threads=threads)
            self._interpreter.allocate_tensors()
        except (RuntimeError, ValueError) as err:
            raise CheckpointError(f"{self.path}: LiteRT cannot load it ({err})",
                                  hint="reinstall with `ictal landmarks install`") from err
        (inp,) = self._interpreter.get_input_details()
        size = self.spec.input_size
        if tuple(inp["shape"]) != (1, size, size, 3):
            raise CheckpointError(f"{self.path}: input {tuple(inp['shape'])}, expected "
                                  f"(1, {size}, {size}, 3)")
        self._input = int(inp["index"])
        outs = self._interpreter.get_output_details()
        shapes = tuple(tuple(int(v) for v in d["shape"]) for d in outs)
        if shapes != self.spec.outputs:
            raise CheckpointError(f"{self.path}: outputs {shapes}, expected {self.spec.outputs}")
        self._outputs = [int(d["index"]) for d in outs]

    @property
    def input_size(self) -> int:
        """Side of the square input in pixels."""
        return self.spec.input_size

    def __call__(self, x: np.ndarray) -> list[np.ndarray]:
        """Run on ``x`` ``(S, S, 3)`` float32 (already scaled to the model's value range).

        Returns:
            Copies of the output tensors, shapes as in :attr:`ModelFile.outputs`.
        """
        size = self.spec.input_size
        if x.shape != (size, size, 3):
            raise ShapeError(f"{self.spec.name} takes ({size}, {size}, 3), got {x.shape}")
        self._interpreter.set_tensor(self._input, np.ascontiguousarray(x[None], np.float32))
        self._interpreter.invoke()
        return [self._interpreter.get_tensor(i).copy() for i in self._outputs]
