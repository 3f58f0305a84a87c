"""The model-randomisation sanity check of saliency maps (Adebayo et al., NeurIPS 2018).

A map that explains the model must change when the model's learned weights are replaced by
random ones; a map that stays the same shows the input (edges, motion) and not the model.
:func:`randomisation_check` compares the map of the trained chain with the maps after
re-initialising (1) the classifier's weights and, when the backbone has weights, (2) the
backbone's too (cascading, top to bottom), by Spearman rank correlation over every
``(t, y, x)`` value. The check passes when every correlation is below ``threshold``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.stats import spearmanr

from ictal.explain.attribute import WindowMap
from ictal.explain.chain import ClassifierHead, ClipChain

#: Maps of the trained and the randomised model correlating below this count as changed.
THRESHOLD = 0.5

Explainer = Callable[[ClipChain], WindowMap]


@dataclass(frozen=True)
class RandomisationResult:
    """Spearman correlations between the trained map and each randomised model's map.

    Attributes:
        spearman: ``{"classifier": rho, "classifier+backbone": rho}`` (the second only for a
            backbone with weights).
        threshold: the correlation below which a map counts as changed.
        passed: every map changed.
        target: the class column explained.
    """

    spearman: dict[str, float] = field(default_factory=dict)
    threshold: float = THRESHOLD
    passed: bool = False
    target: int = 0

    def to_dict(self) -> dict[str, object]:
        return {"spearman": self.spearman, "threshold": self.threshold, "passed": self.passed,
                "target": self.target}


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho of two maps' values; two constant maps correlate 1 (nothing changed),
    one constant map against a varying one 0."""
    x, y = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    flat_x, flat_y = bool(np.ptp(x) == 0), bool(np.ptp(y) == 0)
    if flat_x or flat_y:
        return 1.0 if flat_x and flat_y and np.allclose(x, y) else 0.0
    return float(spearmanr(x, y).statistic)


def _randomise(module: torch.nn.Module, generator: torch.Generator) -> None:
    """Replace every parameter by Gaussian noise of the same standard deviation (a bias or
    a constant tensor: of 0.1), and batch-norm statistics by 0 mean, unit variance."""
    with torch.no_grad():
        for p in module.parameters():
            std = float(p.std()) if p.numel() > 1 else 0.0
            p.copy_(torch.randn(p.shape, generator=generator) * (std if std > 0 else 0.1))
        for buf_name, buf in module.named_buffers():
            if buf_name.endswith("running_mean"):
                buf.zero_()
            elif buf_name.endswith("running_var"):
                buf.fill_(1.0)


def randomised_head(head: ClassifierHead, seed: int = 0) -> ClassifierHead:
    """A copy of ``head`` whose classifier weights are random (its scaling kept)."""
    # a fresh module from the stored state (a deep copy would trip on tensors a backward
    # pass left in the module); the trained estimator is not touched
    estimator = copy.copy(head.estimator).load_state(head.estimator.state())  # type: ignore[attr-defined]
    _randomise(estimator.module_, torch.Generator().manual_seed(seed))  # type: ignore[attr-defined]
    return ClassifierHead(estimator)


def randomisation_check(chain: ClipChain, explain: Explainer, *, seed: int = 0,
                        threshold: float = THRESHOLD) -> RandomisationResult:
    """Explain with ``chain``, then with its classifier randomised, then (when the backbone
    has weights) with its backbone randomised too; compare the maps.

    ``explain(chain) -> WindowMap`` must explain the same clip and target each time (e.g.
    ``lambda c: attribute(c, clip, target, method="occlusion")``).
    """
    trained = explain(chain)
    head = randomised_head(chain.head, seed)
    steps = {"classifier": ClipChain(chain.network, head, timesteps=chain.timesteps,
                                     fps=chain.fps, extra=chain.extra)}
    if any(True for _ in chain.network.parameters()):
        network = copy.deepcopy(chain.network)
        _randomise(network, torch.Generator().manual_seed(seed + 1))
        steps["classifier+backbone"] = ClipChain(network, head, timesteps=chain.timesteps,
                                                 fps=chain.fps, extra=chain.extra)
    rho = {name: rank_correlation(trained.values, explain(c).values)
           for name, c in steps.items()}
    return RandomisationResult(spearman=rho, threshold=threshold,
                               passed=all(r < threshold for r in rho.values()),
                               target=trained.target)
