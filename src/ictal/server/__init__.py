"""The clinician + data-scientist platform of seed 003 (DeepEpil): a FastAPI back-end.

``create_app(settings)`` in :mod:`ictal.server.app` builds everything (engine, session factory,
transcoding jobs, routes); nothing is created at import time. Layers, bottom to top:
:mod:`.config` (settings), :mod:`.enums` (roles, preview states), :mod:`.models` (SQLAlchemy
tables), :mod:`.schemas` (request / response bodies), :mod:`.presenters` (response bodies from
rows), :mod:`.repositories` (every query, one module per entity), :mod:`.deps` (typed
dependencies: ``DbSession``, ``CurrentUser``, ``require_role``), :mod:`.routes` (HTTP, one
module per area), :mod:`.media` (storage paths, uploads, probing, transcoding, Range
responses), :mod:`.jobs` (background transcoding), :mod:`.migrate` (Alembic).
"""
