"""Knowledge distillation from the appearance TCN into the keypoint AGCN (seed 004)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from tests.models.semiology_data import semiology_table

from ictal.models.agcn import AGCNClassifier
from ictal.models.config import TrainConfig
from ictal.models.distill import DistilledAGCNClassifier, distillation_loss

TRAIN = TrainConfig(epochs=4, batch_size=8, lr=3e-3)
SMALL = {"channels": (8, 8), "strides": (1, 2), "loss": "bce", "train": TRAIN, "seed": 0}


def test_distillation_loss_is_zero_for_the_teachers_own_logits_and_grows_apart() -> None:
    t = torch.tensor([[2.0], [-1.0], [0.5]])
    assert float(distillation_loss(t, t, 4.0)) < 1e-6
    assert float(distillation_loss(-t, t, 4.0)) > 0.01
    # softmax logits: T^2 KL(softmax(t/T) || softmax(s/T)), batch mean
    s, tt = torch.randn(5, 3), torch.randn(5, 3)
    p = F.softmax(tt / 2, 1)
    kl = (p * (p.log() - F.log_softmax(s / 2, 1))).sum(1).mean() * 4
    assert torch.allclose(distillation_loss(s, tt, 2.0), kl, atol=1e-6)


def test_alpha_zero_is_the_plain_agcn() -> None:
    table = semiology_table(patients=4, seizures=2, labels=("none", "sign"))
    plain = AGCNClassifier(stream="body", **SMALL).fit(table)
    kd = DistilledAGCNClassifier(stream="body", teacher_stream="body_app", alpha=0.0,
                                 teacher_channels=(4,), **SMALL).fit(table)
    assert np.allclose(plain.predict_proba(table), kd.predict_proba(table), atol=1e-6)


def test_teacher_learns_from_the_students_training_rows_only_and_is_not_used_to_predict(
) -> None:
    table = semiology_table(patients=6, seizures=2, labels=("none", "sign"))
    train = table.subset(np.flatnonzero(table.patient != "P05"))
    test = table.subset(np.flatnonzero(table.patient == "P05"))
    kd = DistilledAGCNClassifier(stream="body", teacher_stream="body_app", alpha=0.7,
                                 teacher_channels=(4,), **SMALL).fit(train)
    assert kd.teacher_logits_.shape == (len(train), 1)  # soft targets of training rows only
    assert len(kd.teacher_.history_.train_loss) == TRAIN.epochs
    before = kd.predict_proba(test)
    test.features[..., 33 + 69:] = 1e3  # appearance columns: the student never reads them
    assert np.array_equal(kd.predict_proba(test), before)
    assert "teacher" in kd.state()
    plain = AGCNClassifier(stream="body", **SMALL).fit(train)
    assert not np.allclose(plain.predict_proba(test), before)  # the teacher changed training
