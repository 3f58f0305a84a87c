"""Knowledge distillation from the appearance TCN (teacher) into the keypoint AGCN (student).

Seed 004 (§2.3, Fig. 2): "In the training phase, knowledge distillation is applied from a
trained temporal convolutional network (TCN) to regulate the learning of the corresponding
adaptive graph convolutional network (AGCN) ... In the testing phase, only the learned AGCNs
are used for final prediction." The loss is Hinton, Vinyals and Dean's ("Distilling the
Knowledge in a Neural Network", 2015): for every input stream of the student (joint, bone)

    L = (1 - alpha) * L_hard(student, y) + alpha * T^2 * KL(p_teacher^T || p_student^T)

with ``p^T`` the class probabilities of logits divided by the temperature ``T`` (a sigmoid
unit's two classes for binary tasks) and ``L_hard`` the class-weighted loss of the labels.

The teacher is trained inside :meth:`DistilledAGCNClassifier.fit`, on exactly the rows the
student is fitted on - in a cross-validation fold, the training subjects only - with the
same validation rows for its model selection; its soft targets are its probabilities on those
training rows. Prediction runs the student alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import torch
import torch.nn.functional as F

from ictal.features.table import FeatureTable
from ictal.models.agcn import PUBLISHED_CHANNELS, PUBLISHED_STRIDES, AGCNClassifier
from ictal.models.config import KeypointAugment, ModelConfig, TrainConfig
from ictal.models.tcn import TCNClassifier


def distillation_loss(student: torch.Tensor, teacher: torch.Tensor,
                      temperature: float) -> torch.Tensor:
    """Mean ``T^2 KL(p_teacher^T || p_student^T)`` over a batch of logits ``(N, O)`` (a
    sigmoid unit when ``O = 1``, softmax otherwise)."""
    t = temperature
    if student.shape[1] == 1:
        s2 = torch.cat([torch.zeros_like(student), student], 1)
        t2 = torch.cat([torch.zeros_like(teacher), teacher], 1)
    else:
        s2, t2 = student, teacher
    log_q = F.log_softmax(s2 / t, dim=1)
    p = F.softmax(t2 / t, dim=1)
    return F.kl_div(log_q, p, reduction="batchmean") * t * t


class DistilledAGCNClassifier(AGCNClassifier):
    """AGCN_p + KD / AGCN_f + KD of seed 004: an :class:`AGCNClassifier` on ``stream`` trained
    with the soft targets of a :class:`~ictal.models.tcn.TCNClassifier` on ``teacher_stream``.

    ``teacher_`` is the fitted teacher (kept in :meth:`state` for the record; prediction does
    not use it).
    """

    def __init__(self, *, stream: str = "body", teacher_stream: str = "body_app",
                 temperature: float = 4.0, alpha: float = 0.5,
                 teacher_channels: Sequence[int] = (64, 64, 64, 64), teacher_kernel: int = 3,
                 teacher_causal: bool = False, teacher_clip_centre: bool = False,
                 channels: Sequence[int] = PUBLISHED_CHANNELS,
                 strides: Sequence[int] = PUBLISHED_STRIDES, kernel: int = 9,
                 embedding: int = 4, adaptive: bool = True, data_dependent: bool = True,
                 inputs: Sequence[str] = ("joint", "bone"), dropout: float = 0.0,
                 head_init: str = "published", augment: KeypointAugment | None = None,
                 loss: str = "auto", train: TrainConfig | None = None, seed: int = 0,
                 threads: int | None = 1, device: str = "cpu") -> None:
        super().__init__(stream=stream, channels=channels, strides=strides, kernel=kernel,
                         embedding=embedding, adaptive=adaptive,
                         data_dependent=data_dependent, inputs=inputs, dropout=dropout,
                         head_init=head_init, augment=augment, loss=loss, train=train, seed=seed,
                         threads=threads, device=device)
        self.teacher_stream = teacher_stream
        self.temperature = temperature
        self.alpha = alpha
        self.teacher_channels = tuple(teacher_channels)
        self.teacher_kernel = teacher_kernel
        self.teacher_causal = teacher_causal
        self.teacher_clip_centre = teacher_clip_centre

    @classmethod
    def from_config(cls, config: ModelConfig, *, seed: int = 0, threads: int | None = 1,
                    device: str = "cpu") -> Self:
        return cls(stream=config.stream, teacher_stream=config.teacher_stream,
                   temperature=config.kd_temperature, alpha=config.kd_alpha,
                   teacher_channels=config.tcn_channels, teacher_kernel=config.tcn_kernel,
                   teacher_causal=config.tcn_causal,
                   teacher_clip_centre=config.tcn_clip_centre, channels=config.agcn_channels,
                   strides=config.agcn_strides, kernel=config.temporal_kernel,
                   embedding=config.agcn_embedding, adaptive=config.agcn_adaptive,
                   data_dependent=config.agcn_data_dependent, inputs=config.agcn_inputs,
                   dropout=config.dropout, head_init=config.agcn_head_init,
                   augment=config.agcn_augment, loss=config.loss,
                   train=config.train, seed=seed, threads=threads, device=device)

    def _teacher(self) -> TCNClassifier:
        return TCNClassifier(stream=self.teacher_stream, channels=self.teacher_channels,
                             kernel=self.teacher_kernel, causal=self.teacher_causal,
                             clip_centre=self.teacher_clip_centre, dropout=0.2,
                             loss=self.loss, train=self.train, seed=self.seed + 1,
                             threads=self.threads, device=self.device)

    def _before_fit(self, table: FeatureTable, validation: FeatureTable | None,
                    classes: Sequence[str] | np.ndarray | None) -> None:
        """Train the teacher on the student's training rows and keep its soft targets."""
        self.teacher_ = teacher = self._teacher().fit(table, classes=classes,
                                                      validation=validation)
        X = teacher._scaled(table.features.astype(np.float32), table.mask)
        self.teacher_logits_ = teacher._eval_logits(X, table.mask)

    def _batch_loss(self, output: torch.Tensor, y: torch.Tensor, weights: torch.Tensor,
                    index: torch.Tensor) -> torch.Tensor:
        """Over the student's input streams (joint, bone): ``(1 - alpha)`` times their hard
        losses (:meth:`AGCNClassifier._batch_loss`) plus ``alpha`` times their distillation
        losses against the teacher's logits of the batch's rows."""
        soft = self.teacher_logits_[index.to(self.teacher_logits_.device)]
        hard = super()._batch_loss(output, y, weights, index)
        kd = sum((distillation_loss(out, soft, self.temperature) for out in output),
                 torch.zeros((), device=output.device))
        return (1 - self.alpha) * hard + self.alpha * kd

    def state(self) -> dict[str, Any]:
        out = super().state()
        if hasattr(self, "teacher_"):
            out["teacher"] = self.teacher_.state()
        return out
