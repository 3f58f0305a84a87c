from __future__ import annotations

import torch
from torch import nn

from ictal.models.config import TrainConfig
from ictal.models.loop import train_loop


def test_keeps_the_best_validation_epoch_and_stops_with_patience() -> None:
    torch.manual_seed(0)
    module = nn.Linear(1, 1)
    scores = iter([0.1, 0.5, 0.3, 0.2, 0.1, 0.0, 0.9])
    states = []

    def step_loss(index: torch.Tensor) -> torch.Tensor:
        return (module(torch.ones(len(index), 1)) - 5).pow(2).mean()

    def validate() -> tuple[float, float]:
        states.append(module.weight.detach().clone())
        return 0.0, next(scores)

    cfg = TrainConfig(epochs=7, batch_size=4, patience=3, select_on="f1")
    h = train_loop(module, cfg, n_train=8, step_loss=step_loss, validate=validate,
                   generator=torch.Generator().manual_seed(0))
    assert h.best_epoch == 1 and h.stopped_early and len(h.val_f1) == 5
    assert torch.equal(module.weight.detach(), states[1])


def test_select_on_loss_keeps_the_lowest_loss() -> None:
    module = nn.Linear(1, 1)
    losses = iter([3.0, 1.0, 2.0])
    h = train_loop(module, TrainConfig(epochs=3, batch_size=2, select_on="loss"), n_train=4,
                   step_loss=lambda i: module(torch.ones(len(i), 1)).pow(2).mean(),
                   validate=lambda: (next(losses), 0.0), generator=torch.Generator())
    assert h.best_epoch == 1
