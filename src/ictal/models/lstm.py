"""The LSTM classifier of seeds 000 / 001 and its extended version.

Seed 000, "Implemented classifier architectures" (seed 001 §3.5): masking of the -1
pre-padding, LSTM 128 -> LSTM 64 (last state), batch norm then dropout 0.5, FC 64 -> FC 32
(ReLU, He-uniform), L2 on input and recurrent kernels, activity regularisation on the LSTM
outputs, bias regularisation on the FC layers, recurrent dropout 0.3, one sigmoid unit for 2
classes or softmax for 3. Extended LSTM: 128 / 128 and FC 128 / 64.

Recurrent dropout (Gal & Ghahramani variational dropout, as Keras implements it: one mask on
``h_{t-1}`` per sequence, kept for all timesteps) needs a hand-written cell, which is slower
than PyTorch's fused LSTM. :class:`MaskedLSTM` therefore runs its own vectorised cell only
while training with ``recurrent_dropout > 0`` and the fused ``nn.LSTM`` (packed sequences) at
inference; both use the same weights (``benchmarks/bench_lstm_classifier.py`` measures them).
"""

from __future__ import annotations

from typing import Self

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ictal.models.base import TorchSequenceClassifier, left_align
from ictal.models.config import ModelConfig, TrainConfig


class MaskedLSTM(nn.Module):
    """One LSTM layer over left-aligned sequences that ignores steps past each row's length.

    Input ``x`` ``(N, T, F)`` with the real steps of row ``i`` in ``[0, lengths[i])``;
    returns the output sequence ``(N, T, H)`` (zeros past the length) and the last real state
    ``(N, H)`` (zeros for a row with no real step).
    """

    def __init__(self, input_size: int, hidden_size: int, recurrent_dropout: float = 0.0) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.recurrent_dropout = recurrent_dropout
        self.lstm = nn.LSTM(input_size, hidden_size, batch_first=True)
        self.force_cell = False  # tests and benchmarks compare the two code paths
        self._keras_init()

    def _keras_init(self) -> None:
        """Keras' LSTM defaults: Glorot kernel, orthogonal recurrent kernel, forget bias 1."""
        h = self.hidden_size
        nn.init.xavier_uniform_(self.lstm.weight_ih_l0)
        nn.init.orthogonal_(self.lstm.weight_hh_l0)
        with torch.no_grad():
            self.lstm.bias_ih_l0.zero_()
            self.lstm.bias_hh_l0.zero_()
            self.lstm.bias_ih_l0[h:2 * h] = 1.0

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        use_cell = self.force_cell or (self.training and self.recurrent_dropout > 0)
        if use_cell:
            return self._cell(x, lengths)
        return self._fused(x, lengths)

    def _fused(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        t = x.shape[1]
        packed = pack_padded_sequence(x, lengths.clamp(min=1).cpu(), batch_first=True,
                                      enforce_sorted=False)
        out, (h, _) = self.lstm(packed)
        seq, _ = pad_packed_sequence(out, batch_first=True, total_length=t)
        alive = (lengths > 0).to(x.dtype)
        return seq * alive[:, None, None], h[0] * alive[:, None]

    def _cell(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n, t, _ = x.shape
        hs = self.hidden_size
        w_hh = self.lstm.weight_hh_l0
        xw = torch.nn.functional.linear(x, self.lstm.weight_ih_l0,
                                        self.lstm.bias_ih_l0 + self.lstm.bias_hh_l0)
        h = x.new_zeros(n, hs)
        c = x.new_zeros(n, hs)
        drop = None
        if self.training and self.recurrent_dropout > 0:
            keep = 1.0 - self.recurrent_dropout
            drop = torch.bernoulli(x.new_full((n, hs), keep)) / keep
        outputs = []
        for step in range(t):
            h_in = h * drop if drop is not None else h
            gates = xw[:, step] + h_in @ w_hh.T
            i, f, g, o = gates.chunk(4, dim=1)  # PyTorch's gate order
            c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h_new = torch.sigmoid(o) * torch.tanh(c_new)
            valid = (step < lengths).unsqueeze(1)
            h = torch.where(valid, h_new, h)
            c = torch.where(valid, c_new, c)
            outputs.append(torch.where(valid, h_new, torch.zeros_like(h_new)))
        return torch.stack(outputs, dim=1), h


class LSTMNet(nn.Module):
    """Masking -> LSTM(u1) -> LSTM(u2, last state) -> BN -> dropout -> FC(f1) -> FC(f2) -> out.

    Maps ``x (N, T, F)`` float32 and ``mask (N, T)`` bool to logits ``(N, n_outputs)``; masked
    timesteps do not influence the output. After each training forward, ``penalty()`` gives
    the L2 / activity / bias regularisation term to add to the loss.
    """

    def __init__(self, n_features: int, n_outputs: int, *, lstm_units: tuple[int, int],
                 fc_units: tuple[int, int], dropout: float, recurrent_dropout: float,
                 l2_kernel: float, l2_recurrent: float, l2_activity: float,
                 l2_bias: float) -> None:
        super().__init__()
        self.lstm1 = MaskedLSTM(n_features, lstm_units[0], recurrent_dropout)
        self.lstm2 = MaskedLSTM(lstm_units[0], lstm_units[1], recurrent_dropout)
        self.bn = nn.BatchNorm1d(lstm_units[1])
        self.drop = nn.Dropout(dropout)
        self.fc1 = nn.Linear(lstm_units[1], fc_units[0])
        self.fc2 = nn.Linear(fc_units[0], fc_units[1])
        self.out = nn.Linear(fc_units[1], n_outputs)
        for layer in (self.fc1, self.fc2):  # He uniform = sqrt(6 / fan_in) bound
            nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)
        nn.init.xavier_uniform_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        self.coef = (l2_kernel, l2_recurrent, l2_activity, l2_bias)
        self._activity = torch.zeros(())

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        aligned, lengths = left_align(x, mask)
        seq, _ = self.lstm1(aligned, lengths)
        _, last = self.lstm2(seq, lengths)
        n = max(1, x.shape[0])
        self._activity = (seq.pow(2).sum() + last.pow(2).sum()) / n
        z = self.drop(self.bn(last))
        z = torch.relu(self.fc1(z))
        z = torch.relu(self.fc2(z))
        return self.out(z)

    def penalty(self) -> torch.Tensor:
        """Keras-style regularisation: sum of coefficient x squared weights, plus activity."""
        l2_kernel, l2_recurrent, l2_activity, l2_bias = self.coef
        kernels = sum(m.lstm.weight_ih_l0.pow(2).sum() for m in (self.lstm1, self.lstm2))
        kernels = kernels + self.fc1.weight.pow(2).sum() + self.fc2.weight.pow(2).sum()
        recurrent = sum(m.lstm.weight_hh_l0.pow(2).sum() for m in (self.lstm1, self.lstm2))
        bias = self.fc1.bias.pow(2).sum() + self.fc2.bias.pow(2).sum()
        return (l2_kernel * kernels + l2_recurrent * recurrent + l2_bias * bias
                + l2_activity * self._activity)


class LSTMClassifier(TorchSequenceClassifier):
    """The LSTM-FC classifier of seeds 000 / 001 as a scikit-learn-style estimator.

    ``fit(X (N, T, F) float32, y (N,), mask=(N, T) bool)``; the extended LSTM of seed 000 is
    the same class with ``lstm_units=(128, 128)``, ``fc_units=(128, 64)`` (architecture
    ``lstm-extended`` of :class:`~ictal.models.config.ModelConfig`).
    """

    def __init__(self, *, lstm_units: tuple[int, int] = (128, 64),
                 fc_units: tuple[int, int] = (64, 32), dropout: float = 0.5,
                 recurrent_dropout: float = 0.3, l2_kernel: float = 1e-4,
                 l2_recurrent: float = 1e-4, l2_activity: float = 1e-5, l2_bias: float = 1e-4,
                 loss: str = "auto", train: TrainConfig | None = None, seed: int = 0,
                 threads: int | None = 1, device: str = "cpu", standardize: bool = False) -> None:
        super().__init__(loss=loss, train=train, seed=seed, threads=threads, device=device,
                         standardize=standardize)
        self.lstm_units = lstm_units
        self.fc_units = fc_units
        self.dropout = dropout
        self.recurrent_dropout = recurrent_dropout
        self.l2_kernel = l2_kernel
        self.l2_recurrent = l2_recurrent
        self.l2_activity = l2_activity
        self.l2_bias = l2_bias

    @classmethod
    def from_config(cls, config: ModelConfig, *, seed: int = 0, threads: int | None = 1,
                    device: str = "cpu") -> Self:
        """Architectures ``lstm`` and ``lstm-extended`` (they differ only in their sizes)."""
        return cls(lstm_units=config.lstm_units, fc_units=config.fc_units,
                   dropout=config.dropout, recurrent_dropout=config.recurrent_dropout,
                   l2_kernel=config.l2_kernel, l2_recurrent=config.l2_recurrent,
                   l2_activity=config.l2_activity, l2_bias=config.l2_bias, loss=config.loss,
                   train=config.train, seed=seed, threads=threads, device=device,
                   standardize=config.standardize)

    def _build_module(self, n_features: int, n_outputs: int) -> nn.Module:
        return LSTMNet(n_features, n_outputs, lstm_units=tuple(self.lstm_units),
                       fc_units=tuple(self.fc_units), dropout=self.dropout,
                       recurrent_dropout=self.recurrent_dropout, l2_kernel=self.l2_kernel,
                       l2_recurrent=self.l2_recurrent, l2_activity=self.l2_activity,
                       l2_bias=self.l2_bias)
