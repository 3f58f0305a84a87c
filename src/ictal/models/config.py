"""Typed model configuration: an architecture, its hyper-parameters and how it is trained.

A :class:`ModelConfig` names an architecture (:data:`Arch`, one estimator class each in
:mod:`ictal.models.registry`), its hyper-parameters and a :class:`TrainConfig`. The seeds'
named configurations and the reading of YAML files are in :mod:`ictal.models.presets`.
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Arch = Literal["lstm", "lstm-extended", "i3d-head", "gestures-snippet", "gestures-seizure",
               "agcn", "tcn", "agcn-kd"]
Loss = Literal["auto", "mse", "bce", "cce"]
#: Initialisations of the AGCN's last layer (:mod:`ictal.models.agcn`): 2s-AGCN's normal
#: with standard deviation ``sqrt(2 / n_outputs)``, or zeros.
HeadInit = Literal["published", "zero"]


class TrainConfig(BaseModel):
    """How a network is optimised.

    Attributes:
        epochs: passes over the training set (seeds 000/001: 2000; GESTURES snippets: 400).
        batch_size: samples per step (seed 000: 500 for 2 classes, 1000 for 3; GESTURES: 1024
            snippets, 64 seizures).
        lr, betas: Adam / AdamW parameters (seeds: 1e-3, (0.9, 0.999)).
        weight_decay: AdamW decoupled weight decay (GESTURES) - 0 means plain Adam.
        optimizer: ``adam``, ``adamw`` or ``sgd`` (the I3D head, momentum ``momentum``).
        select_on: model selection on the validation set: best macro ``f1`` (seeds 000/001)
            or lowest ``loss`` (seed 002).
        patience: stop after this many epochs without progress (a higher validation F1, or a
            validation loss lower by more than ``min_delta``); ``None`` runs all epochs and
            keeps the best one (what the seeds call early stopping).
        refit: after the epoch is selected on a held-out split, train again from scratch on
            the selection data too (every training patient) for the selected number of
            epochs, and keep that model - the usual refit of a model selected by validation;
            no data is held out of the final model. Ignored when there is no validation set.
        class_scale: multipliers of some classes' balanced weights, by label (``{NE: 3}``:
            a non-seizure window weighs three times its share); the others keep theirs.
        hard_negatives: hard-negative mining (sample-level models; 1 = off): the model is
            trained, the training rows of a ``background`` class it scores at least
            ``hard_negative_bar`` (seizure score: one minus the background probabilities)
            are repeated this many times in all, and the model is trained again from
            scratch on them with the same split and seed -- the windows a monitor would
            have alarmed on (scratching, ...) weigh more, the easy ones less.
        hard_negative_bar: the seizure score that makes a background row hard.
        hard_negative_folds: ``0``: the rows are scored by the trained model itself (it may
            remember them); ``k >= 2``: out of fold, by ``k`` models each trained on the
            other folds' patients for the epochs the model was trained.
        background: the non-seizure labels (the monitor's ``--background``).
    """

    model_config = ConfigDict(extra="forbid")

    epochs: int = Field(2000, ge=1)
    batch_size: int = Field(500, ge=1)
    lr: float = Field(1e-3, gt=0)
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = Field(0.0, ge=0)
    optimizer: Literal["adam", "adamw", "sgd"] = "adam"
    momentum: float = Field(0.9, ge=0, lt=1)
    select_on: Literal["f1", "loss"] = "f1"
    patience: int | None = Field(None, ge=1)
    min_delta: float = Field(1e-3, ge=0)
    refit: bool = False
    class_scale: dict[str, float] = Field(default_factory=dict)
    hard_negatives: int = Field(1, ge=1)
    hard_negative_bar: float = Field(0.5, gt=0, lt=1)
    hard_negative_folds: int = Field(0, ge=0)
    background: tuple[str, ...] = ("NE",)

    @field_validator("class_scale")
    @classmethod
    def _positive_scales(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if not v > 0}
        if bad:
            raise ValueError(f"class_scale multipliers must be positive, got {bad}")
        return value

    @field_validator("hard_negative_folds")
    @classmethod
    def _no_single_fold(cls, value: int) -> int:
        if value == 1:
            raise ValueError("hard_negative_folds is 0 (the model scores its own rows) or at "
                             "least 2 (out of fold)")
        return value


class KeypointAugment(BaseModel):
    """Random transforms of the keypoint clips of the AGCN streams' *training* batches.

    Each training step draws, per clip of the batch, one transform from a generator seeded
    with the estimator's seed (:mod:`ictal.models.augment`); validation, test and prediction
    inputs are never transformed (the network is in eval mode there). The clip's coordinates
    are those of :func:`ictal.features.semiology._normalised_keypoints`: centred on the neck
    (body) or nose bridge (face) and divided by the clip's median shoulder (eye) width, so
    lengths below are fractions of that width. Every field at 0 is the identity (off).

    Attributes:
        coords: ``"2d"``: channels ``(x, y, confidence)`` (the confidence is never moved);
            ``"3d"``: ``(x, y, z)`` camera axes (x right, y down, z away from the camera).
        rotate_deg: in-plane rotation (about the camera's axis, x-y plane), degrees, uniform
            in ``[-rotate_deg, rotate_deg]``.
        yaw_deg: rotation about the image's vertical y axis (x-z plane: another viewing
            azimuth), degrees, uniform in ``[-yaw_deg, yaw_deg]``; ``coords = "3d"`` only.
        scale: isotropic scale factor uniform in ``[1 - scale, 1 + scale]``.
        aniso: a further factor uniform in ``[1 - aniso, 1 + aniso]`` on x alone (camera
            foreshortening of the image's width against its height).
        shift: translation of the whole clip, each spatial axis uniform in
            ``[-shift, shift]`` shoulder (eye) widths.
        jitter: Gaussian noise of every coordinate of every joint and frame, standard
            deviation in shoulder (eye) widths.
        stretch: temporal crop and time-stretch: the clip is resampled (linear interpolation)
            from a window covering a fraction uniform in ``[1 - stretch, 1]`` of its length at
            a random start, so it plays up to ``1 / (1 - stretch)`` times slower; assumes a
            clip without padded (masked) timesteps in its middle, as semiology tables are.

    No left-right mirroring: it would flip the laterality of a dystonic arm.
    """

    model_config = ConfigDict(extra="forbid")

    coords: Literal["2d", "3d"] = "2d"
    rotate_deg: float = Field(0.0, ge=0, le=180)
    yaw_deg: float = Field(0.0, ge=0, le=180)
    scale: float = Field(0.0, ge=0, lt=1)
    aniso: float = Field(0.0, ge=0, lt=1)
    shift: float = Field(0.0, ge=0)
    jitter: float = Field(0.0, ge=0)
    stretch: float = Field(0.0, ge=0, lt=1)

    @model_validator(mode="after")
    def _yaw_needs_depth(self) -> Self:
        if self.yaw_deg > 0 and self.coords != "3d":
            raise ValueError("yaw_deg rotates x into z: it needs coords '3d' (2D clips carry "
                             "a confidence in their third channel)")
        return self

    @property
    def active(self) -> bool:
        """Whether any transform is on."""
        return any(getattr(self, f) > 0 for f in ("rotate_deg", "yaw_deg", "scale", "aniso",
                                                  "shift", "jitter", "stretch"))


class ModelConfig(BaseModel):
    """An architecture with its hyper-parameters and training settings.

    LSTM fields follow seeds 000/001 (LSTM 128 -> 64, FC 64 -> 32, dropout 0.5, recurrent
    dropout 0.3, L2 on kernels / recurrent kernels / FC biases, activity L2 on LSTM outputs).
    The regularisation coefficients are not given in the seeds; ours are small defaults.
    GESTURES fields follow seed 002 (n segments, Beta(gamma, gamma), aggregation).
    """

    model_config = ConfigDict(extra="forbid")

    name: str = "lstm"
    arch: Arch = "lstm"
    lstm_units: tuple[int, int] = (128, 64)
    fc_units: tuple[int, int] = (64, 32)
    dropout: float = Field(0.5, ge=0, lt=1)
    recurrent_dropout: float = Field(0.3, ge=0, lt=1)
    l2_kernel: float = Field(1e-4, ge=0)
    l2_recurrent: float = Field(1e-4, ge=0)
    l2_activity: float = Field(1e-5, ge=0)
    l2_bias: float = Field(1e-4, ge=0)
    loss: Loss = "auto"
    n_segments: int = Field(16, ge=1)  # seed 002 tried 2, 4, 8, 16; its n_min is 15
    gamma: float = Field(2.0, gt=0)
    aggregation: Literal["mean", "lstm", "blstm"] = "blstm"
    aggregation_units: int = Field(64, ge=1)
    positive_label: str | None = None
    standardize: bool = False  # LSTM: z-score features with training-row statistics
    # seed 004 (ictal.models.agcn / tcn / distill): the stream of a semiology table a model
    # reads (body, face: keypoints; body_app, face_app: appearance) and its teacher's
    stream: str = "body"
    teacher_stream: str = "body_app"
    agcn_channels: tuple[int, ...] = (64, 64, 64, 64, 128, 128, 128, 256, 256, 256)
    agcn_strides: tuple[int, ...] = (1, 1, 1, 1, 2, 1, 1, 2, 1, 1)
    agcn_embedding: int = Field(4, ge=1)
    agcn_adaptive: bool = True  # learned B_k
    agcn_data_dependent: bool = True  # data-dependent C_k
    agcn_inputs: tuple[str, ...] = ("joint", "bone")
    # the last layer's initialisation: 2s-AGCN's N(0, 2 / n_outputs) ("published") or zeros
    # (the seed-004 presets: see ictal.models.agcn)
    agcn_head_init: HeadInit = "published"
    temporal_kernel: int = Field(9, ge=1)
    tcn_channels: tuple[int, ...] = (64, 64, 64, 64)
    tcn_kernel: int = Field(3, ge=2)
    tcn_causal: bool = False
    # subtract each clip's own mean of every appearance feature before the TCN (the seed-004
    # presets: see ictal.models.tcn); False feeds the standardised features as they are
    tcn_clip_centre: bool = False
    kd_temperature: float = Field(4.0, gt=0)
    kd_alpha: float = Field(0.5, ge=0, le=1)  # weight of the soft (teacher) term
    # random transforms of the AGCN's training clips (KeypointAugment); None: none
    agcn_augment: KeypointAugment | None = None
    train: TrainConfig = Field(default_factory=TrainConfig)

    @model_validator(mode="before")
    @classmethod
    def _extended_sizes(cls, data: Any) -> Any:
        """``arch: lstm-extended`` without explicit sizes means seed 000's 128/128, FC 128/64."""
        if isinstance(data, dict) and data.get("arch") == "lstm-extended":
            data = {"lstm_units": (128, 128), "fc_units": (128, 64), **data}
        return data
