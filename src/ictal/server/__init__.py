"""The clinician + data-scientist platform of seed 003 (DeepEpil): a FastAPI back-end.

``create_app(settings)`` in :mod:`ictal.server.app` builds everything (engine, session factory,
transcoding jobs, routes); nothing is created at import time. Layers: :mod:`.config` (settings),
:mod:`.models` (SQLAlchemy tables), :mod:`.schemas` (request / response bodies),
:mod:`.repository` (every query), :mod:`.deps` (typed dependencies: ``DbSession``,
``CurrentUser``, ``require_role``), :mod:`.routes` (HTTP), :mod:`.media` (probing, transcoding,
Range responses), :mod:`.jobs` (background transcoding), :mod:`.migrate` (Alembic).
"""
