"""One training loop for every network: mini-batches, validation, model selection.

Model selection follows the seeds: keep the weights of the epoch with the best validation
macro F1 (seeds 000/001; ties go to the lower validation loss) or the lowest validation loss
(seed 002); ``patience`` adds real early stopping. Without a validation set the last epoch is kept.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from ictal.models.config import TrainConfig

log = logging.getLogger(__name__)

#: Called after each epoch with (epoch index, epochs in total).
EpochCallback = Callable[[int, int], None]


@dataclass
class History:
    """Per-epoch training loss and validation scores, and the epoch that was kept."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_f1: list[float] = field(default_factory=list)
    best_epoch: int = -1
    stopped_early: bool = False

    def to_dict(self) -> dict[str, object]:
        return {"train_loss": self.train_loss, "val_loss": self.val_loss, "val_f1": self.val_f1,
                "best_epoch": self.best_epoch, "stopped_early": self.stopped_early}


def make_optimizer(params: list[nn.Parameter], cfg: TrainConfig) -> torch.optim.Optimizer:
    """Adam (seeds 000/001), AdamW (seed 002) or SGD with momentum (I3D head of seed 000)."""
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, betas=cfg.betas,
                                 weight_decay=cfg.weight_decay)
    return torch.optim.Adam(params, lr=cfg.lr, betas=cfg.betas)


def train_loop(
    module: nn.Module,
    cfg: TrainConfig,
    *,
    n_train: int,
    step_loss: Callable[[torch.Tensor], torch.Tensor],
    validate: Callable[[], tuple[float, float]] | None,
    generator: torch.Generator,
    on_epoch: EpochCallback | None = None,
) -> History:
    """Optimise ``module`` and leave it holding the selected weights (in eval mode).

    Args:
        n_train: number of training items; batches are random index tensors into them.
        step_loss: loss (with regularisation) of the items at the given ``(B,)`` int64 index,
            computed with the module in training mode.
        validate: returns ``(loss, macro F1)`` on the validation set, module in eval mode.
        generator: seeded generator that orders the batches.
    """
    optimizer = make_optimizer([p for p in module.parameters() if p.requires_grad], cfg)
    history = History()
    best_score: tuple[float, float] = (-float("inf"), -float("inf"))
    best_state = copy.deepcopy(module.state_dict())
    since_best = 0
    seen_f1, seen_loss = -float("inf"), float("inf")
    batch = min(cfg.batch_size, max(1, n_train))
    for epoch in range(cfg.epochs):
        module.train()
        order = torch.randperm(n_train, generator=generator)
        total, seen = 0.0, 0
        for start in range(0, n_train, batch):
            index = order[start:start + batch]
            if len(index) < 2 and n_train >= 2:  # batch norm needs two samples
                continue
            optimizer.zero_grad(set_to_none=True)
            loss = step_loss(index)
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(index)
            seen += len(index)
        history.train_loss.append(total / max(1, seen))
        if validate is not None:
            module.eval()
            with torch.no_grad():
                val_loss, val_f1 = validate()
            history.val_loss.append(val_loss)
            history.val_f1.append(val_f1)
            # best macro F1, ties broken by the lower loss (a flat F1 plateau early in
            # training must not trigger early stopping while the loss still improves)
            f1 = round(val_f1, 9)  # equal F1s computed from different counts may differ in ulp
            score = (f1, -val_loss) if cfg.select_on == "f1" else (-val_loss, f1)
            if score > best_score:
                best_score, history.best_epoch = score, epoch
                best_state = copy.deepcopy(module.state_dict())
            # patience counts epochs without real progress: a higher F1 (when selecting on
            # F1) or a loss lower by more than min_delta
            progressed = val_loss < seen_loss - cfg.min_delta
            if cfg.select_on == "f1":
                progressed = progressed or f1 > seen_f1
            since_best = 0 if progressed else since_best + 1
            seen_f1, seen_loss = max(seen_f1, f1), min(seen_loss, val_loss)
        else:
            history.best_epoch = epoch
        if on_epoch is not None:
            on_epoch(epoch, cfg.epochs)
        if cfg.patience is not None and validate is not None and since_best >= cfg.patience:
            history.stopped_early = True
            log.debug("early stop at epoch %d (best %d)", epoch, history.best_epoch)
            break
    if validate is not None:
        module.load_state_dict(best_state)
    module.eval()
    return history
