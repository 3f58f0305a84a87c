"""Classifiers of backbone features: the seeds' LSTM, I3D head and GESTURES models.

Every classifier meets one contract, :class:`ictal.models.base.Estimator`; the registry
(:mod:`ictal.models.registry`) builds one from a :class:`~ictal.models.config.ModelConfig`,
whose named values are the presets of :mod:`ictal.models.presets`. The package owns its
configuration, training loop (:mod:`ictal.models.loop`) and losses (:mod:`ictal.models.losses`);
this module imports nothing, so reading a config does not load torch.
"""
