"""Data access, one module per entity: every query of the server lives here, none in the routes.

Every read is scoped to the clinics of the calling user (``clinic_ids``): a row of another
clinic is reported exactly like a missing one (:class:`~ictal.server.errors.NotFoundError`), so
its existence is not revealed. Every change appends an :class:`~ictal.server.models.AuditEntry`
in the same transaction (:mod:`.audit`). Updates and deletes of versioned rows (patients,
events, MOIs) compare the version the client read with the row's (:mod:`.versioning`);
SQLAlchemy's ``version_id_col`` makes the ``UPDATE ... WHERE version = :read`` atomic, so two
concurrent writers can never both succeed.

Modules: :mod:`.users` (users and login sessions), :mod:`.clinics`, :mod:`.patients`,
:mod:`.recordings`, :mod:`.vocabulary` (MOI terms, body regions), :mod:`.events`, :mod:`.mois`,
:mod:`.runs` (imported model runs and their windows), :mod:`.audit`, :mod:`.export` (what a
manifest export reads). Response bodies are built by :mod:`ictal.server.presenters`; routes
commit with :func:`ictal.server.db.commit`.
"""
