"""``python -m ictal`` is the ``ictal`` command."""

from ictal.cli.main import app

app()
